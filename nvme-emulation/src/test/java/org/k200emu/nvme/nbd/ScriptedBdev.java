package org.k200emu.nvme.nbd;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;

/**
 * A test bdev over another one: records the operations it is given, can claim a volatile write
 * cache, can hold I/O until {@link #release()} and can fail writes with a given status.
 */
final class ScriptedBdev implements Bdev {

    final Bdev inner;
    final boolean volatileCache;
    final List<BdevOp> ops = new CopyOnWriteArrayList<>();
    private final Queue<BdevIo> held = new ConcurrentLinkedQueue<>();
    volatile boolean hold;
    volatile int failWritesWith = BdevStatus.SUCCESS;

    ScriptedBdev(Bdev inner, boolean volatileCache) {
        this.inner = inner;
        this.volatileCache = volatileCache;
    }

    int held() {
        return held.size();
    }

    /** Stops holding and lets every held I/O run, each on its own home core. */
    void release() {
        hold = false;
        BdevIo io;
        while ((io = held.poll()) != null) {
            BdevIo next = io;
            next.core().execute(() -> inner.submit(next));
        }
    }

    @Override
    public void submit(BdevIo io) {
        ops.add(io.op());
        if (failWritesWith != BdevStatus.SUCCESS && io.op() == BdevOp.WRITE) {
            io.complete(failWritesWith);
            return;
        }
        if (hold) {
            held.add(io);
            return;
        }
        inner.submit(io);
    }

    @Override
    public String name() {
        return inner.name();
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
        return "scripted";
    }

    @Override
    public boolean supports(BdevOp op) {
        return inner.supports(op);
    }

    @Override
    public boolean hasVolatileWriteCache() {
        return volatileCache;
    }

    @Override
    public void close() {
        inner.close();
    }
}
