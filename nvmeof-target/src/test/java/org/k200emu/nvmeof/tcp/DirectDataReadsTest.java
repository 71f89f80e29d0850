package org.k200emu.nvmeof.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.k200emu.nvmeof.tcp.pdu.PduDecoder;
import org.k200emu.nvmeof.tcp.pdu.PduEncoder;
import org.k200emu.nvmeof.tcp.pdu.PduType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The read loop's say over one more read: Netty's allocator ends a loop at the first read that
 * does not fill its buffer; {@link DirectDataReads} adds one read, once per loop, when that read
 * ended inside a small PDU, whose rest the peer is most likely sending already.
 */
class DirectDataReadsTest {

    private static final int BUFFER = 64 * 1024;

    private final PduDecoder decoder = new PduDecoder(PduDecoder.Role.TARGET, 8192 + 72);
    private final EmbeddedChannel decoding = new EmbeddedChannel(decoder);
    private EventLoopGroup group;
    private ServerSocket server;
    private Socket peer;
    private NioSocketChannel channel;
    private RecvByteBufAllocator.ExtendedHandle handle;

    /** A connected channel (the peer sends nothing, so its own loop never reads) under DirectDataReads. */
    @BeforeEach
    void connect() throws Exception {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        channel = (NioSocketChannel) new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInboundHandlerAdapter())
                .connect(server.getLocalSocketAddress()).sync().channel();
        peer = server.accept();
        DirectDataReads.install(channel, decoder, BUFFER);
        assertThat((Object) channel.config().getRecvByteBufAllocator()).isInstanceOf(DirectDataReads.class);
        handle = (RecvByteBufAllocator.ExtendedHandle) channel.config().getRecvByteBufAllocator().newHandle();
        handle.reset(channel.config());
    }

    @AfterEach
    void close() throws Exception {
        // Closing releases the decoder's kept start of a split capsule.
        decoding.finishAndReleaseAll();
        channel.close().sync();
        peer.close();
        server.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    /** The connection's stream up to {@code cut} bytes into its 4 KiB write capsule. */
    private void receiveUpTo(int cut) {
        ByteBuf stream = Unpooled.buffer();
        PduEncoder.writeIcReq(stream, 0, false, false, 1);
        ByteBuf sqe = Unpooled.wrappedBuffer(new byte[64]);
        ByteBuf data = Unpooled.wrappedBuffer(new byte[4096]);
        PduEncoder.writeCapsuleCmd(stream, sqe, data, false, false);
        sqe.release();
        data.release();
        decoding.writeInbound(stream.retainedSlice(0, PduType.IC_LENGTH + cut));
        stream.release();
        decoding.releaseInbound();
    }

    /** Tells the handle of a read of {@code bytes} into a 64 KiB buffer, as a channel's read loop does. */
    private void read(int bytes) {
        handle.attemptedBytesRead(BUFFER);
        handle.lastBytesRead(bytes);
        handle.incMessagesRead(1);
    }

    @Test
    void aReadEndingInsideASmallPduTakesOneMoreRead() {
        receiveUpTo(1000);
        read(1000);
        assertThat(handle.continueReading()).isTrue();
        // That read brought part of the rest only: the loop ends all the same.
        read(500);
        assertThat(handle.continueReading()).isFalse();
        // The next loop may take its own.
        handle.reset(channel.config());
        read(200);
        assertThat(handle.continueReading()).isTrue();
    }

    @Test
    void aReadEndingBetweenPdusEndsTheLoop() {
        receiveUpTo(72 + 4096);
        read(72 + 4096);
        assertThat(decoder.awaitsSmallRest()).isFalse();
        assertThat(handle.continueReading()).isFalse();
    }

    @Test
    void aFullReadReadsOnAsNettyWould() {
        receiveUpTo(1000);
        handle.attemptedBytesRead(BUFFER);
        handle.lastBytesRead(BUFFER);
        handle.incMessagesRead(1);
        assertThat(handle.continueReading()).isTrue();
        assertThat(handle.continueReading()).isTrue();
    }

    @Test
    void noMoreReadWithReadingPaused() {
        receiveUpTo(1000);
        channel.config().setAutoRead(false);
        handle.reset(channel.config());
        read(1000);
        assertThat(handle.continueReading()).isFalse();
    }

    @Test
    void noMoreReadOnAClosedChannel() throws Exception {
        receiveUpTo(1000);
        channel.close().sync();
        read(1000);
        assertThat(handle.continueReading()).isFalse();
    }

    @Test
    void noMoreReadAtTheStreamsEnd() {
        receiveUpTo(1000);
        read(-1);
        assertThat(handle.continueReading()).isFalse();
    }

    /** The guess of a handle after a hundred read loops of one 384-byte read each (16 responses). */
    private int guessAfterSmallReads(RecvByteBufAllocator allocator) {
        RecvByteBufAllocator.ExtendedHandle h = (RecvByteBufAllocator.ExtendedHandle) allocator.newHandle();
        for (int i = 0; i < 100; i++) {
            h.reset(channel.config());
            h.attemptedBytesRead(h.guess());
            h.lastBytesRead(384);
            h.incMessagesRead(1);
            h.readComplete();
        }
        return h.guess();
    }

    @Test
    void smallReadsLeaveTheReadAtItsMinimum() {
        assertThat(guessAfterSmallReads(DirectDataReads.sized(1 << 20))).isEqualTo(DirectDataReads.MIN_READ);
        // Netty's own minimum lets the guess shrink to where a batch a little larger splits.
        assertThat(guessAfterSmallReads(new AdaptiveRecvByteBufAllocator())).isLessThan(1024);
    }
}
