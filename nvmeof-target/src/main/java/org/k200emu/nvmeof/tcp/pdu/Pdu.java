package org.k200emu.nvmeof.tcp.pdu;

import io.netty.buffer.ByteBuf;

/**
 * Flyweight field accessors over a ByteBuf that holds one whole PDU starting at its readerIndex
 * (as {@link PduDecoder} emits them). Nothing is copied or allocated and no index moves; the
 * caller keeps ownership of the buffer. Offsets are those of the NVMe/TCP transport
 * specification 1.0, section 3.6; multi-byte fields are little-endian.
 *
 * <p>Per-type fields live in the nested classes ({@link IcReq}, {@link CapsuleCmd},
 * {@link H2CData}, ...). The accessors trust the frame: use them on PDUs that the decoder
 * validated, or that the encoder wrote.
 */
public final class Pdu {

    private Pdu() {
    }

    /** PDU-Type (byte 0), one of {@link PduType}. */
    public static int type(ByteBuf pdu) {
        return pdu.getUnsignedByte(pdu.readerIndex());
    }

    /** FLAGS (byte 1), bits of {@link PduFlags}. */
    public static int flags(ByteBuf pdu) {
        return pdu.getUnsignedByte(pdu.readerIndex() + 1);
    }

    /** HLEN (byte 2): header length, without the header digest. */
    public static int hlen(ByteBuf pdu) {
        return pdu.getUnsignedByte(pdu.readerIndex() + 2);
    }

    /** PDO (byte 3): offset of the PDU data from the PDU start; 0 when there is no data. */
    public static int pdo(ByteBuf pdu) {
        return pdu.getUnsignedByte(pdu.readerIndex() + 3);
    }

    /** PLEN (bytes 4-7): the whole PDU length including digests and padding. */
    public static int plen(ByteBuf pdu) {
        return pdu.getIntLE(pdu.readerIndex() + 4);
    }

    /** Whether the header digest follows the header (HDGSTF). */
    public static boolean hasHeaderDigest(ByteBuf pdu) {
        return (flags(pdu) & PduFlags.HDGSTF) != 0;
    }

    /** Whether the data digest follows the data (DDGSTF). */
    public static boolean hasDataDigest(ByteBuf pdu) {
        return (flags(pdu) & PduFlags.DDGSTF) != 0;
    }

    /**
     * Length of the PDU data: in-capsule data of a CapsuleCmd, the data of H2CData/C2HData, the
     * copied header of a TermReq; 0 for the other types. Excludes padding and digests.
     */
    public static int dataLength(ByteBuf pdu) {
        int type = type(pdu);
        if (PduType.isTermReq(type)) {
            return plen(pdu) - hlen(pdu);
        }
        if (!PduType.carriesData(type)) {
            return 0;
        }
        int pdo = pdo(pdu);
        int afterHeader = hlen(pdu) + (hasHeaderDigest(pdu) ? PduFlags.DIGEST_LENGTH : 0);
        if (pdo == 0 || plen(pdu) == afterHeader) {
            return 0;
        }
        return plen(pdu) - pdo - (hasDataDigest(pdu) ? PduFlags.DIGEST_LENGTH : 0);
    }

    /**
     * Absolute buffer index where the PDU data starts (see {@link #dataLength}); when there is
     * no data, the index just past the PDU.
     */
    public static int dataIndex(ByteBuf pdu) {
        int type = type(pdu);
        if (PduType.isTermReq(type)) {
            return pdu.readerIndex() + hlen(pdu);
        }
        if (dataLength(pdu) == 0) {
            return pdu.readerIndex() + plen(pdu);
        }
        return pdu.readerIndex() + pdo(pdu);
    }

    /** Absolute index of the header digest (valid only with HDGSTF). */
    public static int headerDigestIndex(ByteBuf pdu) {
        return pdu.readerIndex() + hlen(pdu);
    }

    /** The received header digest (valid only with HDGSTF). */
    public static int headerDigest(ByteBuf pdu) {
        return pdu.getIntLE(headerDigestIndex(pdu));
    }

    /** The received data digest: the last 4 bytes of the PDU (valid only with DDGSTF). */
    public static int dataDigest(ByteBuf pdu) {
        return pdu.getIntLE(pdu.readerIndex() + plen(pdu) - PduFlags.DIGEST_LENGTH);
    }

    /** ICReq fields (host to controller, connection set-up). */
    public static final class IcReq {
        private IcReq() {
        }

