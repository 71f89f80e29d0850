package org.k200emu.nvmeof.target;

import org.k200emu.nvme.controller.TransportParams;
import org.k200emu.nvmeof.tcp.pdu.PduFlags;
import org.k200emu.nvmeof.tcp.pdu.PduType;

/**
 * The target's NVMe/TCP limits, advertised to hosts in ICResp and Identify Controller.
 *
 * @param maxH2CData        largest H2CData PDU data the target accepts (ICResp MAXH2CDATA)
 * @param inCapsuleDataSize largest in-capsule data of a command capsule (IOCCSZ - 64 bytes)
 * @param mdts              maximum data transfer size, as a power of two of 4 KiB
 * @param maxQueueEntries   largest queue a host may create (CAP.MQES + 1)
 * @param maxIoQueues       I/O queues per controller
 */
public record TcpTransportSettings(int maxH2CData, int inCapsuleDataSize, int mdts, int maxQueueEntries,
                                   int maxIoQueues) {

    /** 4 KiB, the smallest MAXH2CDATA the transport allows. */
    public static final int MIN_MAX_H2C_DATA = 4096;

    public TcpTransportSettings {
        if (maxH2CData < MIN_MAX_H2C_DATA || maxH2CData % 4 != 0) {
            throw new IllegalArgumentException("maxH2CData must be a multiple of 4, at least 4096: " + maxH2CData);
        }
        if (inCapsuleDataSize < 1024 || inCapsuleDataSize % 16 != 0) {
            // Fabrics Connect carries 1024 bytes of in-capsule data on every queue.
            throw new IllegalArgumentException("inCapsuleDataSize must be a multiple of 16, at least 1024: "
                    + inCapsuleDataSize);
        }
        if (mdts < 1 || mdts > 12) {
            throw new IllegalArgumentException("mdts must be 1..12: " + mdts);
        }
        if (maxQueueEntries < 32 || maxQueueEntries > 4096) {
            throw new IllegalArgumentException("maxQueueEntries must be 32..4096: " + maxQueueEntries);
        }
        if (maxIoQueues < 1 || maxIoQueues > 0xFFFE) {
            throw new IllegalArgumentException("maxIoQueues must be 1..65534: " + maxIoQueues);
        }
    }

    /** 128 KiB H2CData, 8 KiB in-capsule, 1 MiB transfers, queues of up to 1024 entries, 64 I/O queues. */
    public static TcpTransportSettings defaults() {
        return new TcpTransportSettings(128 * 1024, 8192, 8, 1024, 64);
    }

    /** Largest transfer one command may move, in bytes. */
    public int maxTransferBytes() {
        return 4096 << mdts;
    }

    /** What the controller model advertises for an NVM subsystem's controllers. */
    public TransportParams nvmTransportParams() {
        return new TransportParams((64 + inCapsuleDataSize) / 16, 1, 0, mdts, maxQueueEntries, maxIoQueues);
    }

    /** What a discovery controller advertises: no I/O queues. */
    public TransportParams discoveryTransportParams() {
        return new TransportParams((64 + inCapsuleDataSize) / 16, 1, 0, mdts, maxQueueEntries, 0);
    }

    /** Largest PDU a connection may receive: a full command capsule or a full H2CData PDU. */
    public int maxReceivedPdu() {
        int digests = 2 * PduFlags.DIGEST_LENGTH;
        int capsule = PduType.CAPSULE_CMD_HLEN + inCapsuleDataSize + digests;
        int h2cData = PduType.SHORT_HLEN + maxH2CData + digests;
        return Math.max(capsule, h2cData);
    }
}
