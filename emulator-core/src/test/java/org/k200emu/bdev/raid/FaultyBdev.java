package org.k200emu.bdev.raid;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;

/**
 * Test helper: wraps a member bdev and misbehaves on demand. It can fail every I/O from now on,
 * fail only the Nth I/O from now, hold I/Os that match a predicate (never applied, never
 * completed until {@link #releaseHeld}: a crash, or a slow member), and run the wrapped bdev on
 * a worker thread and hand the completion back to the I/O's core (as an asynchronous bdev such
 * as the file bdev does). Counts what it sees.
 */
final class FaultyBdev implements Bdev {

    private final Bdev inner;
    private volatile Executor worker;
    private volatile int jitter;
    private volatile boolean failAll;
    private volatile int failStatus = BdevStatus.MEDIA_ERROR;
    private final AtomicLong failCountdown = new AtomicLong(-1);
    private volatile Predicate<BdevIo> hold;
    private volatile CountDownLatch heldLatch = new CountDownLatch(1);
    private final ConcurrentLinkedQueue<BdevIo> held = new ConcurrentLinkedQueue<>();
    private final AtomicLong ios = new AtomicLong();
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong flushes = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    FaultyBdev(Bdev inner) {
        this.inner = inner;
    }

    Bdev inner() {
        return inner;
    }

    /** From now on run the wrapped bdev on {@code worker} and complete on the I/O's core; null: inline. */
    FaultyBdev async(Executor worker) {
        this.worker = worker;
        return this;
    }

    /**
     * With {@link #async}: each I/O spins up to {@code spins} before it is applied, so that I/Os
     * to different members interleave in varied orders (a stress aid, not a timing).
     */
    FaultyBdev jitter(int spins) {
        this.jitter = spins;
        return this;
    }

    /** Every I/O from now completes with {@code status} without reaching the wrapped bdev. */
    void failAll(int status) {
        failStatus = status;
        failAll = true;
    }

    void failAll() {
        failAll(BdevStatus.MEDIA_ERROR);
    }

    /** The {@code nth} I/O from now (1: the next one) fails with MEDIA_ERROR; the others pass. */
    void failNth(long nth) {
        failStatus = BdevStatus.MEDIA_ERROR;
        failCountdown.set(nth);
    }

    /** I/Os matching {@code which} from now are parked (not applied, not completed). */
    void hold(Predicate<BdevIo> which) {
        heldLatch = new CountDownLatch(1);
        hold = which;
    }

    /** Waits until an I/O was parked. */
    boolean awaitHeld(long seconds) throws InterruptedException {
        return heldLatch.await(seconds, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** Stops parking; the parked I/Os complete with {@code status} without being applied. */
    void releaseHeld(int status) {
        hold = null;
        for (BdevIo io; (io = held.poll()) != null; ) {
            complete(io, status);
        }
    }

    /** Stops parking; the parked I/Os go to the wrapped bdev now, in order. */
    void forwardHeld() {
        hold = null;
        List<BdevIo> list = new ArrayList<>();
        for (BdevIo io; (io = held.poll()) != null; ) {
            list.add(io);
        }
        list.forEach(this::forward);
    }

    int heldCount() {
        return held.size();
    }

    long ios() {
        return ios.get();
    }

    long writes() {
        return writes.get();
    }

    long flushes() {
        return flushes.get();
    }

    long failed() {
        return failed.get();
    }

    @Override
    public String name() {
        return "faulty-" + inner.name();
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
        return "test";
    }

    @Override
    public boolean supports(BdevOp op) {
        return inner.supports(op);
    }

    @Override
    public boolean hasVolatileWriteCache() {
        return inner.hasVolatileWriteCache();
    }

    @Override
    public void submit(BdevIo io) {
        ios.incrementAndGet();
        if (io.op() == BdevOp.WRITE) {
            writes.incrementAndGet();
        } else if (io.op() == BdevOp.FLUSH) {
            flushes.incrementAndGet();
        }
        long nth = failCountdown.get();
        boolean failThis = failAll;
        if (nth > 0) {
            long left = failCountdown.decrementAndGet();
            failThis |= left == 0;
        }
        if (failThis) {
            failed.incrementAndGet();
            complete(io, failStatus);
            return;
        }
        Predicate<BdevIo> h = hold;
        if (h != null && h.test(io)) {
            held.add(io);
            heldLatch.countDown();
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
            BdevIo below = new BdevIo();
            below.prepare(io.op(), io.offsetBlocks(), io.numBlocks(), io.buffer(), Runnable::run,
                    d -> io.core().execute(() -> io.complete(d.status())), null);
            inner.submit(below);
        });
    }

    @Override
    public void close() {
        inner.close();
    }
}
