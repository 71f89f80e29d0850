package org.k200emu.nvmeof.target;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * A decoded Fabrics Connect command (NVMe-oF 1.1, figures 19-20): SQE fields and the 1024-byte
 * data block with the host and subsystem identities.
 *
 * @param recfmt  record format, 0 is the only one defined
 * @param qid     queue to create: 0 is the admin queue
 * @param sqsize  submission queue size, 0-based
 * @param cattr   connect attributes
 * @param kato    keep-alive timeout in milliseconds (admin queue only)
 * @param hostId  host identifier
 * @param cntlid  0xFFFF for a new controller (dynamic model), else the controller to join
 * @param subnqn  subsystem the host connects to
 * @param hostNqn the host's NQN
 */
record ConnectRequest(int recfmt, int qid, int sqsize, int cattr, int kato, UUID hostId, int cntlid, String subnqn,
                      String hostNqn) {

    static final int DATA_LENGTH = 1024;
    /** Dynamic controller model: "any controller" in an admin Connect. */
    static final int DYNAMIC_CNTLID = 0xFFFF;

    // Offsets reported back in Connect Invalid Parameters (IATTR 0: SQE, 1: data).
    static final int SQE_QID = 42;
    static final int SQE_SQSIZE = 44;
    static final int DATA_CNTLID = 16;
    static final int DATA_SUBNQN = 256;
    static final int DATA_HOSTNQN = 512;

    /** Reads the SQE at index 0 of {@code sqe} and the data block at the reader index of {@code data}. */
    static ConnectRequest parse(ByteBuf sqe, ByteBuf data) {
        int d = data.readerIndex();
        UUID hostId = new UUID(data.getLong(d), data.getLong(d + 8));
        return new ConnectRequest(sqe.getUnsignedShortLE(40), sqe.getUnsignedShortLE(SQE_QID),
                sqe.getUnsignedShortLE(SQE_SQSIZE), sqe.getUnsignedByte(46), sqe.getIntLE(48), hostId,
                data.getUnsignedShortLE(d + DATA_CNTLID), text(data, d + DATA_SUBNQN), text(data, d + DATA_HOSTNQN));
    }

    /** A NUL-terminated (or 256-byte) UTF-8 NQN field. */
    private static String text(ByteBuf data, int at) {
        int n = 0;
        while (n < 256 && data.getByte(at + n) != 0) {
            n++;
        }
        return data.toString(at, n, StandardCharsets.UTF_8);
    }

    boolean isAdmin() {
        return qid == 0;
    }
}