        /** PFV (bytes 8-9): PDU format version; 0 is NVMe/TCP 1.0. */
        public static int pfv(ByteBuf pdu) {
            return pdu.getUnsignedShortLE(pdu.readerIndex() + 8);
        }

        /** HPDA (byte 10): host PDU data alignment, 0-based dword units. */
        public static int hpda(ByteBuf pdu) {
            return pdu.getUnsignedByte(pdu.readerIndex() + 10);
        }

        /** DGST (byte 11): bit 0 header digest wanted, bit 1 data digest wanted. */
        public static int digests(ByteBuf pdu) {
            return pdu.getUnsignedByte(pdu.readerIndex() + 11);
        }

        /** Whether the host asks for header digests. */
        public static boolean headerDigest(ByteBuf pdu) {
            return (digests(pdu) & 0x01) != 0;
        }

        /** Whether the host asks for data digests. */
        public static boolean dataDigest(ByteBuf pdu) {
            return (digests(pdu) & 0x02) != 0;
        }

        /** MAXR2T (bytes 12-15): outstanding R2Ts per command the host accepts, 0-based. */
        public static long maxr2t(ByteBuf pdu) {
            return pdu.getUnsignedIntLE(pdu.readerIndex() + 12);
        }
    }

    /** ICResp fields (controller to host, connection set-up). */
    public static final class IcResp {
        private IcResp() {
        }

        /** PFV (bytes 8-9). */
        public static int pfv(ByteBuf pdu) {
            return pdu.getUnsignedShortLE(pdu.readerIndex() + 8);
        }

        /** CPDA (byte 10): controller PDU data alignment, 0-based dword units. */
        public static int cpda(ByteBuf pdu) {
            return pdu.getUnsignedByte(pdu.readerIndex() + 10);
        }

        /** DGST (byte 11): the digests the controller enabled. */
        public static int digests(ByteBuf pdu) {
            return pdu.getUnsignedByte(pdu.readerIndex() + 11);
        }

        /** Whether header digests are enabled on the connection. */
        public static boolean headerDigest(ByteBuf pdu) {
            return (digests(pdu) & 0x01) != 0;
        }

        /** Whether data digests are enabled on the connection. */
        public static boolean dataDigest(ByteBuf pdu) {
            return (digests(pdu) & 0x02) != 0;
        }

        /** MAXH2CDATA (bytes 12-15): largest H2CData data length the controller accepts. */
        public static long maxH2CData(ByteBuf pdu) {
            return pdu.getUnsignedIntLE(pdu.readerIndex() + 12);
        }
    }

    /** CapsuleCmd fields: the 64-byte submission queue entry follows the common header. */
    public static final class CapsuleCmd {
        /** Length of the SQE in the capsule. */
        public static final int SQE_LENGTH = 64;

        private CapsuleCmd() {
        }

        /** Absolute index of the SQE's first byte (readerIndex + 8). */
        public static int sqeIndex(ByteBuf pdu) {
            return pdu.readerIndex() + PduType.COMMON_HEADER_LENGTH;
        }

        /** SQE opcode (SQE byte 0). */
        public static int opcode(ByteBuf pdu) {
            return pdu.getUnsignedByte(sqeIndex(pdu));
        }

        /** SQE command identifier CID (SQE bytes 2-3). */
        public static int cid(ByteBuf pdu) {
            return pdu.getUnsignedShortLE(sqeIndex(pdu) + 2);
        }
    }

    /** CapsuleResp fields: the 16-byte completion queue entry follows the common header. */
    public static final class CapsuleResp {
        /** Length of the CQE in the capsule. */
        public static final int CQE_LENGTH = 16;

        private CapsuleResp() {
        }

        /** Absolute index of the CQE's first byte (readerIndex + 8). */
        public static int cqeIndex(ByteBuf pdu) {
            return pdu.readerIndex() + PduType.COMMON_HEADER_LENGTH;
        }

        /** CQE dword 0 (command specific). */
        public static int dw0(ByteBuf pdu) {
            return pdu.getIntLE(cqeIndex(pdu));
        }

        /** CQE dword 1 (command specific). */
        public static int dw1(ByteBuf pdu) {
            return pdu.getIntLE(cqeIndex(pdu) + 4);
        }

        /** SQ head pointer (CQE bytes 8-9). */
        public static int sqhd(ByteBuf pdu) {
            return pdu.getUnsignedShortLE(cqeIndex(pdu) + 8);
        }

