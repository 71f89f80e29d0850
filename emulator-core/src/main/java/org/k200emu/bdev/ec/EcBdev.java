package org.k200emu.bdev.ec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.Recycler;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.k200emu.bdev.Accelerated;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevGeometry;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.cluster.accel.Accelerators;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code ec} bdev: a volume erasure-coded over k+m member bdevs with a systematic
 * {@link ReedSolomon} code, so that it survives the loss of any m members. Members may be local
 * or (later) remote namespaces on other cards: nothing assumes when their I/O completes.
 *
 * <h2>Layout</h2>
 * The volume is striped: stripe s holds k data strips and m parity strips of a configurable
 * size, one strip per member, the parity rotating across members from stripe to stripe (see
 * {@link EcLayout}). Capacity is k times the smallest member, less a reserved metadata area of
 * at least one strip, rounded down to whole stripes.
 *
 * <h2>I/O</h2>
 * A read of a strip on a healthy member goes straight to that member. An update covers a column
 * range of a stripe: if it covers all k data strips it is encoded directly from the caller's
 * buffer, otherwise the rest of the range is read from the other data strips and the parity is
 * encoded afresh. Updates and degraded reads of one stripe are serialized by a lock-free
 * per-stripe in-flight table ({@link StripeLocks}): the second waits behind the first and
 * resumes on its own core's executor. WRITE_ZEROES and UNMAP are updates writing zeroes; FLUSH
 * flushes every healthy member.
 *
 * <h2>Failures</h2>
 * A member whose I/O fails is marked failed (one compare-and-set of an immutable snapshot of the
 * member states) and is neither read nor written again until it is replaced; the I/O goes on
 * degraded. Reads rebuild the missing strips from any k readable ones; updates write the
 * surviving members so the stripe stays decodable from them. With fewer than k members holding
 * a stripe, I/O completes MEDIA_ERROR, never with wrong data. Member states live in every
 * member's superblock with an epoch; an update that skipped a failed member is acknowledged only
 * once the superblocks say so, so that a member that failed and comes back after a restart is
 * not trusted. {@link #replace} puts a new bdev in a failed slot and rebuilds it in the
 * background ({@link EcRebuild}) while I/O continues.
 *
 * <h2>The write hole</h2>
 * A crash in the middle of a stripe update can leave data and parity strips that disagree; the
 * stripe then reads fine, but after a later member loss the reconstruction would be garbage.
 * Against this each member's metadata area holds a write-intent bitmap, one bit per region of
 * stripes, replicated on every member ({@link EcMetadata}): before a stripe is updated, its
 * region's bit is written to all writable members (once, while the region stays busy: the hot
 * path only counts the update in); bits of idle regions are cleared lazily (when too many are
 * set, after a FLUSH, and at a clean {@link #close}). When an EcBdev is opened over members whose
 * bitmaps have bits set (the union over the healthy members), every stripe of those regions is
 * resynced before the volume is handed out: its parity is recomputed from its data strips. Limits:
 * a torn update leaves each data block old or new (not atomic, as on any disk); a crash while
 * the volume is already degraded can lose the missing strip of a torn stripe (the classic hole,
 * resynced here from the surviving data); members with a volatile write cache order metadata
 * before data only up to what their FLUSH guarantees.
 *
 * <h2>Opening</h2>
 * {@link #create} formats members that hold no superblock of an EC volume (assuming they read as
 * zeroes, as new malloc, null and sparse file bdevs do, for which zero parity is right), and
 * otherwise opens the volume they hold: the newest superblock decides member states, a member
 * that is missing, stale or failed counts as failed, and dirty regions are resynced. It blocks
 * on member I/O; it is a control-plane call.
 *
 * <p>Encoding and reconstruction are erasure-code jobs for the card's accelerators
 * ({@link Accelerated}), on the cluster of the operation's core, fed k shards of the column range.
 *
 * <p>The EcBdev does not own its members: whoever created them closes them (after this).
 */
public final class EcBdev implements Bdev, Accelerated {

    private static final Logger LOG = LoggerFactory.getLogger(EcBdev.class);
    private static final Executor DIRECT = Runnable::run;
    private static final long CONTROL_TIMEOUT_SECONDS = 30;

    private final String name;
    private final EcLayout layout;
    private final ReedSolomon codec;
    private volatile Accelerators accel = Accelerators.k200();
    private final StripeLocks locks;
    private final EcMetadata metadata;
    private final AtomicReference<MemberStates> states;
    private final long setIdHigh;
    private final long setIdLow;
    private final boolean volatileCache;
    private final ByteBuf zeroes;
    private volatile boolean closed;
    private volatile EcRebuild rebuild;
    private volatile long resyncedStripes;

    private final Recycler<StripeOp> ops = new Recycler<StripeOp>() {
        @Override
        protected StripeOp newObject(Handle<StripeOp> handle) {
            return new StripeOp(handle, EcBdev.this);
        }
    };
    private final Recycler<ParentIo> parents = new Recycler<ParentIo>() {
        @Override
        protected ParentIo newObject(Handle<ParentIo> handle) {
            return new ParentIo(handle, EcBdev.this);
        }
    };
    private final Recycler<DirectRead> directReads = new Recycler<DirectRead>() {
        @Override
        protected DirectRead newObject(Handle<DirectRead> handle) {
            return new DirectRead(handle, EcBdev.this);
        }
    };
    private final Recycler<FlushIo> flushes = new Recycler<FlushIo>() {
        @Override
        protected FlushIo newObject(Handle<FlushIo> handle) {
            return new FlushIo(handle, EcBdev.this);
        }
    };

    private EcBdev(String name, EcLayout layout, MemberStates initial, long setIdHigh, long setIdLow, long epoch) {
        this.name = name;
        this.layout = layout;
        this.codec = new ReedSolomon(layout.k, layout.m);
        this.locks = new StripeLocks(layout.stripes);
        this.states = new AtomicReference<>(initial);
        this.setIdHigh = setIdHigh;
        this.setIdLow = setIdLow;
        boolean vwc = false;
        for (int d = 0; d < layout.n; d++) {
            vwc |= initial.bdev(d).hasVolatileWriteCache();
        }
        this.volatileCache = vwc;
        this.metadata = new EcMetadata(this, layout, epoch, initial.version - 1);
        this.zeroes = PooledByteBufAllocator.DEFAULT.heapBuffer(layout.stripBytes, layout.stripBytes);
        zeroes.writeZero(layout.stripBytes);
    }

    // ------------------------------------------------------------------ factory

    /**
     * Opens the EC volume held by {@code members} (in slot order), or formats them if they hold
     * none. {@code k} data and {@code m} parity members, {@code k + m <= 255}; all members of one
     * block size; {@code stripBytes} a multiple of it. Throws IllegalArgumentException for a bad
     * configuration or members of another volume or order, IllegalStateException if more than m
     * members are unusable.
     */
    public static EcBdev create(String name, int k, int m, List<Bdev> members, int stripBytes) {
        return create(name, k, m, members, stripBytes, EcLayout.DEFAULT_REGION_BYTES);
    }

    /**
     * {@link #create(String, int, int, List, int)} with write-intent regions of about
     * {@code regionBytes} of volume data when formatting (an opened volume keeps its own).
     */
    static EcBdev create(String name, int k, int m, List<Bdev> members, int stripBytes, long regionBytes) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("bdev name must not be empty");
        }
        if (k < 1 || m < 1 || k + m > 255) {
            throw new IllegalArgumentException("bdev " + name + ": need 1 <= k, 1 <= m, k + m <= 255; got k=" + k
                    + " m=" + m);
        }
        if (members == null || members.size() != k + m) {
            throw new IllegalArgumentException("bdev " + name + ": " + (k + m) + " members needed, "
                    + (members == null ? 0 : members.size()) + " given");
        }
        int blockSize = members.get(0).blockSize();
        long smallest = Long.MAX_VALUE;
        for (Bdev b : members) {
            if (b.blockSize() != blockSize) {
                throw new IllegalArgumentException("bdev " + name + ": members have block sizes " + blockSize
                        + " and " + b.blockSize() + " (" + b.name() + ")");
            }
            smallest = Math.min(smallest, b.blockCount());
        }
        if (stripBytes <= 0 || stripBytes % blockSize != 0) {
            throw new IllegalArgumentException("bdev " + name + ": strip size " + stripBytes
                    + " is not a multiple of the block size " + blockSize);
        }
        int n = k + m;
        Bdev[] bdevs = members.toArray(new Bdev[0]);
        EcSuperblock[] found = new EcSuperblock[n];
        boolean[] unreadable = new boolean[n];
        for (int d = 0; d < n; d++) {
            ByteBuf buf = PooledByteBufAllocator.DEFAULT.heapBuffer(blockSize, blockSize);
            try {
                if (syncIo(bdevs[d], BdevOp.READ, 0, 1, buf) == BdevStatus.SUCCESS) {
                    found[d] = EcSuperblock.readFrom(buf);
                } else {
                    unreadable[d] = true;
                }
            } finally {
                buf.release();
            }
        }
        EcSuperblock newest = null;
        for (EcSuperblock sb : found) {
            if (sb != null && (newest == null || sb.epoch() > newest.epoch())) {
                newest = sb;
            }
        }
        EcBdev ec = newest == null
                ? format(name, k, m, bdevs, blockSize, stripBytes, smallest, regionBytes, unreadable)
                : open(name, k, m, bdevs, blockSize, stripBytes, found, newest);
        try {
            ec.metadata.rewriteBitmap();
            ec.metadata.persistStates();
            ec.metadata.quiesce().get(CONTROL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            ec.releaseMemory();
            throw new IllegalStateException("bdev " + name + ": writing the metadata of the members failed", e);
        }
        int failed = ec.states().count(MemberStates.FAILED);
        if (failed > m) {
            ec.releaseMemory();
            throw new IllegalStateException("bdev " + name + ": " + failed + " of " + n
                    + " members failed while opening; at most " + m + " may be missing");
        }
        LOG.info("bdev {}: ec {}+{} over {}, {}-byte strips, {} stripes, {} blocks, {} failed member(s)",
                name, k, m, memberNames(bdevs), stripBytes, ec.layout.stripes, ec.layout.volumeBlocks, failed);
        return ec;
    }

    private static EcBdev format(String name, int k, int m, Bdev[] bdevs, int blockSize, int stripBytes,
                                 long smallest, long regionBytes, boolean[] unreadable) {
        EcLayout layout = EcLayout.forMembers(k, m, blockSize, stripBytes, smallest, regionBytes);
        byte[] st = new byte[k + m];
        for (int d = 0; d < st.length; d++) {
            st[d] = unreadable[d] ? MemberStates.FAILED : MemberStates.HEALTHY;
        }
        requireEnough(name, st, m);
        UUID id = UUID.randomUUID();
        LOG.info("bdev {}: formatting {} as a new ec {}+{} volume", name, memberNames(bdevs), k, m);
        return new EcBdev(name, layout, new MemberStates(1, st, bdevs), id.getMostSignificantBits(),
                id.getLeastSignificantBits(), 0);
    }

    private static EcBdev open(String name, int k, int m, Bdev[] bdevs, int blockSize, int stripBytes,
                               EcSuperblock[] found, EcSuperblock newest) {
        if (newest.k() != k || newest.m() != m || newest.stripBytes() != stripBytes || newest.blockSize() != blockSize) {
            throw new IllegalArgumentException("bdev " + name + ": the members hold an ec " + newest.k() + "+"
                    + newest.m() + " volume of " + newest.stripBytes() + "-byte strips and " + newest.blockSize()
                    + "-byte blocks, not " + k + "+" + m + " of " + stripBytes + " and " + blockSize);
        }
        EcLayout layout = new EcLayout(k, m, blockSize, stripBytes, newest.stripes(), newest.regionStripes());
        byte[] st = new byte[k + m];
        for (int d = 0; d < st.length; d++) {
            EcSuperblock sb = found[d];
            if (sb != null && sb.sameSet(newest) && sb.memberIndex() != d) {
                throw new IllegalArgumentException("bdev " + name + ": member " + bdevs[d].name() + " is slot "
                        + sb.memberIndex() + " of the volume, given as slot " + d);
            }
            boolean current = sb != null && sb.sameSet(newest) && newest.states()[d] == MemberStates.HEALTHY
                    && bdevs[d].blockCount() >= layout.memberBlocksUsed();
            st[d] = current ? MemberStates.HEALTHY : MemberStates.FAILED;
            if (!current) {
                LOG.warn("bdev {}: member {} ({}) is not current and counts as failed", name, d, bdevs[d].name());
            }
        }
        requireEnough(name, st, m);
        EcBdev ec = new EcBdev(name, layout, new MemberStates(1, st, bdevs), newest.setIdHigh(), newest.setIdLow(),
                newest.epoch());
        try {
            ec.resyncDirtyRegions();
        } catch (RuntimeException e) {
            ec.releaseMemory();
            throw e;
        }
        return ec;
    }

    private static void requireEnough(String name, byte[] st, int m) {
        int failed = 0;
        for (byte s : st) {
            if (s != MemberStates.HEALTHY) {
                failed++;
            }
        }
        if (failed > m) {
            throw new IllegalStateException("bdev " + name + ": " + failed + " of " + st.length
                    + " members are missing or failed; at most " + m + " may be");
        }
    }

    /** Reads the bitmaps of the healthy members and recomputes the parity of every stripe of a dirty region. */
    private void resyncDirtyRegions() {
        byte[] union = new byte[layout.bitmapBlocks * layout.blockSize];
        for (int d = 0; d < layout.n; d++) {
            MemberStates st = states();
            if (!st.readable(d)) {
                continue;
            }
            ByteBuf buf = PooledByteBufAllocator.DEFAULT.heapBuffer(union.length, union.length);
            try {
                int status = syncIo(st.bdev(d), BdevOp.READ, 1, layout.bitmapBlocks, buf);
                if (status != BdevStatus.SUCCESS) {
                    markFailed(d, st.bdev(d), status);
                    continue;
                }
                for (int i = 0; i < union.length; i++) {
                    union[i] |= buf.getByte(i);
                }
            } finally {
                buf.release();
            }
        }
        List<Long> dirty = new ArrayList<>();
        for (int r = 0; r < layout.regions; r++) {
            if ((union[r >>> 3] & 1 << (r & 7)) != 0) {
                long first = (long) r * layout.regionStripes;
                long last = Math.min(layout.stripes, first + layout.regionStripes);
                for (long s = first; s < last; s++) {
                    dirty.add(s);
                }
            }
        }
        if (dirty.isEmpty()) {
            return;
        }
        LOG.warn("bdev {}: not closed cleanly; resyncing the parity of {} stripe(s) in dirty regions", name,
                dirty.size());
        CompletableFuture<Integer> done = new CompletableFuture<>();
        PieceWindow resync = new PieceWindow() {
            private int next;

            @Override
            boolean hasMore() {
                return next < dirty.size();
            }

            @Override
            void dispatchNext() {
                piece();
                newOp().init(StripeOp.Kind.RESYNC, dirty.get(next++), 0, layout.stripBytes, 0, -1, this, DIRECT,
                        null, 0).start();
            }

            @Override
            void finish(int status) {
                done.complete(status);
            }
        };
        resync.begin(EcRebuild.IN_FLIGHT);
        int status = await(done);
        if (status != BdevStatus.SUCCESS) {
            LOG.warn("bdev {}: resync incomplete ({}): stripes of dirty regions may not decode after a member loss",
                    name, BdevStatus.name(status));
        }
        resyncedStripes = dirty.size();
    }

    // ------------------------------------------------------------------ Bdev

    @Override
    public String name() {
        return name;
    }

    @Override
    public int blockSize() {
        return layout.blockSize;
    }

    @Override
    public long blockCount() {
        return layout.volumeBlocks;
    }

    @Override
    public String module() {
        return "ec";
    }

    @Override
    public boolean supports(BdevOp op) {
        return true;
    }

    @Override
    public boolean hasVolatileWriteCache() {
        return volatileCache;
    }

    public int dataMembers() {
        return layout.k;
    }

    public int parityMembers() {
        return layout.m;
    }

    public int stripBytes() {
        return layout.stripBytes;
    }

    @Override
    public void submit(BdevIo io) {
        if (closed) {
            io.complete(BdevStatus.ABORTED);
            return;
        }
        int status = BdevGeometry.validate(io, layout.blockSize, layout.volumeBlocks);
        if (status != BdevStatus.SUCCESS) {
            io.complete(status);
            return;
        }
        if (io.op() == BdevOp.FLUSH) {
            flushes.get().start(io);
            return;
        }
        if (io.numBlocks() == 0) {
            io.complete(BdevStatus.SUCCESS);
            return;
        }
        parents.get().start(io);
    }

    // ------------------------------------------------------------------ members

    /** The state of every member slot. */
    public List<EcMemberState> memberStates() {
        MemberStates st = states();
        List<EcMemberState> out = new ArrayList<>(layout.n);
        for (int d = 0; d < layout.n; d++) {
            out.add(EcMemberState.of(st.get(d)));
        }
        return out;
    }

    /** The bdev in member slot {@code index} now. */
    public Bdev memberBdev(int index) {
        return states().bdev(index);
    }

    public EcStatus status() {
        MemberStates st = states();
        return new EcStatus(memberStates(), st.count(MemberStates.FAILED), Optional.ofNullable(rebuild),
                metadata.dirtyRegions(), resyncedStripes);
    }

    /**
     * Puts {@code replacement} in the failed slot {@code memberIndex} and rebuilds its strips in
     * the background on {@code core}, with I/O going on meanwhile. One rebuild at a time. The
     * replacement must have this volume's block size and room for its layout; its old content is
     * overwritten. The EcBdev does not take ownership of it.
     */
    public EcRebuild replace(int memberIndex, Bdev replacement, Executor core) {
        if (closed) {
            throw new IllegalStateException("bdev " + name + " is closed");
        }
        if (memberIndex < 0 || memberIndex >= layout.n) {
            throw new IllegalArgumentException("bdev " + name + ": no member slot " + memberIndex);
        }
        if (replacement.blockSize() != layout.blockSize || replacement.blockCount() < layout.memberBlocksUsed()) {
            throw new IllegalArgumentException("bdev " + name + ": replacement " + replacement.name() + " needs "
                    + layout.memberBlocksUsed() + " blocks of " + layout.blockSize + " bytes");
        }
        EcRebuild running = rebuild;
        if (running != null && !running.isDone()) {
            throw new IllegalStateException("bdev " + name + ": member " + running.member() + " is being rebuilt");
        }
        EcRebuild r = new EcRebuild(this, memberIndex, replacement, core);
        for (;;) {
            MemberStates cur = states.get();
            if (cur.get(memberIndex) != MemberStates.FAILED) {
                throw new IllegalStateException("bdev " + name + ": member " + memberIndex + " is "
                        + EcMemberState.of(cur.get(memberIndex)) + ", only a FAILED member can be replaced");
            }
            if (states.compareAndSet(cur, cur.replaced(memberIndex, replacement, MemberStates.REBUILDING))) {
                break;
            }
        }
        rebuild = r;
        LOG.info("bdev {}: rebuilding member {} on {}", name, memberIndex, replacement.name());
        metadata.rewriteBitmap();
        metadata.persistStates();
        r.start();
        return r;
    }

    /**
     * Marks member {@code d} failed after {@code which} (the bdev in that slot when the I/O was
     * issued) failed an I/O with {@code status}. A late failure of a bdev that has been replaced
     * meanwhile changes nothing.
     */
    void markFailed(int d, Bdev which, int status) {
        for (;;) {
            MemberStates cur = states.get();
            if (cur.bdev(d) != which || cur.get(d) == MemberStates.FAILED) {
                return;
            }
            if (states.compareAndSet(cur, cur.with(d, MemberStates.FAILED))) {
                break;
            }
        }
        int failed = states().count(MemberStates.FAILED);
        LOG.warn("bdev {}: member {} ({}) failed an I/O ({}); {} of {} members failed{}", name, d, which.name(),
                BdevStatus.name(status), failed, layout.n, failed > layout.m ? ": the volume is lost" : "");
        metadata.persistStates();
    }

    void rebuildFinished(EcRebuild r, CompletableFuture<Void> completion) {
        for (;;) {
            MemberStates cur = states.get();
            if (cur.get(r.member()) != MemberStates.REBUILDING || cur.bdev(r.member()) != r.target()) {
                completion.completeExceptionally(new IllegalStateException("bdev " + name + ": member " + r.member()
                        + " changed during its rebuild"));
                return;
            }
            MemberStates next = cur.with(r.member(), MemberStates.HEALTHY);
            if (states.compareAndSet(cur, next)) {
                LOG.info("bdev {}: member {} rebuilt", name, r.member());
                metadata.awaitDurable(next.version, () -> completion.complete(null));
                return;
            }
        }
    }

    void rebuildStopped(EcRebuild r) {
        for (;;) {
            MemberStates cur = states.get();
            if (cur.get(r.member()) != MemberStates.REBUILDING || cur.bdev(r.member()) != r.target()) {
                return;
            }
            if (states.compareAndSet(cur, cur.with(r.member(), MemberStates.FAILED))) {
                metadata.persistStates();
                return;
            }
        }
    }

    // ------------------------------------------------------------------ for the pieces

    EcLayout layout() {
        return layout;
    }

    ReedSolomon codec() {
        return codec;
    }

    @Override
    public void useAccelerators(Accelerators accelerators) {
        this.accel = java.util.Objects.requireNonNull(accelerators, "accelerators");
    }

    @Override
    public Accelerators accelerators() {
        return accel;
    }

    StripeLocks locks() {
        return locks;
    }

    EcMetadata metadata() {
        return metadata;
    }

    MemberStates states() {
        return states.get();
    }

    Bdev member(int d) {
        return states.get().bdev(d);
    }

    /** A strip of zeroes (heap, pooled) for WRITE_ZEROES and UNMAP; never written. */
    ByteBuf zeroes() {
        return zeroes;
    }

    boolean isClosed() {
        return closed;
    }

    StripeOp newOp() {
        return ops.get();
    }

    DirectRead newDirectRead() {
        return directReads.get();
    }

    EcSuperblock superblock(int member, long epoch, MemberStates snapshot) {
        return new EcSuperblock(setIdHigh, setIdLow, epoch, layout.k, layout.m, layout.stripBytes, layout.blockSize,
                member, layout.stripes, layout.regionStripes, snapshot.toBytes());
    }

    // ------------------------------------------------------------------ closing

    /**
     * Stops a rebuild, clears the write-intent bits (a clean shutdown: the next open resyncs
     * nothing) and frees memory. Outstanding I/O must have completed; later I/O completes
     * ABORTED. The members stay open: their owner closes them.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            metadata.quiesce().get(CONTROL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            LOG.warn("bdev {}: members did not take the clean bitmap within {} s", name, CONTROL_TIMEOUT_SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            LOG.warn("bdev {}: clearing the write-intent bitmap failed: {}", name, e.getCause().toString());
        }
        releaseMemory();
    }

    private void releaseMemory() {
        if (zeroes.refCnt() > 0) {
            zeroes.release();
        }
    }

    // ------------------------------------------------------------------ control-plane helpers

    /** One member I/O, waited for (control plane only); MEDIA_ERROR if it does not complete in time. */
    private static int syncIo(Bdev bdev, BdevOp op, long lba, long blocks, ByteBuf buf) {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        BdevIo io = new BdevIo();
        io.prepare(op, lba, blocks, buf, DIRECT, x -> done.complete(x.status()), null);
        bdev.submit(io);
        return await(done);
    }

    private static int await(CompletableFuture<Integer> done) {
        try {
            return done.get(CONTROL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return BdevStatus.ABORTED;
        } catch (TimeoutException | ExecutionException e) {
            return BdevStatus.MEDIA_ERROR;
        }
    }

    private static String memberNames(Bdev[] bdevs) {
        StringBuilder sb = new StringBuilder();
        for (Bdev b : bdevs) {
            sb.append(sb.length() == 0 ? "" : ",").append(b.name());
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "EcBdev[" + name + " " + layout.k + "+" + layout.m + " " + memberStates() + "]";
    }
}
