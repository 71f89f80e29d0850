package org.k200emu.nvme.pcie;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.malloc.MallocBdev;

/**
 * A malloc bdev whose I/O the test can hold: while {@link #hold} is set, submitted I/Os wait
 * until {@link #releaseAll()}, which completes them the way an asynchronous bdev does, through
 * each I/O's home core. Lets a test keep commands outstanding across a reset, a shutdown or a
 * queue deletion. Records the threads I/O was submitted on.
 */
final class HeldBdev implements Bdev {

    private final MallocBdev inner;
    private final List<BdevIo> held = new ArrayList<>();
    final Set<String> submitThreads = ConcurrentHashMap.newKeySet();
    volatile boolean hold;

    HeldBdev(String name, int blockSize, long blocks) {
        this.inner = new MallocBdev(name, blockSize, blocks);
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
        return "held";
    }

    @Override
    public boolean supports(BdevOp op) {
        return inner.supports(op);
    }

    @Override
    public boolean hasVolatileWriteCache() {
        return false;
    }

    @Override
    public void submit(BdevIo io) {
        submitThreads.add(Thread.currentThread().getName());
        if (hold) {
            synchronized (held) {
                held.add(io);
            }
            return;
        }
        inner.submit(io);
    }

    int heldCount() {
        synchronized (held) {
            return held.size();
        }
    }

    /** Stops holding and completes every held I/O on its home core. */
    void releaseAll() {
        hold = false;
        List<BdevIo> ios;
        synchronized (held) {
            ios = new ArrayList<>(held);
            held.clear();
        }
        for (BdevIo io : ios) {
            io.core().execute(() -> inner.submit(io));
        }
    }

    @Override
    public void close() {
        inner.close();
    }
}
