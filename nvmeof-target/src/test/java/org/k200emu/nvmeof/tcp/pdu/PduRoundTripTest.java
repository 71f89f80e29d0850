package org.k200emu.nvmeof.tcp.pdu;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Encoder to decoder, every PDU type, with and without each digest; fields read back. */
class PduRoundTripTest {

    @ParameterizedTest(name = "hdgst={0} ddgst={1}")
    @CsvSource({"false,false", "true,false", "false,true", "true,true"})
    void hostToControllerPdus(boolean hdgst, boolean ddgst) {
        PduStreams.Stream stream = PduStreams.hostToController(hdgst, ddgst);
        EmbeddedChannel ch = PduStreams.channel(PduDecoder.Role.TARGET);
        ch.writeInbound(Unpooled.wrappedBuffer(stream.bytes()));
        ByteBuf icReq = ch.readInbound();
        ByteBuf cmd = ch.readInbound();
        ByteBuf cmdWithData = ch.readInbound();
        ByteBuf h2c = ch.readInbound();
        ByteBuf term = ch.readInbound();
        try {
            assertThat(Pdu.type(icReq)).isEqualTo(PduType.ICREQ);
            assertThat(Pdu.plen(icReq)).isEqualTo(128);
            assertThat(Pdu.hlen(icReq)).isEqualTo(128);
            assertThat(Pdu.IcReq.pfv(icReq)).isZero();
            assertThat(Pdu.IcReq.hpda(icReq)).isZero();
            assertThat(Pdu.IcReq.headerDigest(icReq)).isEqualTo(hdgst);
            assertThat(Pdu.IcReq.dataDigest(icReq)).isEqualTo(ddgst);
            assertThat(Pdu.IcReq.maxr2t(icReq)).isEqualTo(3);
            assertThat(Pdu.dataLength(icReq)).isZero();

            int hd = hdgst ? 4 : 0;
            assertThat(Pdu.type(cmd)).isEqualTo(PduType.CAPSULE_CMD);
            assertThat(Pdu.hlen(cmd)).isEqualTo(72);
            assertThat(Pdu.plen(cmd)).isEqualTo(72 + hd);
            assertThat(Pdu.hasHeaderDigest(cmd)).isEqualTo(hdgst);
            assertThat(Pdu.hasDataDigest(cmd)).isFalse();
            assertThat(Pdu.dataLength(cmd)).isZero();
            assertThat(ByteBufUtil.getBytes(cmd, Pdu.CapsuleCmd.sqeIndex(cmd), 64)).isEqualTo(PduStreams.pattern(64, 1));
            assertThat(Pdu.CapsuleCmd.opcode(cmd)).isEqualTo(1);

            assertThat(Pdu.pdo(cmdWithData)).isEqualTo(72 + hd);
            assertThat(Pdu.hasDataDigest(cmdWithData)).isEqualTo(ddgst);
            assertThat(Pdu.dataLength(cmdWithData)).isEqualTo(100);
            assertThat(ByteBufUtil.getBytes(cmdWithData, Pdu.dataIndex(cmdWithData), 100))
                    .isEqualTo(PduStreams.pattern(100, 2));

            assertThat(Pdu.type(h2c)).isEqualTo(PduType.H2C_DATA);
            assertThat(Pdu.H2CData.cccid(h2c)).isEqualTo(7);
            assertThat(Pdu.H2CData.ttag(h2c)).isEqualTo(9);
            assertThat(Pdu.H2CData.dataOffset(h2c)).isEqualTo(4096);
            assertThat(Pdu.H2CData.dataLength(h2c)).isEqualTo(300);
            assertThat(Pdu.H2CData.last(h2c)).isTrue();
            assertThat(Pdu.dataLength(h2c)).isEqualTo(300);
            assertThat(ByteBufUtil.getBytes(h2c, Pdu.dataIndex(h2c), 300)).isEqualTo(PduStreams.pattern(300, 3));
            if (ddgst) {
                assertThat(Pdu.dataDigest(h2c)).isEqualTo(Crc32c.compute(PduStreams.pattern(300, 3), 0, 300));
            }
            if (hdgst) {
                assertThat(Pdu.headerDigest(h2c)).isEqualTo(Crc32c.compute(h2c, h2c.readerIndex(), 24));
            }

            assertThat(Pdu.type(term)).isEqualTo(PduType.H2C_TERMREQ);
            assertThat(Pdu.TermReq.fes(term)).isEqualTo(TermReqStatus.PDU_SEQUENCE_ERROR);
            assertThat(Pdu.TermReq.fei(term)).isZero();
            assertThat(Pdu.plen(term)).isEqualTo(24 + 64);
            assertThat(ByteBufUtil.getBytes(term, Pdu.dataIndex(term), Pdu.dataLength(term)))
                    .isEqualTo(PduStreams.pattern(64, 1));
            assertThat(ch.inboundMessages()).isEmpty();
        } finally {
            for (ByteBuf b : Arrays.asList(icReq, cmd, cmdWithData, h2c, term)) {
                b.release();
            }
            ch.finishAndReleaseAll();
        }
    }

