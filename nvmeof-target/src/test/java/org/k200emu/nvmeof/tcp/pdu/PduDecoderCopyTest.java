package org.k200emu.nvmeof.tcp.pdu;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the decoder copies in user space: only the PDU that a socket read splits, once. PDUs lying
 * whole in a read are slices of it. (Netty's ByteToMessageDecoder copied every read that followed
 * a leftover onto the leftover: nearly every byte at 4 KiB I/O.) Reads come as epoll hands them
 * over: pooled direct buffers of 64 KiB, all in one event-loop turn.
 */
class PduDecoderCopyTest {

    private static final int READ = 64 * 1024;

    /** Feeds {@code stream} in reads of {@code READ} bytes; returns the frames' bytes. */
    private static List<byte[]> feed(EmbeddedChannel ch, ByteBuf stream) {
        return feed(ch, null, stream);
    }

    /**
     * Feeds {@code stream} in reads of {@code READ} bytes or, given the decoder, as the
     * connection's {@code DirectDataReads} has epoll read it: each read into the decoder's window
     * when it offers one, else into a buffer of its read limit, else of {@code READ} bytes; a read
     * takes what its buffer has room for. Returns the frames' bytes.
     */
    private static List<byte[]> feed(EmbeddedChannel ch, PduDecoder asTheSocketReads, ByteBuf stream) {
        List<byte[]> frames = new ArrayList<>();
        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf frame = (ByteBuf) msg;
                frames.add(ByteBufUtil.getBytes(frame));
                frame.release();
            }
        });
        while (stream.isReadable()) {
            ByteBuf read = asTheSocketReads == null ? null : asTheSocketReads.readWindow();
            if (read == null) {
                int limit = asTheSocketReads == null ? 0 : asTheSocketReads.readLimit();
                read = PooledByteBufAllocator.DEFAULT.directBuffer(limit > 0 ? limit : READ);
            }
            read.writeBytes(stream, Math.min(read.capacity() - read.writerIndex(), stream.readableBytes()));
            ch.pipeline().fireChannelRead(read);
        }
        ch.pipeline().fireChannelReadComplete();
        return frames;
    }

    @Test
    void smallPdusSplitByReadsAreTheOnlyBytesCopied() {
        PduDecoder decoder = new PduDecoder(PduDecoder.Role.TARGET, 8192 + 72);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ByteBuf stream = Unpooled.buffer();
        PduEncoder.writeIcReq(stream, 0, false, false, 1);
        ByteBuf sqe = Unpooled.wrappedBuffer(PduStreams.pattern(64, 1));
        int commands = 400;
        int capsule = 72 + 4096;
        for (int i = 0; i < commands; i++) {
            ByteBuf data = Unpooled.wrappedBuffer(PduStreams.pattern(4096, i));
            PduEncoder.writeCapsuleCmd(stream, sqe, data, false, false);
            data.release();
        }
        sqe.release();
        byte[] all = ByteBufUtil.getBytes(stream);
        int reads = (all.length + READ - 1) / READ;

        List<byte[]> frames = feed(ch, stream);
        stream.release();

        assertThat(frames).hasSize(1 + commands);
        int at = PduType.IC_LENGTH;
        for (int i = 1; i < frames.size(); i++) {
            byte[] expected = new byte[capsule];
            System.arraycopy(all, at, expected, 0, capsule);
            assertThat(frames.get(i)).as("capsule %d", i).isEqualTo(expected);
            at += capsule;
        }
        // At most the one PDU each read boundary cuts: 25 of 400 capsules here.
        assertThat(decoder.copiedBytes()).isPositive().isLessThanOrEqualTo((long) (reads - 1) * capsule);
        assertThat(decoder.copiedBytes()).isLessThan(all.length / 10);
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void largeDataPdusAreCopiedOnceEach() {
        int data = 128 * 1024;
        PduDecoder decoder = new PduDecoder(PduDecoder.Role.HOST, data + 1024);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ByteBuf stream = Unpooled.buffer();
        PduEncoder.writeIcResp(stream, 0, false, false, data);
        int pdus = 24;
        for (int i = 0; i < pdus; i++) {
            PduEncoder.writeC2HDataHeader(stream, i, 0, data, true, true, false, false);
            stream.writeBytes(PduStreams.pattern(data, i));
        }
        int length = stream.readableBytes();

        List<byte[]> frames = feed(ch, stream);
        stream.release();

        assertThat(frames).hasSize(1 + pdus);
        for (int i = 1; i <= pdus; i++) {
            assertThat(frames.get(i)).hasSize(24 + data);
            assertThat(Pdu.C2HData.cccid(Unpooled.wrappedBuffer(frames.get(i)))).isEqualTo(i - 1);
            assertThat(frames.get(i)[24 + 1000]).isEqualTo(PduStreams.pattern(data, i - 1)[1000]);
        }
        // Each 128 KiB PDU spans reads of 64 KiB, so it is copied, but once: never more than the stream.
        assertThat(decoder.copiedBytes()).isLessThanOrEqualTo(length);
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    /** 24 C2HData PDUs of 128 KiB (with data digests if asked), the 8th with a wrong digest. */
    private static ByteBuf c2hStream(int data, boolean ddgst) {
        ByteBuf stream = Unpooled.buffer();
        PduEncoder.writeIcResp(stream, 0, false, ddgst, data);
        for (int i = 0; i < 24; i++) {
            PduEncoder.writeC2HDataHeader(stream, i, 0, data, true, true, false, ddgst);
            ByteBuf payload = Unpooled.wrappedBuffer(PduStreams.pattern(data, i));
            stream.writeBytes(payload, 0, data);
            if (ddgst) {
                PduEncoder.writeDataDigest(stream, payload);
                if (i == 7) {
                    stream.setByte(stream.writerIndex() - 2, stream.getByte(stream.writerIndex() - 2) ^ 0x10);
                }
            }
            payload.release();
        }
        return stream;
    }

    @ParameterizedTest(name = "data digests {0}")
    @ValueSource(booleans = {false, true})
    void splitDataPdusGoStraightIntoTheirPlacement(boolean ddgst) {
        int data = 128 * 1024;
        PduDecoder decoder = new PduDecoder(PduDecoder.Role.HOST, data + 1024);
        decoder.enableDigests(false, ddgst);
        ByteBuf[] into = new ByteBuf[24];
        List<String> placed = new ArrayList<>();
        decoder.placement(header -> {
            int cid = Pdu.C2HData.cccid(header);
            // Refusing one: that PDU must come whole, as a frame.
            if (cid == 5) {
                return null;
            }
            into[cid] = Unpooled.buffer(data);
            return into[cid];
        });
        EmbeddedChannel ch = new EmbeddedChannel(decoder, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof PlacedData p) {
                    placed.add(Pdu.C2HData.cccid(p.header()) + (p.digestFailed() ? "!" : ""));
                    assertThat(Pdu.C2HData.dataLength(p.header())).isEqualTo(data);
                } else {
                    ctx.fireChannelRead(msg);
                }
            }
        });
        ByteBuf stream = c2hStream(data, ddgst);
        List<byte[]> frames = feed(ch, stream);
        stream.release();

        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            if (i != 5) {
                expected.add(i + (ddgst && i == 7 ? "!" : ""));
            }
        }
        assertThat(placed).containsExactlyElementsOf(expected);
        for (int i = 0; i < 24; i++) {
            if (i != 5) {
                assertThat(ByteBufUtil.getBytes(into[i])).as("PDU %d", i).isEqualTo(PduStreams.pattern(data, i));
                into[i].release();
            }
        }
        // The ICResp and the refused PDU, which was joined by copying.
        assertThat(frames).hasSize(2);
        assertThat(Pdu.C2HData.cccid(Unpooled.wrappedBuffer(frames.get(1)))).isEqualTo(5);
        assertThat(decoder.placedBytes()).isEqualTo(23L * data);
        assertThat(decoder.copiedBytes()).isLessThan(data + 1024L);
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @ParameterizedTest(name = "data digests {0}")
    @ValueSource(booleans = {false, true})
    void theSocketReadsLargeDataStraightIntoItsPlacement(boolean ddgst) {
        int large = 128 * 1024;
        int small = 4096;
        // Large PDUs, then small ones (which end header-first reads), then large ones again.
        int[] sizes = new int[24];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = i >= 8 && i < 12 ? small : large;
        }
        PduDecoder decoder = new PduDecoder(PduDecoder.Role.HOST, large + 1024);
        decoder.enableDigests(false, ddgst);
        ByteBuf[] into = new ByteBuf[sizes.length];
        decoder.placement(header -> {
            int cid = Pdu.C2HData.cccid(header);
            into[cid] = PooledByteBufAllocator.DEFAULT.directBuffer(sizes[cid]);
            return into[cid];
        });
        List<String> placed = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(decoder, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof PlacedData p) {
                    placed.add(Pdu.C2HData.cccid(p.header()) + (p.digestFailed() ? "!" : ""));
                } else {
                    ctx.fireChannelRead(msg);
                }
            }
        });
        ByteBuf stream = Unpooled.buffer();
        PduEncoder.writeIcResp(stream, 0, false, ddgst, large);
        for (int i = 0; i < sizes.length; i++) {
            PduEncoder.writeC2HDataHeader(stream, i, 0, sizes[i], true, true, false, ddgst);
            ByteBuf payload = Unpooled.wrappedBuffer(PduStreams.pattern(sizes[i], i));
            stream.writeBytes(payload, 0, sizes[i]);
            if (ddgst) {
                PduEncoder.writeDataDigest(stream, payload);
                if (i == 14) {
                    stream.setByte(stream.writerIndex() - 1, stream.getByte(stream.writerIndex() - 1) ^ 0x01);
                }
            }
            payload.release();
        }

        List<byte[]> frames = feed(ch, decoder, stream);
        stream.release();

        List<String> expected = new ArrayList<>();
        long direct = 0;
        for (int i = 0; i < sizes.length; i++) {
            if (into[i] != null) {
                assertThat(ByteBufUtil.getBytes(into[i])).as("PDU %d", i).isEqualTo(PduStreams.pattern(sizes[i], i));
                into[i].release();
                expected.add(i + (ddgst && i == 14 ? "!" : ""));
            }
            if (i != 0 && i != 12 && sizes[i] == large) {
                direct += large;
            }
        }
        assertThat(placed).containsExactlyElementsOf(expected);
        // Every large PDU after a large one came header first, then its data straight from the
        // socket; the first large PDU of each run was split by an ordinary read, placed by a copy.
        assertThat(decoder.directBytes()).isGreaterThanOrEqualTo(direct);
        assertThat(decoder.placedBytes() - decoder.directBytes()).isLessThan(2L * large);
        // The small PDUs came whole in ordinary reads again: sliced, as frames.
        assertThat(frames.size() - 1 + placed.size()).isEqualTo(sizes.length);
        assertThat(frames.size() - 1).isPositive();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aPlacementOnTheHeapIsNotOfferedToTheSocket() {
        int data = 128 * 1024;
        PduDecoder decoder = new PduDecoder(PduDecoder.Role.HOST, data + 1024);
        ByteBuf into = Unpooled.buffer(data);
        decoder.placement(header -> into);
        List<String> placed = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(decoder, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof ByteBuf frame) {
                    frame.release();
                }
                placed.add(msg instanceof PlacedData ? "placed" : "frame");
            }
        });
        ByteBuf stream = Unpooled.buffer();
        PduEncoder.writeIcResp(stream, 0, false, false, data);
        PduEncoder.writeC2HDataHeader(stream, 0, 0, data, true, true, false, false);
        stream.writeBytes(PduStreams.pattern(data, 0));
        ByteBuf first = PooledByteBufAllocator.DEFAULT.directBuffer(READ);
        first.writeBytes(stream, READ);
        ch.writeInbound(first);
        assertThat(decoder.placedBytes()).isPositive();
        // Transports read into native memory: handed a view of a heap buffer, epoll's read failed.
        assertThat(decoder.readWindow()).isNull();
        ch.writeInbound(stream);
        assertThat(placed).containsExactly("frame", "placed");
        assertThat(ByteBufUtil.getBytes(into)).isEqualTo(PduStreams.pattern(data, 0));
        assertThat(decoder.directBytes()).isZero();
        into.release();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void dataPdusWholeInAReadAreSlicedNotPlaced() {
        PduDecoder decoder = new PduDecoder(PduDecoder.Role.HOST, 8192);
        decoder.placement(header -> {
            throw new AssertionError("asked to place a PDU held whole");
        });
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ByteBuf stream = Unpooled.buffer();
        PduEncoder.writeIcResp(stream, 0, false, false, 4096);
        for (int i = 0; i < 10; i++) {
            PduEncoder.writeC2HDataHeader(stream, i, 0, 4096, true, true, false, false);
            stream.writeBytes(PduStreams.pattern(4096, i));
        }
        List<byte[]> frames = feed(ch, stream);
        stream.release();
        assertThat(frames).hasSize(11);
        assertThat(decoder.placedBytes()).isZero();
        assertThat(decoder.copiedBytes()).isZero();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    /**
     * Whether a read that ends inside a data PDU leaves a small rest to wait for: a 4 KiB PDU
     * being placed does, and so does a 4 KiB one joined without a placement; a 128 KiB PDU does
     * not, placed (its rest is read straight into its buffer, read by read) or not.
     */
    @ParameterizedTest(name = "{0} bytes, placed {1}")
    @CsvSource({"4096,true,true", "4096,false,true", "131072,true,false",
            "131072,false,false"})
    void aSplitSmallDataPduLeavesItsRestToWaitFor(int data, boolean placed, boolean awaits) {
        PduDecoder decoder = new PduDecoder(PduDecoder.Role.HOST, data + 1024);
        ByteBuf[] into = new ByteBuf[1];
        if (placed) {
            decoder.placement(header -> into[0] = PooledByteBufAllocator.DEFAULT.directBuffer(data));
        }
        List<Object> frames = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(decoder, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                frames.add(msg);
                ReferenceCountUtil.release(msg);
            }
        });
        ByteBuf stream = Unpooled.directBuffer();
        PduEncoder.writeIcResp(stream, 0, false, false, data);
        PduEncoder.writeC2HDataHeader(stream, 1, 0, data, true, true, false, false);
        stream.writeBytes(PduStreams.pattern(data, 1));
        int cut = PduType.IC_LENGTH + 24 + data / 2;

        ch.writeInbound(stream.readRetainedSlice(cut));
        assertThat(decoder.awaitsSmallRest()).isEqualTo(awaits);
        ch.writeInbound(stream);
        assertThat(decoder.awaitsSmallRest()).isFalse();

        assertThat(frames).hasSize(2);
        assertThat(frames.get(1)).isInstanceOf(placed ? PlacedData.class : ByteBuf.class);
        if (placed) {
            assertThat(ByteBufUtil.getBytes(into[0])).isEqualTo(PduStreams.pattern(data, 1));
            into[0].release();
        }
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aSplitPduIsDroppedWithTheConnection() {
        PduDecoder decoder = new PduDecoder(PduDecoder.Role.TARGET, 8192 + 72);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ByteBuf stream = Unpooled.buffer();
        PduEncoder.writeIcReq(stream, 0, false, false, 1);
        ByteBuf sqe = Unpooled.wrappedBuffer(PduStreams.pattern(64, 1));
        ByteBuf data = Unpooled.wrappedBuffer(PduStreams.pattern(4096, 0));
        PduEncoder.writeCapsuleCmd(stream, sqe, data, false, false);
        sqe.release();
        data.release();
        stream.writerIndex(stream.writerIndex() - 100);
        ch.writeInbound(stream);
        assertThat(decoder.copiedBytes()).isEqualTo(72 + 4096 - 100);
        // Closing releases the kept start of the capsule (paranoid leak detection would report it).
        ch.close();
        assertThat(ch.finishAndReleaseAll()).isTrue();
    }
}
