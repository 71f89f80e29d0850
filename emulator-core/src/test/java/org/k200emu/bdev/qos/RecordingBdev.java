package org.k200emu.bdev.qos;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;

/**
 * A test member for the QoS bdev: records every I/O it is given (the submitter's context object,
 * op, bytes, thread) and passes it to the wrapped bdev. Closing it leaves the wrapped bdev open.
 */
final class RecordingBdev implements Bdev {

    /** One I/O as the member saw it. */
    record Seen(Object context, BdevOp op, long lba, long bytes, Thread thread) {
    }

    private final Bdev delegate;
    private final Queue<Seen> log = new ConcurrentLinkedQueue<>();
    private final AtomicLong count = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final Queue<BdevIo> held = new ConcurrentLinkedQueue<>();
    private volatile int failWith = -1;
    private volatile boolean holding;

    /** Every I/O from now on completes with {@code status} (-1: pass them on again). */
    void failWith(int status) {
        failWith = status;
    }

    /** While on, I/Os are kept (not completed) until {@link #completeHeld} — a member that completes late. */
    void hold(boolean on) {
        holding = on;
    }

    /** Passes the held I/Os on, each on its own core, from the calling thread; returns how many. */
    int completeHeld() {
        int n = 0;
        BdevIo io;
        while ((io = held.poll()) != null) {
            BdevIo i = io;
            i.core().execute(() -> delegate.submit(i));
            n++;
        }
        return n;
    }

    RecordingBdev(Bdev delegate) {
        this.delegate = delegate;
    }

    long count() {
        return count.get();
    }

    long bytes() {
        return bytes.get();
    }

    Queue<Seen> log() {
        return log;
    }

    @Override
    public void submit(BdevIo io) {
        long b = io.op() == BdevOp.READ || io.op() == BdevOp.WRITE ? io.numBlocks() * delegate.blockSize() : 0;
        log.add(new Seen(io.context(), io.op(), io.offsetBlocks(), b, Thread.currentThread()));
        bytes.addAndGet(b);
        count.incrementAndGet();
        int fail = failWith;
        if (fail >= 0) {
            io.complete(fail);
        } else if (holding) {
            held.add(io);
        } else {
            delegate.submit(io);
        }
    }

    @Override
    public String name() {
        return "rec-" + delegate.name();
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
        return "recording";
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