        /** SQ identifier (CQE bytes 10-11). */
        public static int sqid(ByteBuf pdu) {
            return pdu.getUnsignedShortLE(cqeIndex(pdu) + 10);
        }

        /** Command identifier (CQE bytes 12-13). */
        public static int cid(ByteBuf pdu) {
            return pdu.getUnsignedShortLE(cqeIndex(pdu) + 12);
        }

        /** Status field (CQE bytes 14-15 without the phase bit): SC in bits 7:0, SCT in 10:8, ... */
        public static int status(ByteBuf pdu) {
            return pdu.getUnsignedShortLE(cqeIndex(pdu) + 14) >>> 1;
        }
    }

    /** H2CData fields (write data, host to controller). */
    public static final class H2CData {
        private H2CData() {
        }

        /** CCCID (bytes 8-9): command capsule CID this data belongs to. */
        public static int cccid(ByteBuf pdu) {
            return pdu.getUnsignedShortLE(pdu.readerIndex() + 8);
        }

        /** TTAG (bytes 10-11): transfer tag copied from the R2T. */
        public static int ttag(ByteBuf pdu) {
            return pdu.getUnsignedShortLE(pdu.readerIndex() + 10);
        }

        /** DATAO (bytes 12-15): offset of this data within the command's transfer. */
        public static int dataOffset(ByteBuf pdu) {
            return pdu.getIntLE(pdu.readerIndex() + 12);
        }

        /** DATAL (bytes 16-19): number of data bytes in this PDU. */
        public static int dataLength(ByteBuf pdu) {
            return pdu.getIntLE(pdu.readerIndex() + 16);
        }

        /** Whether LAST_PDU is set. */
        public static boolean last(ByteBuf pdu) {
            return (flags(pdu) & PduFlags.LAST_PDU) != 0;
        }
    }

    /** C2HData fields (read data, controller to host). */
    public static final class C2HData {
        private C2HData() {
        }

        /** CCCID (bytes 8-9). */
        public static int cccid(ByteBuf pdu) {
            return pdu.getUnsignedShortLE(pdu.readerIndex() + 8);
        }

        /** DATAO (bytes 12-15). */
        public static int dataOffset(ByteBuf pdu) {
            return pdu.getIntLE(pdu.readerIndex() + 12);
        }

        /** DATAL (bytes 16-19). */
        public static int dataLength(ByteBuf pdu) {
            return pdu.getIntLE(pdu.readerIndex() + 16);
        }

        /** Whether LAST_PDU is set. */
        public static boolean last(ByteBuf pdu) {
            return (flags(pdu) & PduFlags.LAST_PDU) != 0;
        }

        /** Whether SUCCESS is set (the command completed without a response capsule). */
        public static boolean success(ByteBuf pdu) {
            return (flags(pdu) & PduFlags.SUCCESS) != 0;
        }
    }

    /** R2T fields (the controller solicits write data). */
    public static final class R2T {
        private R2T() {
        }

        /** CCCID (bytes 8-9). */
        public static int cccid(ByteBuf pdu) {
            return pdu.getUnsignedShortLE(pdu.readerIndex() + 8);
        }

        /** TTAG (bytes 10-11): tag the host copies into the H2CData PDUs answering this R2T. */
        public static int ttag(ByteBuf pdu) {
            return pdu.getUnsignedShortLE(pdu.readerIndex() + 10);
        }

        /** R2TO (bytes 12-15): offset of the solicited data. */
        public static int offset(ByteBuf pdu) {
            return pdu.getIntLE(pdu.readerIndex() + 12);
        }

        /** R2TL (bytes 16-19): length of the solicited data. */
        public static int length(ByteBuf pdu) {
            return pdu.getIntLE(pdu.readerIndex() + 16);
        }
    }

    /** H2CTermReq / C2HTermReq fields. */
    public static final class TermReq {
        private TermReq() {
        }

        /** FES (bytes 8-9): one of {@link TermReqStatus}. */
        public static int fes(ByteBuf pdu) {
            return pdu.getUnsignedShortLE(pdu.readerIndex() + 8);
        }

        /** FEI (bytes 10-13): e.g. the offset of the invalid header field. */
        public static int fei(ByteBuf pdu) {
            return pdu.getIntLE(pdu.readerIndex() + 10);
        }
    }
}
