package org.k200emu.nvmeof.tcp.pdu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.Arrays;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Fatal errors carry the FES/FEI of the specification; data digest errors are reported, not fatal. */
class PduDecoderValidationTest {

    private EmbeddedChannel ch;

    @AfterEach
    void close() {
        if (ch != null) {
            ch.finishAndReleaseAll();
        }
    }

    private static byte[] icReq(boolean hdgst, boolean ddgst) {
        ByteBuf b = Unpooled.buffer();
        PduEncoder.writeIcReq(b, 0, hdgst, ddgst, 0);
        return release(b);
    }

    private static byte[] capsule(int dataLength, boolean hdgst, boolean ddgst) {
        ByteBuf b = Unpooled.buffer();
        ByteBuf sqe = Unpooled.wrappedBuffer(PduStreams.pattern(64, 9));
        ByteBuf data = Unpooled.wrappedBuffer(PduStreams.pattern(dataLength, 5));
        PduEncoder.writeCapsuleCmd(b, sqe, dataLength == 0 ? null : data, hdgst, ddgst);
        sqe.release();
        data.release();
        return release(b);
    }

    private static byte[] release(ByteBuf b) {
        byte[] bytes = ByteBufUtil.getBytes(b);
        b.release();
        return bytes;
    }

    private static byte[] concat(byte[]... parts) {
        ByteBuf b = Unpooled.buffer();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return release(b);
    }

    /** A target channel past a successful ICReq with the given digests. */
    private EmbeddedChannel initialized(boolean hdgst, boolean ddgst) {
        ch = PduStreams.channel(PduDecoder.Role.TARGET);
        ch.writeInbound(Unpooled.wrappedBuffer(icReq(hdgst, ddgst)));
        ByteBuf ic = ch.readInbound();
        ic.release();
        return ch;
    }

    private static void assertFatal(ThrowingCallable feed, int fes, int fei) {
        assertThatThrownBy(feed).isInstanceOfSatisfying(PduFormatException.class, e -> {
            assertThat(e.fes()).as("FES of %s", e.getMessage()).isEqualTo(fes);
            assertThat(e.fei()).as("FEI of %s", e.getMessage()).isEqualTo(fei);
        });
    }

    @Test
    void unknownTypeIsRejectedFromTheCommonHeaderAlone() {
        ch = PduStreams.channel(PduDecoder.Role.TARGET);
        byte[] header = {0x08, 0, 24, 0, 24, 0, 0, 0};
        assertFatal(() -> ch.writeInbound(Unpooled.wrappedBuffer(header)), TermReqStatus.INVALID_PDU_HEADER_FIELD, 0);
    }

    @Test
    void controllerPduSentToTheControllerIsRejected() {
        initialized(false, false);
        ByteBuf resp = Unpooled.buffer();
        PduEncoder.writeCapsuleResp(resp, 0, 0, 0, 0, 1, 0, false);
        assertFatal(() -> ch.writeInbound(resp), TermReqStatus.INVALID_PDU_HEADER_FIELD, 0);
    }

    @Test
    void hostPduSentToTheHostIsRejected() {
        ch = PduStreams.channel(PduDecoder.Role.HOST);
        assertFatal(() -> ch.writeInbound(Unpooled.wrappedBuffer(icReq(false, false))),
                TermReqStatus.INVALID_PDU_HEADER_FIELD, 0);
    }

    @Test
    void firstPduMustBeIcReq() {
        ch = PduStreams.channel(PduDecoder.Role.TARGET);
        assertFatal(() -> ch.writeInbound(Unpooled.wrappedBuffer(capsule(0, false, false))),
                TermReqStatus.PDU_SEQUENCE_ERROR, 0);
    }

    @Test
    void secondIcReqIsASequenceError() {
        initialized(false, false);
        assertFatal(() -> ch.writeInbound(Unpooled.wrappedBuffer(icReq(false, false))),
                TermReqStatus.PDU_SEQUENCE_ERROR, 0);
    }

    @Test
    void termReqIsAcceptedBeforeIcReq() {
        ch = PduStreams.channel(PduDecoder.Role.TARGET);
        ByteBuf term = Unpooled.buffer();
        PduEncoder.writeTermReq(term, PduType.H2C_TERMREQ, TermReqStatus.UNSUPPORTED_PARAMETER, 8, null);
        ch.writeInbound(term);
        ByteBuf frame = ch.readInbound();
        assertThat(Pdu.TermReq.fes(frame)).isEqualTo(TermReqStatus.UNSUPPORTED_PARAMETER);
        frame.release();
    }

    @Test
    void wrongHlenIsRejected() {
        initialized(false, false);
        byte[] cmd = capsule(0, false, false);
        cmd[2] = 24;
        assertFatal(() -> ch.writeInbound(Unpooled.wrappedBuffer(cmd)), TermReqStatus.INVALID_PDU_HEADER_FIELD, 2);
    }

    @Test
    void pdoInsideTheHeaderIsRejected() {
        initialized(false, false);
        byte[] cmd = capsule(100, false, false);
        cmd[3] = 10;
        assertFatal(() -> ch.writeInbound(Unpooled.wrappedBuffer(cmd)), TermReqStatus.INVALID_PDU_HEADER_FIELD, 3);
    }

