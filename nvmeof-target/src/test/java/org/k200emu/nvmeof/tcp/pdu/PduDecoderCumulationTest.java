package org.k200emu.nvmeof.tcp.pdu;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.lang.reflect.Field;
import org.junit.jupiter.api.Test;

/**
 * The cumulation stays about one data PDU plus one socket read however many reads an event-loop
 * turn brings. It used to be compacted only every 16 reads: at 128 KiB C2HData in 64 KiB reads it
 * grew to 2 MiB per turn, each doubling a reallocation that copied the whole buffer and, above the
 * thread cache's sizes, re-created pool chunks (heap garbage on the I/O thread at every turn).
 */
class PduDecoderCumulationTest {

    private static final int DATA = 128 * 1024;
    private static final int READ = 64 * 1024;

    @Test
    void cumulationStaysBoundedAcrossManyReadsOfOneTurn() throws Exception {
        PduDecoder decoder = new PduDecoder(PduDecoder.Role.HOST, DATA + 1024);
        int[] frames = {0};
        // As the initiator: each frame is consumed (copied out) and released at once.
        EmbeddedChannel ch = new EmbeddedChannel(decoder, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                frames[0]++;
                ((ByteBuf) msg).release();
            }
        });
        ByteBuf icResp = Unpooled.buffer(PduType.IC_LENGTH);
        PduEncoder.writeIcResp(icResp, 0, false, false, DATA);
        ch.writeInbound(icResp);

        int pdus = 24;
        ByteBuf stream = Unpooled.buffer();
        for (int i = 0; i < pdus; i++) {
            PduEncoder.writeC2HDataHeader(stream, i, 0, DATA, true, true, false, false);
            stream.writeZero(DATA);
        }
        Field cumulation = ByteToMessageDecoder.class.getDeclaredField("cumulation");
        cumulation.setAccessible(true);
        int largest = 0;
        // One event-loop turn: reads as epoll hands them over (pooled, 64 KiB), no read-complete
        // in between, which is when the base class would otherwise compact.
        while (stream.isReadable()) {
            int n = Math.min(READ, stream.readableBytes());
            ByteBuf read = PooledByteBufAllocator.DEFAULT.directBuffer(READ);
            read.writeBytes(stream, n);
            ch.pipeline().fireChannelRead(read);
            ByteBuf cum = (ByteBuf) cumulation.get(decoder);
            if (cum != null) {
                largest = Math.max(largest, cum.capacity());
            }
        }
        stream.release();
        ch.pipeline().fireChannelReadComplete();

        assertThat(frames[0]).isEqualTo(1 + pdus);
        // One PDU (128 KiB + 24) plus one read, rounded up to the next power of two: 256 KiB.
        assertThat(largest).isLessThanOrEqualTo(256 * 1024);
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }
}
