package org.k200emu.bdev.dedup;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.Recycler;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import org.k200emu.bdev.Accelerated;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevCompletion;
import org.k200emu.bdev.BdevGeometry;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.SyncIo;
import org.k200emu.bdev.integrity.BlockHasher;
import org.k200emu.bdev.table.PagedBytes;
import org.k200emu.cluster.accel.AccelJob;
import org.k200emu.cluster.accel.AccelKind;
import org.k200emu.cluster.accel.AccelWork;
import org.k200emu.cluster.accel.Accelerators;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code dedup} bdev: inline block-level deduplication over one member bdev. The volume has
 * 4 KiB logical blocks; each maps to a physical 4 KiB block of the member, to "zero" (written as
 * zeroes, no space) or to nothing (never written or deallocated; reads as zeroes). A write hashes
 * each block with SHA-256 ({@link BlockHasher}); content already stored is not written again, the
 * logical block just points at the stored physical block and its reference count grows. New
 * content gets a block from the {@linkplain BlockAllocator allocator}. Overwrites and deallocations
 * drop the old reference; a physical block at zero references returns to the free list. The
 * logical capacity may exceed the member (thin): by default it equals the physical data blocks.
 *
 * <p><b>Fingerprints</b> are hash jobs for the card's accelerators ({@link Accelerated}), one per
 * non-zero block written, on the cluster of the I/O's core; metadata checksums stay on the core.
 *
 * <p><b>Hash collisions.</b> Blocks with equal SHA-256 are taken to be equal, with no byte compare.
 * The chance that any two of n distinct blocks collide is about n²/2²⁵⁷: for 2⁴⁰ blocks (4 PiB)
 * that is below 10⁻⁵¹, far below the rate of undetected media or memory errors, and no SHA-256
 * collision is known. A verifying mode (read back and compare on every hit) would cost a member
 * read per duplicate block and is not implemented.
 *
 * <p><b>On the member</b> (see {@link DedupLayout}): a superblock, a journal ring of
 * {@code journalSlots} member blocks, two checkpoint copies of the tables, and the data blocks.
 * A checkpoint holds the whole logical-to-physical map (8 bytes per logical block: a 36-bit
 * sequence number and a 28-bit code, 0 unmapped, 1 zero, p + 2 physical block p) and the
 * fingerprint of every physical block; reference counts, the fingerprint index and the free list
 * are rebuilt from those at open. Its header names the journal sequence number S it covers up to,
 * a generation, and a SHA-256 of its contents; the valid copy with the highest generation wins.
 *
 * <p><b>Write ordering.</b> A block's data goes to its new physical block first; when that has
 * completed, one journal record (one member block: sequence number, logical block, code,
 * fingerprint, SHA-256 of the record) goes to slot {@code seq % journalSlots}; only when the
 * record has completed is the in-memory map updated, the old block's reference dropped and the
 * write acknowledged. So a crash before the record leaves the old mapping, whose block was not
 * freed and so not reused: a torn write reads old or new data, never another block's. A duplicate
 * waits for the data write of the block it shares before its own record is written. On a member
 * with a volatile write cache this order holds on the medium once the host flushes, as usual.
 *
 * <p><b>Replay.</b> Every map entry carries the sequence number of the record that set it, and a
 * record is applied only over an older entry, so replay is order-free and idempotent: open loads
 * the newest checkpoint and applies each valid record of this volume (its volume id) with
 * sequence at least S, then takes a fresh checkpoint. Concurrent writes of one logical block are
 * resolved the same way in memory and on the member (the higher sequence number wins).
 *
 * <p><b>Checkpoints</b> run on the bdev's own checkpoint thread (control-plane work, blocking on
 * the member) when the journal is half full, at open and at close: it waits until every record
 * below the current sequence T has completed, writes the map and fingerprints to the older copy,
 * flushes, writes its header (S = T), flushes, and only then lets writers reuse slots below T +
 * journalSlots. A writer that finds the journal full parks on a lock-free queue and is resumed on
 * its own core after the checkpoint.
 *
 * <p><b>Concurrency</b> without locks: the map is an {@link AtomicLongArray}; the fingerprint index
 * a {@link ConcurrentHashMap} of entries with atomic reference counts. Two writers of the same new
 * content race on {@code putIfAbsent}: the winner allocates and writes the block, the loser takes a
 * reference and waits on the entry's lock-free waiter stack. A count only rises from above zero,
 * so a block being freed is never revived. Reads take a reference for the member read so the block
 * cannot be freed and reused under them.
 *
 * <p><b>Failures.</b> A failed data write frees its block and fails the write (and the duplicates
 * waiting on it). A failed journal write fails the write but keeps its references, since the
 * record may have reached the member: the block is recovered at the next open. A full member
 * fails new content with MEDIA_ERROR. A failed checkpoint is logged and retried later; writes stall
 * if the journal stays full.
 *
 * <p>Owned by the registry that created it, which also owns (and closes) the member.
 */
public final class DedupBdev implements Bdev, Accelerated {

    private static final Logger LOG = LoggerFactory.getLogger(DedupBdev.class);

    /** The dedup block and the volume's block size. */
    public static final int BLOCK_SIZE = 4096;
    /** The default number of journal slots (one member block each). */
    public static final int DEFAULT_JOURNAL_SLOTS = 1024;

