package org.k200emu.bdev.ec;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;

/**
 * Test member: wraps a bdev and injects faults on demand. Fails every I/O from now on
 * ({@link #failAll}), fails the Nth I/O from now ({@link #failNth}), or holds back the I/Os a
 * predicate picks, never forwarding or completing them until the test says ({@link #hold}: a
 * member cut off by a crash mid-write). With an executor it behaves like a remote member: each
 * I/O runs there and its completion is handed back to the I/O's core, later than submit.
 */
final class FaultyBdev implements Bdev {

    private final Bdev inner;
    private final Executor remote;
    private final AtomicLong submitted = new AtomicLong();
    private final AtomicLong failAt = new AtomicLong(Long.MAX_VALUE);
    private final List<BdevIo> held = new CopyOnWriteArrayList<>();
    private volatile boolean failing;
    private final AtomicLong reads = new AtomicLong();
    private volatile Predicate<BdevIo> holding;
    private volatile CountDownLatch heldLatch;

    /** Completes inline, like the wrapped bdev. */
    FaultyBdev(Bdev inner) {
        this(inner, null);
    }

    /** Runs each I/O on {@code remote} and completes it on the I/O's core; inline if null. */
    FaultyBdev(Bdev inner, Executor remote) {
        this.inner = inner;
        this.remote = remote;
    }

    /** Every I/O from now on completes MEDIA_ERROR. */
    FaultyBdev failAll() {
        failing = true;
        return this;
    }

    /** The {@code nth} I/O from now (1 = the next one) completes MEDIA_ERROR, and every one after. */
    FaultyBdev failNth(long nth) {
        failAt.set(submitted.get() + nth);
        return this;
    }

    /** I/Os matching {@code which} are kept, neither forwarded nor completed, until released. */
    FaultyBdev hold(Predicate<BdevIo> which) {
        return hold(which, null);
    }

    /** {@link #hold(Predicate)}, counting {@code latch} down for each I/O held. */
    FaultyBdev hold(Predicate<BdevIo> which, CountDownLatch latch) {
        heldLatch = latch;
        holding = which;
        return this;
    }

    /** Completes every held I/O with {@code status} on its core. */
    void completeHeld(int status) {
        for (BdevIo io : held) {
            held.remove(io);
            io.core().execute(() -> io.complete(status));
        }
    }

    /** READs submitted so far. */
    long reads() {
        return reads.get();
    }

    Bdev inner() {
        return inner;
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
        return "test-faulty";
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
        long count = submitted.incrementAndGet();
        if (io.op() == BdevOp.READ) {
            reads.incrementAndGet();
        }
        Predicate<BdevIo> h = holding;
        if (h != null && h.test(io)) {
            held.add(io);
            CountDownLatch latch = heldLatch;
            if (latch != null) {
                latch.countDown();
            }
            return;
        }
        boolean fail = failing || count >= failAt.get();
        if (remote == null) {
            if (fail) {
                io.complete(BdevStatus.MEDIA_ERROR);
            } else {
                inner.submit(io);
            }
            return;
        }
        remote.execute(() -> {
            if (fail) {
                io.core().execute(() -> io.complete(BdevStatus.MEDIA_ERROR));
                return;
            }
            // The inner bdev completes on this thread: hand the completion to the I/O's core.
            BdevIo proxy = new BdevIo();
            proxy.prepare(io.op(), io.offsetBlocks(), io.numBlocks(), io.buffer(), Runnable::run,
                    p -> io.core().execute(() -> io.complete(p.status())), null);
            inner.submit(proxy);
        });
    }

    @Override
    public void close() {
        inner.close();
    }
}
