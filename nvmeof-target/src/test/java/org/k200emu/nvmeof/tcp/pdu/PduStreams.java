package org.k200emu.nvmeof.tcp.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;

/** Test streams of PDUs written by {@link PduEncoder}, and a channel that decodes them. */
final class PduStreams {

    static final int MAX_PDU = 16 * 1024;

    private PduStreams() {
    }

    /** A byte stream plus the byte ranges of its PDUs. */
    record Stream(byte[] bytes, List<byte[]> pdus) {
    }

    static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed + i * 31);
        }
        return b;
    }

    /** ICReq, CapsuleCmd without and with data, H2CData, H2CTermReq: all a host sends. */
    static Stream hostToController(boolean hdgst, boolean ddgst) {
        ByteBuf out = Unpooled.buffer();
        List<Integer> ends = new ArrayList<>();
        PduEncoder.writeIcReq(out, 0, hdgst, ddgst, 3);
        ends.add(out.writerIndex());
        ByteBuf sqe = Unpooled.wrappedBuffer(pattern(64, 1));
        PduEncoder.writeCapsuleCmd(out, sqe, null, hdgst, ddgst);
        ends.add(out.writerIndex());
        ByteBuf data = Unpooled.wrappedBuffer(pattern(100, 2));
        PduEncoder.writeCapsuleCmd(out, sqe, data, hdgst, ddgst);
        ends.add(out.writerIndex());
        ByteBuf write = Unpooled.wrappedBuffer(pattern(300, 3));
        PduEncoder.writeH2CDataHeader(out, 7, 9, 4096, 300, true, hdgst, ddgst);
        out.writeBytes(write, write.readerIndex(), write.readableBytes());
        if (ddgst) {
            PduEncoder.writeDataDigest(out, write);
        }
        ends.add(out.writerIndex());
        PduEncoder.writeTermReq(out, PduType.H2C_TERMREQ, TermReqStatus.PDU_SEQUENCE_ERROR, 0, sqe);
        ends.add(out.writerIndex());
        sqe.release();
        data.release();
        write.release();
        return toStream(out, ends);
    }

    /** ICResp, CapsuleResp, C2HData, R2T, C2HTermReq: all a controller sends. */
    static Stream controllerToHost(boolean hdgst, boolean ddgst) {
        ByteBuf out = Unpooled.buffer();
        List<Integer> ends = new ArrayList<>();
        PduEncoder.writeIcResp(out, 0, hdgst, ddgst, 131072);
        ends.add(out.writerIndex());
        PduEncoder.writeCapsuleResp(out, 0x11223344, 0x55667788, 5, 1, 0x1234, 0x0002, hdgst);
        ends.add(out.writerIndex());
        ByteBuf read = Unpooled.wrappedBuffer(pattern(512, 4));
        PduEncoder.writeC2HDataHeader(out, 0x42, 8192, 512, true, true, hdgst, ddgst);
        out.writeBytes(read, read.readerIndex(), read.readableBytes());
        if (ddgst) {
            PduEncoder.writeDataDigest(out, read);
        }
        ends.add(out.writerIndex());
        PduEncoder.writeR2T(out, 0x43, 0x99, 65536, 32768, hdgst);
        ends.add(out.writerIndex());
        PduEncoder.writeTermReq(out, PduType.C2H_TERMREQ, TermReqStatus.INVALID_PDU_HEADER_FIELD, 3, null);
        ends.add(out.writerIndex());
        read.release();
        return toStream(out, ends);
    }

    private static Stream toStream(ByteBuf out, List<Integer> ends) {
        byte[] bytes = ByteBufUtil.getBytes(out);
        out.release();
        List<byte[]> pdus = new ArrayList<>();
        int start = 0;
        for (int end : ends) {
            byte[] pdu = new byte[end - start];
            System.arraycopy(bytes, start, pdu, 0, pdu.length);
            pdus.add(pdu);
            start = end;
        }
        return new Stream(bytes, pdus);
    }

    /**
     * A channel with a decoder and, behind it, what the connection does on ICReq/ICResp: turn on
     * the digests the exchange chose (taken from the IC PDU itself here).
     */
    static EmbeddedChannel channel(PduDecoder.Role role) {
        PduDecoder decoder = new PduDecoder(role, MAX_PDU);
        return new EmbeddedChannel(decoder, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof ByteBuf frame && PduType.isConnectionSetup(Pdu.type(frame))) {
                    int dgst = frame.getUnsignedByte(frame.readerIndex() + 11);
                    decoder.enableDigests((dgst & 1) != 0, (dgst & 2) != 0);
                }
                ctx.fireChannelRead(msg);
            }
        });
    }

    /** Drains the channel's inbound frames as byte arrays. */
    static List<byte[]> drain(EmbeddedChannel ch) {
        List<byte[]> frames = new ArrayList<>();
        for (Object msg; (msg = ch.readInbound()) != null; ) {
            try {
                if (!(msg instanceof ByteBuf frame)) {
                    throw new AssertionError("expected a plain frame, got " + msg);
                }
                frames.add(ByteBufUtil.getBytes(frame));
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }
        return frames;
    }
}