    /** "K200DDUP" */
    static final long MAGIC = 0x4B32303044445550L;
    /** "K200DDJR" */
    static final long JOURNAL_MAGIC = 0x4B3230304444_4A52L;
    /** "K200DDCP" */
    static final long CHECKPOINT_MAGIC = 0x4B32303044444350L;
    static final int VERSION = 1;
    static final int CODE_BITS = 28;
    static final long CODE_MASK = (1L << CODE_BITS) - 1;
    static final int UNMAPPED = 0;
    static final int ZERO = 1;
    static final long MAX_SEQ = (1L << (64 - CODE_BITS)) - 1;
    private static final int RECORD_FIELDS = 72;
    private static final int SUPER_FIELDS = 64;
    private static final int FP = BlockHasher.DIGEST_BYTES;
    private static final int CHUNK_PAGES = 64;
    private static final long SYNC_TIMEOUT_SECONDS = SyncIo.TIMEOUT_SECONDS;

    private final String name;
    private final Bdev member;
    private final DedupLayout layout;
    private final int perPage;
    private final BlockHasher hasher = BlockHasher.sha256();
    private volatile Accelerators accel = Accelerators.k200();
    private long volumeId;

    private final AtomicLongArray map;
    private final ConcurrentHashMap<Fingerprint, Entry> index = new ConcurrentHashMap<>();
    private final AtomicReferenceArray<Entry> byPhysical;
    /** Fingerprint of each physical block, 32 bytes each, in 1 MiB pages; written before the block is published. */
    private final PagedBytes fingerprints;
    private final BlockAllocator allocator;

    private final AtomicLong nextSeq = new AtomicLong(1);
    /** The durable checkpoint covers every record below this: slots of records at or above it are taken. */
    private volatile long durableStart = 1;
    /** Per slot: the sequence number of the last record there that completed (or failed). */
    private final AtomicLongArray doneSeq;
    private final AtomicBoolean checkpointing = new AtomicBoolean();
    private final ConcurrentLinkedQueue<BlockOp> stalled = new ConcurrentLinkedQueue<>();
    private final ExecutorService checkpointer;
    /** Checkpointer thread (and open) only. */
    private long generation;
    private int activeCopy;

    private final AtomicLong dataBlocks = new AtomicLong();
    private final AtomicLong zeroBlocks = new AtomicLong();
    private final AtomicLong physicalUsed = new AtomicLong();
    private final AtomicLong blockWrites = new AtomicLong();
    private final AtomicLong dedupHits = new AtomicLong();
    private final AtomicLong checkpoints = new AtomicLong();
    private volatile boolean closed;

    private DedupBdev(String name, Bdev member, DedupLayout layout) {
        this.name = name;
        this.member = member;
        this.layout = layout;
        this.perPage = layout.perPage();
        this.map = new AtomicLongArray((int) layout.logicalBlocks());
        this.byPhysical = new AtomicReferenceArray<>((int) layout.physicalBlocks());
        this.fingerprints = new PagedBytes(layout.physicalBlocks() * FP);
        this.allocator = new BlockAllocator(layout.physicalBlocks());
        this.doneSeq = new AtomicLongArray(layout.journalSlots());
        this.checkpointer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "k200-dedup-" + name + "-checkpoint");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * A dedup bdev named {@code name} over {@code member}: reopens the member if it holds a dedup
     * superblock, formats it if its first 4 KiB are blank (all zeroes), and refuses anything else.
     * The logical capacity of a new volume equals its physical data blocks. Blocks the caller until
     * the member has answered (control plane only). Throws IllegalArgumentException for a bad name
     * or a member too small, IllegalStateException if the member fails or holds something else.
     */
    public static DedupBdev create(String name, Bdev member) {
        return create(name, member, 0, DEFAULT_JOURNAL_SLOTS);
    }

    /**
     * Like {@link #create(String, Bdev)}, formatting a blank member with {@code logicalBlocks}
     * logical blocks (0: as many as physical ones; more: thin) and a journal of
     * {@code journalSlots} member blocks. A member already formatted keeps its own geometry.
     */
    public static DedupBdev create(String name, Bdev member, long logicalBlocks, int journalSlots) {
        BdevGeometry.checkMember(name, member, "a dedup bdev");
        if (logicalBlocks < 0) {
            throw new IllegalArgumentException("bdev " + name + ": negative logical size " + logicalBlocks);
        }
        ByteBuf sb = PooledByteBufAllocator.DEFAULT.heapBuffer(BLOCK_SIZE);
        DedupLayout layout;
        long vid;
        boolean fresh;
        try {
            int per = BLOCK_SIZE / member.blockSize();
            if (member.blockCount() < per) {
                throw new IllegalArgumentException("bdev " + name + ": member " + member.name() + " is too small");
            }
            sync(name, member, BdevOp.READ, 0, per, sb, "reading the superblock");
            fresh = isZero(sb, 0, BLOCK_SIZE);
            if (fresh) {
                layout = DedupLayout.of(name, member.blockSize(), member.blockCount(), logicalBlocks, journalSlots);
                vid = new SecureRandom().nextLong() | 1;
            } else {
                layout = parseSuperblock(name, member, sb);
                vid = sb.getLong(16);
            }
        } finally {
            sb.release();
        }
        DedupBdev bdev = new DedupBdev(name, member, layout);
        bdev.volumeId = vid;
        try {
            if (fresh) {
                bdev.format();
            } else {
                bdev.load();
            }
        } catch (RuntimeException e) {
            bdev.checkpointer.shutdownNow();
            throw e;
        }
        return bdev;
    }

    @Override
    public void useAccelerators(Accelerators accelerators) {
        this.accel = Objects.requireNonNull(accelerators, "accelerators");
    }

