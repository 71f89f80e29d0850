package org.k200emu.bdev.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevCompletion;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.malloc.MallocBdev;

/**
 * The test member: a bdev wrapped around another that records what it is given and misbehaves on
 * demand, so a stacked bdev (or a front end) sees a member that fails, loses power mid-write,
 * completes late, in an order the test chooses, or on another thread. Used by emulator-core's
 * bdev tests and, through emulator-core's test jar, by the front-end tests of nvme-emulation.
 *
 * <p>Each submitted I/O is counted and logged, then meets the faults in this order:
 * <ol>
 * <li>{@link #dropWhen drop}: it never reaches the wrapped bdev and never completes (the power
 * went before it landed); a direct buffer it carries is released, as the dead process would;</li>
 * <li>fail ({@link #failAll}, {@link #failWhen}, {@link #failNth}, {@link #failFromNth}): it
 * completes with an error without reaching the wrapped bdev;</li>
 * <li>{@link #hold}: it is kept, neither applied nor completed, until the test
 * {@linkplain #releaseHeld releases}, {@linkplain #forwardHeld forwards} or
 * {@linkplain #completeHeld completes} it (a slow member, or one cut off by a crash);</li>
 * <li>{@link #loseCompletionWhen lose the completion}: it lands, but its completion never comes
 * (the crash came after the write, before the acknowledgement);</li>
 * <li>otherwise it goes to the wrapped bdev.</li>
 * </ol>
 * Inline by default (it completes where the wrapped bdev does); with {@link #async} it runs each
 * I/O on a worker and hands its completion back to the I/O's core, as a remote or file bdev does.
 */
public final class FaultyBdev implements Bdev {

    /** One I/O as submitted. */
    public record Submitted(BdevOp op, long lba, long blocks) {
    }

    private static final Predicate<BdevIo> NONE = io -> false;
    private static final Predicate<BdevIo> ALL = io -> true;

    private final Bdev inner;
    private volatile String name;
    private volatile String module = "faulty";
    private volatile Boolean volatileWriteCache;
    private volatile boolean closesInner = true;
    private volatile Executor worker;
    private volatile int jitter;

    private volatile Predicate<BdevIo> dropWhen = NONE;
    private volatile Predicate<BdevIo> failWhen = NONE;
    private volatile int failStatus = BdevStatus.MEDIA_ERROR;
    /** Counts down on each I/O; the one that takes it to zero fails with {@link #nthStatus}. */
    private final AtomicLong failCountdown = new AtomicLong(-1);
    private volatile int nthStatus = BdevStatus.MEDIA_ERROR;
    /** Every I/O whose number (1 = the first ever submitted) is at least this fails. */
    private final AtomicLong failFrom = new AtomicLong(Long.MAX_VALUE);
    private volatile Predicate<BdevIo> holdWhen = NONE;
    private volatile CountDownLatch heldLatch = new CountDownLatch(1);
    private final Queue<BdevIo> held = new ConcurrentLinkedQueue<>();
    private volatile Predicate<BdevIo> loseCompletionWhen = NONE;

    private final List<Submitted> log = new CopyOnWriteArrayList<>();
    private final Set<String> submitThreads = ConcurrentHashMap.newKeySet();
    private final AtomicLong ios = new AtomicLong();
    private final AtomicLong reads = new AtomicLong();
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong flushes = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    /** Wraps {@code inner}, named {@code faulty-<inner>}; closing it closes {@code inner}. */
    public FaultyBdev(Bdev inner) {
        this.inner = inner;
        this.name = "faulty-" + inner.name();
    }

    /** A test member over a new malloc bdev, under the malloc's name. */
    public static FaultyBdev overMalloc(String name, int blockSize, long blocks) {
        return new FaultyBdev(new MallocBdev(name, blockSize, blocks)).named(name);
    }

    // ---- what it is

    public FaultyBdev named(String newName) {
        this.name = newName;
        return this;
    }

    public FaultyBdev module(String newModule) {
        this.module = newModule;
        return this;
    }

    /** Claims a volatile write cache (or none) whatever the wrapped bdev has. */
    public FaultyBdev volatileWriteCache(boolean on) {
        this.volatileWriteCache = on;
        return this;
    }

    /** Closing this one leaves the wrapped bdev open (its owner closes it). */
    public FaultyBdev keepInnerOpen() {
        this.closesInner = false;
        return this;
    }

    /** From now on run each I/O on {@code executor} and complete it on the I/O's core; null: inline. */
    public FaultyBdev async(Executor executor) {
        this.worker = executor;
        return this;
    }