    @ParameterizedTest(name = "hdgst={0} ddgst={1}")
    @CsvSource({"false,false", "true,false", "false,true", "true,true"})
    void controllerToHostPdus(boolean hdgst, boolean ddgst) {
        PduStreams.Stream stream = PduStreams.controllerToHost(hdgst, ddgst);
        EmbeddedChannel ch = PduStreams.channel(PduDecoder.Role.HOST);
        ch.writeInbound(Unpooled.wrappedBuffer(stream.bytes()));
        ByteBuf icResp = ch.readInbound();
        ByteBuf resp = ch.readInbound();
        ByteBuf c2h = ch.readInbound();
        ByteBuf r2t = ch.readInbound();
        ByteBuf term = ch.readInbound();
        try {
            assertThat(Pdu.type(icResp)).isEqualTo(PduType.ICRESP);
            assertThat(Pdu.IcResp.pfv(icResp)).isZero();
            assertThat(Pdu.IcResp.cpda(icResp)).isZero();
            assertThat(Pdu.IcResp.headerDigest(icResp)).isEqualTo(hdgst);
            assertThat(Pdu.IcResp.dataDigest(icResp)).isEqualTo(ddgst);
            assertThat(Pdu.IcResp.maxH2CData(icResp)).isEqualTo(131072);

            assertThat(Pdu.type(resp)).isEqualTo(PduType.CAPSULE_RESP);
            assertThat(Pdu.plen(resp)).isEqualTo(24 + (hdgst ? 4 : 0));
            assertThat(Pdu.CapsuleResp.dw0(resp)).isEqualTo(0x11223344);
            assertThat(Pdu.CapsuleResp.dw1(resp)).isEqualTo(0x55667788);
            assertThat(Pdu.CapsuleResp.sqhd(resp)).isEqualTo(5);
            assertThat(Pdu.CapsuleResp.sqid(resp)).isEqualTo(1);
            assertThat(Pdu.CapsuleResp.cid(resp)).isEqualTo(0x1234);
            assertThat(Pdu.CapsuleResp.status(resp)).isEqualTo(0x0002);
            // Phase bit 0, status field shifted left by one on the wire.
            assertThat(resp.getUnsignedShortLE(Pdu.CapsuleResp.cqeIndex(resp) + 14)).isEqualTo(0x0004);

            assertThat(Pdu.type(c2h)).isEqualTo(PduType.C2H_DATA);
            assertThat(Pdu.C2HData.cccid(c2h)).isEqualTo(0x42);
            assertThat(Pdu.C2HData.dataOffset(c2h)).isEqualTo(8192);
            assertThat(Pdu.C2HData.dataLength(c2h)).isEqualTo(512);
            assertThat(Pdu.C2HData.last(c2h)).isTrue();
            assertThat(Pdu.C2HData.success(c2h)).isTrue();
            assertThat(Pdu.hasDataDigest(c2h)).isEqualTo(ddgst);
            assertThat(ByteBufUtil.getBytes(c2h, Pdu.dataIndex(c2h), Pdu.dataLength(c2h)))
                    .isEqualTo(PduStreams.pattern(512, 4));

            assertThat(Pdu.type(r2t)).isEqualTo(PduType.R2T);
            assertThat(Pdu.R2T.cccid(r2t)).isEqualTo(0x43);
            assertThat(Pdu.R2T.ttag(r2t)).isEqualTo(0x99);
            assertThat(Pdu.R2T.offset(r2t)).isEqualTo(65536);
            assertThat(Pdu.R2T.length(r2t)).isEqualTo(32768);
            assertThat(Pdu.dataLength(r2t)).isZero();

            assertThat(Pdu.type(term)).isEqualTo(PduType.C2H_TERMREQ);
            assertThat(Pdu.TermReq.fes(term)).isEqualTo(TermReqStatus.INVALID_PDU_HEADER_FIELD);
            assertThat(Pdu.TermReq.fei(term)).isEqualTo(3);
            assertThat(Pdu.plen(term)).isEqualTo(24);
            assertThat(Pdu.dataLength(term)).isZero();
        } finally {
            for (ByteBuf b : Arrays.asList(icResp, resp, c2h, r2t, term)) {
                b.release();
            }
            ch.finishAndReleaseAll();
        }
    }
}
