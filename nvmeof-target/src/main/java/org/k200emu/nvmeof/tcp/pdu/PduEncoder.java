package org.k200emu.nvmeof.tcp.pdu;

import io.netty.buffer.ByteBuf;

/**
 * Writes NVMe/TCP PDUs into a buffer the caller allocated (typically a pooled buffer that the
 * connection then writes to the channel). Static methods, no state, no allocation.
 *
 * <p>Data PDUs are written zero-copy: {@link #writeC2HDataHeader} and {@link #writeH2CDataHeader}
 * write the header (and header digest) only, with PLEN accounting for the data and its digest; the
 * caller then writes the data buffer itself and, when DDGSTF is set (data digest on and data
 * non-empty), the digest via {@link #writeDataDigest}. Header digests are always computed here.
 * No method moves the reader index of its source buffers.
 */
public final class PduEncoder {

    private static final int DIGEST = PduFlags.DIGEST_LENGTH;

    private PduEncoder() {
    }

    /** ICReq: PFV 0, host PDU data alignment, wanted digests, MAXR2T (0-based). 128 bytes. */
    public static void writeIcReq(ByteBuf out, int hpda, boolean hdgst, boolean ddgst, int maxr2t) {
        writeCommonHeader(out, PduType.ICREQ, 0, PduType.IC_LENGTH, 0, PduType.IC_LENGTH);
        out.writeShortLE(0);
        out.writeByte(hpda);
        out.writeByte(digestBits(hdgst, ddgst));
        out.writeIntLE(maxr2t);
        out.writeZero(PduType.IC_LENGTH - 16);
    }

    /** ICResp: PFV 0, controller PDU data alignment, enabled digests, MAXH2CDATA. 128 bytes. */
    public static void writeIcResp(ByteBuf out, int cpda, boolean hdgst, boolean ddgst, int maxH2CData) {
        writeCommonHeader(out, PduType.ICRESP, 0, PduType.IC_LENGTH, 0, PduType.IC_LENGTH);
        out.writeShortLE(0);
        out.writeByte(cpda);
        out.writeByte(digestBits(hdgst, ddgst));
        out.writeIntLE(maxH2CData);
        out.writeZero(PduType.IC_LENGTH - 16);
    }

    /**
     * A whole CapsuleCmd: header, the 64 readable bytes of {@code sqe64}, header digest, then the
     * readable bytes of {@code inCapsuleData} (copied; may be null or empty) and their digest.
     * No padding (CPDA 0). Used by tests and tools; the initiator writes the data zero-copy after
     * {@link #writeCapsuleCmdHeader}.
     */
    public static void writeCapsuleCmd(ByteBuf out, ByteBuf sqe64, ByteBuf inCapsuleData, boolean hdgst,
                                       boolean ddgst) {
        int dataLength = inCapsuleData == null ? 0 : inCapsuleData.readableBytes();
        writeCapsuleCmdHeader(out, sqe64, dataLength, hdgst, ddgst);
        if (dataLength > 0) {
            out.writeBytes(inCapsuleData, inCapsuleData.readerIndex(), dataLength);
            if (ddgst) {
                writeDataDigest(out, inCapsuleData);
            }
        }
    }

    /**
     * The header of a CapsuleCmd (common header, SQE, header digest) whose {@code dataLength}
     * bytes of in-capsule data the caller writes next, then their digest when {@code ddgst} and
     * the data is non-empty. PLEN accounts for both.
     */
    public static void writeCapsuleCmdHeader(ByteBuf out, ByteBuf sqe64, int dataLength, boolean hdgst,
                                             boolean ddgst) {
        if (sqe64.readableBytes() < Pdu.CapsuleCmd.SQE_LENGTH) {
            throw new IllegalArgumentException("SQE needs 64 readable bytes, has " + sqe64.readableBytes());
        }
        if (dataLength < 0) {
            throw new IllegalArgumentException("negative data length " + dataLength);
        }
        int afterHeader = PduType.CAPSULE_CMD_HLEN + (hdgst ? DIGEST : 0);
        boolean dataDigest = ddgst && dataLength > 0;
        int plen = afterHeader + dataLength + (dataDigest ? DIGEST : 0);
        int start = out.writerIndex();
        writeCommonHeader(out, PduType.CAPSULE_CMD, digestFlags(hdgst, dataDigest), PduType.CAPSULE_CMD_HLEN,
                dataLength > 0 ? afterHeader : 0, plen);
        out.writeBytes(sqe64, sqe64.readerIndex(), Pdu.CapsuleCmd.SQE_LENGTH);
        writeHeaderDigest(out, start, PduType.CAPSULE_CMD_HLEN, hdgst);
    }

