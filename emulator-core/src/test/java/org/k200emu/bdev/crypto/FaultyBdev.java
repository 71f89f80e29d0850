package org.k200emu.bdev.crypto;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;

/**
 * A test bdev wrapped around another: it records every I/O it is given, fails I/Os on demand
 * (all from now on, the Nth from now, or those matching a predicate), and can hold I/Os back
 * until the test releases them, so a stacked bdev sees a member that completes late and in an
 * order the test chooses. Used by the crypt and integrity tests; closing it leaves the wrapped
 * bdev open.
 */
public final class FaultyBdev implements Bdev {

    /** One I/O as submitted. */
    public record Submitted(BdevOp op, long lba, long blocks) {
    }

    private final Bdev delegate;
    private final String name;
    private final List<Submitted> log = new CopyOnWriteArrayList<>();
    private final Queue<Runnable> held = new ConcurrentLinkedQueue<>();
    private final AtomicInteger countdown = new AtomicInteger(-1);
    private volatile Predicate<BdevIo> failWhen = io -> false;
    private volatile int failStatus = BdevStatus.MEDIA_ERROR;
    private volatile boolean holding;

    public FaultyBdev(Bdev delegate) {
        this.delegate = delegate;
        this.name = "faulty-" + delegate.name();
    }

    /** Every I/O from now on fails with {@code status}. */
    public FaultyBdev failAll(int status) {
        failStatus = status;
        failWhen = io -> true;
        return this;
    }

    /** I/Os matching {@code which} fail with MEDIA_ERROR from now on. */
    public FaultyBdev failWhen(Predicate<BdevIo> which) {
        failStatus = BdevStatus.MEDIA_ERROR;
        failWhen = which;
        return this;
    }

    /** The {@code n}th I/O from now (1 = the next) fails with MEDIA_ERROR; the others pass. */
    public FaultyBdev failNth(int n) {
        failStatus = BdevStatus.MEDIA_ERROR;
        countdown.set(n);
        return this;
    }

    /** No more failures. */
    public FaultyBdev heal() {
        failWhen = io -> false;
        countdown.set(-1);
        return this;
    }

    /** While on, I/Os are held back (not given to the wrapped bdev) until released. */
    public FaultyBdev hold(boolean on) {
        holding = on;
        return this;
    }

    /** How many I/Os are held back. */
    public int heldCount() {
        return held.size();
    }

    /** Gives the oldest held I/O to the wrapped bdev, on its home core; false if none was held. */
    public boolean releaseNext() {
        Runnable r = held.poll();
        if (r == null) {
            return false;
        }
        r.run();
        return true;
    }

    /** Releases held I/Os (and any that their completions submit) until none is left. */
    public void releaseAll() {
        while (releaseNext()) {
            // keep going
        }
    }

    /** Everything submitted so far, in order. */
    public List<Submitted> log() {
        return log;
    }

    @Override
    public void submit(BdevIo io) {
        log.add(new Submitted(io.op(), io.offsetBlocks(), io.numBlocks()));
        int n = countdown.get();
        boolean nth = n > 0 && countdown.decrementAndGet() == 0;
        if (nth || failWhen.test(io)) {
            io.complete(failStatus);
            return;
        }
        if (holding) {
            held.add(() -> io.core().execute(() -> delegate.submit(io)));
            return;
        }
        delegate.submit(io);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int blockSize() {
        return delegate.blockSize();
    }

    @Override
    public long blockCount() {
        return delegate.blockCount();
    }

    @Override
    public String module() {
        return "faulty";
    }

    @Override
    public boolean supports(BdevOp op) {
        return delegate.supports(op);
    }

    @Override
    public boolean hasVolatileWriteCache() {
        return delegate.hasVolatileWriteCache();
    }

    @Override
    public void close() {
    }
}