    /**
     * With {@link #async}: each I/O spins up to {@code spins} before it is applied, so that I/Os
     * to different members interleave in varied orders (a stress aid, not a timing).
     */
    public FaultyBdev jitter(int spins) {
        this.jitter = spins;
        return this;
    }

    public Bdev inner() {
        return inner;
    }

    // ---- faults

    /** I/Os matching {@code which} from now never land and never complete. */
    public FaultyBdev dropWhen(Predicate<BdevIo> which) {
        dropWhen = which;
        return this;
    }

    /** Every I/O from now completes MEDIA_ERROR. */
    public FaultyBdev failAll() {
        return failAll(BdevStatus.MEDIA_ERROR);
    }

    /** Every I/O from now completes with {@code status}. */
    public FaultyBdev failAll(int status) {
        return failWhen(ALL, status);
    }

    /** I/Os matching {@code which} from now complete MEDIA_ERROR. */
    public FaultyBdev failWhen(Predicate<BdevIo> which) {
        return failWhen(which, BdevStatus.MEDIA_ERROR);
    }

    /** I/Os matching {@code which} from now complete with {@code status}. */
    public FaultyBdev failWhen(Predicate<BdevIo> which, int status) {
        failStatus = status;
        failWhen = which;
        return this;
    }

    /** The {@code n}th I/O from now (1 = the next one) completes MEDIA_ERROR; the others pass. */
    public FaultyBdev failNth(long n) {
        return failNth(n, BdevStatus.MEDIA_ERROR);
    }

    /** The {@code n}th I/O from now (1 = the next one) completes with {@code status}; the others pass. */
    public FaultyBdev failNth(long n, int status) {
        nthStatus = status;
        failCountdown.set(n);
        return this;
    }

    /** The {@code n}th I/O from now (1 = the next one) and every one after complete MEDIA_ERROR. */
    public FaultyBdev failFromNth(long n) {
        failFrom.set(ios.get() + n);
        return this;
    }

    /** No more failures (held, dropped and lost I/O stay as they are). */
    public FaultyBdev heal() {
        failWhen = NONE;
        failCountdown.set(-1);
        failFrom.set(Long.MAX_VALUE);
        return this;
    }

    /** I/Os matching {@code which} from now are held; {@link #awaitHeld} waits for the first. */
    public FaultyBdev hold(Predicate<BdevIo> which) {
        return hold(which, new CountDownLatch(1));
    }

    /** {@link #hold(Predicate)}, counting {@code latch} down for each I/O held. */
    public FaultyBdev hold(Predicate<BdevIo> which, CountDownLatch latch) {
        heldLatch = latch;
        holdWhen = which == null ? NONE : which;
        return this;
    }

    /** While on, every I/O is held; off, none more is (those held stay held). */
    public FaultyBdev hold(boolean on) {
        return hold(on ? ALL : NONE);
    }

    /** I/Os matching {@code which} from now land but never complete. */
    public FaultyBdev loseCompletionWhen(Predicate<BdevIo> which) {
        loseCompletionWhen = which;
        return this;
    }

    // ---- held I/O

    public int heldCount() {
        return held.size();
    }

    /** Waits until an I/O was held since the last {@link #hold(Predicate)}. */
    public boolean awaitHeld(long seconds) throws InterruptedException {
        return heldLatch.await(seconds, TimeUnit.SECONDS);
    }

    /** Gives the oldest held I/O to the wrapped bdev, from its home core; false if none was held. */
    public boolean releaseNext() {
        BdevIo io = held.poll();
        if (io == null) {
            return false;
        }
        io.core().execute(() -> forward(io));
        return true;
    }

    /** Stops holding and gives every held I/O to the wrapped bdev, each from its own home core. */
    public void releaseHeld() {
        for (BdevIo io : stopHolding()) {
            io.core().execute(() -> forward(io));
        }
    }

    /** Stops holding and gives every held I/O to the wrapped bdev now, in order, from this thread. */
    public void forwardHeld() {
        stopHolding().forEach(this::forward);
    }

    /** Stops holding; every held I/O completes with {@code status} on its core, never applied. */
    public void completeHeld(int status) {
        for (BdevIo io : stopHolding()) {
            if (worker == null) {
                io.core().execute(() -> io.complete(status));
            } else {
                complete(io, status);
            }
        }
    }

    /**
     * Turns holding off and takes every held I/O, in order. Under the same lock as {@link #submit}'s
     * decision to hold, so an I/O being held while the test releases is either taken here or not
     * held at all (it was once left held for good: a write then never completed).
     */
    private List<BdevIo> stopHolding() {
        List<BdevIo> list = new ArrayList<>();
        synchronized (held) {
            holdWhen = NONE;
            for (BdevIo io; (io = held.poll()) != null; ) {
                list.add(io);
            }
        }
        return list;
    }

