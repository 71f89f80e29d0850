package org.k200emu.bdev.lvol;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;

/**
 * A test member wrapped around another: I/Os matching {@link #dropWhen} never reach it and never
 * complete (power lost before they landed); {@link #failWhen} ones fail with MEDIA_ERROR;
 * {@link #holdWhen} ones wait until {@link #releaseHeld()}, which passes them on from their own
 * home core. Closing it leaves the wrapped bdev open.
 */
final class FaultyMember implements Bdev {

    private final Bdev delegate;
    private volatile Predicate<BdevIo> dropWhen = io -> false;
    private volatile Predicate<BdevIo> failWhen = io -> false;
    private volatile Predicate<BdevIo> holdWhen = io -> false;
    private final ConcurrentLinkedQueue<BdevIo> held = new ConcurrentLinkedQueue<>();
    final AtomicInteger dropped = new AtomicInteger();
    final AtomicInteger writes = new AtomicInteger();

    FaultyMember(Bdev delegate) {
        this.delegate = delegate;
    }

    FaultyMember dropWhen(Predicate<BdevIo> which) {
        dropWhen = which;
        return this;
    }

    FaultyMember failWhen(Predicate<BdevIo> which) {
        failWhen = which;
        return this;
    }

    FaultyMember holdWhen(Predicate<BdevIo> which) {
        holdWhen = which;
        return this;
    }

    int heldCount() {
        return held.size();
    }

    /** Passes every held I/O on to the wrapped bdev, each from its own home core. */
    void releaseHeld() {
        holdWhen = io -> false;
        BdevIo io;
        while ((io = held.poll()) != null) {
            BdevIo go = io;
            go.core().execute(() -> delegate.submit(go));
        }
    }

    /** Completes every held I/O with MEDIA_ERROR without passing it on (it never landed). */
    void failHeld() {
        holdWhen = io -> false;
        BdevIo io;
        while ((io = held.poll()) != null) {
            BdevIo go = io;
            go.core().execute(() -> go.complete(BdevStatus.MEDIA_ERROR));
        }
    }

    @Override
    public String name() {
        return "faulty-" + delegate.name();
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
        return delegate.module();
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
    public void submit(BdevIo io) {
        if (io.op() == BdevOp.WRITE) {
            writes.incrementAndGet();
        }
        if (dropWhen.test(io)) {
            dropped.incrementAndGet();
            return;
        }
        if (failWhen.test(io)) {
            io.complete(BdevStatus.MEDIA_ERROR);
            return;
        }
        if (holdWhen.test(io)) {
            held.add(io);
            return;
        }
        delegate.submit(io);
    }

    @Override
    public void close() {
    }
}
