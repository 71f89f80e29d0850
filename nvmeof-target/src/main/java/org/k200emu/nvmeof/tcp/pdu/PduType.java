package org.k200emu.nvmeof.tcp.pdu;

/**
 * NVMe/TCP PDU types (byte 0 of the common header) and the fixed header length (HLEN) each one
 * must carry. Pure constants, shared by the decoder, the encoder and the connection logic.
 */
public final class PduType {

    /** Initialize Connection Request, host to controller; 128-byte PDU, no digests. */
    public static final int ICREQ = 0x00;
    /** Initialize Connection Response, controller to host; 128-byte PDU, no digests. */
    public static final int ICRESP = 0x01;
    /** Host to Controller Terminate Connection Request. */
    public static final int H2C_TERMREQ = 0x02;
    /** Controller to Host Terminate Connection Request. */
    public static final int C2H_TERMREQ = 0x03;
    /** Command capsule: 64-byte SQE, optional in-capsule data. */
    public static final int CAPSULE_CMD = 0x04;
    /** Response capsule: 16-byte CQE. */
    public static final int CAPSULE_RESP = 0x05;
    /** Host to Controller data (write data solicited by an R2T). */
    public static final int H2C_DATA = 0x06;
    /** Controller to Host data (read data). */
    public static final int C2H_DATA = 0x07;
    /** Ready to Transfer: the controller solicits write data. */
    public static final int R2T = 0x09;

    /** Length of the common header every PDU starts with. */
    public static final int COMMON_HEADER_LENGTH = 8;
    /** HLEN and PLEN of ICReq and ICResp. */
    public static final int IC_LENGTH = 128;
    /** HLEN of a capsule command: common header + 64-byte SQE. */
    public static final int CAPSULE_CMD_HLEN = 72;
    /** HLEN of the 24-byte headers: capsule response, data PDUs, R2T and TermReq. */
    public static final int SHORT_HLEN = 24;
    /** Largest amount of offending-PDU header a TermReq carries as data (PLEN at most 152). */
    public static final int TERMREQ_MAX_DATA = 128;

    private PduType() {
    }

    /**
     * The HLEN the specification fixes for {@code type}, or -1 for a type that does not exist.
     */
    public static int headerLength(int type) {
        switch (type) {
            case ICREQ:
            case ICRESP:
                return IC_LENGTH;
            case CAPSULE_CMD:
                return CAPSULE_CMD_HLEN;
            case H2C_TERMREQ:
            case C2H_TERMREQ:
            case CAPSULE_RESP:
            case H2C_DATA:
            case C2H_DATA:
            case R2T:
                return SHORT_HLEN;
            default:
                return -1;
        }
    }

    /** Whether {@code type} is a TermReq (either direction); those never carry digests. */
    public static boolean isTermReq(int type) {
        return type == H2C_TERMREQ || type == C2H_TERMREQ;
    }

    /** Whether {@code type} is ICReq or ICResp; those never carry digests. */
    public static boolean isConnectionSetup(int type) {
        return type == ICREQ || type == ICRESP;
    }

    /** Whether {@code type} may carry PDU data located by PDO (and covered by the data digest). */
    public static boolean carriesData(int type) {
        return type == CAPSULE_CMD || type == H2C_DATA || type == C2H_DATA;
    }

    /** Short name for logs and error messages, e.g. {@code "CapsuleCmd"}; unknown types as hex. */
    public static String name(int type) {
        switch (type) {
            case ICREQ:
                return "ICReq";
            case ICRESP:
                return "ICResp";
            case H2C_TERMREQ:
                return "H2CTermReq";
            case C2H_TERMREQ:
                return "C2HTermReq";
            case CAPSULE_CMD:
                return "CapsuleCmd";
            case CAPSULE_RESP:
                return "CapsuleResp";
            case H2C_DATA:
                return "H2CData";
            case C2H_DATA:
                return "C2HData";
            case R2T:
                return "R2T";
            default:
                return String.format("Unknown(0x%02x)", type);
        }
    }
}
