package org.k200emu.nvmeof.tcp.pdu;

import io.netty.handler.codec.DecoderException;
import java.util.Arrays;

/**
 * A fatal NVMe/TCP transport error found by {@link PduDecoder}: the connection must send a
 * TermReq with {@link #fes()} and {@link #fei()} (and {@link #offendingHeader()} as its data) and
 * close. Thrown only on this cold path; it reaches the pipeline's {@code exceptionCaught}
 * unwrapped because it is a {@link DecoderException}.
 */
public final class PduFormatException extends DecoderException {

    private static final long serialVersionUID = 1L;

    private final int fes;
    private final int fei;
    private final byte[] offendingHeader;

    /** An error without a copy of the offending header. */
    public PduFormatException(int fes, int fei, String message) {
        this(fes, fei, message, new byte[0]);
    }

    /**
     * An error with a copy of the offending PDU header (at most 128 bytes are kept, the most a
     * TermReq can carry).
     */
    public PduFormatException(int fes, int fei, String message, byte[] offendingHeader) {
        super(TermReqStatus.name(fes) + " (FEI " + fei + "): " + message);
        this.fes = fes;
        this.fei = fei;
        this.offendingHeader = offendingHeader.length > PduType.TERMREQ_MAX_DATA
                ? Arrays.copyOf(offendingHeader, PduType.TERMREQ_MAX_DATA)
                : offendingHeader.clone();
    }

    /** Fatal Error Status, one of {@link TermReqStatus}. */
    public int fes() {
        return fes;
    }

    /** Fatal Error Information: for an invalid header field, the field's byte offset. */
    public int fei() {
        return fei;
    }

    /** A copy of the header bytes of the PDU in error, for the TermReq's data (may be empty). */
    public byte[] offendingHeader() {
        return offendingHeader.clone();
    }
}
