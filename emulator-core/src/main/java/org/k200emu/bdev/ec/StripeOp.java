package org.k200emu.bdev.ec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.Recycler;
import java.util.Arrays;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevCompletion;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.cluster.accel.AccelJob;
import org.k200emu.cluster.accel.AccelKind;
import org.k200emu.cluster.accel.AccelWork;

/**
 * One operation on one column range of one stripe that must not overlap another on the same
 * stripe: an update (write, zeroes, or a parity resync), a degraded read, or the rebuild of one
 * member's strip. Pooled per {@link EcBdev}; it runs as a small state machine whose steps happen
 * inline, in member completions, or resumed on its core's executor (after waiting for the
 * stripe, for its write-intent bit, or for member states to be on disk).
 *
 * <p>Column range: every byte column of a stripe is an independent codeword, so an update of
 * columns [colFrom, colTo) of data shards jLo..jHi (each covering the whole range) reads only
 * that range of the other data shards (reconstructing those on unreadable members from any k
 * readable shards), encodes the parity of that range and writes the new data and parity to the
 * writable members. A read failure marks the member failed and plans again; a write failure
 * marks it failed and the update still succeeds while at least k members hold the new stripe.
 */
final class StripeOp implements Runnable, AccelWork {

    enum Kind { READ, WRITE, ZERO, RESYNC, REBUILD }

    private static final int P_IDLE = 0;
    private static final int P_LOCK = 1;
    private static final int P_INTENT = 2;
    private static final int P_READ = 3;
    private static final int P_WRITE = 4;
    private static final int P_DURABLE = 5;

    private static final int JOB_RECONSTRUCT = 0;
    private static final int JOB_ENCODE = 1;

    /** The successor in the stripe's queue, or {@link StripeLocks#RELEASED}; see StripeLocks. */
    volatile Object lockNext;
    /** The stripe; read by StripeLocks. */
    long stripe;

    private final Recycler.Handle<StripeOp> handle;
    private final EcBdev ec;
    private final EcLayout layout;
    private final int n;
    private final int k;
    private final BdevIo[] ios;
    private final MemberIo[] slots;
    private final Bdev[] used;
    private final ByteBuf[] scratch;
    private final ByteBuf[] views;
    private final ByteBuf[] codecBufs;
    private final int[] codecOffs;
    private final boolean[] present;
    private final boolean[] readSet;
    private final boolean[] wanted;
    private final boolean[] ioFailed;
    private final boolean[] wrote;
    /** Per member: write zeroes natively (WRITE_ZEROES) instead of writing a buffer. */
    private final boolean[] zeroWrite;
    private final AtomicInteger pending = new AtomicInteger();
    /** The coding work of this operation, submitted to the erasure-code engines of its core's cluster. */
    private final AccelJob job = new AccelJob(this);

    private Kind kind;
    private int colFrom;
    private int colTo;
    private int jLo;
    private int jHi;
    private PieceWindow owner;
    private Executor core;
    private ByteBuf parent;
    /** Index in {@link #parent} of (shard 0, column 0) of this stripe; may lie before the buffer. */
    private long parentBase;
    private int rebuildMember;
    private Bdev rebuildTarget;
    private int region;
    private boolean inRegion;
    private boolean reconstructing;
    private boolean anyFailed;
    private int phase;
    private int retries;

    StripeOp(Recycler.Handle<StripeOp> handle, EcBdev ec) {
        this.handle = handle;
        this.ec = ec;
        this.layout = ec.layout();
        this.n = layout.n;
        this.k = layout.k;
        this.ios = new BdevIo[n];
        this.slots = new MemberIo[n];
        for (int d = 0; d < n; d++) {
            ios[d] = new BdevIo();
            slots[d] = new MemberIo(this, d);
        }
        this.used = new Bdev[n];
        this.scratch = new ByteBuf[n];
        this.views = new ByteBuf[n];
        this.codecBufs = new ByteBuf[n];
        this.codecOffs = new int[n];
        this.present = new boolean[n];
        this.readSet = new boolean[n];
        this.wanted = new boolean[n];
        this.ioFailed = new boolean[n];
        this.wrote = new boolean[n];
        this.zeroWrite = new boolean[n];
    }

    /** Sets up a read, update or resync of columns [from, to) of data shards lo..hi (none if lo > hi). */
    StripeOp init(Kind kind, long stripe, int from, int to, int lo, int hi, PieceWindow owner, Executor core,
                  ByteBuf parent, long parentBase) {
        this.kind = kind;
        this.stripe = stripe;
        this.colFrom = from;
        this.colTo = to;
        this.jLo = lo;
        this.jHi = hi;
        this.owner = owner;
        this.core = core;
        this.parent = parent;
        this.parentBase = parentBase;
        this.retries = 0;
        return this;
    }

