package org.k200emu.bdev.pi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.Recycler;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Objects;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevCompletion;
import org.k200emu.bdev.BdevGeometry;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.table.MemberTable;
import org.k200emu.bdev.table.TableCommit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code pi} bdev: a namespace format with 8 bytes of metadata per logical block, the T10
 * protection information (guard, application tag, reference tag, big-endian) of protection type
 * 1, 2 or 3. It stores and returns the metadata; the NVMe controller decides what goes in it and
 * checks it (PRACT, PRCHK), so this bdev computes nothing and trusts nothing.
 *
 * <p>I/O on it uses extended logical blocks: a {@link BdevOp#READ} or {@link BdevOp#WRITE} buffer
 * holds {@code numBlocks * (blockSize + 8)} bytes, each block's data followed by its 8 bytes of
 * metadata (as NVMe's extended LBA format puts them on the wire). {@link BdevOp#WRITE_ZEROES}
 * takes either no buffer (the metadata of the range becomes all zeroes) or a buffer of 8 readable
 * bytes, the protection information of the first block; for types 1 and 2 the reference tag is
 * incremented for each following block. {@link BdevOp#UNMAP} makes the range unwritten again.
 * Metadata never written (or deallocated) reads as all bytes FFh: for every protection type that
 * is the escape value that turns checking off, so a host may read such blocks.
 *
 * <p>Layout on the member: data blocks {@code [0, D)}, then the metadata table
 * {@code [D, D + T)}, a {@link MemberTable} of {@code blockSize / 8} entries to a table block.
 * Entries are stored complemented, so a blank (zero-filled) member reads as all-FFh metadata
 * without being formatted. There is no header: the layout follows from the member's size, which
 * must stay the same. The whole table is also held in memory (1/64 of the data with 512-byte
 * blocks, 1/512 with 4 KiB), so reads cost no member I/O for it.
 *
 * <p>Ordering: a write goes to the member first; only when it has completed are its entries put in
 * the table and the covering table blocks written, and only then does the write complete. A crash
 * in between leaves new data under old protection information, which the guard check on the next
 * read reports: a torn write is caught, not handed up. Table writes of one table block never
 * overlap, and each writer completes on its own core: see {@link MemberTable}.
 *
 * <p>Owned by the registry that created it, which also owns (and closes) the member.
 */
public final class PiBdev implements Bdev {

    private static final Logger LOG = LoggerFactory.getLogger(PiBdev.class);

    /** Metadata bytes per logical block: exactly the protection information. */
    public static final int METADATA_BYTES = 8;

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private final String name;
    private final Bdev member;
    private final int piType;
    private final int blockSize;
    private final long dataBlocks;
    /** Entry i is the complement of data block i's protection information, as on the member. */
    private final MemberTable table;
    private volatile boolean closed;

    private PiBdev(String name, Bdev member, int piType) {
        this.name = name;
        this.member = member;
        this.piType = piType;
        this.blockSize = member.blockSize();
        int entriesPerBlock = blockSize / METADATA_BYTES;
        this.dataBlocks = dataBlocks(entriesPerBlock, member.blockCount());
        if (dataBlocks < 1) {
            throw new IllegalArgumentException("bdev " + name + ": a member of " + member.blockCount()
                    + " blocks is too small for a pi bdev (2 blocks at least)");
        }
        if (MemberTable.blocksFor(entriesPerBlock, dataBlocks) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("bdev " + name + ": member too large for a pi bdev");
        }
        this.table = new MemberTable(name, "metadata table", member, METADATA_BYTES, dataBlocks, dataBlocks);
    }

    /** Data blocks that fit on {@code memberBlocks} with their table: groups of {@code per} data blocks and one table block. */
    static long dataBlocks(int per, long memberBlocks) {
        return MemberTable.dataBlocks(per, memberBlocks);
    }

    /**
     * A pi bdev named {@code name} over {@code member}, of protection type {@code piType} (1, 2 or
     * 3). Loads the metadata table from the member (a blank member means every block unwritten).
     * Blocks the caller until the member has answered (control plane only). Throws
     * IllegalArgumentException for a bad name, type or size and IllegalStateException if the
     * member fails.
     */
    public static PiBdev create(String name, Bdev member, int piType) {
        Objects.requireNonNull(member, "member");
        if (piType < 1 || piType > 3) {
            throw new IllegalArgumentException("bdev " + name + ": protection type must be 1, 2 or 3, not " + piType);
        }
        BdevGeometry.checkMember(name, member, "a pi bdev");
        PiBdev bdev = new PiBdev(name, member, piType);
        bdev.table.load();
        LOG.info("bdev {}: protection information type {} on {} ({} data blocks of {} + {} B)", name, piType,
                member.name(), bdev.dataBlocks, bdev.blockSize, METADATA_BYTES);
        return bdev;
    }

    @Override
    public String name() {
        return name;
    }

    /** The data size of a logical block; each block also has {@link #METADATA_BYTES} of metadata. */
    @Override
    public int blockSize() {
        return blockSize;
    }

    /** Data bytes plus metadata bytes of one logical block: what a READ or WRITE buffer holds per block. */
    public int extendedBlockSize() {
        return blockSize + METADATA_BYTES;
    }

    @Override
    public long blockCount() {
        return dataBlocks;
    }

    @Override
    public String module() {
        return "pi";
    }

    /** Protection information type 1, 2 or 3 (Identify Namespace DPS). */
    public int piType() {
        return piType;
    }

    /** The bdev below this one. */
    public Bdev member() {
        return member;
    }

    /** First member block of the metadata table (the data blocks end there). */
    public long tableStart() {
        return dataBlocks;
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
        if (!BdevGeometry.admit(io, closed, validate(io))) {
            return;
        }
        Request.POOL.get().start(this, io);
    }

    private int validate(BdevIo io) {
        if (io.op() == BdevOp.FLUSH) {
            return BdevStatus.SUCCESS;
        }
        if (!io.withinCapacity(dataBlocks)) {
            return BdevStatus.OUT_OF_RANGE;
        }
        long bytes = io.numBlocks() * extendedBlockSize();
        ByteBuf buf = io.buffer();
        switch (io.op()) {
            case WRITE:
                return buf != null && buf.readableBytes() == bytes ? BdevStatus.SUCCESS : BdevStatus.BAD_BUFFER;
            case READ:
                return buf != null && buf.maxWritableBytes() >= bytes ? BdevStatus.SUCCESS : BdevStatus.BAD_BUFFER;
            case WRITE_ZEROES:
                return buf == null || buf.readableBytes() == METADATA_BYTES ? BdevStatus.SUCCESS : BdevStatus.BAD_BUFFER;
            default:
                return BdevStatus.SUCCESS;
        }
    }

    /** Later I/O completes ABORTED. Outstanding I/O must have completed; every completed write has its metadata on the member. */
    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "PiBdev[" + name + " on " + member.name() + ", type " + piType + ", " + dataBlocks + " x " + blockSize
                + "+" + METADATA_BYTES + " B]";
    }

    // ---- the table in memory

    /** The protection information of data block {@code lba} as a big-endian long (guard, app tag, ref tag). */
    public long metadata(long lba) {
        return ~(long) LONGS.get(table.page(lba), table.offset(lba));
    }

    private void setMetadata(long lba, long pi) {
        LONGS.set(table.page(lba), table.offset(lba), ~pi);
    }

    // ---- the data path

    /** One parent I/O in progress. Pooled: the data path allocates nothing per I/O but pooled buffers. */
    private static final class Request implements BdevCompletion, TableCommit.Owner {

        static final Recycler<Request> POOL = new Recycler<Request>() {
            @Override
            protected Request newObject(Handle<Request> handle) {
                return new Request(handle);
            }
        };
        private final Recycler.Handle<Request> handle;
        final BdevIo memberIo = new BdevIo();
        private final TableCommit commit = new TableCommit(this);
        private PiBdev bdev;
        private BdevIo parent;
        private ByteBuf scratch;
        /** WRITE_ZEROES: the first block's protection information, if the caller gave one. */
        private long zeroesPi;
        private boolean zeroesPiGiven;

        Request(Recycler.Handle<Request> handle) {
            this.handle = handle;
        }

        void start(PiBdev b, BdevIo io) {
            bdev = b;
            parent = io;
            int bs = b.blockSize;
            int n = (int) io.numBlocks();
            ByteBuf memberBuf = null;
            switch (io.op()) {
                case READ:
                    scratch = PooledByteBufAllocator.DEFAULT.directBuffer(n * bs, n * bs);
                    memberBuf = scratch;
                    break;
                case WRITE: {
                    scratch = PooledByteBufAllocator.DEFAULT.directBuffer(n * bs, n * bs);
                    ByteBuf src = io.buffer();
                    int from = src.readerIndex();
                    int ext = b.extendedBlockSize();
                    for (int i = 0; i < n; i++) {
                        scratch.writeBytes(src, from + i * ext, bs);
                    }
                    memberBuf = scratch;
                    break;
                }
                case WRITE_ZEROES:
                    zeroesPiGiven = io.buffer() != null;
                    zeroesPi = zeroesPiGiven ? io.buffer().getLong(io.buffer().readerIndex()) : 0L;
                    break;
                default:
                    break;
            }
            memberIo.prepare(io.op(), io.offsetBlocks(), io.numBlocks(), memberBuf, io.core(), this, null);
            b.member.submit(memberIo);
        }

        @Override
        public void bdevIoDone(BdevIo io) {
            int s = io.status();
            switch (parent.op()) {
                case READ:
                    if (s == BdevStatus.SUCCESS) {
                        interleave();
                    }
                    finish(s);
                    break;
                case WRITE:
                case WRITE_ZEROES:
                case UNMAP:
                    if (s == BdevStatus.SUCCESS) {
                        updateTable();
                        commit.start(bdev.table, parent.offsetBlocks(), parent.numBlocks(), parent.core());
                    } else {
                        finish(s); // the old entries stay: a partly written range fails its guard check
                    }
                    break;
                case FLUSH:
                default:
                    finish(s);
                    break;
            }
        }

        /** Data from the member and metadata from the table, block by block, into the parent's buffer. */
        private void interleave() {
            PiBdev b = bdev;
            ByteBuf out = parent.buffer();
            int bs = b.blockSize;
            long lba = parent.offsetBlocks();
            int n = (int) parent.numBlocks();
            for (int i = 0; i < n; i++) {
                out.writeBytes(scratch, i * bs, bs);
                out.writeLong(b.metadata(lba + i));
            }
        }

        /** The member has the data: now the in-memory table gets the range's new entries. */
        private void updateTable() {
            PiBdev b = bdev;
            long lba = parent.offsetBlocks();
            long n = parent.numBlocks();
            switch (parent.op()) {
                case WRITE: {
                    ByteBuf src = parent.buffer();
                    int ext = b.extendedBlockSize();
                    int at = src.readerIndex() + b.blockSize;
                    for (int i = 0; i < n; i++) {
                        b.setMetadata(lba + i, src.getLong(at + i * ext));
                    }
                    break;
                }
                case WRITE_ZEROES: {
                    boolean increment = zeroesPiGiven && b.piType != 3;
                    long high = zeroesPi & 0xFFFF_FFFF_0000_0000L;
                    long ref = zeroesPi & 0xFFFF_FFFFL;
                    for (long i = 0; i < n; i++) {
                        b.setMetadata(lba + i, increment ? high | ((ref + i) & 0xFFFF_FFFFL) : zeroesPi);
                    }
                    break;
                }
                default: // UNMAP: deallocated blocks are unwritten ones
                    for (long i = 0; i < n; i++) {
                        b.setMetadata(lba + i, -1L);
                    }
                    break;
            }
        }

        @Override
        public void tableCommitted(int s) {
            finish(s);
        }

        private void finish(int s) {
            BdevIo p = parent;
            parent = null;
            bdev = null;
            if (scratch != null) {
                scratch.release();
                scratch = null;
            }
            handle.recycle(this);
            p.complete(s);
        }
    }
}
