package org.k200emu.bdev.integrity;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.Recycler;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.k200emu.bdev.Accelerated;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevCompletion;
import org.k200emu.bdev.BdevGeometry;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.SyncIo;
import org.k200emu.bdev.table.MemberTable;
import org.k200emu.bdev.table.TableCommit;
import org.k200emu.cluster.accel.AccelJob;
import org.k200emu.cluster.accel.AccelKind;
import org.k200emu.cluster.accel.AccelWork;
import org.k200emu.cluster.accel.Accelerators;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code integrity} bdev: end-to-end checking of a volume's data. For each logical block it
 * keeps a SHA-256 or SHA3-256 digest, computed on write and checked on read; a read whose data
 * does not match completes {@link BdevStatus#MEDIA_ERROR} (and is counted in
 * {@link #mismatches()}), so bad data is never handed up. Blocks never written (and deallocated
 * ones) have no digest and are not checked.
 *
 * <p>Layout on the member, which loses the space of the digests: data blocks {@code [0, D)},
 * the digest table {@code [D, D + T)} (a {@link MemberTable}: 32 bytes per data block, packed
 * {@code blockSize / 32} to a table block; an all-zero entry means "no digest"), and a header in
 * the member's last block (magic, version, algorithm, geometry, and a SHA-256 of those fields).
 * Creating one over a member with that header reopens it and checks from there on, so the
 * digests survive a restart; over a member whose metadata region is blank it formats it (writes
 * the header); anything else is refused unless formatted explicitly, so no volume's data is ever
 * overwritten. The header sits at the end because the table does, so the member must keep its
 * size: one that grows gets a new blank tail and is formatted anew (its data kept, unchecked);
 * one that shrinks is refused. The whole table is also held in memory (1/16 of the data size
 * with 512-byte blocks, 1/128 with 4 KiB), so reads cost no extra member I/O and table updates
 * never need a read-modify-write.
 *
 * <p>Ordering and crashes: a write goes to the member first; only when it has completed are the
 * new digests put in the table and the covering table blocks written, and only then does the
 * parent write complete. A crash (or failed table write) between the two leaves new data under an
 * old digest, which the next read reports as MEDIA_ERROR: a torn write shows up as a mismatch,
 * not as silent wrong data. The exception is a block's first write, which had no digest: torn,
 * it stays unchecked, the price of data-then-digest (digest-first would flag good old data as bad
 * after every crash instead). On a member with a volatile write cache the order holds on the
 * medium once the host has flushed, as for any write.
 *
 * <p>Concurrency without locks: table writes to one block never overlap (and cannot land out of
 * order), a writer completes only when a table write that includes its digests has completed,
 * and completions go back to each writer's own core (see {@link MemberTable}). A read racing a
 * write of the same block may see the new data with the old digest and fail; hosts do not rely
 * on such races.
 *
 * <p>The digests are hash jobs for the card's accelerators ({@link Accelerated}), on the cluster
 * of the I/O's core: one per write, one per read that has blocks to check.
 *
 * <p>Owned by the registry that created it, which also owns (and closes) the member.
 */
public final class IntegrityBdev implements Bdev, Accelerated {

    private static final Logger LOG = LoggerFactory.getLogger(IntegrityBdev.class);

    /** "K200INTG" */
    static final long MAGIC = 0x4B323030494E5447L;
    static final int VERSION = 1;
    /** Header fields end here; the SHA-256 of bytes [0, 56) follows. */
    static final int HEADER_FIELDS = 56;
    static final int DIGEST_BYTES = BlockHasher.DIGEST_BYTES;
    private static final byte[] NO_DIGEST = new byte[DIGEST_BYTES];

    private final String name;
    private final Bdev member;
    private final BlockHasher hasher;
    private volatile Accelerators accel = Accelerators.k200();
    private final int blockSize;
    private final Layout layout;
    /** The digest table: entry i is data block i's digest, all zeroes for none. */
    private final MemberTable table;
    private final byte[] zeroBlockDigest;
    private final AtomicLong mismatches = new AtomicLong();
    private volatile boolean closed;

    /** Where things are on a member of a given geometry. */
    record Layout(long memberBlocks, long dataBlocks, long tableStart, long tableBlocks, long headerLba) {

        /**
         * As many data blocks as fit with their table and the header: in groups of
         * {@code per} data blocks and one table block, and a last partial group.
         */
        static Layout of(String name, int blockSize, long memberBlocks) {
            int per = blockSize / DIGEST_BYTES;
            long data = MemberTable.dataBlocks(per, memberBlocks - 1); // the header takes the last block
            if (data < 1) {
                throw new IllegalArgumentException("bdev " + name + ": a member of " + memberBlocks
                        + " blocks is too small for an integrity bdev (3 blocks at least)");
            }
            long tableBlocks = MemberTable.blocksFor(per, data);
            if (tableBlocks > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("bdev " + name + ": member too large for an integrity bdev");
            }
            return new Layout(memberBlocks, data, data, tableBlocks, memberBlocks - 1);
        }
    }

    private IntegrityBdev(String name, Bdev member, BlockHasher hasher, Layout layout) {
        this.name = name;
        this.member = member;
        this.hasher = hasher;
        this.blockSize = member.blockSize();
        this.layout = layout;
        this.table = new MemberTable(name, "digest table", member, DIGEST_BYTES, layout.dataBlocks(),
                layout.tableStart());
        this.zeroBlockDigest = hasher.digest(new byte[blockSize]);
    }

    /**
     * An integrity bdev named {@code name} over {@code member}, keeping {@code algorithm}
     * ({@code SHA-256} or {@code SHA3-256}) digests. Reopens the member if it holds an integrity
     * header (the algorithm and geometry must then be those it was formatted with); formats it if
     * its metadata region (table and header blocks) is blank, i.e. all zeroes, as on a new
     * member. A member with data there and no header is refused rather than overwritten: see
     * {@link #format}. Blocks the caller until the member has answered (control plane only).
     * Throws IllegalArgumentException for a bad name, algorithm, size or a mismatching format,
     * and IllegalStateException if the member fails, holds a corrupt header, or is not blank.
     */
    public static IntegrityBdev create(String name, Bdev member, String algorithm) {
        IntegrityBdev bdev = make(name, member, algorithm);
        bdev.open(false);
        return bdev;
    }

    /**
     * Like {@link #create} but formats {@code member} whatever it holds: zeroes the metadata region
     * and writes a new header. Every digest it held is lost (blocks are unchecked until next
     * written); the data blocks are left as they are. An operator's explicit action.
     */
    public static IntegrityBdev format(String name, Bdev member, String algorithm) {
        IntegrityBdev bdev = make(name, member, algorithm);
        bdev.open(true);
        return bdev;
    }

    private static IntegrityBdev make(String name, Bdev member, String algorithm) {
        Objects.requireNonNull(member, "member");
        BlockHasher hasher;
        try {
            hasher = BlockHasher.of(algorithm);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bdev " + name + ": " + e.getMessage());
        }
        BdevGeometry.checkMember(name, member, "an integrity bdev");
        return new IntegrityBdev(name, member, hasher, Layout.of(name, member.blockSize(), member.blockCount()));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    /** The data blocks: the member's capacity less the digest table and the header. */
    @Override
    public long blockCount() {
        return layout.dataBlocks();
    }

    @Override
    public String module() {
        return "integrity";
    }

    /** The bdev below this one. */
    public Bdev member() {
        return member;
    }

    @Override
    public void useAccelerators(Accelerators accelerators) {
        this.accel = Objects.requireNonNull(accelerators, "accelerators");
    }

    @Override
    public Accelerators accelerators() {
        return accel;
    }

    /** The digest algorithm, {@code SHA-256} or {@code SHA3-256}. */
    public String algorithm() {
        return hasher.algorithm();
    }

    /** Blocks whose data failed the check since this bdev was opened. */
    public long mismatches() {
        return mismatches.get();
    }

    Layout layout() {
        return layout;
    }

    @Override
    public boolean supports(BdevOp op) {
        return table.supports(op);
    }

    @Override
    public boolean hasVolatileWriteCache() {
        return member.hasVolatileWriteCache();
    }

    @Override
    public void submit(BdevIo io) {
        if (!BdevGeometry.admit(io, closed, BdevGeometry.validate(io, blockSize, layout.dataBlocks()))) {
            return;
        }
        Request r = Request.POOL.get();
        r.start(this, io);
    }

    /** Later I/O completes ABORTED. Outstanding I/O must have completed; every completed write has its digests on the member. */
    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "IntegrityBdev[" + name + " on " + member.name() + ", " + hasher.algorithm() + ", "
                + layout.dataBlocks() + " x " + blockSize + " B]";
    }

    // ---- the digest table in memory

    /** The digest of data block {@code lba}, or null if it has none (for tests). */
    byte[] digestOf(long lba) {
        byte[] page = table.page(lba);
        int off = table.offset(lba);
        return Arrays.equals(page, off, off + DIGEST_BYTES, NO_DIGEST, 0, DIGEST_BYTES)
                ? null : Arrays.copyOfRange(page, off, off + DIGEST_BYTES);
    }

    // ---- open and format (control plane: synchronous)

    private void open(boolean reformat) {
        ByteBuf header = PooledByteBufAllocator.DEFAULT.heapBuffer(blockSize, blockSize);
        try {
            sync(BdevOp.READ, layout.headerLba(), 1, header, "reading the integrity header");
            if (!reformat && header.getLong(0) == MAGIC) {
                checkHeader(header);
                table.load();
                LOG.info("bdev {}: reopened the {} digest table on {} ({} data blocks)", name, hasher.algorithm(),
                        member.name(), layout.dataBlocks());
                return;
            }
            if (reformat) {
                table.zeroOnMember();
            } else {
                // Never overwrite what might be a volume's data (a member that shrank, or one that
                // was used without integrity): format only a blank tail.
                table.load();
                if (!allZero(header) || !table.isBlank()) {
                    throw new IllegalStateException("bdev " + name + ": " + member.name() + " has no integrity header"
                            + " and its last " + (layout.tableBlocks() + 1) + " blocks are not blank; refusing to"
                            + " format over them (IntegrityBdev.format does it explicitly)");
                }
            }
            writeHeader(header);
        } finally {
            header.release();
        }
        if (member.supports(BdevOp.FLUSH)) {
            sync(BdevOp.FLUSH, 0, 0, null, "flushing the new format");
        }
        LOG.info("bdev {}: formatted {} for {} digests ({} of {} blocks for data)", name, member.name(),
                hasher.algorithm(), layout.dataBlocks(), layout.memberBlocks());
    }

    private static boolean allZero(ByteBuf buf) {
        for (int i = 0; i < buf.writerIndex(); i += Long.BYTES) {
            if (buf.getLong(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Written after the table is known to be zero: a crash before it leaves a blank, formattable tail. */
    private void writeHeader(ByteBuf header) {
        header.clear().writeZero(blockSize);
        header.setLong(0, MAGIC);
        header.setInt(8, VERSION);
        header.setInt(12, hasher.id());
        header.setInt(16, blockSize);
        header.setInt(20, 0);
        header.setLong(24, layout.memberBlocks());
        header.setLong(32, layout.dataBlocks());
        header.setLong(40, layout.tableStart());
        header.setLong(48, layout.tableBlocks());
        BlockHasher.sha256().digest(header, 0, HEADER_FIELDS, header.array(), header.arrayOffset() + HEADER_FIELDS);
        sync(BdevOp.WRITE, layout.headerLba(), 1, header, "writing the integrity header");
    }

    private void checkHeader(ByteBuf h) {
        byte[] sum = BlockHasher.sha256().digest(h, 0, HEADER_FIELDS);
        if (!Arrays.equals(sum, 0, DIGEST_BYTES, h.array(), h.arrayOffset() + HEADER_FIELDS,
                h.arrayOffset() + HEADER_FIELDS + DIGEST_BYTES) || h.getInt(8) != VERSION) {
            throw new IllegalStateException("bdev " + name + ": the integrity header on " + member.name()
                    + " is corrupt or of an unknown version; not reformatting it");
        }
        BlockHasher formatted = BlockHasher.byId(h.getInt(12));
        if (formatted != hasher) {
            throw new IllegalArgumentException("bdev " + name + ": " + member.name() + " holds "
                    + (formatted == null ? "unknown" : formatted.algorithm()) + " digests, not " + hasher.algorithm());
        }
        Layout onMedia = new Layout(h.getLong(24), h.getLong(32), h.getLong(40), h.getLong(48), layout.headerLba());
        if (h.getInt(16) != blockSize || !onMedia.equals(layout)) {
            throw new IllegalArgumentException("bdev " + name + ": " + member.name() + " was formatted for "
                    + onMedia.memberBlocks() + " blocks of " + h.getInt(16) + " B, it now has "
                    + layout.memberBlocks() + " of " + blockSize + " B");
        }
    }

    private void sync(BdevOp op, long lba, long blocks, ByteBuf buf, String what) {
        SyncIo.run("bdev " + name, member, op, lba, blocks, buf, what);
    }

    // ---- the data path

    /**
     * One parent I/O in progress. Pooled: the data path allocates nothing per I/O. The digests of
     * a read's or a write's blocks are a hash job on the accelerator of the I/O's cluster; the
     * check's verdict, or the table update's commit, runs in {@link #accelDone}.
     */
    private static final class Request implements BdevCompletion, AccelWork, TableCommit.Owner {

        private static final int JOB_VERIFY = 0;
        private static final int JOB_DIGEST = 1;

        static final Recycler<Request> POOL = new Recycler<Request>() {
            @Override
            protected Request newObject(Handle<Request> handle) {
                return new Request(handle);
            }
        };
        private final Recycler.Handle<Request> handle;
        final BdevIo memberIo = new BdevIo();
        private final AccelJob job = new AccelJob(this);
        private final byte[] digest = new byte[DIGEST_BYTES];
        private final TableCommit commit = new TableCommit(this);
        private IntegrityBdev bdev;
        private BdevIo parent;
        private int readStart;

        Request(Recycler.Handle<Request> handle) {
            this.handle = handle;
        }

        void start(IntegrityBdev b, BdevIo io) {
            bdev = b;
            parent = io;
            ByteBuf buf = io.op() == BdevOp.READ || io.op() == BdevOp.WRITE ? io.buffer() : null;
            if (io.op() == BdevOp.READ) {
                readStart = buf.writerIndex();
            }
            // The member reads a write's data straight from the host's buffer: it moves no index.
            memberIo.prepare(io.op(), io.offsetBlocks(), io.numBlocks(), buf, io.core(), this, null);
            b.member.submit(memberIo);
        }

        @Override
        public void bdevIoDone(BdevIo io) {
            int s = io.status();
            switch (parent.op()) {
                case READ:
                    if (s == BdevStatus.SUCCESS) {
                        bdev.accel.submit(parent.core(), job.prepare(AccelKind.HASH,
                                (long) checkedBlocks() * bdev.blockSize, JOB_VERIFY));
                    } else {
                        finish(failRead(s));
                    }
                    break;
                case WRITE:
                    if (s == BdevStatus.SUCCESS) {
                        bdev.accel.submit(parent.core(), job.prepare(AccelKind.HASH,
                                parent.numBlocks() * bdev.blockSize, JOB_DIGEST));
                    } else {
                        finish(s); // the old digests stay: a partly written range reads as a mismatch
                    }
                    break;
                case WRITE_ZEROES:
                case UNMAP:
                    if (s == BdevStatus.SUCCESS) {
                        updateDigests(); // known digests: nothing to hash
                        commitDigests();
                    } else {
                        finish(s); // the old digests stay: a partly written range reads as a mismatch
                    }
                    break;
                case FLUSH:
                default:
                    finish(s);
                    break;
            }
        }

        @Override
        public void accelCompute(AccelJob j) {
            if (j.step() == JOB_VERIFY) {
                j.result(verify());
            } else {
                updateDigests();
            }
        }

        @Override
        public void accelDone(AccelJob j) {
            if (j.step() == JOB_VERIFY) {
                finish(j.result());
            } else {
                commitDigests();
            }
        }

        /** The read's blocks that have a digest, which {@link #verify} hashes. */
        private int checkedBlocks() {
            IntegrityBdev b = bdev;
            long lba = parent.offsetBlocks();
            int n = (int) parent.numBlocks();
            int checked = 0;
            for (int i = 0; i < n; i++) {
                int off = b.table.offset(lba + i);
                if (!Arrays.equals(b.table.page(lba + i), off, off + DIGEST_BYTES, NO_DIGEST, 0, DIGEST_BYTES)) {
                    checked++;
                }
            }
            return checked;
        }

        /** Checks every block that has a digest; on a mismatch nothing is handed up. */
        private int verify() {
            IntegrityBdev b = bdev;
            ByteBuf buf = parent.buffer();
            int bs = b.blockSize;
            long lba = parent.offsetBlocks();
            int n = (int) parent.numBlocks();
            int bad = 0;
            long firstBad = -1;
            for (int i = 0; i < n; i++) {
                byte[] page = b.table.page(lba + i);
                int off = b.table.offset(lba + i);
                if (Arrays.equals(page, off, off + DIGEST_BYTES, NO_DIGEST, 0, DIGEST_BYTES)) {
                    continue; // never written: nothing to check against
                }
                b.hasher.digest(buf, readStart + i * bs, bs, digest, 0);
                if (!Arrays.equals(page, off, off + DIGEST_BYTES, digest, 0, DIGEST_BYTES)) {
                    if (bad++ == 0) {
                        firstBad = lba + i;
                    }
                }
            }
            if (bad == 0) {
                return BdevStatus.SUCCESS;
            }
            b.mismatches.addAndGet(bad);
            LOG.warn("bdev {}: {} block(s) from LBA {} fail their {} check; the read fails with MEDIA_ERROR",
                    b.name, bad, firstBad, b.hasher.algorithm());
            return failRead(BdevStatus.MEDIA_ERROR);
        }

        /** A failed read hands nothing up: wipe what the member put there and restore the writer index. */
        private int failRead(int s) {
            ByteBuf buf = parent.buffer();
            int end = buf.writerIndex();
            if (end > readStart) {
                buf.setZero(readStart, end - readStart);
                buf.writerIndex(readStart);
            }
            return s;
        }

        /** The member has the data: now the in-memory table gets the range's new digests. */
        private void updateDigests() {
            IntegrityBdev b = bdev;
            long lba = parent.offsetBlocks();
            long n = parent.numBlocks();
            switch (parent.op()) {
                case WRITE: {
                    ByteBuf buf = parent.buffer();
                    int from = buf.readerIndex();
                    int bs = b.blockSize;
                    for (int i = 0; i < n; i++) {
                        b.hasher.digest(buf, from + i * bs, bs, b.table.page(lba + i), b.table.offset(lba + i));
                    }
                    break;
                }
                case WRITE_ZEROES:
                    for (long i = 0; i < n; i++) {
                        System.arraycopy(b.zeroBlockDigest, 0, b.table.page(lba + i), b.table.offset(lba + i), DIGEST_BYTES);
                    }
                    break;
                default: // UNMAP: deallocated blocks are like never-written ones
                    for (long i = 0; i < n; i++) {
                        int off = b.table.offset(lba + i);
                        Arrays.fill(b.table.page(lba + i), off, off + DIGEST_BYTES, (byte) 0);
                    }
                    break;
            }
        }

        /** Waits for the table writes that carry the range's new digests; then {@link #tableCommitted}. */
        private void commitDigests() {
            commit.start(bdev.table, parent.offsetBlocks(), parent.numBlocks(), parent.core());
        }

        @Override
        public void tableCommitted(int s) {
            finish(s);
        }

        private void finish(int s) {
            BdevIo p = parent;
            parent = null;
            bdev = null;
            handle.recycle(this);
            p.complete(s);
        }
    }
}