    /**
     * A CapsuleResp with its CQE. {@code statusField} is the 15-bit status (SC bits 7:0, SCT
     * bits 10:8, CRD, M, DNR) without the phase tag, which is 0 on fabrics.
     */
    public static void writeCapsuleResp(ByteBuf out, int dw0, int dw1, int sqhd, int sqid, int cid,
                                        int statusField, boolean hdgst) {
        int start = out.writerIndex();
        writeCommonHeader(out, PduType.CAPSULE_RESP, digestFlags(hdgst, false), PduType.SHORT_HLEN, 0,
                PduType.SHORT_HLEN + (hdgst ? DIGEST : 0));
        out.writeIntLE(dw0);
        out.writeIntLE(dw1);
        out.writeShortLE(sqhd);
        out.writeShortLE(sqid);
        out.writeShortLE(cid);
        out.writeShortLE((statusField & 0x7fff) << 1);
        writeHeaderDigest(out, start, PduType.SHORT_HLEN, hdgst);
    }

    /**
     * The header of a C2HData PDU whose {@code dataLength} bytes the caller writes next (then the
     * data digest if {@code ddgst} and the data is non-empty). SUCCESS requires LAST_PDU.
     */
    public static void writeC2HDataHeader(ByteBuf out, int cccid, int dataOffset, int dataLength, boolean last,
                                          boolean success, boolean hdgst, boolean ddgst) {
        if (success && !last) {
            throw new IllegalArgumentException("C2HData SUCCESS requires LAST_PDU");
        }
        int flags = (last ? PduFlags.LAST_PDU : 0) | (success ? PduFlags.SUCCESS : 0);
        writeDataHeader(out, PduType.C2H_DATA, flags, cccid, 0, dataOffset, dataLength, hdgst, ddgst);
    }

    /**
     * The header of an H2CData PDU answering the R2T tagged {@code ttag}; the caller writes the
     * data and its digest next, as for {@link #writeC2HDataHeader}.
     */
    public static void writeH2CDataHeader(ByteBuf out, int cccid, int ttag, int dataOffset, int dataLength,
                                          boolean last, boolean hdgst, boolean ddgst) {
        writeDataHeader(out, PduType.H2C_DATA, last ? PduFlags.LAST_PDU : 0, cccid, ttag, dataOffset, dataLength,
                hdgst, ddgst);
    }

    /** The data digest over the readable bytes of {@code data}, 4 bytes little-endian. */
    public static void writeDataDigest(ByteBuf out, ByteBuf data) {
        out.writeIntLE(Crc32c.compute(data, data.readerIndex(), data.readableBytes()));
    }

    /** A digest accumulated by the caller over several buffers (see {@link Crc32c#value()}). */
    public static void writeDataDigest(ByteBuf out, Crc32c digest) {
        out.writeIntLE(digest.value());
    }

    /** An R2T soliciting {@code length} bytes at {@code offset} of command {@code cccid}. */
    public static void writeR2T(ByteBuf out, int cccid, int ttag, int offset, int length, boolean hdgst) {
        int start = out.writerIndex();
        writeCommonHeader(out, PduType.R2T, digestFlags(hdgst, false), PduType.SHORT_HLEN, 0,
                PduType.SHORT_HLEN + (hdgst ? DIGEST : 0));
        out.writeShortLE(cccid);
        out.writeShortLE(ttag);
        out.writeIntLE(offset);
        out.writeIntLE(length);
        out.writeIntLE(0);
        writeHeaderDigest(out, start, PduType.SHORT_HLEN, hdgst);
    }

