package org.k200emu.bench.run;

import java.util.concurrent.TimeUnit;
import org.k200emu.bench.job.JobSpec;
import org.k200emu.nvmeof.host.HostCommand;
import org.k200emu.nvmeof.host.HostCompletion;
import org.k200emu.nvmeof.host.HostQueuePair;

/**
 * A worker that drives one NVMe/TCP I/O queue pair of the initiator, entirely on that queue's
 * event loop: a completion resubmits the same command object with the slot's next I/O.
 */
final class RemoteWorker extends Worker implements HostCompletion {

    private final HostQueuePair queue;
    private final int nsid;
    /** The namespace's protection information type (0: none): commands then carry PRACT, as Linux sends them. */
    private final int piType;
    /** Which worker slot each command (by CID) is serving. */
    private final int[] slotOfCid;
    private final HostCommand[] commandOfSlot;
    private final Runnable[] resume;

    RemoteWorker(JobSpec job, IoPattern pattern, int blockSize, long seed, HostQueuePair queue, int nsid,
                 int piType) {
        super(job, pattern, blockSize, seed);
        if (queue.depth() < depth) {
            throw new IllegalArgumentException("iodepth " + depth + " exceeds the queue's " + queue.depth()
                    + " command slots");
        }
        this.queue = queue;
        this.nsid = nsid;
        this.piType = piType;
        this.slotOfCid = new int[queue.depth()];
        this.commandOfSlot = new HostCommand[depth];
        this.resume = new Runnable[depth];
        for (int i = 0; i < depth; i++) {
            int slot = i;
            resume[i] = () -> {
                commandOfSlot[slot] = null;
                issue(slot);
            };
        }
    }

    @Override
    void begin() {
        queue.eventLoop().execute(() -> {
            for (int slot = 0; slot < depth; slot++) {
                issue(slot);
            }
        });
    }

    @Override
    void submit(int slot, long now) {
        HostCommand c = commandOfSlot[slot];
        if (c == null) {
            c = queue.acquire();
            if (c == null) {
                throw new IllegalStateException("no free command slot on " + queue);
            }
            commandOfSlot[slot] = c;
            slotOfCid[c.cid()] = slot;
            c.onCompletion(this);
        }
        int blocks = pattern.ioBlocks();
        if (slotReads[slot]) {
            c.read(nsid, slotLba[slot], blocks, buffers[slot], ioBytes);
        } else {
            c.write(nsid, slotLba[slot], blocks, buffers[slot]);
        }
        c.protectionInformation(piType);
        queue.submit(c, now);
    }

    @Override
    void later(int slot, long delayNanos) {
        HostCommand c = commandOfSlot[slot];
        if (c != null) {
            // The command returns to the queue when this callback ends; the slot takes one again later.
            commandOfSlot[slot] = null;
        }
        queue.eventLoop().schedule(resume[slot], delayNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void completed(HostCommand c) {
        long now = System.nanoTime();
        int slot = slotOfCid[c.cid()];
        completed(slot, c.status(), now - c.submitNanos(), now);
    }
}