    /** Sets up the rebuild of {@code member}'s strip of {@code stripe} onto {@code target}. */
    StripeOp initRebuild(long stripe, int member, Bdev target, PieceWindow owner, Executor core) {
        init(Kind.REBUILD, stripe, 0, layout.stripBytes, 0, -1, owner, core, null, 0);
        this.rebuildMember = member;
        this.rebuildTarget = target;
        return this;
    }

    /** Queues for the stripe, and runs now if it is free. */
    void start() {
        phase = P_LOCK;
        if (ec.locks().acquire(this)) {
            locked();
        }
    }

    /** Continues on this operation's core, after a wait. */
    void resume() {
        core.execute(this);
    }

    @Override
    public void run() {
        switch (phase) {
            case P_LOCK:
                locked();
                break;
            case P_INTENT:
                plan();
                break;
            case P_DURABLE:
                finish(BdevStatus.SUCCESS);
                break;
            default:
                throw new IllegalStateException("stripe op resumed in phase " + phase);
        }
    }

    private void locked() {
        if (kind == Kind.WRITE || kind == Kind.ZERO) {
            region = layout.regionOf(stripe);
            inRegion = true;
            phase = P_INTENT;
            if (!ec.metadata().enter(region, this)) {
                return; // resumed once the region's write-intent bit is on the members
            }
        }
        plan();
    }

    private boolean covered(int shard) {
        return shard >= jLo && shard <= jHi;
    }

    private int length() {
        return colTo - colFrom;
    }

    // ------------------------------------------------------------------ planning

    private void plan() {
        Arrays.fill(readSet, false);
        Arrays.fill(wanted, false);
        reconstructing = false;
        switch (kind) {
            case READ:
                planRead();
                break;
            case REBUILD:
                planRebuild();
                break;
            default:
                planUpdate();
                break;
        }
    }

    /** Adds readable shards (data first) to the read set until it holds k; false if there are not k. */
    private boolean fillReadSet(MemberStates st, int exclude) {
        int chosen = 0;
        for (int i = 0; i < n; i++) {
            if (readSet[i]) {
                chosen++;
            }
        }
        for (int i = 0; i < n && chosen < k; i++) {
            if (!readSet[i] && i != exclude && st.readable(layout.memberOf(i, stripe))) {
                readSet[i] = true;
                chosen++;
            }
        }
        return chosen >= k;
    }

    private void planRead() {
        MemberStates st = ec.states();
        for (int j = jLo; j <= jHi; j++) {
            if (st.readable(layout.memberOf(j, stripe))) {
                readSet[j] = true;
            } else {
                wanted[j] = true;
                reconstructing = true;
            }
        }
        if (reconstructing && !fillReadSet(st, -1)) {
            finish(BdevStatus.MEDIA_ERROR);
            return;
        }
        issueReads();
    }

    private void planUpdate() {
        if (kind == Kind.ZERO && jLo == 0 && jHi == k - 1) {
            issueUpdateWrites(); // all data zero: so is the parity, nothing to encode
            return;
        }
        MemberStates st = ec.states();
        for (int j = 0; j < k; j++) {
            if (!covered(j)) {
                if (st.readable(layout.memberOf(j, stripe))) {
                    readSet[j] = true;
                } else {
                    wanted[j] = true;
                    reconstructing = true;
                }
            }
        }
        if (reconstructing && !fillReadSet(st, -1)) {
            finish(BdevStatus.MEDIA_ERROR);
            return;
        }
        issueReads();
    }

    private void planRebuild() {
        MemberStates st = ec.states();
        if (st.get(rebuildMember) != MemberStates.REBUILDING || ec.member(rebuildMember) != rebuildTarget) {
            finish(BdevStatus.ABORTED); // the rebuild was given up
            return;
        }
        int target = layout.shardOn(rebuildMember, stripe);
        wanted[target] = true;
        reconstructing = true;
        if (!fillReadSet(st, target)) {
            finish(BdevStatus.MEDIA_ERROR);
            return;
        }
        issueReads();
    }

    private ByteBuf scratch(int shard) {
        ByteBuf b = scratch[shard];
        if (b == null) {
            b = PooledByteBufAllocator.DEFAULT.heapBuffer(length(), length());
            scratch[shard] = b;
        }
        return b;
    }

    // ------------------------------------------------------------------ reading

