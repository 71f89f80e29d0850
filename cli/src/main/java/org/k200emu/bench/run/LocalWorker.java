package org.k200emu.bench.run;

import java.util.concurrent.locks.LockSupport;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevCompletion;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bench.job.JobSpec;

/**
 * A worker that drives a local bdev (null or malloc, which complete inline) from a thread of its
 * own, to measure the bdev layer without the network. Completions land on a stack of ready
 * slots that the thread's loop drains, so inline completion never recurses.
 */
final class LocalWorker extends Worker implements BdevCompletion {

    private final Bdev bdev;
    private final BdevIo[] ios;
    private final long[] submitted;
    private final long[] wakeAt;
    private final int[] ready;
    private int readyCount;
    private Thread thread;

    LocalWorker(JobSpec job, IoPattern pattern, long seed, Bdev bdev) {
        super(job, pattern, bdev.blockSize(), seed);
        this.bdev = bdev;
        this.ios = new BdevIo[depth];
        this.submitted = new long[depth];
        this.wakeAt = new long[depth];
        this.ready = new int[depth];
        for (int i = 0; i < depth; i++) {
            ios[i] = new BdevIo();
        }
    }

    @Override
    void begin() {
        thread = new Thread(this::loop, "k200-bench-" + job.name());
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        for (int slot = 0; slot < depth; slot++) {
            issue(slot);
        }
        while (!done.isDone()) {
            if (readyCount > 0) {
                int slot = ready[--readyCount];
                BdevIo io = ios[slot];
                long now = System.nanoTime();
                completed(slot, io.status(), now - submitted[slot], now);
                continue;
            }
            long now = System.nanoTime();
            long earliest = Long.MAX_VALUE;
            for (int slot = 0; slot < depth; slot++) {
                long t = wakeAt[slot];
                if (t != 0) {
                    if (t <= now) {
                        wakeAt[slot] = 0;
                        issue(slot);
                    } else {
                        earliest = Math.min(earliest, t);
                    }
                }
            }
            if (readyCount == 0 && earliest != Long.MAX_VALUE) {
                LockSupport.parkNanos(Math.min(earliest - now, 1_000_000));
            } else if (readyCount == 0 && earliest == Long.MAX_VALUE && !done.isDone()) {
                Thread.onSpinWait();
            }
        }
    }

    @Override
    void submit(int slot, long now) {
        int blocks = pattern.ioBlocks();
        BdevOp op = slotReads[slot] ? BdevOp.READ : BdevOp.WRITE;
        if (slotReads[slot]) {
            buffers[slot].setIndex(0, 0);
        }
        submitted[slot] = now;
        bdev.submit(ios[slot].prepare(op, slotLba[slot], blocks, buffers[slot], Runnable::run, this, null));
    }

    @Override
    void later(int slot, long delayNanos) {
        wakeAt[slot] = System.nanoTime() + Math.max(delayNanos, 1);
    }

    @Override
    public void bdevIoDone(BdevIo io) {
        for (int slot = 0; slot < depth; slot++) {
            if (ios[slot] == io) {
                ready[readyCount++] = slot;
                return;
            }
        }
    }
}
