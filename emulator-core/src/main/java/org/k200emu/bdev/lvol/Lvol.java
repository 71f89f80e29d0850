package org.k200emu.bdev.lvol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.Recycler;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevCompletion;
import org.k200emu.bdev.BdevGeometry;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;

/**
 * One logical volume of an {@link LvolStore}, as a bdev of module {@code lvol}: a volume, a
 * read-only snapshot or a clone. Its blocks map through the volume's cluster map to clusters of
 * the store's member; an I/O is split at cluster boundaries and its pieces run one after the
 * other, driven by a per-I/O state machine that loops instead of recursing when the member
 * completes inline.
 *
 * <p>Reads of an unallocated cluster return zeroes (a clone's map starts as a copy of its
 * snapshot's, so it reads the snapshot's data). A write to a cluster this volume alone references
 * goes to it in place. A write to an unallocated or shared cluster takes the cluster's entry in
 * the store's in-flight table (a second writer of the same cluster waits on it and resumes on its
 * own core), allocates a cluster, writes it whole (old data or zeroes merged with the new), then
 * journals the map switch and only then switches the map and completes: see {@link LvolStore}. A
 * full store completes such a write with MEDIA_ERROR and touches nothing else. WRITE_ZEROES and
 * UNMAP are not supported; snapshots refuse writes (UNSUPPORTED).
 *
 * <p>Owned by its store: {@link #close()} does nothing, {@link LvolStore#delete} ends it.
 */
public final class Lvol implements Bdev {

    private final LvolStore store;
    private final long id;
    private final String volumeName;
    private final boolean thin;
    private final boolean readOnly;
    private volatile long sizeBytes;
    private volatile long parentId;
    private volatile AtomicIntegerArray map;
    private volatile boolean deleted;

    Lvol(LvolStore store, long id, String volumeName, long sizeBytes, boolean thin, boolean readOnly,
         long parentId, AtomicIntegerArray map) {
        this.store = store;
        this.id = id;
        this.volumeName = volumeName;
        this.sizeBytes = sizeBytes;
        this.thin = thin;
        this.readOnly = readOnly;
        this.parentId = parentId;
        this.map = map;
    }

    /** The bdev name: store name, slash, volume name (as SPDK's lvol aliases). */
    @Override
    public String name() {
        return store.name() + "/" + volumeName;
    }

    /** The volume's own name inside its store. */
    public String volumeName() {
        return volumeName;
    }

    @Override
    public int blockSize() {
        return store.blockSize();
    }

    @Override
    public long blockCount() {
        return sizeBytes / store.blockSize();
    }

    @Override
    public String module() {
        return "lvol";
    }

    @Override
    public boolean supports(BdevOp op) {
        switch (op) {
            case READ:
            case FLUSH:
                return true;
            case WRITE:
                return !readOnly;
            default:
                return false;
        }
    }

    @Override
    public boolean hasVolatileWriteCache() {
        return store.member().hasVolatileWriteCache();
    }

    public long sizeBytes() {
        return sizeBytes;
    }

    public boolean thin() {
        return thin;
    }

    public boolean readOnly() {
        return readOnly;
    }

    /** Clusters this volume's map points to (shared ones included). */
    public long allocatedClusters() {
        AtomicIntegerArray m = map;
        long n = 0;
        for (int i = 0; i < m.length(); i++) {
            if (m.get(i) != 0) {
                n++;
            }
        }
        return n;
    }

    long id() {
        return id;
    }

    long parentId() {
        return parentId;
    }

    AtomicIntegerArray map() {
        return map;
    }

    void resized(long newSize, AtomicIntegerArray newMap) {
        this.map = newMap;
        this.sizeBytes = newSize;
    }

    void reparent(long newParent) {
        this.parentId = newParent;
    }

    void deleted() {
        this.deleted = true;
    }

    @Override
    public void submit(BdevIo io) {
        if (deleted || store.closed()) {
            io.complete(BdevStatus.ABORTED);
            return;
        }
        BdevOp op = io.op();
        if (op == BdevOp.FLUSH) {
            if (!store.member().hasVolatileWriteCache() || !store.member().supports(BdevOp.FLUSH)) {
                io.complete(BdevStatus.SUCCESS);
                return;
            }
        } else if (!supports(op)) {
            io.complete(BdevStatus.UNSUPPORTED);
            return;
        }
        int status = BdevGeometry.validate(io, blockSize(), blockCount());
        if (status != BdevStatus.SUCCESS) {
            io.complete(status);
            return;
        }
        if (op != BdevOp.FLUSH && io.numBlocks() == 0) {
            io.complete(BdevStatus.SUCCESS);
            return;
        }
        LvolIo ctx = LvolIo.RECYCLER.get();
        ctx.start(this, io);
    }

