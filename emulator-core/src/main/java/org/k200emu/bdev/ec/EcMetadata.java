package org.k200emu.bdev.ec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keeper of an {@link EcBdev}'s metadata area on the members: the write-intent bitmap and
 * the superblocks.
 *
 * <p>Write intent: a region's bit must be on the members before any stripe of the region is
 * updated, and may be cleared only when no update of the region is in flight. The hot path is a
 * counter and a volatile read: {@link #enter} counts the update in and proceeds at once if the
 * bit is already SET. Everything else (setting a bit, clearing idle ones, writing bitmap blocks
 * and superblocks) runs in a small actor: a lock-free queue drained by whichever thread finds it
 * idle, so its state needs no lock and only one thread touches it at a time. Region states are
 * written by the actor only; enter() increments the region's counter before reading its state
 * and the cleaner sets CLEARING before reading the counter, so one of the two always sees the
 * other (both are sequentially consistent atomics).
 *
 * <p>A bitmap block is written by at most one I/O round at a time, and its content is taken from
 * the region states when the round starts; a change during a round marks the block for another
 * round. So an older image never lands after a newer one. Bits are cleared lazily: when more
 * than {@link #MAX_SET_REGIONS} regions are set, after a FLUSH, and at a clean close.
 *
 * <p>Metadata I/O completes on whatever thread the member completes it (the actor does not care);
 * waiting stripe operations are resumed on their own core.
 */
final class EcMetadata {

    static final int CLEAN = 0;
    static final int SETTING = 1;
    static final int SET = 2;
    static final int CLEARING = 3;

    /** Regions left set before idle ones are cleared; bounds the resync after a crash. */
    static final int MAX_SET_REGIONS = 64;

    private static final Logger LOG = LoggerFactory.getLogger(EcMetadata.class);
    private static final Executor DIRECT = Runnable::run;

    private final EcBdev ec;
    private final EcLayout layout;
    private final AtomicIntegerArray state;
    private final AtomicIntegerArray active;
    private final ConcurrentLinkedQueue<Runnable> inbox = new ConcurrentLinkedQueue<>();
    private final AtomicInteger wip = new AtomicInteger();
    private volatile long durableVersion;

    // Actor state: touched only by the thread draining the inbox.
    private final Map<Integer, List<StripeOp>> waiters = new HashMap<>();
    private final BitSet setRegions = new BitSet();
    private final boolean[] blockWriting;
    private final boolean[] blockDirty;
    private final List<List<Integer>> roundRegions;
    private final List<DurableWaiter> durableWaiters = new ArrayList<>();
    private final List<CompletableFuture<Void>> quiet = new ArrayList<>();
    private boolean superblockWriting;
    private boolean superblockDirty;
    private long epoch;
    private int roundsInFlight;

    EcMetadata(EcBdev ec, EcLayout layout, long epoch, long durableVersion) {
        this.ec = ec;
        this.layout = layout;
        this.state = new AtomicIntegerArray(layout.regions);
        this.active = new AtomicIntegerArray(layout.regions);
        this.blockWriting = new boolean[layout.bitmapBlocks];
        this.blockDirty = new boolean[layout.bitmapBlocks];
        this.roundRegions = new ArrayList<>(layout.bitmapBlocks);
        for (int b = 0; b < layout.bitmapBlocks; b++) {
            roundRegions.add(new ArrayList<>());
        }
        this.epoch = epoch;
        this.durableVersion = durableVersion;
    }

    // ------------------------------------------------------------------ hot path

    /**
     * Counts an update of {@code region} in. True if its bit is on the members and the update may
     * go on; false if {@code op} will be resumed (on its core) once it is.
     */
    boolean enter(int region, StripeOp op) {
        active.incrementAndGet(region);
        if (state.get(region) == SET) {
            return true;
        }
        post(() -> requestSet(region, op));
        return false;
    }

    /** Counts an update out; the bit stays set until it is cleared lazily. */
    void exit(int region) {
        active.decrementAndGet(region);
    }

    long durableVersion() {
        return durableVersion;
    }

    /** Runs {@code resume} once superblocks holding member states of {@code version} are written. */
    void awaitDurable(long version, Runnable resume) {
        post(() -> {
            if (durableVersion >= version) {
                resume.run();
                return;
            }
            durableWaiters.add(new DurableWaiter(version, resume));
            if (!superblockWriting) {
                startSuperblocks();
            }
        });
    }

    /** Writes the current member states to the superblocks of the writable members. */
    void persistStates() {
        post(() -> {
            if (superblockWriting) {
                superblockDirty = true;
            } else {
                startSuperblocks();
            }
        });
    }

    /** Clears the bits of idle regions (after a FLUSH). */
    void clearIdle() {
        post(this::clearIdleRegions);
    }

    /** Rewrites the whole bitmap to every writable member (a replacement joined). */
    void rewriteBitmap() {
        post(() -> {
            for (int b = 0; b < layout.bitmapBlocks; b++) {
                markDirty(b);
            }
        });
    }

    /** Clears every idle region; the future completes when no metadata write is left in flight. */
    CompletableFuture<Void> quiesce() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        post(() -> {
            clearIdleRegions();
            quiet.add(done);
            checkQuiet();
        });
        return done;
    }

    /** Regions whose bit is set or being set or cleared. */
    int dirtyRegions() {
        int c = 0;
        for (int r = 0; r < layout.regions; r++) {
            if (state.get(r) != CLEAN) {
                c++;
            }
        }
        return c;
    }

    // ------------------------------------------------------------------ actor

    private void post(Runnable task) {
        inbox.add(task);
        if (wip.getAndIncrement() != 0) {
            return;
        }
        do {
            Runnable next = inbox.poll();
            if (next != null) {
                try {
                    next.run();
                } catch (RuntimeException e) {
                    // A core that refuses work (shut down) must not stop the actor for everyone else.
                    LOG.warn("bdev {}: metadata task failed: {}", ec.name(), e.toString());
                }
            }
        } while (wip.decrementAndGet() != 0);
    }

    private void requestSet(int region, StripeOp op) {
        switch (state.get(region)) {
            case SET:
                op.resume();
                return;
            case CLEAN:
                state.set(region, SETTING);
                setRegions.set(region);
                waiters.computeIfAbsent(region, r -> new ArrayList<>()).add(op);
                markDirty(blockOf(region));
                break;
            default: // SETTING, or CLEARING: set again once the clear has landed
                waiters.computeIfAbsent(region, r -> new ArrayList<>()).add(op);
                break;
        }
        if (setRegions.cardinality() > MAX_SET_REGIONS) {
            clearIdleRegions();
        }
    }

    private void clearIdleRegions() {
        for (int r = setRegions.nextSetBit(0); r >= 0; r = setRegions.nextSetBit(r + 1)) {
            if (state.get(r) != SET) {
                continue;
            }
            state.set(r, CLEARING);
            if (active.get(r) > 0) {
                state.set(r, SET); // an update came in: it saw SET or will find CLEARING and ask again
            } else {
                markDirty(blockOf(r));
            }
        }
    }

    private int blockOf(int region) {
        return region / (layout.blockSize * 8);
    }

    private void markDirty(int block) {
        if (blockWriting[block]) {
            blockDirty[block] = true;
        } else {
            startBlock(block);
        }
    }

    private void startBlock(int block) {
        blockWriting[block] = true;
        blockDirty[block] = false;
        roundsInFlight++;
        List<Integer> round = roundRegions.get(block);
        round.clear();
        ByteBuf content = PooledByteBufAllocator.DEFAULT.heapBuffer(layout.blockSize, layout.blockSize);
        content.writeZero(layout.blockSize);
        int first = block * layout.blockSize * 8;
        int last = Math.min(layout.regions, first + layout.blockSize * 8);
        for (int r = first; r < last; r++) {
            int s = state.get(r);
            if (s == SETTING || s == SET) {
                int bit = r - first;
                content.setByte(bit >>> 3, content.getByte(bit >>> 3) | 1 << (bit & 7));
            }
            if (s == SETTING || s == CLEARING) {
                round.add(r);
            }
        }
        writeToMembers(1 + block, content, () -> post(() -> blockWritten(block)));
    }

    private void blockWritten(int block) {
        roundsInFlight--;
        blockWriting[block] = false;
        for (int r : roundRegions.get(block)) {
            int s = state.get(r);
            if (s == SETTING) {
                state.set(r, SET);
                List<StripeOp> w = waiters.remove(r);
                if (w != null) {
                    w.forEach(StripeOp::resume);
                }
            } else if (s == CLEARING) {
                state.set(r, CLEAN);
                setRegions.clear(r);
                if (waiters.containsKey(r)) {
                    state.set(r, SETTING);
                    setRegions.set(r);
                    blockDirty[block] = true;
                }
            }
        }
        roundRegions.get(block).clear();
        if (blockDirty[block]) {
            startBlock(block);
        }
        checkQuiet();
    }

    private void startSuperblocks() {
        superblockWriting = true;
        superblockDirty = false;
        roundsInFlight++;
        MemberStates snapshot = ec.states();
        epoch++;
        long written = snapshot.version;
        AtomicInteger left = new AtomicInteger(1);
        Runnable done = () -> post(() -> superblocksWritten(written));
        for (int d = 0; d < layout.n; d++) {
            if (!snapshot.writable(d)) {
                continue;
            }
            ByteBuf content = PooledByteBufAllocator.DEFAULT.heapBuffer(layout.blockSize, layout.blockSize);
            ec.superblock(d, epoch, snapshot).writeTo(content);
            left.incrementAndGet();
            writeOne(d, 0, content, () -> {
                if (left.decrementAndGet() == 0) {
                    done.run();
                }
            });
        }
        if (left.decrementAndGet() == 0) {
            done.run();
        }
    }

    private void superblocksWritten(long version) {
        roundsInFlight--;
        superblockWriting = false;
        if (version > durableVersion) {
            durableVersion = version;
        }
        List<DurableWaiter> ready = new ArrayList<>();
        durableWaiters.removeIf(w -> w.version <= durableVersion && ready.add(w));
        ready.forEach(w -> w.resume.run());
        if (superblockDirty || !durableWaiters.isEmpty()) {
            startSuperblocks(); // the states moved on while this round was in flight
        }
        checkQuiet();
    }

    private void checkQuiet() {
        if (roundsInFlight == 0 && !quiet.isEmpty()) {
            List<CompletableFuture<Void>> done = new ArrayList<>(quiet);
            quiet.clear();
            done.forEach(f -> f.complete(null));
        }
    }

    /** Someone waiting until the superblocks hold member states of at least {@code version}. */
    private record DurableWaiter(long version, Runnable resume) {
    }

    // ------------------------------------------------------------------ member I/O

    /** Writes {@code content} (one block, released here) at {@code lba} of every writable member. */
    private void writeToMembers(long lba, ByteBuf content, Runnable done) {
        MemberStates st = ec.states();
        AtomicInteger left = new AtomicInteger(1);
        Runnable one = () -> {
            if (left.decrementAndGet() == 0) {
                content.release();
                done.run();
            }
        };
        for (int d = 0; d < layout.n; d++) {
            if (st.writable(d)) {
                left.incrementAndGet();
                writeOne(d, lba, content.retainedDuplicate(), one);
            }
        }
        one.run();
    }

    /** Writes one block to member {@code d}; releases {@code content}; marks the member failed on error. */
    private void writeOne(int d, long lba, ByteBuf content, Runnable done) {
        Bdev b = ec.member(d);
        BdevIo io = new BdevIo();
        io.prepare(BdevOp.WRITE, lba, 1, content, DIRECT, x -> {
            content.release();
            if (x.status() != BdevStatus.SUCCESS) {
                ec.markFailed(d, b, x.status());
            }
            done.run();
        }, null);
        b.submit(io);
    }
}
