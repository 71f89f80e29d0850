package org.k200emu.nvme.controller;

/**
 * What the front end's transport tells the controller model to advertise in Identify Controller
 * and the CAP register.
 *
 * @param ioccsz          I/O queue command capsule size, 16-byte units (fabrics)
 * @param iorcsz          I/O queue response capsule size, 16-byte units (fabrics)
 * @param icdoff          in-capsule data offset, 16-byte units (fabrics)
 * @param mdts            maximum data transfer size, power of two of the 4 KiB minimum page
 * @param maxQueueEntries largest I/O queue (CAP.MQES + 1) and MAXCMD
 * @param maxIoQueues     I/O queues one controller may have
 */
public record TransportParams(int ioccsz, int iorcsz, int icdoff, int mdts, int maxQueueEntries,
                              int maxIoQueues) {

    public int maxTransferBytes() {
        return mdts == 0 ? Integer.MAX_VALUE : 4096 << mdts;
    }
}