    @Test
    void pdoPastTheDataIsRejected() {
        initialized(false, false);
        byte[] cmd = capsule(100, false, false);
        cmd[3] = (byte) 172;
        assertFatal(() -> ch.writeInbound(Unpooled.wrappedBuffer(cmd)), TermReqStatus.INVALID_PDU_HEADER_FIELD, 3);
    }

    @Test
    void plenShorterThanTheHeaderIsRejected() {
        initialized(false, false);
        byte[] cmd = capsule(0, false, false);
        cmd[4] = 40;
        assertFatal(() -> ch.writeInbound(Unpooled.wrappedBuffer(cmd, 0, 8)),
                TermReqStatus.INVALID_PDU_HEADER_FIELD, 4);
    }

    @Test
    void hostilePlenIsRejectedAsSoonAsTheCommonHeaderArrives() {
        initialized(false, false);
        byte[] header = {PduType.CAPSULE_CMD, 0, 72, 72, 0, 0, 0, (byte) 0x80};
        assertFatal(() -> ch.writeInbound(Unpooled.wrappedBuffer(header)), TermReqStatus.INVALID_PDU_HEADER_FIELD, 4);
        // The decoder is dead: later bytes are discarded, nothing else is emitted.
        ch.writeInbound(Unpooled.wrappedBuffer(capsule(0, false, false)));
        assertThat(ch.inboundMessages()).isEmpty();
    }

    @Test
    void plenAboveTheConfiguredMaximumIsRejected() {
        initialized(false, false);
        byte[] header = {PduType.CAPSULE_CMD, 0, 72, 72, 0, 0, 0, 0};
        int plen = PduStreams.MAX_PDU + 1;
        header[4] = (byte) plen;
        header[5] = (byte) (plen >> 8);
        assertFatal(() -> ch.writeInbound(Unpooled.wrappedBuffer(header)), TermReqStatus.INVALID_PDU_HEADER_FIELD, 4);
    }

    @Test
    void icReqWithWrongPlenIsRejected() {
        ch = PduStreams.channel(PduDecoder.Role.TARGET);
        byte[] ic = icReq(false, false);
        ic[4] = (byte) 200;
        assertFatal(() -> ch.writeInbound(Unpooled.wrappedBuffer(ic)), TermReqStatus.INVALID_PDU_HEADER_FIELD, 4);
    }

    @Test
    void missingHeaderDigestFlagIsRejected() {
        initialized(true, false);
        assertFatal(() -> ch.writeInbound(Unpooled.wrappedBuffer(capsule(0, false, false))),
                TermReqStatus.INVALID_PDU_HEADER_FIELD, 1);
    }

    @Test
    void unnegotiatedDataDigestIsRejected() {
        initialized(false, false);
        assertFatal(() -> ch.writeInbound(Unpooled.wrappedBuffer(capsule(16, false, true))),
                TermReqStatus.INVALID_PDU_HEADER_FIELD, 1);
    }

    @Test
    void headerDigestMismatchIsFatalAndCarriesTheOffendingHeader() {
        initialized(true, false);
        byte[] cmd = capsule(0, true, false);
        cmd[8 + 2] ^= 0x01; // flip a CID bit: the header no longer matches its digest
        assertThatThrownBy(() -> ch.writeInbound(Unpooled.wrappedBuffer(cmd)))
                .isInstanceOfSatisfying(PduFormatException.class, e -> {
                    assertThat(e.fes()).isEqualTo(TermReqStatus.HEADER_DIGEST_ERROR);
                    assertThat(e.offendingHeader()).isEqualTo(Arrays.copyOf(cmd, 72));
                });
    }

    @Test
    void dataDigestMismatchIsReportedAndDecodingGoesOn() {
        initialized(true, true);
        byte[] bad = capsule(100, true, true);
        bad[80] ^= 0x40; // a data byte
        byte[] good = capsule(0, true, true);
        ch.writeInbound(Unpooled.wrappedBuffer(concat(bad, good)));

        PduDataDigestError error = ch.readInbound();
        try {
            assertThat(ByteBufUtil.getBytes(error.frame())).isEqualTo(bad);
            assertThat(error.received()).isEqualTo(Crc32c.compute(PduStreams.pattern(100, 5), 0, 100));
            assertThat(error.computed()).isEqualTo(Crc32c.compute(bad, 76, 100));
            assertThat(Pdu.CapsuleCmd.cid(error.frame())).isEqualTo(Pdu.CapsuleCmd.cid(Unpooled.wrappedBuffer(bad)));
        } finally {
            error.release();
        }
        ByteBuf next = ch.readInbound();
        assertThat(ByteBufUtil.getBytes(next)).isEqualTo(good);
        next.release();
    }

