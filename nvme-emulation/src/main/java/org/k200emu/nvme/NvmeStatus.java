package org.k200emu.nvme;

/**
 * NVMe completion status codes (NVMe Base 1.4, section 4.6.1.2), encoded as
 * {@code (SCT << 8) | SC}, with the Do Not Retry bit kept apart in {@link #DNR}.
 * {@link #toCqeStatusField(int)} gives the 15-bit Status Field of the completion queue entry.
 */
public final class NvmeStatus {
    /** Do Not Retry, bit 14 of the Status Field; OR it into a code to set it. */
    public static final int DNR = 1 << 14;

    public static final int SUCCESS = 0x000;
    // Generic command status (SCT 0).
    public static final int INVALID_OPCODE = 0x001;
    public static final int INVALID_FIELD = 0x002;
    public static final int CID_CONFLICT = 0x003;
    public static final int DATA_TRANSFER_ERROR = 0x004;
    public static final int ABORTED_POWER_LOSS = 0x005;
    public static final int INTERNAL = 0x006;
    public static final int ABORT_REQUESTED = 0x007;
    public static final int ABORTED_SQ_DELETION = 0x008;
    public static final int INVALID_NAMESPACE = 0x00B;
    public static final int CMD_SEQ_ERROR = 0x00C;
    public static final int INVALID_SGL_SEG_DESCRIPTOR = 0x00D;
    public static final int DATA_SGL_LENGTH_INVALID = 0x00F;
    public static final int SGL_DESCRIPTOR_TYPE_INVALID = 0x011;
    public static final int TRANSIENT_TRANSPORT_ERROR = 0x022;
    public static final int LBA_OUT_OF_RANGE = 0x080;
    public static final int CAPACITY_EXCEEDED = 0x081;
    public static final int NS_NOT_READY = 0x082;
    // Command specific status (SCT 1).
    public static final int INVALID_QUEUE_ID = 0x101;
    public static final int INVALID_QUEUE_SIZE = 0x102;
    public static final int ABORT_LIMIT_EXCEEDED = 0x103;
    public static final int AER_LIMIT_EXCEEDED = 0x105;
    public static final int INVALID_FIRMWARE_SLOT = 0x106;
    public static final int INVALID_LOG_PAGE = 0x109;
    public static final int FEATURE_NOT_SAVEABLE = 0x10D;
    public static final int FEATURE_NOT_CHANGEABLE = 0x10E;
    public static final int CONNECT_INCOMPATIBLE_FORMAT = 0x180;
    public static final int CONNECT_CONTROLLER_BUSY = 0x181;
    public static final int CONNECT_INVALID_PARAMETERS = 0x182;
    public static final int CONNECT_RESTART_DISCOVERY = 0x183;
    public static final int CONNECT_INVALID_HOST = 0x184;
    /** NVM command set, Read/Write/Compare/Write Zeroes: a PRINFO the namespace's format cannot take. */
    public static final int INVALID_PROTECTION_INFO = 0x181;
    // Media and data integrity errors (SCT 2).
    public static final int WRITE_FAULT = 0x280;
    public static final int UNRECOVERED_READ_ERROR = 0x281;
    /** End-to-end Guard Check Error: a block's CRC-16 does not match its protection information. */
    public static final int GUARD_CHECK_ERROR = 0x282;
    /** End-to-end Application Tag Check Error: the tag, under LBATM, is not LBAT. */
    public static final int APP_TAG_CHECK_ERROR = 0x283;
    /** End-to-end Reference Tag Check Error: the tag is not the expected (ILBRT-based) value. */
    public static final int REF_TAG_CHECK_ERROR = 0x284;
    public static final int COMPARE_FAILURE = 0x285;
    // Path related (SCT 3). ANA: the namespace cannot be reached through this controller's port.
    public static final int ANA_PERSISTENT_LOSS = 0x301;
    public static final int ANA_INACCESSIBLE = 0x302;
    public static final int ANA_TRANSITION = 0x303;
    // Set by a host when the transport, not the controller, failed a command.
    public static final int HOST_PATH_ERROR = 0x370;
    public static final int HOST_ABORTED_COMMAND = 0x371;

    private NvmeStatus() {
    }

    public static int withDnr(int status) {
        return status | DNR;
    }

    public static int sct(int status) {
        return (status >>> 8) & 0x7;
    }

    public static int sc(int status) {
        return status & 0xFF;
    }

    /** The CQE Status Field (bits 15:1 of DW3's upper half, without the phase tag). */
    public static int toCqeStatusField(int status) {
        return (status & 0xFF) | (((status >>> 8) & 0x7) << 8) | (status & DNR);
    }

    public static String name(int status) {
        String dnr = (status & DNR) != 0 ? "|DNR" : "";
        return String.format("SCT%d/SC0x%02x%s", sct(status), sc(status), dnr);
    }
}
