package org.k200emu.nvme.pcie;

import io.netty.buffer.ByteBufAllocator;
import org.k200emu.nvme.controller.NvmeRequest;

/**
 * One slot of a submission queue: the reusable {@link NvmeRequest} the controller model runs,
 * the queue it belongs to, and where the command's data lies in host memory. Allocated with the
 * queue, never per command.
 */
final class PcieCommand {
    static final int NO_DATA = 0;
    static final int HOST_TO_CONTROLLER = 1;
    static final int CONTROLLER_TO_HOST = 2;

    final NvmeRequest request;
    final SubmissionQueue sq;
    final DmaList dma = new DmaList();
    /** Data direction of the command in flight, from bits 1:0 of its opcode. */
    int direction;
    /** Counted as outstanding for shutdown (everything but a held Asynchronous Event Request). */
    boolean counted;

    PcieCommand(int slot, SubmissionQueue sq, ByteBufAllocator allocator) {
        this.sq = sq;
        this.request = new NvmeRequest(slot);
        request.qid(sq.id).allocator(allocator).transportContext(this);
    }
}