    /** Nothing to release: the store owns the volume's metadata and clusters. */
    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return "Lvol[" + name() + " size=" + sizeBytes + (thin ? " thin" : "") + (readOnly ? " ro" : "") + "]";
    }

    /**
     * The context of one parent I/O: which piece it is at and what that piece waits for. Reused
     * through a Netty {@link Recycler}. Events (start, member completions, resumption after a
     * wait) enter {@link #event()}; a work-in-progress count makes one thread at a time run the
     * steps, and an inline completion just adds a turn to the running loop.
     */
    static final class LvolIo implements BdevCompletion {

        static final Recycler<LvolIo> RECYCLER = new Recycler<>() {
            @Override
            protected LvolIo newObject(Handle<LvolIo> handle) {
                return new LvolIo(handle);
            }
        };

        private static final int PIECE = 0;
        private static final int SIMPLE_DONE = 1;
        private static final int COW_READ_DONE = 2;
        private static final int COW_WRITE_DONE = 3;
        private static final int ADMIT = 4;
        private static final int JOURNAL_DONE = 5;
        private static final int FLUSH_DONE = 6;

        private final Recycler.Handle<LvolIo> handle;
        private final BdevIo memberIo = new BdevIo();
        private final AtomicInteger wip = new AtomicInteger();
        private final Runnable resume = this::event;
        private Lvol lvol;
        private LvolStore store;
        private BdevIo parent;
        private Executor core;
        private int state;
        private long lba;
        private long remaining;
        private int bufOff;
        private int memberStatus;
        private int finalStatus;
        // The piece being worked on.
        private int cluster;
        private int within;
        private int blocks;
        private int oldEntry;
        private int newCluster;
        private long seq;
        private Long key;
        private LvolStore.ClusterOp clusterOp;
        private ByteBuf clusterBuf;
        private ByteBuf recordBuf;

        private LvolIo(Recycler.Handle<LvolIo> handle) {
            this.handle = handle;
        }

        void start(Lvol v, BdevIo io) {
            this.lvol = v;
            this.store = v.store;
            this.parent = io;
            this.core = io.core();
            this.lba = io.offsetBlocks();
            this.remaining = io.numBlocks();
            this.bufOff = 0;
            if (io.op() == BdevOp.FLUSH) {
                state = FLUSH_DONE;
                submitMember(BdevOp.FLUSH, 0, 0, null);
            } else {
                state = PIECE;
                event();
            }
        }

        /** Runs {@link #event()} on the I/O's home core (after a wait on another I/O or the journal). */
        void resumeOn() {
            core.execute(resume);
        }

        @Override
        public void bdevIoDone(BdevIo io) {
            memberStatus = io.status();
            event();
        }

        private void event() {
            if (wip.getAndIncrement() != 0) {
                return;
            }
            boolean finished = false;
            do {
                if (!finished && step()) {
                    finished = true;
                }
            } while (wip.decrementAndGet() != 0);
            if (finished) {
                finish();
            }
        }

        /** One turn of the state machine: true when the parent I/O is done (status in finalStatus). */
        private boolean step() {
            for (;;) {
                switch (state) {
                    case PIECE:
                        if (remaining == 0) {
                            finalStatus = BdevStatus.SUCCESS;
                            return true;
                        }
                        if (lvol.deleted || store.closed()) {
                            finalStatus = BdevStatus.ABORTED;
                            return true;
                        }
                        if (piece()) {
                            continue;
                        }
                        return finalStatus >= 0;
                    case SIMPLE_DONE:
                    case FLUSH_DONE:
                        if (memberStatus != BdevStatus.SUCCESS || state == FLUSH_DONE) {
                            finalStatus = memberStatus;
                            return true;
                        }
                        advance();
                        state = PIECE;
                        continue;
                    case COW_READ_DONE:
                        if (memberStatus != BdevStatus.SUCCESS) {
                            abandon(true);
                            finalStatus = memberStatus;
                            return true;
                        }
                        mergeAndWrite();
                        return false;
                    case COW_WRITE_DONE:
                        if (memberStatus != BdevStatus.SUCCESS) {
                            abandon(true);
                            finalStatus = memberStatus;
                            return true;
                        }
                        state = ADMIT;
                        continue;
                    case ADMIT: {
                        long s = store.admit(this);
                        if (s < 0) {
                            abandon(true);
                            finalStatus = BdevStatus.ABORTED;
                            return true;
                        }
                        if (s == 0) {
                            return false;
                        }
                        seq = s;
                        recordBuf = PooledByteBufAllocator.DEFAULT.directBuffer(store.blockSize());
                        store.encodeRecord(recordBuf, s, lvol.id, cluster, newCluster + 1);
                        state = JOURNAL_DONE;
                        submitMember(BdevOp.WRITE, store.journalLba(s), 1, recordBuf);
                        return false;
                    }
                    case JOURNAL_DONE:
                        recordBuf.release();
                        recordBuf = null;
                        if (memberStatus != BdevStatus.SUCCESS) {
                            // The record may have reached the member: keep the new cluster
                            // referenced (it is reclaimed at the next open if it did not).
                            store.applied(seq);
                            abandon(false);
                            finalStatus = memberStatus;
                            return true;
                        }
                        lvol.map.set(cluster, newCluster + 1);
                        if (oldEntry != 0) {
                            store.unref(oldEntry - 1);
                        }
                        store.applied(seq);
                        abandon(false);
                        advance();
                        state = PIECE;
                        continue;
                    default:
                        throw new IllegalStateException("lvol: bad state " + state);
                }
            }
        }

        /**
         * Starts the current piece: true to loop again at once (zero read, or the cluster's
         * situation changed); false when it waits for an event, or finished (finalStatus >= 0).
         */
        private boolean piece() {
            finalStatus = -1;
            int bpc = store.blocksPerCluster();
            int bs = store.blockSize();
            cluster = (int) (lba / bpc);
            within = (int) (lba % bpc);
            blocks = (int) Math.min(remaining, bpc - within);
            AtomicIntegerArray m = lvol.map;
            int e = m.get(cluster);
            if (parent.op() == BdevOp.READ) {
                if (e == 0) {
                    parent.buffer().writeZero(blocks * bs);
                    advance();
                    return true;
                }
                state = SIMPLE_DONE;
                submitMember(BdevOp.READ, store.clusterLba(e - 1) + within, blocks, parent.buffer());
                return false;
            }
            if (e != 0 && store.refCount(e - 1) == 1) {
                writeInPlace(e);
                return false;
            }
            key = (lvol.id << 32) | cluster;
            LvolStore.ClusterOp mine = new LvolStore.ClusterOp();
            LvolStore.ClusterOp other = store.inFlight.putIfAbsent(key, mine);
            if (other != null) {
                key = null;
                // Wait behind the writer that holds the cluster; if it has just ended, look again.
                return !other.addWaiter(this);
            }
            clusterOp = mine;
            e = m.get(cluster);
            if (e != 0 && store.refCount(e - 1) == 1) {
                // Another writer allocated or copied the cluster while we looked.
                endOp();
                writeInPlace(e);
                return false;
            }
            oldEntry = e;
            newCluster = store.allocate();
            if (newCluster < 0) {
                endOp();
                finalStatus = BdevStatus.MEDIA_ERROR;
                return false;
            }
            clusterBuf = PooledByteBufAllocator.DEFAULT.directBuffer(store.clusterBytes());
            if (e != 0) {
                state = COW_READ_DONE;
                submitMember(BdevOp.READ, store.clusterLba(e - 1), bpc, clusterBuf);
                return false;
            }
            clusterBuf.writeZero(store.clusterBytes());
            mergeAndWrite();
            return false;
        }

        private void writeInPlace(int e) {
            ByteBuf src = parent.buffer();
            ByteBuf slice = src.slice(src.readerIndex() + bufOff, blocks * store.blockSize());
            state = SIMPLE_DONE;
            submitMember(BdevOp.WRITE, store.clusterLba(e - 1) + within, blocks, slice);
        }

        private void mergeAndWrite() {
            ByteBuf src = parent.buffer();
            int bs = store.blockSize();
            clusterBuf.setBytes(within * bs, src, src.readerIndex() + bufOff, blocks * bs);
            state = COW_WRITE_DONE;
            submitMember(BdevOp.WRITE, store.clusterLba(newCluster), store.blocksPerCluster(), clusterBuf);
        }

        /** Releases the piece's scratch and its in-flight entry; frees the new cluster if asked. */
        private void abandon(boolean freeNew) {
            if (clusterBuf != null) {
                clusterBuf.release();
                clusterBuf = null;
            }
            if (freeNew) {
                store.unref(newCluster);
            }
            endOp();
        }

        private void endOp() {
            LvolStore.ClusterOp op = clusterOp;
            Long k = key;
            clusterOp = null;
            key = null;
            op.end(store.inFlight, k);
        }

        private void advance() {
            lba += blocks;
            remaining -= blocks;
            bufOff += blocks * store.blockSize();
        }

        private void submitMember(BdevOp op, long memberLba, long n, ByteBuf buf) {
            memberIo.prepare(op, memberLba, n, buf, core, this, null);
            store.member().submit(memberIo);
        }

        private void finish() {
            BdevIo p = parent;
            int status = finalStatus;
            lvol = null;
            store = null;
            parent = null;
            core = null;
            handle.recycle(this);
            p.complete(status);
        }
    }
}