    @Override
    public Accelerators accelerators() {
        return accel;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int blockSize() {
        return BLOCK_SIZE;
    }

    @Override
    public long blockCount() {
        return layout.logicalBlocks();
    }

    @Override
    public String module() {
        return "dedup";
    }

    @Override
    public boolean supports(BdevOp op) {
        return true;
    }

    @Override
    public boolean hasVolatileWriteCache() {
        return member.hasVolatileWriteCache();
    }

    /** Physical data blocks the member has room for. */
    public long physicalBlocks() {
        return layout.physicalBlocks();
    }

    DedupLayout layout() {
        return layout;
    }

    /** The space counters now; see {@link DedupStats}. */
    public DedupStats stats() {
        return new DedupStats(dataBlocks.get(), physicalUsed.get(), zeroBlocks.get(), layout.physicalBlocks(),
                blockWrites.get(), dedupHits.get(), checkpoints.get());
    }

    /**
     * Takes a checkpoint and stops the checkpoint thread. Every I/O must have completed; later I/O
     * completes ABORTED. The member stays open (its owner closes it).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            CompletableFuture.runAsync(() -> {
                if (checkpointing.compareAndSet(false, true)) {
                    runCheckpoint();
                }
            }, checkpointer).get(SYNC_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
            LOG.warn("bdev {}: final checkpoint failed: {}", name, e.toString());
        }
        checkpointer.shutdownNow();
    }

    /** Tests: drops the instance as a crash would, with no further member I/O. */
    void crash() {
        closed = true;
        checkpointer.shutdownNow();
    }

    @Override
    public String toString() {
        return "DedupBdev[" + name + " on " + member.name() + ", " + layout.logicalBlocks() + " logical / "
                + layout.physicalBlocks() + " physical blocks]";
    }

    // ---- the data path

    @Override
    public void submit(BdevIo io) {
        if (closed) {
            io.complete(BdevStatus.ABORTED);
            return;
        }
        int status = BdevGeometry.validate(io, BLOCK_SIZE, layout.logicalBlocks());
        if (status != BdevStatus.SUCCESS) {
            io.complete(status);
            return;
        }
        if (io.op() == BdevOp.FLUSH) {
            Request.POOL.get().flush(this, io);
            return;
        }
        if (io.numBlocks() == 0) {
            io.complete(BdevStatus.SUCCESS);
            return;
        }
        Request.POOL.get().start(this, io);
    }

    private static boolean isZero(ByteBuf buf, int index, int length) {
        for (int i = 0; i < length; i += 8) {
            if (buf.getLong(index + i) != 0) {
                return false;
            }
        }
        return true;
    }

    static long seqOf(long entry) {
        return entry >>> CODE_BITS;
    }

    static int codeOf(long entry) {
        return (int) (entry & CODE_MASK);
    }

    static long pack(long seq, int code) {
        return (seq << CODE_BITS) | code;
    }

    private void setFingerprint(int phys, byte[] fp) {
        long at = (long) phys * FP;
        fingerprints.set(at, fp, 0, FP);
    }

    private void getFingerprint(int phys, byte[] out) {
        long at = (long) phys * FP;
        fingerprints.get(at, out, 0, FP);
    }

    /** Takes a reference if the entry is still alive (count above zero). */
    private static boolean tryRef(Entry e) {
        while (true) {
            int n = e.refs.get();
            if (n <= 0) {
                return false;
            }
            if (e.refs.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    private void unref(Entry e) {
        if (e.refs.decrementAndGet() == 0) {
            index.remove(e.fp, e);
            byPhysical.compareAndSet(e.phys, e, null);
            physicalUsed.decrementAndGet();
            allocator.free(e.phys);
        }
    }

    /** Drops the reference a map code holds. */
    private void release(int code) {
        if (code >= 2) {
            Entry e = byPhysical.get(code - 2);
            if (e != null) {
                unref(e);
            }
        }
    }

    private void count(int code, int delta) {
        if (code == ZERO) {
            zeroBlocks.addAndGet(delta);
        } else if (code >= 2) {
            dataBlocks.addAndGet(delta);
        }
    }

    /** Installs a durable record in memory: the newer sequence number wins; the loser's reference goes. */
    private void apply(long lba, long seq, int code) {
        int i = (int) lba;
        long next = pack(seq, code);
        while (true) {
            long cur = map.get(i);
            if (seqOf(cur) > seq) {
                release(code);
                return;
            }
            if (map.compareAndSet(i, cur, next)) {
                count(codeOf(cur), -1);
                count(code, 1);
                release(codeOf(cur));
                return;
            }
        }
    }

    /** Reserves a journal sequence number, or -1 if the journal is full until the next checkpoint. */
    private long reserveSeq() {
        while (true) {
            long s = nextSeq.get();
            long start = durableStart;
            if (s - start >= layout.journalSlots()) {
                requestCheckpoint();
                return -1;
            }
            if (s >= MAX_SEQ) {
                return -2;
            }
            if (nextSeq.compareAndSet(s, s + 1)) {
                if (s - start >= layout.journalSlots() / 2) {
                    requestCheckpoint();
                }
                return s;
            }
        }
    }

    private void requestCheckpoint() {
        if (!closed && checkpointing.compareAndSet(false, true)) {
            try {
                checkpointer.execute(this::runCheckpoint);
            } catch (RejectedExecutionException e) {
                checkpointing.set(false);
            }
        }
    }

    private void stall(BlockOp op) {
        stalled.add(op);
        // The checkpoint may have finished between the full journal and the queueing: look again.
        if (nextSeq.get() - durableStart < layout.journalSlots()) {
            resumeStalled();
        }
    }

    private void resumeStalled() {
        BlockOp op;
        // Stop while full: a resumed op that stalls again (inline core) would otherwise spin here.
        while (nextSeq.get() - durableStart < layout.journalSlots() && (op = stalled.poll()) != null) {
            BlockOp o = op;
            try {
                o.parent.io.core().execute(o::journal);
            } catch (RejectedExecutionException e) {
                o.finish(BdevStatus.ABORTED);
            }
        }
    }

    private void writeRecord(ByteBuf rec, long seq, long lba, int code, byte[] fp) {
        rec.setZero(0, layout.memberBlockSize());
        rec.setLong(0, JOURNAL_MAGIC);
        rec.setLong(8, volumeId);
        rec.setLong(16, seq);
        rec.setLong(24, lba);
        rec.setInt(32, code);
        if (code >= 2) {
            rec.setBytes(40, fp, 0, FP);
        }
        byte[] sum = new byte[FP];
        hasher.digest(rec, 0, RECORD_FIELDS, sum, 0);
        rec.setBytes(RECORD_FIELDS, sum);
        rec.writerIndex(layout.memberBlockSize());
    }

    // ---- per-I/O state

    /** A fingerprint as a hash key: the 32 bytes as four longs. Mutable only while a probe. */
    static final class Fingerprint {
        long a;
        long b;
        long c;
        long d;

        void set(byte[] fp) {
            a = getLong(fp, 0);
            b = getLong(fp, 8);
            c = getLong(fp, 16);
            d = getLong(fp, 24);
        }

        Fingerprint copy() {
            Fingerprint f = new Fingerprint();
            f.a = a;
            f.b = b;
            f.c = c;
            f.d = d;
            return f;
        }

        private static long getLong(byte[] x, int at) {
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (x[at + i] & 0xFF);
            }
            return v;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Fingerprint f && f.a == a && f.b == b && f.c == c && f.d == d;
        }

        @Override
        public int hashCode() {
            return (int) (a ^ (a >>> 32));
        }
    }

    private static final int PENDING = 0;
    private static final int READY = 1;
    private static final int FAILED = 2;
    /** Closes an entry's waiter stack once its data write is done. */
    private static final Object DONE = new Object();

    /** One stored content: its physical block and references (logical blocks plus writes in flight). */
    static final class Entry {
        final Fingerprint fp;
        final AtomicInteger refs;
        volatile int phys = -1;
        volatile int state;
        final AtomicReference<Object> waiters = new AtomicReference<>();

        Entry(Fingerprint fp, int refs, int state) {
            this.fp = fp;
            this.refs = new AtomicInteger(refs);
            this.state = state;
        }
    }

    /** One parent I/O: its block operations and the first error among them. Pooled. */
    private static final class Request implements BdevCompletion {

        static final Recycler<Request> POOL = new Recycler<Request>() {
            @Override
            protected Request newObject(Handle<Request> handle) {
                return new Request(handle);
            }
        };

        private final Recycler.Handle<Request> handle;
        private final AtomicInteger pending = new AtomicInteger();
        private final AtomicInteger status = new AtomicInteger();
        private final BdevIo memberIo = new BdevIo();
        BdevIo io;
        private DedupBdev bdev;
        private int readStart;

        Request(Recycler.Handle<Request> handle) {
            this.handle = handle;
        }

        void start(DedupBdev b, BdevIo parent) {
            bdev = b;
            io = parent;
            status.set(BdevStatus.SUCCESS);
            int n = (int) parent.numBlocks();
            pending.set(n + 1); // one more while the operations are being started
            if (parent.op() == BdevOp.READ) {
                ByteBuf buf = parent.buffer();
                readStart = buf.writerIndex();
                buf.ensureWritable(n * BLOCK_SIZE);
            } else {
                b.blockWrites.addAndGet(n);
            }
            for (int i = 0; i < n; i++) {
                BlockOp.POOL.get().start(b, this, i);
            }
            done(BdevStatus.SUCCESS);
        }

        void flush(DedupBdev b, BdevIo parent) {
            bdev = b;
            io = parent;
            memberIo.prepare(BdevOp.FLUSH, 0, 0, null, parent.core(), this, null);
            b.member.submit(memberIo);
        }

        @Override
        public void bdevIoDone(BdevIo flushed) {
            BdevIo parent = io;
            int s = flushed.status();
            recycle();
            parent.complete(s);
        }

        void done(int s) {
            if (s != BdevStatus.SUCCESS) {
                status.compareAndSet(BdevStatus.SUCCESS, s);
            }
            if (pending.decrementAndGet() == 0) {
                BdevIo parent = io;
                int result = status.get();
                if (parent.op() == BdevOp.READ && result == BdevStatus.SUCCESS) {
                    parent.buffer().writerIndex(readStart + (int) parent.numBlocks() * BLOCK_SIZE);
                }
                recycle();
                parent.complete(result);
            }
        }

        private void recycle() {
            io = null;
            bdev = null;
            handle.recycle(this);
        }
    }

    /** One 4 KiB block of a parent I/O, through hashing, data write, journal record and map update. Pooled. */
    private static final class BlockOp implements BdevCompletion, AccelWork {

        static final Recycler<BlockOp> POOL = new Recycler<BlockOp>() {
            @Override
            protected BlockOp newObject(Handle<BlockOp> handle) {
                return new BlockOp(handle);
            }
        };

        private static final int STAGE_READ = 0;
        private static final int STAGE_DATA = 1;
        private static final int STAGE_JOURNAL = 2;

        private final Recycler.Handle<BlockOp> handle;
        private final BdevIo memberIo = new BdevIo();
        private final byte[] digest = new byte[FP];
        private final Fingerprint probe = new Fingerprint();
        /** The block's fingerprint, a job for the hash engines of the I/O's cluster. */
        private final AccelJob job = new AccelJob(this);
        private DedupBdev bdev;
        Request parent;
        private long lba;
        private int bufIndex;
        private int stage;
        private Entry entry;
        private int code;
        private long seq;
        private ByteBuf record;
        /** Next waiter on the same entry's stack. */
        BlockOp nextWaiter;

        BlockOp(Recycler.Handle<BlockOp> handle) {
            this.handle = handle;
        }

        void start(DedupBdev b, Request p, int i) {
            bdev = b;
            parent = p;
            BdevIo io = p.io;
            lba = io.offsetBlocks() + i;
            entry = null;
            nextWaiter = null;
            switch (io.op()) {
                case READ:
                    bufIndex = p.readStart + i * BLOCK_SIZE;
                    read();
                    break;
                case WRITE:
                    bufIndex = io.buffer().readerIndex() + i * BLOCK_SIZE;
                    write();
                    break;
                case WRITE_ZEROES:
                    code = ZERO;
                    journal();
                    break;
                case UNMAP:
                    code = UNMAPPED;
                    journal();
                    break;
                default:
                    finish(BdevStatus.UNSUPPORTED);
                    break;
            }
        }

        private void read() {
            ByteBuf buf = parent.io.buffer();
            while (true) {
                long cur = bdev.map.get((int) lba);
                int c = codeOf(cur);
                if (c < 2) {
                    buf.setZero(bufIndex, BLOCK_SIZE);
                    finish(BdevStatus.SUCCESS);
                    return;
                }
                Entry e = bdev.byPhysical.get(c - 2);
                if (e == null && bdev.map.get((int) lba) == cur) {
                    finish(BdevStatus.MEDIA_ERROR); // a mapping with no block: never expected
                    return;
                }
                if (e == null || !tryRef(e)) {
                    Thread.onSpinWait(); // an overwrite is freeing it: the map changes next
                    continue;
                }
                if (bdev.map.get((int) lba) != cur) {
                    bdev.unref(e);
                    continue;
                }
                entry = e;
                stage = STAGE_READ;
                ByteBuf slice = buf.slice(bufIndex, BLOCK_SIZE).clear();
                memberIo.prepare(BdevOp.READ, bdev.layout.dataStart() + (long) (c - 2) * bdev.perPage,
                        bdev.perPage, slice, parent.io.core(), this, null);
                bdev.member.submit(memberIo);
                return;
            }
        }

        private void write() {
            ByteBuf buf = parent.io.buffer();
            if (isZero(buf, bufIndex, BLOCK_SIZE)) {
                code = ZERO;
                journal();
                return;
            }
            bdev.accel.submit(parent.io.core(), job.prepare(AccelKind.HASH, BLOCK_SIZE, 0));
        }

        @Override
        public void accelCompute(AccelJob j) {
            bdev.hasher.digest(parent.io.buffer(), bufIndex, BLOCK_SIZE, digest, 0);
        }

        /** The fingerprint is known: share a block that has it, or write a new one. */
        @Override
        public void accelDone(AccelJob j) {
            ByteBuf buf = parent.io.buffer();
            probe.set(digest);
            while (true) {
                Entry e = bdev.index.get(probe);
                if (e != null) {
                    if (!tryRef(e)) {
                        Thread.onSpinWait(); // dying: its owner removes it from the index next
                        continue;
                    }
                    bdev.dedupHits.incrementAndGet();
                    entry = e;
                    if (!waitFor(e)) {
                        afterData();
                    }
                    return;
                }
                Entry mine = new Entry(probe.copy(), 1, PENDING);
                if (bdev.index.putIfAbsent(mine.fp, mine) != null) {
                    continue;
                }
                entry = mine;
                int phys = bdev.allocator.allocate();
                if (phys < 0) {
                    dataFailed(BdevStatus.MEDIA_ERROR, false);
                    return;
                }
                mine.phys = phys;
                bdev.setFingerprint(phys, digest);
                bdev.byPhysical.set(phys, mine);
                bdev.physicalUsed.incrementAndGet();
                stage = STAGE_DATA;
                memberIo.prepare(BdevOp.WRITE, bdev.layout.dataStart() + (long) phys * bdev.perPage, bdev.perPage,
                        buf.slice(bufIndex, BLOCK_SIZE), parent.io.core(), this, null);
                bdev.member.submit(memberIo);
                return;
            }
        }

        /** Pushes this op on a pending entry's waiters; false if the entry's data write is already done. */
        private boolean waitFor(Entry e) {
            while (true) {
                Object h = e.waiters.get();
                if (h == DONE) {
                    return false;
                }
                nextWaiter = (BlockOp) h;
                if (e.waiters.compareAndSet(h, this)) {
                    return true;
                }
            }
        }

        private static void wake(Entry e) {
            Object h = e.waiters.getAndSet(DONE);
            BlockOp w = h == DONE ? null : (BlockOp) h;
            while (w != null) {
                BlockOp next = w.nextWaiter;
                w.nextWaiter = null;
                BlockOp waiter = w;
                try {
                    waiter.parent.io.core().execute(waiter::afterData);
                } catch (RejectedExecutionException ex) {
                    waiter.finish(BdevStatus.ABORTED);
                }
                w = next;
            }
        }

        /** The shared block's data is on the member (or failed): on to the journal. */
        private void afterData() {
            if (entry.state != READY) {
                finish(BdevStatus.MEDIA_ERROR);
                return;
            }
            code = entry.phys + 2;
            journal();
        }

        private void dataFailed(int status, boolean allocated) {
            Entry e = entry;
            e.state = FAILED;
            bdev.index.remove(e.fp, e);
            if (allocated) {
                bdev.byPhysical.compareAndSet(e.phys, e, null);
                bdev.physicalUsed.decrementAndGet();
                bdev.allocator.free(e.phys);
            }
            wake(e);
            finish(status);
        }

        /** Reserves a slot and writes this block's record (or parks until a checkpoint frees one). */
        void journal() {
            long s = bdev.reserveSeq();
            if (s == -1) {
                bdev.stall(this);
                return;
            }
            if (s < 0) {
                finish(BdevStatus.MEDIA_ERROR);
                return;
            }
            seq = s;
            DedupLayout l = bdev.layout;
            record = PooledByteBufAllocator.DEFAULT.directBuffer(l.memberBlockSize(), l.memberBlockSize());
            bdev.writeRecord(record, s, lba, code, digest);
            stage = STAGE_JOURNAL;
            memberIo.prepare(BdevOp.WRITE, l.journalStart() + s % l.journalSlots(), 1, record,
                    parent.io.core(), this, null);
            bdev.member.submit(memberIo);
        }

        @Override
        public void bdevIoDone(BdevIo io) {
            int s = io.status();
            switch (stage) {
                case STAGE_READ:
                    bdev.unref(entry);
                    finish(s);
                    break;
                case STAGE_DATA:
                    if (s == BdevStatus.SUCCESS) {
                        entry.state = READY;
                        wake(entry);
                        afterData();
                    } else {
                        dataFailed(s, true);
                    }
                    break;
                case STAGE_JOURNAL:
                default:
                    record.release();
                    record = null;
                    bdev.doneSeq.set((int) (seq % bdev.layout.journalSlots()), seq);
                    if (s == BdevStatus.SUCCESS) {
                        bdev.apply(lba, seq, code);
                    }
                    // On failure the record may still have landed: keep the reference (recovered at open).
                    finish(s);
                    break;
            }
        }

        void finish(int status) {
            Request p = parent;
            bdev = null;
            parent = null;
            entry = null;
            handle.recycle(this);
            p.done(status);
        }
    }

    // ---- control plane: format, load, checkpoint

    private static void sync(String name, Bdev member, BdevOp op, long lba, long blocks, ByteBuf buf, String what) {
        SyncIo.run("bdev " + name, member, op, lba, blocks, buf, what);
    }

    private void sync(BdevOp op, long lba, long blocks, ByteBuf buf, String what) {
        sync(name, member, op, lba, blocks, buf, what);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }

    private static DedupLayout parseSuperblock(String name, Bdev member, ByteBuf sb) {
        byte[] sum = BlockHasher.sha256().digest(sb, 0, SUPER_FIELDS);
        byte[] stored = new byte[FP];
        sb.getBytes(SUPER_FIELDS, stored);
        if (sb.getLong(0) != MAGIC || !Arrays.equals(sum, stored)) {
            throw new IllegalStateException("bdev " + name + ": " + member.name()
                    + " holds data but no dedup superblock; refusing to overwrite it");
        }
        if (sb.getInt(8) != VERSION) {
            throw new IllegalStateException("bdev " + name + ": dedup format version " + sb.getInt(8) + " is not supported");
        }
        DedupLayout l = new DedupLayout(sb.getInt(24), sb.getLong(28), sb.getLong(36), sb.getLong(44), sb.getInt(52));
        if (l.memberBlockSize() != member.blockSize() || l.memberBlocks() > member.blockCount()) {
            throw new IllegalArgumentException("bdev " + name + ": " + member.name() + " was formatted for "
                    + l.memberBlocks() + " blocks of " + l.memberBlockSize() + " B; it has " + member.blockCount()
                    + " of " + member.blockSize() + " B");
        }
        return l;
    }

    private void format() {
        // The first checkpoint goes before the superblock: a crash in between leaves a blank member.
        runCheckpoint();
        ByteBuf sb = PooledByteBufAllocator.DEFAULT.heapBuffer(BLOCK_SIZE, BLOCK_SIZE);
        try {
            sb.writeZero(BLOCK_SIZE);
            sb.setLong(0, MAGIC);
            sb.setInt(8, VERSION);
            sb.setLong(16, volumeId);
            sb.setInt(24, layout.memberBlockSize());
            sb.setLong(28, layout.memberBlocks());
            sb.setLong(36, layout.logicalBlocks());
            sb.setLong(44, layout.physicalBlocks());
            sb.setInt(52, layout.journalSlots());
            sb.setBytes(SUPER_FIELDS, hasher.digest(sb, 0, SUPER_FIELDS));
            sync(BdevOp.WRITE, 0, perPage, sb, "writing the superblock");
            sync(BdevOp.FLUSH, 0, 0, null, "flushing the superblock");
        } finally {
            sb.release();
        }
    }

    /** Header of checkpoint copy {@code copy}: {generation, start} if valid for this volume, else null. */
    private long[] readCheckpointHeader(int copy, byte[] sumOut) {
        ByteBuf h = PooledByteBufAllocator.DEFAULT.heapBuffer(BLOCK_SIZE, BLOCK_SIZE);
        try {
            sync(BdevOp.READ, layout.checkpointStart(copy), perPage, h, "reading a checkpoint header");
            byte[] sum = hasher.digest(h, 0, 64);
            byte[] stored = new byte[FP];
            h.getBytes(64, stored);
            if (h.getLong(0) != CHECKPOINT_MAGIC || h.getLong(8) != volumeId || !Arrays.equals(sum, stored)) {
                return null;
            }
            h.getBytes(32, sumOut);
            return new long[] {h.getLong(16), h.getLong(24)};
        } finally {
            h.release();
        }
    }

    private void load() {
        byte[][] sums = new byte[2][FP];
        long[][] headers = {readCheckpointHeader(0, sums[0]), readCheckpointHeader(1, sums[1])};
        // Newest valid copy first; each load overwrites the whole map and fingerprint table.
        int newest = headers[1] != null && (headers[0] == null || headers[1][0] > headers[0][0]) ? 1 : 0;
        int copy = -1;
        for (int c : new int[] {newest, 1 - newest}) {
            if (headers[c] == null) {
                continue;
            }
            if (loadCheckpoint(c, sums[c])) {
                copy = c;
                break;
            }
            LOG.warn("bdev {}: checkpoint copy {} is corrupt; trying the other", name, c);
        }
        if (copy < 0) {
            throw new IllegalStateException("bdev " + name + ": no valid checkpoint on " + member.name());
        }
        generation = headers[copy][0];
        activeCopy = copy;
        long start = headers[copy][1];
        long last = replay(start);
        durableStart = start;
        nextSeq.set(Math.max(start, last + 1));
        for (long s = start; s < nextSeq.get(); s++) {
            doneSeq.set((int) (s % layout.journalSlots()), s);
        }
        rebuild();
        runCheckpoint();
    }

    /** Loads one copy's map and fingerprints into memory; false if its contents do not match its header. */
    private boolean loadCheckpoint(int copy, byte[] expected) {
        MessageDigest md = sha256();
        long base = layout.checkpointStart(copy) + perPage;
        long mapPages = DedupLayout.mapPages(layout.logicalBlocks());
        long fpPages = DedupLayout.fpPages(layout.physicalBlocks());
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.heapBuffer(CHUNK_PAGES * BLOCK_SIZE);
        byte[] chunk = new byte[CHUNK_PAGES * BLOCK_SIZE];
        ByteBuffer view = ByteBuffer.wrap(chunk);
        try {
            for (long p = 0; p < mapPages + fpPages; p += CHUNK_PAGES) {
                int n = (int) Math.min(CHUNK_PAGES, mapPages + fpPages - p);
                buf.clear();
                sync(BdevOp.READ, base + p * perPage, (long) n * perPage, buf, "reading a checkpoint");
                buf.getBytes(0, chunk, 0, n * BLOCK_SIZE); // one copy: per-entry ByteBuf calls are slow when leak-tracked
                md.update(chunk, 0, n * BLOCK_SIZE);
                for (int k = 0; k < n; k++) {
                    long page = p + k;
                    int off = k * BLOCK_SIZE;
                    if (page < mapPages) {
                        long first = page * (BLOCK_SIZE / 8);
                        for (int e = 0; e < BLOCK_SIZE / 8 && first + e < layout.logicalBlocks(); e++) {
                            map.set((int) (first + e), view.getLong(off + e * 8));
                        }
                    } else {
                        long fpByte = (page - mapPages) * BLOCK_SIZE;
                        long total = layout.physicalBlocks() * FP;
                        int len = (int) Math.min(BLOCK_SIZE, total - fpByte);
                        fingerprints.set(fpByte, chunk, off, len);
                    }
                }
            }
        } finally {
            buf.release();
        }
        return Arrays.equals(md.digest(), expected);
    }

    /** A journal record read at open. */
    private record Rec(long seq, long lba, int code, byte[] fp) {
    }

    /** Applies every valid record at or above {@code start}, oldest first; returns the highest sequence seen. */
    private long replay(long start) {
        List<Rec> recs = new ArrayList<>();
        int slots = layout.journalSlots();
        int mbs = layout.memberBlockSize();
        int chunk = CHUNK_PAGES * perPage;
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.heapBuffer(chunk * mbs);
        byte[] sum = new byte[FP];
        try {
            for (int s = 0; s < slots; s += chunk) {
                int n = Math.min(chunk, slots - s);
                buf.clear();
                sync(BdevOp.READ, layout.journalStart() + s, n, buf, "reading the journal");
                for (int k = 0; k < n; k++) {
                    int off = k * mbs;
                    if (buf.getLong(off) != JOURNAL_MAGIC || buf.getLong(off + 8) != volumeId) {
                        continue;
                    }
                    hasher.digest(buf, off, RECORD_FIELDS, sum, 0);
                    boolean ok = true;
                    for (int i = 0; i < FP && ok; i++) {
                        ok = buf.getByte(off + RECORD_FIELDS + i) == sum[i];
                    }
                    long seq = buf.getLong(off + 16);
                    long lba = buf.getLong(off + 24);
                    int code = buf.getInt(off + 32);
                    if (!ok || seq < start || seq % slots != s + k || lba < 0 || lba >= layout.logicalBlocks()
                            || code < 0 || code - 2 >= layout.physicalBlocks()) {
                        continue;
                    }
                    byte[] fp = new byte[FP];
                    buf.getBytes(off + 40, fp);
                    recs.add(new Rec(seq, lba, code, fp));
                }
            }
        } finally {
            buf.release();
        }
        recs.sort(Comparator.comparingLong(Rec::seq));
        long last = start - 1;
        for (Rec r : recs) {
            int i = (int) r.lba();
            if (seqOf(map.get(i)) < r.seq()) {
                map.set(i, pack(r.seq(), r.code()));
            }
            if (r.code() >= 2) {
                // Later records describe the block's latest content: it may have been freed and reused.
                setFingerprint(r.code() - 2, r.fp());
            }
            last = r.seq();
        }
        if (!recs.isEmpty()) {
            LOG.info("bdev {}: replayed {} journal records ({} to {})", name, recs.size(), start, last);
        }
        return last;
    }

    /** Reference counts, the fingerprint index, the free list and the counters, from the map. */
    private void rebuild() {
        int phys = (int) layout.physicalBlocks();
        int[] refs = new int[phys];
        for (int i = 0; i < map.length(); i++) {
            int c = codeOf(map.get(i));
            count(c, 1);
            if (c >= 2) {
                refs[c - 2]++;
            }
        }
        byte[] fp = new byte[FP];
        Fingerprint probe = new Fingerprint();
        int high = 0;
        for (int p = 0; p < phys; p++) {
            if (refs[p] > 0) {
                high = p + 1;
            }
        }
        for (int p = high - 1; p >= 0; p--) {
            if (refs[p] == 0) {
                allocator.free(p);
                continue;
            }
            getFingerprint(p, fp);
            probe.set(fp);
            Entry e = new Entry(probe.copy(), refs[p], READY);
            e.phys = p;
            e.waiters.set(DONE);
            byPhysical.set(p, e);
            // Two blocks of equal content can only come from a failed write: keep both, index one.
            index.putIfAbsent(e.fp, e);
            physicalUsed.incrementAndGet();
        }
        allocator.setHighWater(high);
    }

    /** On the checkpoint thread (or at open): see the class comment. */
    private void runCheckpoint() {
        try {
            checkpoint();
        } catch (RuntimeException e) {
            if (generation == 0) {
                throw e; // at format: the caller reports it
            }
            LOG.warn("bdev {}: checkpoint failed: {}", name, e.toString());
        } finally {
            checkpointing.set(false);
        }
        resumeStalled();
        if (!closed && nextSeq.get() - durableStart >= layout.journalSlots() / 2) {
            requestCheckpoint();
        }
    }

    private void checkpoint() {
        long target = nextSeq.get();
        if (!waitForRecords(target)) {
            return;
        }
        int copy = 1 - activeCopy;
        if (generation == 0) {
            copy = 0;
        }
        MessageDigest md = sha256();
        long base = layout.checkpointStart(copy) + perPage;
        long mapPages = DedupLayout.mapPages(layout.logicalBlocks());
        long fpPages = DedupLayout.fpPages(layout.physicalBlocks());
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.heapBuffer(CHUNK_PAGES * BLOCK_SIZE);
        byte[] chunk = new byte[CHUNK_PAGES * BLOCK_SIZE];
        ByteBuffer view = ByteBuffer.wrap(chunk);
        try {
            for (long p = 0; p < mapPages + fpPages; p += CHUNK_PAGES) {
                int n = (int) Math.min(CHUNK_PAGES, mapPages + fpPages - p);
                Arrays.fill(chunk, (byte) 0);
                for (int k = 0; k < n; k++) {
                    long page = p + k;
                    int off = k * BLOCK_SIZE;
                    if (page < mapPages) {
                        long first = page * (BLOCK_SIZE / 8);
                        for (int e = 0; e < BLOCK_SIZE / 8 && first + e < layout.logicalBlocks(); e++) {
                            view.putLong(off + e * 8, map.get((int) (first + e)));
                        }
                    } else {
                        long fpByte = (page - mapPages) * BLOCK_SIZE;
                        long total = layout.physicalBlocks() * FP;
                        int len = (int) Math.min(BLOCK_SIZE, total - fpByte);
                        fingerprints.get(fpByte, chunk, off, len);
                    }
                }
                md.update(chunk, 0, n * BLOCK_SIZE);
                buf.clear();
                buf.writeBytes(chunk, 0, n * BLOCK_SIZE);
                sync(BdevOp.WRITE, base + p * perPage, (long) n * perPage, buf, "writing a checkpoint");
            }
            sync(BdevOp.FLUSH, 0, 0, null, "flushing a checkpoint");
            buf.clear();
            buf.writeZero(BLOCK_SIZE);
            buf.setLong(0, CHECKPOINT_MAGIC);
            buf.setLong(8, volumeId);
            buf.setLong(16, generation + 1);
            buf.setLong(24, target);
            buf.setBytes(32, md.digest());
            buf.setBytes(64, hasher.digest(buf, 0, 64));
            sync(BdevOp.WRITE, layout.checkpointStart(copy), perPage, buf, "writing a checkpoint header");
            sync(BdevOp.FLUSH, 0, 0, null, "flushing a checkpoint header");
        } finally {
            buf.release();
        }
        generation++;
        activeCopy = copy;
        durableStart = target;
        checkpoints.incrementAndGet();
    }

    /** Waits (bounded) until every record below {@code target} has completed; false if it gave up. */
    private boolean waitForRecords(long target) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SYNC_TIMEOUT_SECONDS);
        int slots = layout.journalSlots();
        for (long s = durableStart; s < target; s++) {
            while (doneSeq.get((int) (s % slots)) != s) {
                if (Thread.currentThread().isInterrupted() || System.nanoTime() > deadline) {
                    LOG.warn("bdev {}: journal record {} still in flight; checkpoint skipped", name, s);
                    return false;
                }
                LockSupport.parkNanos(20_000);
            }
        }
        return true;
    }
}
