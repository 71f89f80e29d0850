package org.k200emu.bdev.table;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.Recycler;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevCompletion;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.SyncIo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A table of fixed-size per-block entries kept on the member: for each data block of a service
 * bdev, {@code entryBytes} of metadata (pi: the 8 bytes of protection information; integrity: a
 * 32-byte digest), packed {@code blockSize / entryBytes} to a table block in the member blocks
 * {@code [start, start + blocks)}. Entry {@code e} is bytes {@code [e * entryBytes, +entryBytes)}
 * of the table; what an entry means, and how a blank (zero) one reads, is the owner's business.
 * The whole table is also held in memory, so reads cost no member I/O for it and an update never
 * needs a read-modify-write. The owner (the bdev that created it) decides where the table sits
 * and that the member keeps its size.
 *
 * <p><b>Write ordering.</b> An owner writes a range's data to the member first; only when that
 * has completed does it change the range's entries in memory and {@link TableCommit commit}
 * them: every table block the range touches is written from memory, and the commit completes
 * when a write of each that started after the change has completed. So a write is acknowledged
 * only once its data and its entries are both on the member.
 *
 * <p><b>Crashes.</b> A crash (or a failed table write) between the data write and its table
 * write leaves new data under old entries, which the owner's check on the next read can catch
 * (a guard or digest that no longer matches; each owner says what it cannot catch, as a torn
 * first write under integrity's "no digest" entry). A table write carries a whole table block
 * as it is in memory; since owners change an entry only once its data is on the member, it never
 * publishes an entry ahead of its data. A failed table write fails every commit it carried; the
 * entries stay changed in memory and the next write of that block carries them again. On a
 * member with a volatile write cache the order holds on the medium once the host has flushed, as
 * for any write.
 *
 * <p><b>Concurrency without locks.</b> Commits on any core that touch the same table block join
 * that block's lock-free waiter stack. At most one writer per table block is in flight: it takes
 * the waiters queued so far, writes the block, completes them, and goes round again if more
 * arrived meanwhile. So table writes of one block never overlap (and cannot land out of order),
 * and several commits share one write when they come close together. Each commit completes on
 * its own core. The writers are pooled and the commits reusable: nothing is allocated per I/O
 * but a pooled buffer for each table write.
 */
public final class MemberTable {

    private static final Logger LOG = LoggerFactory.getLogger(MemberTable.class);

    private static final int IDLE = 0;
    private static final int FLUSHING = 1;
    private static final int FLUSHING_AGAIN = 2;

    private final String owner;
    private final String what;
    private final Bdev member;
    private final int blockSize;
    private final int entryBytes;
    private final int entriesPerBlock;
    private final long start;
    private final long blocks;
    /** As on the member: table block t is bytes [t * blockSize, +blockSize). */
    private final PagedBytes bytes;
    /** Per table block: IDLE, FLUSHING, or FLUSHING_AGAIN (updates arrived during the write in flight). */
    private final AtomicIntegerArray flushState;
    /** Per table block: commits whose entries the next table write must carry (a Treiber stack). */
    private final AtomicReferenceArray<Waiter> waiters;

    /**
     * A table for bdev {@code owner}, called {@code what} in messages ("digest table"), of
     * {@code entries} entries of {@code entryBytes} (a power of two up to the member's block
     * size) in the member blocks from {@code start}. Blank in memory until {@link #load}ed.
     */
    public MemberTable(String owner, String what, Bdev member, int entryBytes, long entries, long start) {
        this.owner = owner;
        this.what = what;
        this.member = member;
        this.blockSize = member.blockSize();
        if (entryBytes <= 0 || Integer.bitCount(entryBytes) != 1 || entryBytes > blockSize) {
            throw new IllegalArgumentException("bdev " + owner + ": bad table entry size " + entryBytes);
        }
        this.entryBytes = entryBytes;
        this.entriesPerBlock = blockSize / entryBytes;
        this.start = start;
        this.blocks = blocksFor(entriesPerBlock, entries);
        if (blocks > Integer.MAX_VALUE || start + blocks > member.blockCount()) {
            throw new IllegalArgumentException("bdev " + owner + ": a " + what + " of " + entries
                    + " entries does not fit on " + member.name());
        }
        this.bytes = new PagedBytes(blocks * blockSize);
        this.flushState = new AtomicIntegerArray((int) blocks);
        this.waiters = new AtomicReferenceArray<>((int) blocks);
    }

    /**
     * Data blocks that fit in {@code memberBlocks} with their table: groups of {@code per} data
     * blocks and the table block of their entries, and a last partial group.
     */
    public static long dataBlocks(int per, long memberBlocks) {
        return memberBlocks / (per + 1) * per + Math.max(0, memberBlocks % (per + 1) - 1);
    }

    /** Table blocks for {@code entries} entries, {@code per} to a block. */
    public static long blocksFor(int per, long entries) {
        return (entries + per - 1) / per;
    }

    /** The member the table is kept on. */
    public Bdev member() {
        return member;
    }

    public int entriesPerBlock() {
        return entriesPerBlock;
    }

    /** First member block of the table. */
    public long start() {
        return start;
    }

    /** Member blocks the table takes. */
    public long blocks() {
        return blocks;
    }

    /**
     * Whether the owner can do {@code op} over the member: reads and flushes as the member does;
     * an operation that changes blocks also changes their entries, so the member must also take
     * the table's writes.
     */
    public boolean supports(BdevOp op) {
        switch (op) {
            case READ:
            case FLUSH:
                return member.supports(op);
            default:
                return member.supports(op) && member.supports(BdevOp.WRITE);
        }
    }

    // ---- the entries in memory

    /** The page that holds entry {@code e}: its bytes are {@code [offset(e), offset(e) + entryBytes)}. */
    public byte[] page(long e) {
        return bytes.page(e * entryBytes);
    }

    /** Where entry {@code e} starts in its {@linkplain #page page}. */
    public int offset(long e) {
        return PagedBytes.offset(e * entryBytes);
    }

    /** True if every entry is all zeroes (as on a blank member). */
    public boolean isBlank() {
        return bytes.allZero();
    }

    // ---- control plane: synchronous, before any I/O

    /** Reads the table from the member into memory. Throws IllegalStateException if the member fails. */
    public void load() {
        int chunk = PagedBytes.PAGE_BYTES / blockSize; // one page per read
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.heapBuffer(PagedBytes.PAGE_BYTES, PagedBytes.PAGE_BYTES);
        try {
            for (long t = 0; t < blocks; t += chunk) {
                int n = (int) Math.min(chunk, blocks - t);
                buf.clear();
                SyncIo.run("bdev " + owner, member, BdevOp.READ, start + t, n, buf, "loading the " + what);
                long at = t * blockSize;
                buf.getBytes(0, bytes.page(at), PagedBytes.offset(at), n * blockSize);
            }
        } finally {
            buf.release();
        }
    }

    /** Zeroes the table on the member (not in memory). Throws IllegalStateException if the member fails. */
    public void zeroOnMember() {
        if (member.supports(BdevOp.WRITE_ZEROES)) {
            SyncIo.run("bdev " + owner, member, BdevOp.WRITE_ZEROES, start, blocks, null, "zeroing the " + what);
            return;
        }
        int chunk = PagedBytes.PAGE_BYTES / blockSize;
        ByteBuf zeroes = PooledByteBufAllocator.DEFAULT.heapBuffer(PagedBytes.PAGE_BYTES, PagedBytes.PAGE_BYTES);
        try {
            for (long t = 0; t < blocks; t += chunk) {
                int n = (int) Math.min(chunk, blocks - t);
                zeroes.clear().writeZero(n * blockSize);
                SyncIo.run("bdev " + owner, member, BdevOp.WRITE, start + t, n, zeroes, "zeroing the " + what);
            }
        } finally {
            zeroes.release();
        }
    }

    // ---- table writes: one in flight per table block, later updates batched into the next

    /** Makes {@code w} wait for a write of table block {@code t} that starts after its entries are in memory. */
    void enqueue(int t, Waiter w, Executor core) {
        Waiter head;
        do {
            head = waiters.get(t);
            w.next = head;
        } while (!waiters.compareAndSet(t, head, w));
        for (;;) {
            int s = flushState.get(t);
            if (s == IDLE) {
                if (flushState.compareAndSet(t, IDLE, FLUSHING)) {
                    Flush.POOL.get().start(this, t, core);
                    return;
                }
            } else if (s == FLUSHING) {
                if (flushState.compareAndSet(t, FLUSHING, FLUSHING_AGAIN)) {
                    return;
                }
            } else {
                return; // another round is already due and will take w
            }
        }
    }

    /** After a table write of block {@code t}: true if updates arrived meanwhile and another round is due. */
    private boolean anotherRound(int t) {
        for (;;) {
            if (flushState.compareAndSet(t, FLUSHING_AGAIN, FLUSHING)) {
                return true;
            }
            if (flushState.compareAndSet(t, FLUSHING, IDLE)) {
                return false;
            }
        }
    }

    /** One commit's place in the waiter stack of one table block. */
    static final class Waiter {
        final TableCommit commit;
        Waiter next;

        Waiter(TableCommit commit) {
            this.commit = commit;
        }
    }

    /**
     * The writer of one table block while it has updates to carry: each round takes the waiters
     * queued so far, writes the block from memory, and completes them.
     */
    private static final class Flush implements BdevCompletion {

        static final Recycler<Flush> POOL = new Recycler<Flush>() {
            @Override
            protected Flush newObject(Handle<Flush> handle) {
                return new Flush(handle);
            }
        };

        private final Recycler.Handle<Flush> handle;
        private final BdevIo memberIo = new BdevIo();
        /** Submitting loop and member completion both increment it; the second one goes on (no recursion, no race). */
        private final AtomicInteger handoff = new AtomicInteger();
        private MemberTable table;
        private int tableBlock;
        private Executor core;
        private Waiter batch;
        private ByteBuf scratch;
        private int roundStatus;

        Flush(Recycler.Handle<Flush> handle) {
            this.handle = handle;
        }

        void start(MemberTable t, int block, Executor home) {
            table = t;
            tableBlock = block;
            core = home;
            pump();
        }

        private void pump() {
            MemberTable t = table;
            for (;;) {
                Waiter taken = t.waiters.getAndSet(tableBlock, null);
                if (taken != null) {
                    batch = taken;
                    int bs = t.blockSize;
                    long at = (long) tableBlock * bs;
                    scratch = PooledByteBufAllocator.DEFAULT.directBuffer(bs, bs);
                    scratch.writeBytes(t.bytes.page(at), PagedBytes.offset(at), bs);
                    handoff.set(0);
                    memberIo.prepare(BdevOp.WRITE, t.start + tableBlock, 1, scratch, core, this, null);
                    t.member.submit(memberIo);
                    if (handoff.incrementAndGet() == 1) {
                        return; // the completion goes on from here
                    }
                    roundDone();
                }
                if (!t.anotherRound(tableBlock)) {
                    done();
                    return;
                }
            }
        }

        @Override
        public void bdevIoDone(BdevIo io) {
            roundStatus = io.status();
            if (handoff.incrementAndGet() == 1) {
                return; // still inside submit: the loop goes on
            }
            roundDone();
            if (table.anotherRound(tableBlock)) {
                pump();
            } else {
                done();
            }
        }

        private void roundDone() {
            scratch.release();
            scratch = null;
            if (roundStatus != BdevStatus.SUCCESS) {
                LOG.warn("bdev {}: writing {} block {} failed: {}", table.owner, table.what, tableBlock,
                        BdevStatus.name(roundStatus));
            }
            Waiter w = batch;
            batch = null;
            while (w != null) {
                Waiter next = w.next;
                w.next = null;
                TableCommit commit = w.commit;
                if (roundStatus != BdevStatus.SUCCESS) {
                    commit.fail(roundStatus);
                }
                commit.arrive(core); // may complete and reuse the commit and its waiters: next was read first
                w = next;
            }
        }

        private void done() {
            table = null;
            core = null;
            handle.recycle(this);
        }
    }
}