    @Test
    void h2cDataLengthMustMatchTheDataInThePdu() {
        initialized(false, false);
        ByteBuf h2c = Unpooled.buffer();
        PduEncoder.writeH2CDataHeader(h2c, 1, 1, 0, 64, true, false, false);
        h2c.setIntLE(16, 65);
        h2c.writeZero(64);
        assertFatal(() -> ch.writeInbound(h2c), TermReqStatus.INVALID_PDU_HEADER_FIELD, 16);
    }

    @Test
    void paddedDataIsLocatedByPdo() {
        initialized(true, true);
        // CapsuleCmd as a host honouring CPDA=1 (8-byte alignment) would send it: 4 pad bytes.
        byte[] data = PduStreams.pattern(16, 7);
        ByteBuf cmd = Unpooled.buffer();
        cmd.writeByte(PduType.CAPSULE_CMD).writeByte(PduFlags.HDGSTF | PduFlags.DDGSTF).writeByte(72).writeByte(80);
        cmd.writeIntLE(80 + 16 + 4);
        cmd.writeBytes(PduStreams.pattern(64, 9));
        cmd.writeIntLE(Crc32c.compute(cmd, 0, 72));
        cmd.writeZero(4);
        cmd.writeBytes(data);
        cmd.writeIntLE(Crc32c.compute(data, 0, 16));
        ch.writeInbound(cmd);
        ByteBuf frame = ch.readInbound();
        try {
            assertThat(Pdu.dataIndex(frame) - frame.readerIndex()).isEqualTo(80);
            assertThat(Pdu.dataLength(frame)).isEqualTo(16);
            assertThat(ByteBufUtil.getBytes(frame, Pdu.dataIndex(frame), 16)).isEqualTo(data);
        } finally {
            frame.release();
        }
    }

    @Test
    void icReqWithDigestFlagsIsRejected() {
        ch = PduStreams.channel(PduDecoder.Role.TARGET);
        byte[] ic = icReq(true, true);
        ic[1] = PduFlags.HDGSTF;
        assertFatal(() -> ch.writeInbound(Unpooled.wrappedBuffer(ic)), TermReqStatus.INVALID_PDU_HEADER_FIELD, 1);
    }

    @Test
    void h2cDataWithoutDataIsRejected() {
        initialized(false, false);
        ByteBuf h2c = Unpooled.buffer();
        PduEncoder.writeH2CDataHeader(h2c, 1, 1, 0, 0, true, false, false);
        assertFatal(() -> ch.writeInbound(h2c), TermReqStatus.INVALID_PDU_HEADER_FIELD, 16);
    }

    @Test
    void c2hSuccessWithoutLastIsRejected() {
        ch = PduStreams.channel(PduDecoder.Role.HOST);
        ByteBuf ic = Unpooled.buffer();
        PduEncoder.writeIcResp(ic, 0, false, false, 8192);
        ch.writeInbound(ic);
        ((ByteBuf) ch.readInbound()).release();
        ByteBuf c2h = Unpooled.buffer();
        PduEncoder.writeC2HDataHeader(c2h, 1, 0, 8, true, true, false, false);
        c2h.setByte(1, PduFlags.SUCCESS);
        c2h.writeZero(8);
        assertFatal(() -> ch.writeInbound(c2h), TermReqStatus.INVALID_PDU_HEADER_FIELD, 1);
    }

    @Test
    void termReqFromAFormatErrorCopiesTheHeader() {
        initialized(false, false);
        byte[] cmd = capsule(0, false, false);
        cmd[2] = 70;
        PduFormatException error = null;
        try {
            ch.writeInbound(Unpooled.wrappedBuffer(cmd));
        } catch (PduFormatException e) {
            error = e;
        }
        assertThat(error).isNotNull();
        ByteBuf term = Unpooled.buffer();
        PduEncoder.writeTermReq(term, PduType.C2H_TERMREQ, error);
        try {
            assertThat(Pdu.type(term)).isEqualTo(PduType.C2H_TERMREQ);
            assertThat(Pdu.flags(term)).isZero();
            assertThat(Pdu.hlen(term)).isEqualTo(24);
            assertThat(Pdu.pdo(term)).isZero();
            assertThat(Pdu.plen(term)).isEqualTo(24 + 72).isEqualTo(term.readableBytes());
            assertThat(Pdu.TermReq.fes(term)).isEqualTo(TermReqStatus.INVALID_PDU_HEADER_FIELD);
            assertThat(Pdu.TermReq.fei(term)).isEqualTo(2);
            assertThat(ByteBufUtil.getBytes(term, 14, 10)).containsOnly(0);
            assertThat(ByteBufUtil.getBytes(term, 24, 72)).isEqualTo(cmd);
        } finally {
            term.release();
        }
    }

    @Test
    void termReqDataIsCappedAt128Bytes() {
        ByteBuf big = Unpooled.wrappedBuffer(new byte[200]);
        ByteBuf term = Unpooled.buffer();
        PduEncoder.writeTermReq(term, PduType.H2C_TERMREQ, TermReqStatus.HEADER_DIGEST_ERROR, 0, big);
        try {
            assertThat(Pdu.plen(term)).isEqualTo(152).isEqualTo(term.readableBytes());
            assertThat(big.readerIndex()).isZero();
        } finally {
            term.release();
            big.release();
        }
    }
}