    // ---- what it saw

    /** Everything submitted so far, in order (clear it to start afresh). */
    public List<Submitted> log() {
        return log;
    }

    /** The operations submitted so far, in order. */
    public List<BdevOp> ops() {
        return log.stream().map(Submitted::op).toList();
    }

    /** The names of the threads I/O was submitted on. */
    public Set<String> submitThreads() {
        return submitThreads;
    }

    public long ios() {
        return ios.get();
    }

    public long reads() {
        return reads.get();
    }

    public long writes() {
        return writes.get();
    }

    public long flushes() {
        return flushes.get();
    }

    /** I/Os failed on purpose. */
    public long failed() {
        return failed.get();
    }

    /** I/Os dropped, or whose completion was lost. */
    public long dropped() {
        return dropped.get();
    }

    // ---- Bdev

    @Override
    public String name() {
        return name;
    }

    @Override
    public int blockSize() {
        return inner.blockSize();
    }

    @Override
    public long blockCount() {
        return inner.blockCount();
    }

    @Override
    public String module() {
        return module;
    }

    @Override
    public boolean supports(BdevOp op) {
        return inner.supports(op);
    }

    @Override
    public boolean hasVolatileWriteCache() {
        Boolean claimed = volatileWriteCache;
        return claimed != null ? claimed : inner.hasVolatileWriteCache();
    }

    @Override
    public void submit(BdevIo io) {
        long number = ios.incrementAndGet();
        switch (io.op()) {
            case READ -> reads.incrementAndGet();
            case WRITE -> writes.incrementAndGet();
            case FLUSH -> flushes.incrementAndGet();
            default -> { }
        }
        log.add(new Submitted(io.op(), io.offsetBlocks(), io.numBlocks()));
        submitThreads.add(Thread.currentThread().getName());
        if (dropWhen.test(io)) {
            dropped.incrementAndGet();
            freeOwnBuffer(io);
            return;
        }
        int status = BdevStatus.SUCCESS;
        if (failWhen.test(io)) {
            status = failStatus;
        }
        if (failCountdown.get() > 0 && failCountdown.decrementAndGet() == 0) {
            status = nthStatus;
        }
        if (number >= failFrom.get()) {
            status = BdevStatus.MEDIA_ERROR;
        }
        if (status != BdevStatus.SUCCESS) {
            failed.incrementAndGet();
            complete(io, status);
            return;
        }
        synchronized (held) {
            if (holdWhen.test(io)) {
                held.add(io);
                heldLatch.countDown();
                return;
            }
        }
        if (loseCompletionWhen.test(io)) {
            dropped.incrementAndGet();
            BdevIo landed = new BdevIo();
            BdevCompletion ignore = d -> freeOwnBuffer(io);
            landed.prepare(io.op(), io.offsetBlocks(), io.numBlocks(), io.buffer(), io.core(), ignore, null);
            inner.submit(landed);
            return;
        }
        forward(io);
    }

    private void complete(BdevIo io, int status) {
        Executor w = worker;
        if (w == null) {
            io.complete(status);
        } else {
            w.execute(() -> io.core().execute(() -> io.complete(status)));
        }
    }

    private void forward(BdevIo io) {
        Executor w = worker;
        if (w == null) {
            inner.submit(io);
            return;
        }
        w.execute(() -> {
            int spins = jitter > 0 ? ThreadLocalRandom.current().nextInt(jitter) : 0;
            for (int i = 0; i < spins; i++) {
                Thread.onSpinWait();
            }
            // The wrapped bdev completes on this thread: hand the completion to the I/O's core.
            BdevIo below = new BdevIo();
            below.prepare(io.op(), io.offsetBlocks(), io.numBlocks(), io.buffer(), Runnable::run,
                    d -> io.core().execute(() -> io.complete(d.status())), null);
            inner.submit(below);
        });
    }

    /**
     * A stacked bdev that is "dead" will never release a direct buffer it allocated itself (a
     * journal record, a table block; the tests' data buffers are on the heap): free it, as the
     * process's death would.
     */
    private static void freeOwnBuffer(BdevIo io) {
        if (io.buffer() != null && io.buffer().isDirect() && io.buffer().refCnt() > 0) {
            io.buffer().release();
        }
    }

    @Override
    public void close() {
        if (closesInner) {
            inner.close();
        }
    }
}