    /**
     * An H2CTermReq or C2HTermReq ({@code type}) with FES and FEI, carrying up to 128 readable
     * bytes of {@code offendingHeader} (may be null) as data. Never digests.
     */
    public static void writeTermReq(ByteBuf out, int type, int fes, int fei, ByteBuf offendingHeader) {
        if (!PduType.isTermReq(type)) {
            throw new IllegalArgumentException("not a TermReq type: " + PduType.name(type));
        }
        int n = offendingHeader == null ? 0 : Math.min(offendingHeader.readableBytes(), PduType.TERMREQ_MAX_DATA);
        writeCommonHeader(out, type, 0, PduType.SHORT_HLEN, 0, PduType.SHORT_HLEN + n);
        out.writeShortLE(fes);
        out.writeIntLE(fei);
        out.writeZero(PduType.SHORT_HLEN - 14);
        if (n > 0) {
            out.writeBytes(offendingHeader, offendingHeader.readerIndex(), n);
        }
    }

    /** {@link #writeTermReq(ByteBuf, int, int, int, ByteBuf)} from a {@link PduFormatException}. */
    public static void writeTermReq(ByteBuf out, int type, PduFormatException error) {
        byte[] header = error.offendingHeader();
        int n = Math.min(header.length, PduType.TERMREQ_MAX_DATA);
        if (!PduType.isTermReq(type)) {
            throw new IllegalArgumentException("not a TermReq type: " + PduType.name(type));
        }
        writeCommonHeader(out, type, 0, PduType.SHORT_HLEN, 0, PduType.SHORT_HLEN + n);
        out.writeShortLE(error.fes());
        out.writeIntLE(error.fei());
        out.writeZero(PduType.SHORT_HLEN - 14);
        out.writeBytes(header, 0, n);
    }

    private static void writeDataHeader(ByteBuf out, int type, int extraFlags, int cccid, int ttag, int dataOffset,
                                        int dataLength, boolean hdgst, boolean ddgst) {
        if (dataLength < 0) {
            throw new IllegalArgumentException("negative data length " + dataLength);
        }
        int afterHeader = PduType.SHORT_HLEN + (hdgst ? DIGEST : 0);
        boolean dataDigest = ddgst && dataLength > 0;
        int plen = afterHeader + dataLength + (dataDigest ? DIGEST : 0);
        int start = out.writerIndex();
        writeCommonHeader(out, type, digestFlags(hdgst, dataDigest) | extraFlags, PduType.SHORT_HLEN,
                dataLength > 0 ? afterHeader : 0, plen);
        out.writeShortLE(cccid);
        out.writeShortLE(ttag);
        out.writeIntLE(dataOffset);
        out.writeIntLE(dataLength);
        out.writeIntLE(0);
        writeHeaderDigest(out, start, PduType.SHORT_HLEN, hdgst);
    }

    private static void writeCommonHeader(ByteBuf out, int type, int flags, int hlen, int pdo, int plen) {
        out.writeByte(type);
        out.writeByte(flags);
        out.writeByte(hlen);
        out.writeByte(pdo);
        out.writeIntLE(plen);
    }

    private static void writeHeaderDigest(ByteBuf out, int start, int hlen, boolean hdgst) {
        if (hdgst) {
            out.writeIntLE(Crc32c.compute(out, start, hlen));
        }
    }

    private static int digestFlags(boolean hdgst, boolean ddgst) {
        return (hdgst ? PduFlags.HDGSTF : 0) | (ddgst ? PduFlags.DDGSTF : 0);
    }

    /** DGST byte of ICReq/ICResp: bit 0 header digest, bit 1 data digest. */
    private static int digestBits(boolean hdgst, boolean ddgst) {
        return (hdgst ? 0x01 : 0) | (ddgst ? 0x02 : 0);
    }
}