    private void issueReads() {
        int len = length();
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (wanted[i]) {
                scratch(i);
            }
            if (readSet[i]) {
                count++;
            }
        }
        if (count == 0) {
            compute();
            return;
        }
        phase = P_READ;
        anyFailed = false;
        long lba = layout.memberBlock(stripe, colFrom);
        long blocks = len / layout.blockSize;
        pending.set(count + 1);
        for (int i = 0; i < n; i++) {
            if (readSet[i]) {
                int d = layout.memberOf(i, stripe);
                Bdev b = ec.member(d);
                used[d] = b;
                ByteBuf dst = scratch(i);
                dst.clear();
                ios[d].prepare(BdevOp.READ, lba, blocks, dst, core, slots[d], null);
                b.submit(ios[d]);
            }
        }
        if (pending.decrementAndGet() == 0) {
            phaseDone();
        }
    }

    /** A member I/O of the current phase finished. */
    void memberDone(int member, int status) {
        if (status != BdevStatus.SUCCESS) {
            ioFailed[member] = true;
            anyFailed = true;
            ec.markFailed(member, used[member], status);
        }
        if (pending.decrementAndGet() == 0) {
            phaseDone();
        }
    }

    private void phaseDone() {
        if (phase == P_READ) {
            readsDone();
        } else {
            writesDone();
        }
    }

    private void readsDone() {
        if (anyFailed) {
            if (++retries > n) {
                finish(BdevStatus.MEDIA_ERROR);
            } else {
                plan(); // with the failed member now out
            }
            return;
        }
        compute();
    }

    // ------------------------------------------------------------------ coding

    /**
     * The reads are in: reconstruct what is missing, then encode. Each is a job for the
     * erasure-code engines of the core's cluster, fed k shards of the column range.
     */
    private void compute() {
        if (reconstructing) {
            for (int i = 0; i < n; i++) {
                codecBufs[i] = readSet[i] || wanted[i] ? scratch[i] : null;
                codecOffs[i] = 0;
                present[i] = readSet[i];
            }
            ec.accelerators().submit(core, job.prepare(AccelKind.ERASURE_CODE, (long) k * length(), JOB_RECONSTRUCT));
            return;
        }
        reconstructed();
    }

    @Override
    public void accelCompute(AccelJob j) {
        if (j.step() == JOB_RECONSTRUCT) {
            ec.codec().reconstruct(codecBufs, codecOffs, present, length());
        } else {
            ec.codec().encode(codecBufs, codecOffs, length());
            Arrays.fill(codecBufs, null);
        }
    }

    @Override
    public void accelDone(AccelJob j) {
        if (j.step() == JOB_RECONSTRUCT) {
            reconstructed();
        } else {
            issueUpdateWrites();
        }
    }

    /** Every shard the operation needs is at hand: hand the data up, rebuild, or encode the new parity. */
    private void reconstructed() {
        int len = length();
        switch (kind) {
            case READ:
                for (int j = jLo; j <= jHi; j++) {
                    parent.setBytes(parentIndex(j), scratch[j], 0, len);
                }
                finish(BdevStatus.SUCCESS);
                return;
            case REBUILD:
                issueRebuildWrite();
                return;
            default:
                break;
        }
        MemberStates st = ec.states();
        for (int j = 0; j < k; j++) {
            if (!covered(j)) {
                codecBufs[j] = scratch[j];
                codecOffs[j] = 0;
            } else if (kind == Kind.ZERO) {
                codecBufs[j] = ec.zeroes();
                codecOffs[j] = 0;
            } else {
                codecBufs[j] = parent;
                codecOffs[j] = parentIndex(j);
            }
        }
        for (int p = k; p < n; p++) {
            codecBufs[p] = st.writable(layout.memberOf(p, stripe)) ? scratch(p) : null;
            codecOffs[p] = 0;
        }
        ec.accelerators().submit(core, job.prepare(AccelKind.ERASURE_CODE, (long) k * len, JOB_ENCODE));
    }

    private int parentIndex(int shard) {
        return (int) (parentBase + (long) shard * layout.stripBytes + colFrom);
    }

    // ------------------------------------------------------------------ writing

    private void issueUpdateWrites() {
        int len = length();
        MemberStates st = ec.states();
        int count = 0;
        Arrays.fill(wrote, false);
        Arrays.fill(zeroWrite, false);
        boolean allZero = kind == Kind.ZERO && jLo == 0 && jHi == k - 1;
        for (int i = 0; i < n; i++) {
            int d = layout.memberOf(i, stripe);
            if (!st.writable(d)) {
                continue;
            }
            if (kind == Kind.ZERO && (covered(i) || allZero && i >= k)) {
                // Zeroes: natively where the member can, so that a malloc or remote member moves no data.
                if (st.bdev(d).supports(BdevOp.WRITE_ZEROES)) {
                    zeroWrite[d] = true;
                } else {
                    views[d] = ec.zeroes().retainedSlice(0, len);
                }
                wrote[d] = true;
                count++;
            } else if (covered(i)) {
                views[d] = parent.retainedSlice(parentIndex(i), len);
                wrote[d] = true;
                count++;
            } else if (i >= k && scratch[i] != null) {
                scratch[i].setIndex(0, len);
                wrote[d] = true;
                count++;
            }
        }
        if (count == 0) {
            writesDone();
            return;
        }
        phase = P_WRITE;
        anyFailed = false;
        long lba = layout.memberBlock(stripe, colFrom);
        long blocks = len / layout.blockSize;
        pending.set(count + 1);
        for (int i = 0; i < n; i++) {
            int d = layout.memberOf(i, stripe);
            if (wrote[d]) {
                Bdev b = ec.member(d);
                used[d] = b;
                ioFailed[d] = false;
                if (zeroWrite[d]) {
                    ios[d].prepare(BdevOp.WRITE_ZEROES, lba, blocks, null, core, slots[d], null);
                } else {
                    ios[d].prepare(BdevOp.WRITE, lba, blocks, views[d] != null ? views[d] : scratch[i], core, slots[d],
                            null);
                }
                b.submit(ios[d]);
            }
        }
        if (pending.decrementAndGet() == 0) {
            phaseDone();
        }
    }

    private void issueRebuildWrite() {
        int target = layout.shardOn(rebuildMember, stripe);
        if (ec.states().get(rebuildMember) != MemberStates.REBUILDING || ec.member(rebuildMember) != rebuildTarget) {
            finish(BdevStatus.ABORTED);
            return;
        }
        Arrays.fill(wrote, false);
        wrote[rebuildMember] = true;
        ioFailed[rebuildMember] = false;
        used[rebuildMember] = rebuildTarget;
        ByteBuf src = scratch[target];
        src.setIndex(0, length());
        phase = P_WRITE;
        anyFailed = false;
        pending.set(2);
        ios[rebuildMember].prepare(BdevOp.WRITE, layout.memberBlock(stripe, 0), layout.stripBlocks, src, core,
                slots[rebuildMember], null);
        rebuildTarget.submit(ios[rebuildMember]);
        if (pending.decrementAndGet() == 0) {
            phaseDone();
        }
    }

    private void writesDone() {
        for (int d = 0; d < n; d++) {
            if (views[d] != null) {
                views[d].release();
                views[d] = null;
            }
        }
        if (kind == Kind.REBUILD) {
            finish(ioFailed[rebuildMember] ? BdevStatus.MEDIA_ERROR : BdevStatus.SUCCESS);
            return;
        }
        // The stripe is decodable if k members hold it: healthy ones (written or untouched), and
        // rebuilding ones that took this update.
        MemberStates st = ec.states();
        int holders = 0;
        for (int d = 0; d < n; d++) {
            if (st.readable(d) || st.get(d) == MemberStates.REBUILDING && wrote[d] && !ioFailed[d]) {
                holders++;
            }
        }
        if (holders < k) {
            finish(BdevStatus.MEDIA_ERROR);
            return;
        }
        if (ec.metadata().durableVersion() < st.version) {
            // A member changed state (this update skipped or lost it): acknowledge only once the
            // superblocks say so, or a reopen could trust its stale strips.
            phase = P_DURABLE;
            ec.metadata().awaitDurable(st.version, this::resume);
            return;
        }
        finish(BdevStatus.SUCCESS);
    }

    // ------------------------------------------------------------------ the end

    private void finish(int status) {
        for (int i = 0; i < n; i++) {
            if (scratch[i] != null) {
                scratch[i].release();
                scratch[i] = null;
            }
            if (views[i] != null) {
                views[i].release();
                views[i] = null;
            }
            used[i] = null;
        }
        if (inRegion) {
            inRegion = false;
            ec.metadata().exit(region);
        }
        PieceWindow o = owner;
        owner = null;
        parent = null;
        core = null;
        rebuildTarget = null;
        phase = P_IDLE;
        if (ec.locks().release(this)) {
            recycle();
        }
        o.pieceDone(status); // this op may already be reused: locals only from here
    }

    void recycle() {
        handle.recycle(this);
    }

    /** The completion of one member's I/O: knows its member index. */
    private static final class MemberIo implements BdevCompletion {
        private final StripeOp op;
        private final int member;

        MemberIo(StripeOp op, int member) {
            this.op = op;
            this.member = member;
        }

        @Override
        public void bdevIoDone(BdevIo io) {
            op.memberDone(member, io.status());
        }
    }
}
