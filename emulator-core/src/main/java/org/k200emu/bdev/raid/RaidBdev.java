package org.k200emu.bdev.raid;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
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
 * The {@code raid} bdev: RAID 0, 1, 10, 5 or 6 stacked on member bdevs of one block size, with a
 * configurable strip (chunk). Where each block lives is {@link RaidLayout}'s business; each host
 * I/O becomes one {@link StripeOp} per row (stripe) it touches.
 *
 * <p><b>Capacity.</b> Every member gives {@link RaidLayout#META_BYTES} (8 KiB) to metadata at its
 * start (superblock and write-intent bitmap, {@link Superblock}); the rest, rounded down to whole
 * strips of the smallest member, holds rows. The volume is rows x data strips x strip.
 *
 * <p><b>Writes.</b> A full row computes parity from the new data; a partial row does
 * read-modify-write or reconstruct-write, whichever reads less. Writes to one row are serialized
 * by a lock-free per-row queue ({@link StripeLocks}): the second writer waits without a thread and
 * is resumed on its own core when the first is done. Mirrors take the same row lock, so two
 * writers never leave the copies different. RAID 0 takes none.
 *
 * <p><b>Failures.</b> A member I/O that completes with anything but SUCCESS (OUT_OF_RANGE and
 * BAD_BUFFER excepted: they are this layer's bugs and fail the I/O) marks the member
 * {@linkplain MemberState#FAILED failed} with one compare-and-set, and the row is planned again
 * without it: reads reconstruct from the survivors (one missing strip for RAID 5, any two for
 * RAID 6, the other copy for mirrors), writes update what survives so the missing strip stays
 * recoverable. A row that lost more members than the level tolerates completes
 * {@link BdevStatus#MEDIA_ERROR}; no wrong data is ever returned. Member failures are written to
 * the surviving members' superblocks before the first degraded write goes on.
 *
 * <p><b>Rebuild.</b> {@link #replace} puts a new bdev in a failed member's place and rebuilds it
 * row by row on the given core (a few rows in flight) while host I/O goes on: once a row is
 * rebuilt, writes to it include the replacement and reads may use it; reads of rows not yet
 * rebuilt never touch it. {@link #members()} reports progress; the returned future completes
 * when the member is healthy again (and that is persisted).
 *
 * <p><b>The write hole.</b> A crash between the data and the parity (or between two mirror
 * copies) would leave a row whose parity disagrees with its data, so that a later member
 * failure reconstructs garbage. The array keeps a write-intent bitmap (one bit per region of
 * rows) in every member's metadata: a write may only touch the members once its region's bit is
 * on every non-failed member; bits are cleared lazily, after the members were flushed, when the
 * regions are idle (after a host FLUSH, after some regions went idle, and at close). When an
 * array is opened over members whose bitmap has bits set, the parity (or the mirrors) of those
 * regions is recomputed from the data before the first I/O is served, so after a crash every
 * row is consistent again: a write in flight at the crash reads back as old or new data per
 * strip, and the rest of its row survives a later failure. A row that is both dirty and already
 * missing a data member at open cannot be repaired this way; it is left as it is and counted.
 * A new array is fully resynced when created, so members need not start zeroed.
 *
 * <p><b>Operations.</b> READ, WRITE and FLUSH are native. WRITE_ZEROES and UNMAP are emulated as
 * writes of zeroes ({@link #supports} reports them, since the emulation is exact: later reads
 * return zeroes). FLUSH goes to every member in service; it fails only if the array lost data.
 *
 * <p><b>Accelerators.</b> A parity write's P/Q work is an erasure-code job for the card's
 * accelerators ({@link Accelerated}) on the cluster of the I/O's core; recovering a missing strip
 * and the rebuild and resync parity are counted there without pacing.
 *
 * <p><b>Threads.</b> Any number of cores may submit at once. The I/O path takes no lock: row
 * queues, member states and the metadata writer are atomics and lock-free structures, and the
 * per-I/O contexts come from lock-free pools. Member I/Os carry the parent I/O's core, so every
 * completion runs there. The control-plane methods ({@link #create}, {@link #open},
 * {@link #replace}, {@link #close}) may block.
 *
 * <p>Owned by the registry that created it. It does not own its members: closing it leaves them
 * open (the registry closes them), and a member must not be written by anything else meanwhile.
 */
public final class RaidBdev implements Bdev, Accelerated {

    private static final Logger LOG = LoggerFactory.getLogger(RaidBdev.class);

    static final int HEALTHY = 0;
    static final int FAILED = 1;
    static final int REBUILDING = 2;

    /** How long the control plane waits for metadata I/O or a resync. */
    private static final long CONTROL_TIMEOUT_SECONDS = 600;
    /** How long close waits for a rebuild to stop and for the final metadata write. */
    private static final long CLOSE_TIMEOUT_SECONDS = 30;
    private static final Executor INLINE = Runnable::run;

    private final String name;
    private final RaidLayout layout;
    private volatile Accelerators accel = Accelerators.k200();
    private final long arrayId;
    private final AtomicReferenceArray<Bdev> members;
    private final AtomicIntegerArray states;
    private final AtomicReferenceArray<RowSweep> rebuilds;
    private final AtomicLong stateGen = new AtomicLong();
    private final StripeLocks locks = new StripeLocks(10);
    private final MetadataWriter meta;
    private final ObjectPool<StripeOp> ops;
    private final ObjectPool<RaidIo> ios;
    private final byte[] zeroArray;
    private final ByteBuf zeroes;
    private final AtomicLong resyncSkipped = new AtomicLong();
    /** How rows were written and read, for tests and diagnostics. */
    final LongAdder fullRowWrites = new LongAdder();
    final LongAdder rmwWrites = new LongAdder();
    final LongAdder rcwWrites = new LongAdder();
    final LongAdder degradedReads = new LongAdder();
    final LongAdder retries = new LongAdder();
    private final Object control = new Object();
    private long lastResyncRows;
    private volatile boolean closed;

    private RaidBdev(String name, RaidLayout layout, long arrayId, List<Bdev> members, int[] states, long events,
                     long[] dirty) {
        this.name = name;
        this.layout = layout;
        this.arrayId = arrayId;
        this.members = new AtomicReferenceArray<>(members.toArray(new Bdev[0]));
        this.states = new AtomicIntegerArray(states);
        this.rebuilds = new AtomicReferenceArray<>(layout.members);
        this.meta = new MetadataWriter(this, layout, events, dirty);
        this.ops = new ObjectPool<>(64, () -> new StripeOp(this));
        this.ios = new ObjectPool<>(64, () -> new RaidIo(this));
        this.zeroArray = new byte[layout.stripBlocks * layout.blockSize];
        this.zeroes = Unpooled.wrappedBuffer(zeroArray);
    }

    // ---------------------------------------------------------------- factories

    /**
     * Creates a new array over {@code members} (in this order), writing fresh metadata over
     * whatever they held, and makes its redundancy consistent (a full resync) before returning.
     *
     * @param level 0, 1, 10, 5 or 6
     * @param stripBytes strip (chunk) size, a multiple of the members' block size, e.g. 65536
     * @throws IllegalArgumentException if the parameters or the members do not make an array
     */
    public static RaidBdev create(String name, int level, List<Bdev> members, int stripBytes) {
        RaidLayout layout = newLayout(name, level, members, stripBytes);
        long[] all = null;
        if (level != 0) {
            all = new long[(layout.regionCount + 63) / 64];
            for (int r = 0; r < layout.regionCount; r++) {
                all[r >>> 6] |= 1L << r;
            }
        }
        long id = UUID.randomUUID().getMostSignificantBits();
        RaidBdev raid = new RaidBdev(name, layout, id, members, new int[members.size()], 0, all);
        raid.startup(all, true);
        LOG.info("raid {}: created RAID {} over {} members, strip {} B, {} blocks", name, level, members.size(),
                stripBytes, layout.capacity());
        return raid;
    }

    /**
     * Opens the array whose metadata {@code members} carry (in their original order), marking
     * members that missed updates or carry no valid metadata as failed, and resyncs the regions
     * the write-intent bitmap marks dirty before returning.
     *
     * @throws IllegalArgumentException if no member carries RAID metadata, or they disagree
     */
    public static RaidBdev open(String name, List<Bdev> members) {
        return open(name, members, true);
    }

    /**
     * Opens the array if any member carries its metadata (checking that the level and strip
     * match), otherwise creates it: what the configuration code calls on every start.
     */
    public static RaidBdev assemble(String name, int level, List<Bdev> members, int stripBytes) {
        Superblock[] found = readSuperblocks(name, members);
        Superblock auth = authoritative(found);
        if (auth == null) {
            return create(name, level, members, stripBytes);
        }
        if (auth.level() != level || (long) auth.stripBlocks() * auth.blockSize() != stripBytes) {
            throw new IllegalArgumentException("bdev " + name + ": the members hold RAID " + auth.level() + " with "
                    + (long) auth.stripBlocks() * auth.blockSize() + " B strips, not RAID " + level + " with "
                    + stripBytes + " B strips");
        }
        return open(name, members, true);
    }

    /** {@link #open(String, List)}; {@code resync} false skips the write-hole repair (tests only). */
    static RaidBdev open(String name, List<Bdev> members, boolean resync) {
        if (name == null || name.isBlank() || members == null || members.isEmpty()) {
            throw new IllegalArgumentException("bdev " + name + ": a RAID needs a name and members");
        }
        Superblock[] found = readSuperblocks(name, members);
        Superblock auth = authoritative(found);
        if (auth == null) {
            throw new IllegalArgumentException("bdev " + name + ": no member carries RAID metadata");
        }
        if (auth.members() != members.size()) {
            throw new IllegalArgumentException("bdev " + name + ": the array has " + auth.members() + " members, "
                    + members.size() + " given");
        }
        RaidLayout layout = new RaidLayout(auth.level(), auth.members(), auth.blockSize(), auth.stripBlocks(),
                auth.rows());
        if (layout.regionRows != auth.regionRows() || layout.regionCount != auth.regionCount()) {
            throw new IllegalArgumentException("bdev " + name + ": inconsistent bitmap geometry in the metadata");
        }
        int[] states = new int[members.size()];
        long[] dirty = new long[(layout.regionCount + 63) / 64];
        for (int i = 0; i < members.size(); i++) {
            Bdev m = members.get(i);
            Superblock sb = found[i];
            if (sb != null && sb.arrayId() != auth.arrayId()) {
                throw new IllegalArgumentException("bdev " + name + ": member " + m.name()
                        + " belongs to another array");
            }
            if (sb != null && sb.memberIndex() != i) {
                throw new IllegalArgumentException("bdev " + name + ": member " + m.name() + " is member "
                        + sb.memberIndex() + " of the array, given as " + i);
            }
            boolean failed = sb == null || (auth.failedMask() & (1L << i)) != 0;
            if (!failed && (m.blockSize() != layout.blockSize
                    || RaidLayout.rowsFor(m.blockCount(), layout.blockSize, layout.stripBlocks) < layout.rows)) {
                throw new IllegalArgumentException("bdev " + name + ": member " + m.name() + " is too small");
            }
            if (failed) {
                states[i] = FAILED;
                LOG.warn("raid {}: member {} ({}) is out of service: {}", name, i, m.name(),
                        sb == null ? "no valid metadata" : "failed before");
            } else {
                for (int w = 0; w < dirty.length; w++) {
                    dirty[w] |= sb.bitmap()[w];
                }
            }
        }
        RaidBdev raid = new RaidBdev(name, layout, auth.arrayId(), members, states, auth.events(), dirty);
        raid.startup(dirty, resync);
        LOG.info("raid {}: opened RAID {} over {} members, {} rows resynced", name, layout.level, members.size(),
                raid.lastResyncRows);
        return raid;
    }

    private static RaidLayout newLayout(String name, int level, List<Bdev> members, int stripBytes) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("bdev name must not be empty");
        }
        if (members == null || members.isEmpty() || members.stream().anyMatch(Objects::isNull)) {
            throw new IllegalArgumentException("bdev " + name + ": a RAID needs members");
        }
        int blockSize = members.get(0).blockSize();
        String problem = RaidLayout.problem(level, members.size(), blockSize, stripBytes);
        if (problem != null) {
            throw new IllegalArgumentException("bdev " + name + ": " + problem);
        }
        long minBlocks = Long.MAX_VALUE;
        for (Bdev m : members) {
            if (m.blockSize() != blockSize) {
                throw new IllegalArgumentException("bdev " + name + ": members must have one block size: "
                        + m.name() + " has " + m.blockSize() + ", " + members.get(0).name() + " " + blockSize);
            }
            if (members.indexOf(m) != members.lastIndexOf(m)) {
                throw new IllegalArgumentException("bdev " + name + ": member " + m.name() + " given twice");
            }
            minBlocks = Math.min(minBlocks, m.blockCount());
        }
        int stripBlocks = stripBytes / blockSize;
        long rows = RaidLayout.rowsFor(minBlocks, blockSize, stripBlocks);
        if (rows <= 0) {
            throw new IllegalArgumentException("bdev " + name + ": members too small for metadata and one strip");
        }
        RaidLayout layout = new RaidLayout(level, members.size(), blockSize, stripBlocks, rows);
        BdevGeometry.check(name, blockSize, layout.capacity());
        return layout;
    }

    /** Reads every member's metadata; null where it is unreadable or not valid. */
    private static Superblock[] readSuperblocks(String name, List<Bdev> members) {
        Superblock[] found = new Superblock[members.size()];
        for (int i = 0; i < found.length; i++) {
            Bdev m = members.get(i);
            if (m == null || m.blockCount() * m.blockSize() < RaidLayout.META_BYTES) {
                continue;
            }
            ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(RaidLayout.META_BYTES);
            try {
                CompletableFuture<Integer> done = new CompletableFuture<>();
                BdevIo io = new BdevIo().prepare(BdevOp.READ, 0, RaidLayout.META_BYTES / m.blockSize(), buf, INLINE,
                        d -> done.complete(d.status()), null);
                m.submit(io);
                if (await(done, name, "reading the metadata of " + m.name()) == BdevStatus.SUCCESS) {
                    found[i] = Superblock.decode(buf);
                }
            } finally {
                buf.release();
            }
        }
        return found;
    }

    private static Superblock authoritative(Superblock[] found) {
        Superblock auth = null;
        for (Superblock sb : found) {
            if (sb != null && (auth == null || sb.events() > auth.events())) {
                auth = sb;
            }
        }
        return auth;
    }

    private static <T> T await(CompletableFuture<T> future, String name, String what) {
        try {
            return future.get(CONTROL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("bdev " + name + ": interrupted while " + what, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("bdev " + name + ": " + what + " failed: " + e.getCause().getMessage(),
                    e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("bdev " + name + ": timed out " + what, e);
        }
    }

    /** Persists the metadata, resyncs the dirty regions, clears the bitmap: before serving. */
    private void startup(long[] dirty, boolean resync) {
        awaitMetadata(stateGen.incrementAndGet(), "writing the metadata");
        long dirtyRows = 0;
        if (dirty != null && layout.level != 0) {
            for (int r = 0; r < layout.regionCount; r++) {
                if ((dirty[r >>> 6] & (1L << r)) != 0) {
                    dirtyRows += Math.min(layout.regionRows, layout.rows - (long) r * layout.regionRows);
                }
            }
        }
        if (dirtyRows > 0 && resync) {
            RowSweep sweep = RowSweep.resync(this, dirty, INLINE);
            sweep.start();
            await(sweep.future(), name, "resyncing " + dirtyRows + " rows");
            lastResyncRows = dirtyRows;
            if (resyncSkipped.get() > 0) {
                LOG.warn("raid {}: {} dirty rows could not be resynced: a data member is missing", name,
                        resyncSkipped.get());
            }
        }
        meta.requestClear(INLINE);
        awaitMetadata(stateGen.incrementAndGet(), "clearing the write-intent bitmap");
    }

    private void awaitMetadata(long gen, String what) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        meta.await(new RowSweep.MetaCallback(gen, INLINE, () -> done.complete(null)));
        await(done, name, what);
    }

    // ---------------------------------------------------------------- Bdev

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
        return layout.capacity();
    }

    @Override
    public String module() {
        return "raid";
    }

    /** All operations; WRITE_ZEROES and UNMAP are emulated as writes of zeroes. */
    @Override
    public boolean supports(BdevOp op) {
        return true;
    }

    /** Whether any member in service caches writes (a replacement may differ from the original). */
    @Override
    public boolean hasVolatileWriteCache() {
        for (int i = 0; i < layout.members; i++) {
            Bdev m = liveMember(i);
            if (m != null && m.hasVolatileWriteCache()) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void submit(BdevIo io) {
        if (closed) {
            io.complete(BdevStatus.ABORTED);
            return;
        }
        int status = BdevGeometry.validate(io, layout.blockSize, layout.capacity());
        if (status != BdevStatus.SUCCESS) {
            io.complete(status);
            return;
        }
        int kind;
        switch (io.op()) {
            case READ:
                kind = StripeOp.READ;
                break;
            case WRITE:
                kind = StripeOp.WRITE;
                break;
            case WRITE_ZEROES:
            case UNMAP:
                kind = StripeOp.ZEROES;
                break;
            case FLUSH:
                kind = StripeOp.FLUSH;
                break;
            default:
                io.complete(BdevStatus.UNSUPPORTED);
                return;
        }
        if (kind != StripeOp.FLUSH && io.numBlocks() == 0) {
            io.complete(BdevStatus.SUCCESS);
            return;
        }
        ios.take().start(io, kind);
    }

    /**
     * Stops rebuilds, flushes the members and clears the write-intent bitmap, so that the next
     * open needs no resync. Outstanding I/O must have completed. Does not close the members.
     */
    @Override
    public void close() {
        synchronized (control) {
            if (closed) {
                return;
            }
            closed = true;
        }
        for (int i = 0; i < layout.members; i++) {
            RowSweep sweep = rebuilds.get(i);
            if (sweep != null && !sweep.future().isDone()) {
                sweep.cancel();
                try {
                    sweep.future().get(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (ExecutionException | TimeoutException e) {
                    LOG.info("raid {}: rebuild of member {} stopped at close", name, i);
                }
            }
        }
        try {
            meta.requestClear(INLINE);
            CompletableFuture<Void> done = new CompletableFuture<>();
            meta.await(new RowSweep.MetaCallback(stateGen.incrementAndGet(), INLINE, () -> done.complete(null)));
            done.get(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("raid {}: the write-intent bitmap was not cleared at close: {}", name, e.toString());
        }
        zeroes.release();
    }

    // ---------------------------------------------------------------- control plane

    /** RAID level: 0, 1, 10, 5 or 6. */
    public int level() {
        return layout.level;
    }

    /** Strip (chunk) size in bytes. */
    public int stripBytes() {
        return layout.stripBlocks * layout.blockSize;
    }

    public int memberCount() {
        return layout.members;
    }

    /** A snapshot of every member's state and rebuild progress. */
    public List<MemberStatus> members() {
        List<MemberStatus> list = new ArrayList<>(layout.members);
        for (int i = 0; i < layout.members; i++) {
            list.add(member(i));
        }
        return List.copyOf(list);
    }

    /** A snapshot of member {@code index}. */
    public MemberStatus member(int index) {
        Objects.checkIndex(index, layout.members);
        int s = states.get(index);
        Bdev m = members.get(index);
        RowSweep sweep = rebuilds.get(index);
        switch (s) {
            case HEALTHY:
                return new MemberStatus(index, m.name(), MemberState.HEALTHY, layout.rows, layout.rows);
            case REBUILDING:
                return new MemberStatus(index, m.name(), MemberState.REBUILDING,
                        sweep == null ? 0 : sweep.rowsDone(), layout.rows);
            default:
                return new MemberStatus(index, m.name(), MemberState.FAILED, 0, layout.rows);
        }
    }

    /** The state of member {@code index}. */
    public MemberState memberState(int index) {
        return member(index).state();
    }

    /**
     * Puts {@code replacement} in the place of failed member {@code memberIndex} and rebuilds it in
     * the background on {@code core}, while I/O goes on. The replacement needs the array's block
     * size and at least the members' capacity; its old contents do not matter.
     *
     * @return completes when the member is healthy (and that is on the members), or
     *     exceptionally if the rebuild could not finish (the member is then failed again)
     * @throws IllegalStateException if the member is not failed or the array is closed
     */
    public CompletableFuture<Void> replace(int memberIndex, Bdev replacement, Executor core) {
        Objects.requireNonNull(replacement, "replacement");
        Objects.requireNonNull(core, "core");
        synchronized (control) {
            if (closed) {
                throw new IllegalStateException("bdev " + name + " is closed");
            }
            if (layout.tolerance() == 0) {
                throw new IllegalStateException("bdev " + name + ": RAID 0 has no redundancy to rebuild from");
            }
            Objects.checkIndex(memberIndex, layout.members);
            long rows = RaidLayout.rowsFor(replacement.blockCount(), layout.blockSize, layout.stripBlocks);
            if (replacement.blockSize() != layout.blockSize || rows < layout.rows) {
                throw new IllegalArgumentException("bdev " + name + ": " + replacement.name()
                        + " has another block size or is too small to replace a member");
            }
            for (int i = 0; i < layout.members; i++) {
                if (members.get(i) == replacement) {
                    throw new IllegalArgumentException("bdev " + name + ": " + replacement.name()
                            + " is already member " + i);
                }
            }
            if (states.get(memberIndex) != FAILED) {
                throw new IllegalStateException("bdev " + name + ": member " + memberIndex + " is "
                        + memberState(memberIndex) + "; only a failed member can be replaced");
            }
            RowSweep sweep = RowSweep.rebuild(this, memberIndex, replacement, core);
            // Publish the replacement before the state: whoever sees REBUILDING sees them.
            members.set(memberIndex, replacement);
            rebuilds.set(memberIndex, sweep);
            states.set(memberIndex, REBUILDING);
            stateGen.incrementAndGet();
            LOG.info("raid {}: rebuilding member {} on {}", name, memberIndex, replacement.name());
            sweep.start();
            return sweep.future();
        }
    }

    /** The completion of the last rebuild of member {@code index} (completed if there was none). */
    public CompletableFuture<Void> rebuildCompletion(int index) {
        Objects.checkIndex(index, layout.members);
        RowSweep sweep = rebuilds.get(index);
        return sweep == null ? CompletableFuture.completedFuture(null) : sweep.future();
    }

    /** Takes member {@code index} out of service, as if it had failed (hot removal). */
    public void failMember(int index) {
        Objects.checkIndex(index, layout.members);
        memberFailed(index, members.get(index), BdevStatus.ABORTED, INLINE);
    }

    // ---------------------------------------------------------------- for the package

    @Override
    public void useAccelerators(Accelerators accelerators) {
        this.accel = java.util.Objects.requireNonNull(accelerators, "accelerators");
    }

    @Override
    public Accelerators accelerators() {
        return accel;
    }

    RaidLayout layout() {
        return layout;
    }

    StripeLocks locks() {
        return locks;
    }

    MetadataWriter meta() {
        return meta;
    }

    long arrayId() {
        return arrayId;
    }

    /** Grows with every member state change that must reach the metadata. */
    long stateGen() {
        return stateGen.get();
    }

    byte[] zeroArray() {
        return zeroArray;
    }

    ByteBuf zeroes() {
        return zeroes;
    }

    StripeOp stripeOp() {
        return ops.take();
    }

    void recycle(StripeOp op) {
        ops.give(op);
    }

    void recycle(RaidIo io) {
        ios.give(io);
    }

    /** Rows the last open or create resynced. */
    long lastResyncRows() {
        return lastResyncRows;
    }

    void resyncSkipped(long row) {
        resyncSkipped.incrementAndGet();
    }

    /**
     * Member {@code i} if it holds current data for {@code row}: healthy, or rebuilding with the
     * row done. The state is read around the member so that both belong together.
     */
    Bdev usableMember(int i, long row) {
        for (;;) {
            int s = states.get(i);
            Bdev m = members.get(i);
            RowSweep sweep = rebuilds.get(i);
            if (states.get(i) != s) {
                continue;
            }
            if (s == HEALTHY) {
                return m;
            }
            if (s == REBUILDING && sweep != null && sweep.replacement() == m && sweep.rebuilt(row)) {
                return m;
            }
            return null;
        }
    }

    /** Member {@code i} unless it is failed: the members that get metadata and flushes. */
    Bdev liveMember(int i) {
        for (;;) {
            int s = states.get(i);
            Bdev m = members.get(i);
            if (states.get(i) == s) {
                return s == FAILED ? null : m;
            }
        }
    }

    /** Whether {@code sweep} is still the rebuild of its member. */
    boolean rebuilding(int i, RowSweep sweep) {
        return states.get(i) == REBUILDING && rebuilds.get(i) == sweep && members.get(i) == sweep.replacement();
    }

    /** Bit i set for each member not healthy: what the superblocks record as out of service. */
    long unhealthyMask() {
        long mask = 0;
        for (int i = 0; i < layout.members; i++) {
            if (states.get(i) != HEALTHY) {
                mask |= 1L << i;
            }
        }
        return mask;
    }

    /**
     * Marks member {@code i} failed after {@code bdev} (the member an I/O went to) completed with
     * {@code status}. Ignored if that bdev has been replaced since or is already failed.
     */
    void memberFailed(int i, Bdev bdev, int status, Executor core) {
        if (members.get(i) != bdev) {
            return;
        }
        for (;;) {
            int s = states.get(i);
            if (s == FAILED) {
                return;
            }
            if (states.compareAndSet(i, s, FAILED)) {
                break;
            }
        }
        stateGen.incrementAndGet();
        LOG.warn("raid {}: member {} ({}) failed with {}; {}", name, i, bdev.name(), BdevStatus.name(status),
                operational() ? "running degraded" : "data is lost");
        meta.kick(core);
    }

    /** Whether every row still has its data (the level's tolerance is not exceeded). */
    boolean operational() {
        int n = layout.members;
        switch (layout.level) {
            case 0:
                return unhealthyMask() == 0;
            case 1:
                return Long.bitCount(unhealthyMask()) < n;
            case 10:
                for (int i = 0; i < n; i += 2) {
                    if (states.get(i) == FAILED && states.get(i + 1) == FAILED) {
                        return false;
                    }
                }
                return true;
            default:
                return Long.bitCount(unhealthyMask()) <= layout.tolerance();
        }
    }

    /** Called by a rebuild once its rows are done (or it stopped). */
    void rebuildEnded(RowSweep sweep, boolean ok) {
        int t = sweep.target();
        if (ok && members.get(t) == sweep.replacement() && states.compareAndSet(t, REBUILDING, HEALTHY)) {
            long gen = stateGen.incrementAndGet();
            LOG.info("raid {}: member {} ({}) rebuilt", name, t, sweep.replacement().name());
            meta.await(new RowSweep.MetaCallback(gen, INLINE, () -> sweep.future().complete(null)));
            return;
        }
        if (members.get(t) == sweep.replacement() && states.compareAndSet(t, REBUILDING, FAILED)) {
            stateGen.incrementAndGet();
            meta.kick(INLINE);
        }
        LOG.warn("raid {}: rebuild of member {} ({}) did not finish", name, t, sweep.replacement().name());
        sweep.future().completeExceptionally(new IllegalStateException("bdev " + name + ": rebuild of member " + t
                + " onto " + sweep.replacement().name() + " did not finish"));
    }

    @Override
    public String toString() {
        return "RaidBdev[" + name + " RAID " + layout.level + " " + members() + "]";
    }
}
