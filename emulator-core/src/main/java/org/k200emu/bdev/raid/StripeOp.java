package org.k200emu.bdev.raid;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.Arrays;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevCompletion;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.gf.Gf256;
import org.k200emu.cluster.accel.AccelJob;
import org.k200emu.cluster.accel.AccelKind;
import org.k200emu.cluster.accel.AccelWork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One operation on one row of a {@link RaidBdev}: the part of a host I/O that falls in the row,
 * the rebuild or resync of a row, or a flush. Pooled by its RaidBdev and reused.
 *
 * <p>It runs as a small state machine driven by member completions: plan (pick members from
 * their current states), a phase of member I/Os issued together, the next phase when the last
 * completes. Writes and degraded reads first take the row ({@link StripeLocks}); writes then
 * enter the row's bitmap region and wait until it is dirty on the members ({@link MetadataWriter}).
 *
 * <p>Failures: a member I/O that fails marks the member failed and the whole operation is planned
 * again from the new member states (bounded: every retry has one more failed member). This is
 * safe for writes because every member write of a phase has completed before the retry, so the
 * surviving members hold a consistent row (new data with its new parity, or old data with its
 * old parity), and the replanned write re-derives parity from them. When a row has lost more
 * members than the level tolerates the operation completes {@link BdevStatus#MEDIA_ERROR}.
 *
 * <p>Write strategies for parity levels: a full row computes P/Q from the new data; a partial
 * row uses read-modify-write (old data and parity, apply the delta) or reconstruct-write (read
 * the rest of the row's columns, recompute), whichever reads less; a degraded row uses
 * reconstruct-write, recovering the missing strip's old contents first so the new parity still
 * encodes it.
 */
final class StripeOp extends RowWaiter implements AccelWork {

    private static final Logger LOG = LoggerFactory.getLogger(StripeOp.class);

    static final int READ = 0;
    static final int WRITE = 1;
    static final int ZEROES = 2;
    static final int REBUILD = 3;
    static final int RESYNC = 4;
    static final int FLUSH = 5;

    private static final int RESUME_LOCK = 1;
    private static final int RESUME_META = 2;

    private static final int STEP_DIRECT_READ = 1;
    private static final int STEP_DEGRADED_READ = 2;
    private static final int STEP_WRITE_DONE = 3;
    private static final int STEP_RMW_READ = 4;
    private static final int STEP_RCW_READ = 5;
    private static final int STEP_REBUILD_READ = 6;
    private static final int STEP_RESYNC_READ = 7;
    private static final int STEP_FLUSH = 8;

    private static final int JOB_RMW = 0;
    private static final int JOB_RCW = 1;

    private final RaidBdev raid;
    private final RaidLayout layout;
    private final int n;
    private final int k;
    private final int strip;
    private final int bs;
    private final Slot[] slots;
    /** One for the operation's life, one more while a row-lock hand-over may still look at it. */
    private final AtomicInteger refs = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    /** The parity work of a write, submitted to the erasure-code engines of its core's cluster. */
    private final AccelJob job = new AccelJob(this);

    // What to do (set by init).
    private int kind;
    private long row;
    private int off;
    private int len;
    private long parentByte;
    private RaidIo parent;
    private RowSweep sweep;

    // Derived per operation: the part [ta[d], tb[d]) of data strip d that is touched.
    private final int[] ta;
    private final int[] tb;
    private int c0;
    private int c1;

    // Progress.
    private int resume;
    private int step;
    private int attempts;
    private boolean locked;
    private boolean inRegion;
    private boolean needRecon;
    private ByteBuf srcCopy;

    // Per attempt: the member each index was planned with (null: not usable in this row).
    private final Bdev[] use;
    private final byte[][] arrs;
    private final int[] offs;
    /** The member each touched strip is read from. */
    private final int[] chosenStrips;

    StripeOp(RaidBdev raid) {
        this.raid = raid;
        this.layout = raid.layout();
        this.n = layout.members;
        this.k = layout.dataStrips();
        this.strip = layout.stripBlocks;
        this.bs = layout.blockSize;
        this.slots = new Slot[n];
        for (int i = 0; i < n; i++) {
            slots[i] = new Slot(this, i);
        }
        this.ta = new int[k];
        this.tb = new int[k];
        this.use = new Bdev[n];
        this.arrs = new byte[k][];
        this.offs = new int[k];
        this.chosenStrips = new int[k];
    }

    /** Prepares a pooled operation; {@code off}/{@code len} are blocks within the row's data. */
    StripeOp init(int kind, long row, int off, int len, long parentByte, RaidIo parent, RowSweep sweep,
                  Executor core) {
        this.kind = kind;
        this.row = row;
        this.off = off;
        this.len = len;
        this.parentByte = parentByte;
        this.parent = parent;
        this.sweep = sweep;
        this.core = core;
        this.refs.set(1);
        this.attempts = 0;
        this.locked = false;
        this.inRegion = false;
        this.needRegion = -1;
        this.needGen = 0;
        if (kind == REBUILD || kind == RESYNC) {
            this.off = 0;
            this.len = k * strip;
        }
        c0 = strip;
        c1 = 0;
        for (int d = 0; d < k; d++) {
            int a = Math.max(this.off, d * strip) - d * strip;
            int b = Math.min(this.off + this.len, (d + 1) * strip) - d * strip;
            if (a < b) {
                ta[d] = a;
                tb[d] = b;
                c0 = Math.min(c0, a);
                c1 = Math.max(c1, b);
            } else {
                ta[d] = 0;
                tb[d] = 0;
            }
        }
        return this;
    }

    void start() {
        switch (kind) {
            case READ:
                planRead();
                break;
            case WRITE:
            case ZEROES:
                if (layout.level == 0) {
                    planMirrorWrite(); // no redundancy: nothing to serialize or to log
                } else {
                    lockRow();
                }
                break;
            case REBUILD:
            case RESYNC:
                lockRow();
                break;
            default:
                planFlush();
                break;
        }
    }

    @Override
    public void run() {
        if (resume == RESUME_LOCK) {
            afterLock();
        } else {
            plan();
        }
    }

    @Override
    void lockHandshakeDone() {
        unref();
    }

    private void unref() {
        if (refs.decrementAndGet() == 0) {
            parent = null;
            sweep = null;
            core = null;
            raid.recycle(this);
        }
    }

    // ---------------------------------------------------------------- locking and metadata

    private void lockRow() {
        resume = RESUME_LOCK;
        refs.incrementAndGet();
        locked = true;
        if (raid.locks().acquire(this, row)) {
            afterLock();
        }
    }

    private void afterLock() {
        if (kind == WRITE || kind == ZEROES) {
            raid.meta().enter(layout.region(row));
            inRegion = true;
            awaitMetadataThenPlan();
        } else {
            plan();
        }
    }

    /** Writes go on once their region is dirty on the members and known failures are persisted. */
    private void awaitMetadataThenPlan() {
        long gen = raid.stateGen();
        int region = layout.region(row);
        if (raid.meta().ready(region, gen)) {
            plan();
            return;
        }
        needRegion = region;
        needGen = gen;
        resume = RESUME_META;
        raid.meta().await(this);
    }

    private void plan() {
        switch (kind) {
            case READ:
                planDegradedRead();
                break;
            case WRITE:
            case ZEROES:
                if (layout.hasParity()) {
                    planParityWrite();
                } else {
                    planMirrorWrite();
                }
                break;
            case REBUILD:
                planRebuild();
                break;
            default:
                planResync();
                break;
        }
    }

    private void retry() {
        raid.retries.increment();
        releaseScratch();
        if (++attempts > n + 1) {
            finish(BdevStatus.MEDIA_ERROR);
            return;
        }
        switch (kind) {
            case READ:
                if (locked) {
                    planDegradedRead();
                } else {
                    planRead();
                }
                break;
            case WRITE:
            case ZEROES:
                if (locked) {
                    awaitMetadataThenPlan();
                } else {
                    planMirrorWrite();
                }
                break;
            default:
                plan();
                break;
        }
    }

    // ---------------------------------------------------------------- planning helpers

    /** Fills {@link #use} from the member states; returns how many members are unusable. */
    private int snapshotMembers() {
        int missing = 0;
        for (int i = 0; i < n; i++) {
            use[i] = raid.usableMember(i, row);
            if (use[i] == null) {
                missing++;
            }
        }
        return missing;
    }

    private boolean touched(int d) {
        return ta[d] < tb[d];
    }

    /** Whether the operation overwrites all of strip d within the columns [c0, c1). */
    private boolean full(int d) {
        return ta[d] <= c0 && tb[d] >= c1 && touched(d);
    }

    private int colBytes() {
        return (c1 - c0) * bs;
    }

    /** Offset within the parent's data of the touched part of strip d. */
    private int parentPos(int d) {
        return (int) (parentByte + (long) (d * strip + ta[d] - off) * bs);
    }

    private ByteBuf scratch(int member, int bytes) {
        Slot s = slots[member];
        if (s.scratch == null) {
            s.scratch = PooledByteBufAllocator.DEFAULT.heapBuffer(bytes, bytes);
            // Kept at hand: the kernels work on the array, and asking the buffer each time
            // costs a call (and, under leak detection, a record) per strip.
            s.array = s.scratch.array();
            s.base = s.scratch.arrayOffset();
        }
        return s.scratch;
    }

    private byte[] array(int member) {
        return slots[member].array;
    }

    private int base(int member) {
        return slots[member].base;
    }

    /**
     * The new data of strip d's touched part for a member write, leaving the parent's indexes
     * alone: the parent buffer itself when that part is all of the parent's data (the common
     * small write, no allocation), else a slice of it.
     */
    private ByteBuf sourceSlice(int d) {
        int bytes = (tb[d] - ta[d]) * bs;
        if (kind == ZEROES) {
            return raid.zeroes().slice(0, bytes);
        }
        ByteBuf buf = parent.buffer();
        if (bytes == buf.readableBytes()) {
            return buf;
        }
        return buf.slice(buf.readerIndex() + parentPos(d), bytes);
    }

    /** The array holding strip d's new data; see {@link #sourceOffset}. */
    private byte[] sourceArray() {
        if (kind == ZEROES) {
            return raid.zeroArray();
        }
        ByteBuf buf = parent.buffer();
        if (buf.hasArray()) {
            return buf.array();
        }
        if (srcCopy == null) {
            int bytes = len * bs;
            srcCopy = PooledByteBufAllocator.DEFAULT.heapBuffer(bytes, bytes);
            buf.getBytes(buf.readerIndex() + (int) parentByte, srcCopy.array(), srcCopy.arrayOffset(), bytes);
        }
        return srcCopy.array();
    }

    private int sourceOffset(int d) {
        if (kind == ZEROES) {
            return 0;
        }
        ByteBuf buf = parent.buffer();
        if (buf.hasArray()) {
            return buf.arrayOffset() + buf.readerIndex() + parentPos(d);
        }
        return srcCopy.arrayOffset() + parentPos(d) - (int) parentByte;
    }

    // ---------------------------------------------------------------- member I/O phases

    private void begin(int nextStep) {
        step = nextStep;
        pending.set(1);
    }

    private void issue(int member, BdevOp op, long lba, long blocks, ByteBuf buf) {
        Slot s = slots[member];
        Bdev target = use[member];
        s.target = target;
        s.status = -1;
        pending.incrementAndGet();
        s.io.prepare(op, lba, blocks, buf, core, s, null);
        target.submit(s.io);
    }

    private void end() {
        if (pending.decrementAndGet() == 0) {
            phaseDone();
        }
    }

    private void memberDone() {
        if (pending.decrementAndGet() == 0) {
            phaseDone();
        }
    }

    private void phaseDone() {
        boolean failed = false;
        boolean bug = false;
        for (Slot s : slots) {
            if (s.target == null) {
                continue;
            }
            int status = s.status;
            if (status != BdevStatus.SUCCESS && !(step == STEP_FLUSH && status == BdevStatus.UNSUPPORTED)) {
                if (status == BdevStatus.OUT_OF_RANGE || status == BdevStatus.BAD_BUFFER) {
                    LOG.error("raid {}: member {} refused {} of row {} with {}: a bug of the RAID layer",
                            raid.name(), s.index, s.io, row, BdevStatus.name(status));
                    bug = true;
                } else {
                    raid.memberFailed(s.index, s.target, status, core);
                    failed = true;
                }
            }
            s.target = null;
        }
        if (step == STEP_FLUSH) {
            raid.meta().requestClear(core);
            finish(bug || !raid.operational() ? BdevStatus.MEDIA_ERROR : BdevStatus.SUCCESS);
            return;
        }
        if (bug) {
            finish(BdevStatus.MEDIA_ERROR);
            return;
        }
        if (failed) {
            retry();
            return;
        }
        switch (step) {
            case STEP_DEGRADED_READ:
                completeDegradedRead();
                break;
            case STEP_RMW_READ:
                rmwWrite();
                break;
            case STEP_RCW_READ:
                rcwWrite();
                break;
            case STEP_REBUILD_READ:
                rebuildWrite();
                break;
            case STEP_RESYNC_READ:
                resyncWrite();
                break;
            default: // STEP_DIRECT_READ, STEP_WRITE_DONE
                finish(BdevStatus.SUCCESS);
                break;
        }
    }

    // ---------------------------------------------------------------- reads

    /** Reads straight from the members into the parent buffer; a missing parity-protected strip goes degraded. */
    private void planRead() {
        snapshotMembers();
        int copies = layout.copies();
        int[] chosen = chosenStrips;
        for (int d = 0; d < k; d++) {
            if (!touched(d)) {
                continue;
            }
            chosen[d] = -1;
            int first = (int) ((row + d) % copies); // spread mirror reads over the copies
            for (int j = 0; j < copies; j++) {
                int m = layout.dataMember(row, d, (first + j) % copies);
                if (use[m] != null) {
                    chosen[d] = m;
                    break;
                }
            }
            if (chosen[d] < 0) {
                if (layout.hasParity()) {
                    lockRow(); // reconstruct under the row lock, away from writers
                } else {
                    finish(BdevStatus.MEDIA_ERROR);
                }
                return;
            }
        }
        ByteBuf buf = parent.buffer();
        begin(STEP_DIRECT_READ);
        for (int d = 0; d < k; d++) {
            if (touched(d)) {
                int bytes = (tb[d] - ta[d]) * bs;
                ByteBuf dst;
                if (bytes == parent.bytes()) {
                    // All of the parent's data from one member: it appends straight into the buffer.
                    dst = buf.writerIndex(parent.base());
                } else {
                    dst = buf.slice(parent.base() + parentPos(d), bytes).clear();
                }
                issue(chosen[d], BdevOp.READ, layout.memberLba(row, ta[d]), tb[d] - ta[d], dst);
            }
        }
        end();
    }

    private void planDegradedRead() {
        int missing = snapshotMembers();
        if (missing > layout.tolerance()) {
            finish(BdevStatus.MEDIA_ERROR);
            return;
        }
        int bytes = colBytes();
        raid.degradedReads.increment();
        begin(STEP_DEGRADED_READ);
        for (int i = 0; i < n; i++) {
            if (use[i] != null) {
                issue(i, BdevOp.READ, layout.memberLba(row, c0), c1 - c0, scratch(i, bytes));
            }
        }
        end();
    }

    private void completeDegradedRead() {
        if (!recoverData()) {
            finish(BdevStatus.MEDIA_ERROR);
            return;
        }
        ByteBuf buf = parent.buffer();
        for (int d = 0; d < k; d++) {
            if (touched(d)) {
                buf.setBytes(parent.base() + parentPos(d), arrs[d], offs[d] + (ta[d] - c0) * bs, (tb[d] - ta[d]) * bs);
            }
        }
        finish(BdevStatus.SUCCESS);
    }

    /**
     * Points {@link #arrs} at every data strip's column bytes (read into the slots' scratch) and
     * recovers the strips of unusable members from the parity that was read. False if that is
     * not possible.
     */
    private boolean recoverData() {
        int bytes = colBytes();
        int x = -1;
        int y = -1;
        for (int d = 0; d < k; d++) {
            int m = layout.dataMember(row, d, 0);
            if (use[m] == null) {
                scratch(m, bytes);
                if (x < 0) {
                    x = d;
                } else if (y < 0) {
                    y = d;
                } else {
                    return false;
                }
            }
            arrs[d] = array(m);
            offs[d] = base(m);
        }
        if (x < 0) {
            return true;
        }
        int pm = layout.pMember(row);
        int qm = layout.qMember(row);
        byte[] p = pm >= 0 && use[pm] != null ? array(pm) : null;
        byte[] q = qm >= 0 && use[qm] != null ? array(qm) : null;
        // Counted on the erasure-code engines (k columns in), not paced: callers decide on its result at once.
        raid.accelerators().charge(core, AccelKind.ERASURE_CODE, (long) k * bytes);
        return ParityMath.recover(arrs, offs, k, bytes, x, y, p, p == null ? 0 : base(pm), q, q == null ? 0 : base(qm));
    }

    // ---------------------------------------------------------------- writes

    /** RAID 0, 1 and 10: every usable copy of each touched strip gets the new data. */
    private void planMirrorWrite() {
        snapshotMembers();
        int copies = layout.copies();
        for (int d = 0; d < k; d++) {
            if (!touched(d)) {
                continue;
            }
            boolean any = false;
            for (int j = 0; j < copies; j++) {
                any |= use[layout.dataMember(row, d, j)] != null;
            }
            if (!any) {
                finish(BdevStatus.MEDIA_ERROR); // checked before writing anything
                return;
            }
        }
        begin(STEP_WRITE_DONE);
        for (int d = 0; d < k; d++) {
            if (!touched(d)) {
                continue;
            }
            for (int j = 0; j < copies; j++) {
                int m = layout.dataMember(row, d, j);
                if (use[m] != null) {
                    issue(m, BdevOp.WRITE, layout.memberLba(row, ta[d]), tb[d] - ta[d], sourceSlice(d));
                }
            }
        }
        end();
    }

    private void planParityWrite() {
        int missing = snapshotMembers();
        if (missing > layout.tolerance()) {
            finish(BdevStatus.MEDIA_ERROR);
            return;
        }
        int pm = layout.pMember(row);
        int qm = layout.qMember(row);
        int parityUsable = (use[pm] != null ? 1 : 0) + (qm >= 0 && use[qm] != null ? 1 : 0);
        if (parityUsable == 0) {
            // No parity survives in this row: the data alone is what is left to keep.
            begin(STEP_WRITE_DONE);
            issueDataWrites();
            end();
            return;
        }
        int cols = c1 - c0;
        boolean touchedMissing = false;
        needRecon = false;
        long rmwCost = (long) parityUsable * cols;
        long rcwCost = 0;
        int usableData = 0;
        for (int d = 0; d < k; d++) {
            boolean usable = use[layout.dataMember(row, d, 0)] != null;
            if (touched(d)) {
                rmwCost += tb[d] - ta[d];
                touchedMissing |= !usable;
            }
            if (usable) {
                usableData++;
                if (!full(d)) {
                    rcwCost += cols;
                }
            } else if (!full(d)) {
                needRecon = true;
            }
        }
        if (needRecon) {
            rcwCost = (long) (usableData + parityUsable) * cols;
        }
        int bytes = colBytes();
        if (!touchedMissing && rmwCost < rcwCost) {
            raid.rmwWrites.increment();
            begin(STEP_RMW_READ);
            for (int d = 0; d < k; d++) {
                if (touched(d)) {
                    int m = layout.dataMember(row, d, 0);
                    ByteBuf old = scratch(m, bytes).writerIndex((ta[d] - c0) * bs);
                    issue(m, BdevOp.READ, layout.memberLba(row, ta[d]), tb[d] - ta[d], old);
                }
            }
            issueParityReads(pm, qm, bytes);
            end();
            return;
        }
        if (rcwCost == 0) {
            raid.fullRowWrites.increment();
        } else {
            raid.rcwWrites.increment();
        }
        begin(STEP_RCW_READ);
        for (int d = 0; d < k; d++) {
            int m = layout.dataMember(row, d, 0);
            if (use[m] != null && (needRecon || !full(d))) {
                issue(m, BdevOp.READ, layout.memberLba(row, c0), cols, scratch(m, bytes));
            }
        }
        if (needRecon) {
            issueParityReads(pm, qm, bytes);
        }
        end();
    }

    private void issueParityReads(int pm, int qm, int bytes) {
        if (use[pm] != null) {
            issue(pm, BdevOp.READ, layout.memberLba(row, c0), c1 - c0, scratch(pm, bytes));
        }
        if (qm >= 0 && use[qm] != null) {
            issue(qm, BdevOp.READ, layout.memberLba(row, c0), c1 - c0, scratch(qm, bytes));
        }
    }

    private void issueDataWrites() {
        for (int d = 0; d < k; d++) {
            int m = layout.dataMember(row, d, 0);
            if (touched(d) && use[m] != null) {
                issue(m, BdevOp.WRITE, layout.memberLba(row, ta[d]), tb[d] - ta[d], sourceSlice(d));
            }
        }
    }

    /** Issues the data writes and the usable parity columns (in the parity slots' scratch). */
    private void issueRowWrites(int pm, int qm) {
        int bytes = colBytes();
        begin(STEP_WRITE_DONE);
        issueDataWrites();
        if (use[pm] != null) {
            ByteBuf p = slots[pm].scratch.setIndex(0, bytes);
            issue(pm, BdevOp.WRITE, layout.memberLba(row, c0), c1 - c0, p);
        }
        if (qm >= 0 && use[qm] != null) {
            ByteBuf q = slots[qm].scratch.setIndex(0, bytes);
            issue(qm, BdevOp.WRITE, layout.memberLba(row, c0), c1 - c0, q);
        }
        end();
    }

    /**
     * Read-modify-write: parity ^= (old ^ new) of each touched strip, at its columns; one job for
     * the erasure-code engines, fed the old and new data and the old parity of the touched range.
     */
    private void rmwWrite() {
        int pm = layout.pMember(row);
        int qm = layout.qMember(row);
        int parities = (use[pm] != null ? 1 : 0) + (qm >= 0 && use[qm] != null ? 1 : 0);
        long input = 0;
        for (int d = 0; d < k; d++) {
            if (touched(d)) {
                input += (long) (2 + parities) * (tb[d] - ta[d]) * bs;
            }
        }
        raid.accelerators().submit(core, job.prepare(AccelKind.ERASURE_CODE, input, JOB_RMW));
    }

    @Override
    public void accelCompute(AccelJob j) {
        if (j.step() == JOB_RMW) {
            applyDelta();
        } else {
            encodeRow();
        }
    }

    @Override
    public void accelDone(AccelJob j) {
        issueRowWrites(layout.pMember(row), layout.qMember(row));
    }

    private void applyDelta() {
        int pm = layout.pMember(row);
        int qm = layout.qMember(row);
        byte[] src = sourceArray();
        for (int d = 0; d < k; d++) {
            if (!touched(d)) {
                continue;
            }
            int m = layout.dataMember(row, d, 0);
            int at = (ta[d] - c0) * bs;
            int bytes = (tb[d] - ta[d]) * bs;
            byte[] delta = array(m);
            int deltaAt = base(m) + at;
            ParityMath.xorInto(delta, deltaAt, src, sourceOffset(d), bytes);
            if (use[pm] != null) {
                ParityMath.xorInto(array(pm), base(pm) + at, delta, deltaAt, bytes);
            }
            if (qm >= 0 && use[qm] != null) {
                ParityMath.mulXorInto(array(qm), base(qm) + at, delta, deltaAt, bytes, Gf256.exp(d));
            }
        }
    }

    /**
     * Reconstruct-write: the row's columns with the new data overlaid, parity recomputed; the
     * parity is one job for the erasure-code engines, fed the k data columns.
     */
    private void rcwWrite() {
        if (needRecon) {
            if (!recoverData()) {
                finish(BdevStatus.MEDIA_ERROR);
                return;
            }
        }
        raid.accelerators().submit(core, job.prepare(AccelKind.ERASURE_CODE, (long) k * colBytes(), JOB_RCW));
    }

    private void encodeRow() {
        int pm = layout.pMember(row);
        int qm = layout.qMember(row);
        int bytes = colBytes();
        byte[] src = null;
        for (int d = 0; d < k; d++) {
            int m = layout.dataMember(row, d, 0);
            Slot s = slots[m];
            if (s.scratch != null) {
                arrs[d] = array(m);
                offs[d] = base(m);
                if (touched(d)) {
                    if (src == null) {
                        src = sourceArray();
                    }
                    System.arraycopy(src, sourceOffset(d), arrs[d], offs[d] + (ta[d] - c0) * bs, (tb[d] - ta[d]) * bs);
                }
            } else {
                // A fully overwritten strip that was not read: its new data is the column.
                if (src == null) {
                    src = sourceArray();
                }
                arrs[d] = src;
                offs[d] = sourceOffset(d);
            }
        }
        byte[] p = array(pmScratch(pm, bytes));
        int pOff = base(pm);
        byte[] q = null;
        int qOff = 0;
        if (qm >= 0) {
            q = array(pmScratch(qm, bytes));
            qOff = base(qm);
        }
        ParityMath.syndromes(arrs, offs, k, 0, bytes, p, pOff, q, qOff);
    }

    private int pmScratch(int member, int bytes) {
        scratch(member, bytes);
        return member;
    }

    // ---------------------------------------------------------------- rebuild and resync

    private void planRebuild() {
        int t = sweep.target();
        if (!raid.rebuilding(t, sweep)) {
            finish(BdevStatus.MEDIA_ERROR); // the replacement failed or was removed
            return;
        }
        int missing = snapshotMembers();
        use[t] = null;
        if (!layout.mirrored() && missing > layout.tolerance()) { // mirrors: checked per copy below
            finish(BdevStatus.MEDIA_ERROR);
            return;
        }
        int bytes = strip * bs;
        if (layout.mirrored()) {
            int src = firstCopy(layout.level == 1 ? 0 : t / 2);
            if (src < 0) {
                finish(BdevStatus.MEDIA_ERROR);
                return;
            }
            begin(STEP_REBUILD_READ);
            issue(src, BdevOp.READ, layout.memberLba(row, 0), strip, scratch(src, bytes));
            end();
            return;
        }
        begin(STEP_REBUILD_READ);
        for (int i = 0; i < n; i++) {
            if (use[i] != null) {
                issue(i, BdevOp.READ, layout.memberLba(row, 0), strip, scratch(i, bytes));
            }
        }
        end();
    }

    private void rebuildWrite() {
        int t = sweep.target();
        int bytes = strip * bs;
        ByteBuf content;
        if (layout.mirrored()) {
            content = null;
            for (Slot s : slots) {
                if (s.scratch != null) {
                    content = s.scratch;
                }
            }
        } else {
            if (!recoverData()) {
                finish(BdevStatus.MEDIA_ERROR);
                return;
            }
            int role = layout.role(row, t);
            if (role == RaidLayout.ROLE_P || role == RaidLayout.ROLE_Q) {
                ByteBuf out = scratch(t, bytes);
                raid.accelerators().charge(core, AccelKind.ERASURE_CODE, (long) k * bytes);
                if (role == RaidLayout.ROLE_P) {
                    ParityMath.syndromes(arrs, offs, k, 0, bytes, out.array(), out.arrayOffset(), null, 0);
                } else {
                    ParityMath.syndromes(arrs, offs, k, 0, bytes, null, 0, out.array(), out.arrayOffset());
                }
            }
            content = slots[t].scratch; // recoverData rebuilt a data strip there
        }
        content.setIndex(0, bytes);
        use[t] = sweep.replacement();
        begin(STEP_WRITE_DONE);
        issue(t, BdevOp.WRITE, layout.memberLba(row, 0), strip, content);
        end();
    }

    private void planResync() {
        snapshotMembers();
        int bytes = strip * bs;
        if (layout.mirrored()) {
            begin(STEP_RESYNC_READ);
            for (int d = 0; d < k; d++) {
                int src = firstCopy(d);
                if (src >= 0) {
                    issue(src, BdevOp.READ, layout.memberLba(row, 0), strip, scratch(src, bytes));
                }
            }
            end();
            return;
        }
        for (int d = 0; d < k; d++) {
            if (use[layout.dataMember(row, d, 0)] == null) {
                // The data cannot be trusted to recompute parity from: nothing better to do.
                raid.resyncSkipped(row);
                finish(BdevStatus.SUCCESS);
                return;
            }
        }
        begin(STEP_RESYNC_READ);
        for (int d = 0; d < k; d++) {
            int m = layout.dataMember(row, d, 0);
            issue(m, BdevOp.READ, layout.memberLba(row, 0), strip, scratch(m, bytes));
        }
        end();
    }

    private int firstCopy(int d) {
        for (int j = 0; j < layout.copies(); j++) {
            int m = layout.dataMember(row, d, j);
            if (use[m] != null) {
                return m;
            }
        }
        return -1;
    }

    private void resyncWrite() {
        int bytes = strip * bs;
        begin(STEP_WRITE_DONE);
        if (layout.mirrored()) {
            for (int d = 0; d < k; d++) {
                int src = firstCopy(d);
                if (src < 0) {
                    continue;
                }
                for (int j = 0; j < layout.copies(); j++) {
                    int m = layout.dataMember(row, d, j);
                    if (m != src && use[m] != null) {
                        issue(m, BdevOp.WRITE, layout.memberLba(row, 0), strip, slots[src].scratch);
                    }
                }
            }
        } else {
            for (int d = 0; d < k; d++) {
                int m = layout.dataMember(row, d, 0);
                arrs[d] = array(m);
                offs[d] = base(m);
            }
            int pm = layout.pMember(row);
            int qm = layout.qMember(row);
            ByteBuf p = scratch(pm, bytes);
            ByteBuf q = qm >= 0 ? scratch(qm, bytes) : null;
            raid.accelerators().charge(core, AccelKind.ERASURE_CODE, (long) k * bytes);
            ParityMath.syndromes(arrs, offs, k, 0, bytes, p.array(), p.arrayOffset(),
                    q == null ? null : q.array(), q == null ? 0 : q.arrayOffset());
            if (use[pm] != null) {
                issue(pm, BdevOp.WRITE, layout.memberLba(row, 0), strip, p.setIndex(0, bytes));
            }
            if (q != null && use[qm] != null) {
                issue(qm, BdevOp.WRITE, layout.memberLba(row, 0), strip, q.setIndex(0, bytes));
            }
        }
        end();
    }

    // ---------------------------------------------------------------- flush

    private void planFlush() {
        begin(STEP_FLUSH);
        for (int i = 0; i < n; i++) {
            Bdev m = raid.liveMember(i);
            use[i] = m;
            if (m != null && m.supports(BdevOp.FLUSH)) {
                issue(i, BdevOp.FLUSH, 0, 0, null);
            }
        }
        end();
    }

    // ---------------------------------------------------------------- completion

    private void releaseScratch() {
        for (Slot s : slots) {
            if (s.scratch != null) {
                s.scratch.release();
                s.scratch = null;
                s.array = null;
            }
        }
        Arrays.fill(arrs, null);
    }

    private void finish(int status) {
        releaseScratch();
        if (srcCopy != null) {
            srcCopy.release();
            srcCopy = null;
        }
        if (inRegion) {
            inRegion = false;
            raid.meta().exit(layout.region(row), core);
        }
        if (kind == REBUILD && status == BdevStatus.SUCCESS) {
            sweep.rowRebuilt(row); // before the row is released: writers then include the replacement
        }
        if (locked) {
            locked = false;
            raid.locks().release(this, row);
        }
        RaidIo p = parent;
        RowSweep s = sweep;
        long r = row;
        if (p != null) {
            p.stripeDone(status);
        } else if (s != null) {
            s.rowDone(r, status);
        }
        unref();
    }

    /** One member's I/O within the operation, with its scratch buffer for the attempt. */
    private static final class Slot implements BdevCompletion {
        final StripeOp op;
        final int index;
        final BdevIo io = new BdevIo();
        Bdev target;
        ByteBuf scratch;
        byte[] array;
        int base;
        int status;

        Slot(StripeOp op, int index) {
            this.op = op;
            this.index = index;
        }

        @Override
        public void bdevIoDone(BdevIo io) {
            status = io.status();
            op.memberDone();
        }
    }
}
