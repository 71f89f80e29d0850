package org.k200emu.nvmeof.tcp.pdu;

/**
 * Fatal Error Status (FES) codes carried by H2CTermReq and C2HTermReq, and the Fatal Error
 * Information (FEI) meaning that goes with them. Constants only.
 */
public final class TermReqStatus {

    /** Invalid PDU Header Field; FEI is the byte offset of the bad field within the header. */
    public static final int INVALID_PDU_HEADER_FIELD = 0x01;
    /** PDU Sequence Error (e.g. first PDU not ICReq, second ICReq); FEI reserved (0). */
    public static final int PDU_SEQUENCE_ERROR = 0x02;
    /** Header Digest Error; FEI reserved (0). */
    public static final int HEADER_DIGEST_ERROR = 0x03;
    /** Data Transfer Out Of Range (data outside the command's buffer); FEI reserved (0). */
    public static final int DATA_TRANSFER_OUT_OF_RANGE = 0x04;
    /** Data Transfer Limit Exceeded (R2T limit, or H2CData larger than MAXH2CDATA). */
    public static final int DATA_TRANSFER_LIMIT_EXCEEDED = 0x05;
    /** Unsupported Parameter (e.g. PFV in ICReq); FEI is the byte offset of the field. */
    public static final int UNSUPPORTED_PARAMETER = 0x06;

    private TermReqStatus() {
    }

    /** Short name for logs. */
    public static String name(int fes) {
        switch (fes) {
            case INVALID_PDU_HEADER_FIELD:
                return "Invalid PDU Header Field";
            case PDU_SEQUENCE_ERROR:
                return "PDU Sequence Error";
            case HEADER_DIGEST_ERROR:
                return "Header Digest Error";
            case DATA_TRANSFER_OUT_OF_RANGE:
                return "Data Transfer Out Of Range";
            case DATA_TRANSFER_LIMIT_EXCEEDED:
                return "Data Transfer Limit Exceeded";
            case UNSUPPORTED_PARAMETER:
                return "Unsupported Parameter";
            default:
                return String.format("FES(0x%02x)", fes);
        }
    }
}
