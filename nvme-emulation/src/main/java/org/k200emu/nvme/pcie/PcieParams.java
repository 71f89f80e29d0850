package org.k200emu.nvme.pcie;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.Objects;
import org.k200emu.nvme.controller.TransportParams;

/**
 * What an emulated PCIe NVMe function is configured with: its limits as CAP and Identify
 * Controller advertise them, its interrupt mode, and the allocator its data buffers come from.
 * Immutable; the controller's state lives in {@link PcieController}.
 *
 * @param mdts             maximum data transfer size, a power of two of 4 KiB pages (1..16); every
 *                         transfer is staged in one buffer, so "no limit" (0) is not offered
 * @param maxQueueEntries  largest queue the host may create (CAP.MQES + 1), 2..65536
 * @param maxIoQueues      I/O submission (and completion) queues, 1..65535
 * @param interruptMode    pin-based, MSI or MSI-X
 * @param interruptVectors vectors the function has (1 for pin-based)
 * @param allocator        where the staging buffers handed to the controller model come from
 */
public record PcieParams(int mdts, int maxQueueEntries, int maxIoQueues, InterruptMode interruptMode,
                         int interruptVectors, ByteBufAllocator allocator) {

    public PcieParams {
        Objects.requireNonNull(interruptMode, "interruptMode");
        Objects.requireNonNull(allocator, "allocator");
        if (mdts < 1 || mdts > 16) {
            throw new IllegalArgumentException("MDTS must be 1..16: " + mdts);
        }
        if (maxQueueEntries < 2 || maxQueueEntries > 65536) {
            throw new IllegalArgumentException("queue entries must be 2..65536: " + maxQueueEntries);
        }
        if (maxIoQueues < 1 || maxIoQueues > 65535) {
            throw new IllegalArgumentException("I/O queues must be 1..65535: " + maxIoQueues);
        }
        if (interruptVectors < 1 || interruptVectors > interruptMode.maxVectors()) {
            throw new IllegalArgumentException(interruptMode + " allows 1.." + interruptMode.maxVectors()
                    + " vectors: " + interruptVectors);
        }
    }

    /** 128 KiB transfers, 1024-entry queues, 64 I/O queue pairs, one MSI-X vector per queue pair and the admin queue. */
    public static PcieParams defaults() {
        return new PcieParams(5, 1024, 64, InterruptMode.MSI_X, 65, PooledByteBufAllocator.DEFAULT);
    }

    public PcieParams withMdts(int newMdts) {
        return new PcieParams(newMdts, maxQueueEntries, maxIoQueues, interruptMode, interruptVectors, allocator);
    }

    public PcieParams withQueues(int newMaxQueueEntries, int newMaxIoQueues) {
        return new PcieParams(mdts, newMaxQueueEntries, newMaxIoQueues, interruptMode, interruptVectors, allocator);
    }

    public PcieParams withInterrupts(InterruptMode mode, int vectors) {
        return new PcieParams(mdts, maxQueueEntries, maxIoQueues, mode, vectors, allocator);
    }

    public PcieParams withAllocator(ByteBufAllocator newAllocator) {
        return new PcieParams(mdts, maxQueueEntries, maxIoQueues, interruptMode, interruptVectors, newAllocator);
    }

    /** Largest transfer in bytes (4 KiB << MDTS). */
    public int maxTransferBytes() {
        return HostMemory.PAGE_SIZE << mdts;
    }

    /** What the controller model advertises: no fabrics capsule fields on PCIe. */
    TransportParams transport() {
        return new TransportParams(0, 0, 0, mdts, maxQueueEntries, maxIoQueues);
    }
}
