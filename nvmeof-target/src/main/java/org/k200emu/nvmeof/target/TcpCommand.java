package org.k200emu.nvmeof.target;

import io.netty.buffer.ByteBuf;
import org.k200emu.nvme.controller.NvmeRequest;

/**
 * One queue slot of a {@link TcpQueuePair}: the reusable {@link NvmeRequest} and the transport
 * state of the command that occupies it, such as how much write data its R2Ts have brought in.
 * Preallocated per slot; the slot index doubles as the R2T transfer tag.
 */
final class TcpCommand {

    final int slot;
    final NvmeRequest request;

    /** Write data being gathered through R2T/H2CData (owned here until the command is dispatched). */
    ByteBuf writeBuffer;
    /** Bytes the host must send for this command. */
    int expected;
    /** Bytes received so far. */
    int received;
    /** End offset of the current R2T's range. */
    int r2tEnd;
    /** Waiting for H2CData. */
    boolean awaitingData;
    /** A data digest failed: the data is gathered and dropped, the command fails. */
    boolean dataDigestFailed;

    TcpCommand(int slot) {
        this.slot = slot;
        this.request = new NvmeRequest(slot);
        this.request.transportContext(this);
    }

    void reset() {
        writeBuffer = null;
        expected = 0;
        received = 0;
        r2tEnd = 0;
        awaitingData = false;
        dataDigestFailed = false;
    }
}
