package org.k200emu.nvmeof.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BatchedWriterTest {

    private static final int ROUNDS = 60;

    /**
     * Far more than the small socket buffers take: the first flush writes what the socket takes
     * straight (on epoll) and leaves the rest to the channel; a second batch queued behind it must
     * follow it. Small PDUs, buffers handed over, ranges of buffers kept by the caller and heap
     * buffers (which cannot go by address) all arrive in queue order, and every buffer ends with
     * the count it should.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aQueueLargerThanTheSocketArrivesWholeAndInOrder(boolean epoll) throws Exception {
        Assumptions.assumeTrue(!epoll || Epoll.isAvailable(), "the epoll transport");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        try {
            BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            Channel server = new ServerBootstrap().group(group)
                    .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.SO_RCVBUF, 32 * 1024)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    ByteBuf b = (ByteBuf) msg;
                                    byte[] bytes = new byte[b.readableBytes()];
                                    b.readBytes(bytes);
                                    synchronized (received) {
                                        received.writeBytes(bytes);
                                    }
                                    b.release();
                                }
                            });
                            accepted.add(ch);
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            CompletableFuture<ChannelHandlerContext> sender = new CompletableFuture<>();
            Channel client = new Bootstrap().group(group).channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                    .option(ChannelOption.SO_SNDBUF, 32 * 1024)
                    .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void handlerAdded(ChannelHandlerContext ctx) {
                            sender.complete(ctx);
                        }
                    })
                    .connect(server.localAddress()).sync().channel();
            Channel child = accepted.poll(5, TimeUnit.SECONDS);
            assertThat(child).isNotNull();
            ChannelHandlerContext ctx = sender.get(5, TimeUnit.SECONDS);

            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            List<ByteBuf> handedOver = new ArrayList<>();
            List<ByteBuf> kept = new ArrayList<>();
            long[] directWrites = new long[1];
            long[] leftToChannel = new long[1];
            BatchedWriter writer = client.eventLoop().submit(() -> {
                BatchedWriter w = new BatchedWriter(ctx);
                queue(w, ctx, 0, expected, handedOver, kept);
                w.flushNow();
                directWrites[0] = w.directWrites();
                leftToChannel[0] = client.unsafe().outboundBuffer().totalPendingWriteBytes();
                queue(w, ctx, ROUNDS, expected, handedOver, kept);
                w.flushNow();
                return w;
            }).get(10, TimeUnit.SECONDS);
            assertThat(leftToChannel[0]).as("bytes the socket did not take").isPositive();
            if (epoll) {
                assertThat(directWrites[0]).as("writev calls straight on the socket").isPositive();
            } else {
                assertThat(directWrites[0]).isZero();
            }

            child.config().setAutoRead(true);
            child.read();
            byte[] want = expected.toByteArray();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (true) {
                synchronized (received) {
                    if (received.size() >= want.length) {
                        break;
                    }
                }
                assertThat(System.nanoTime()).as("all bytes within 20 s").isLessThan(deadline);
                Thread.sleep(10);
            }
            synchronized (received) {
                assertThat(received.toByteArray()).isEqualTo(want);
            }
            client.eventLoop().submit(() -> {
                for (ByteBuf b : handedOver) {
                    assertThat(b.refCnt()).as("a buffer handed over is released once sent").isZero();
                }
                for (ByteBuf b : kept) {
                    assertThat(b.refCnt()).as("the caller's reference is all that is left").isEqualTo(1);
                    assertThat(b.readerIndex()).as("the caller's indexes are untouched").isZero();
                    b.release();
                }
                writer.discard();
            }).get(5, TimeUnit.SECONDS);
            client.close().sync();
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /** A closed connection: what was queued is released, and later writes go nowhere. */
    @Test
    void discardReleasesTheQueueAndDropsLaterWrites() {
        CompletableFuture<ChannelHandlerContext> captured = new CompletableFuture<>();
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter() {
            @Override
            public void handlerAdded(ChannelHandlerContext ctx) {
                captured.complete(ctx);
            }
        });
        ChannelHandlerContext ctx = captured.join();
        BatchedWriter w = new BatchedWriter(ctx);
        ByteBuf owned = ctx.alloc().directBuffer(100).writeZero(100);
        ByteBuf kept = ctx.alloc().directBuffer(100).writeZero(100);
        w.write(owned);
        w.writeRegion(kept, 10, 20);
        w.writeDigest(7);
        w.discard();
        assertThat(owned.refCnt()).isZero();
        assertThat(kept.refCnt()).isEqualTo(1);
        ByteBuf late = ctx.alloc().directBuffer(10).writeZero(10);
        w.write(late);
        w.writeRegion(kept, 0, 10);
        w.writeDigest(8);
        w.flushNow();
        channel.runPendingTasks();
        assertThat(late.refCnt()).isZero();
        assertThat(kept.refCnt()).isEqualTo(1);
        Object out = channel.readOutbound();
        assertThat(out).isNull();
        kept.release();
        channel.finishAndReleaseAll();
    }

    /** Queues ROUNDS rounds of every kind of range, recording the bytes the peer must receive. */
    private static void queue(BatchedWriter w, ChannelHandlerContext ctx, int firstRound, ByteArrayOutputStream expected,
            List<ByteBuf> handedOver, List<ByteBuf> kept) {
        for (int r = firstRound; r < firstRound + ROUNDS; r++) {
            for (int k = 0; k < 3; k++) {
                // Consecutive small PDUs: one range in the writer.
                ByteBuf out = w.beginSmall(24);
                for (int i = 0; i < 24; i++) {
                    out.writeByte(r * 7 + k * 3 + i);
                    expected.write(r * 7 + k * 3 + i);
                }
                w.endSmall();
            }
            ByteBuf owned = filled(ctx.alloc().directBuffer(8192), 8192, r);
            owned.readerIndex(100);
            expected.writeBytes(bytes(owned, 100, 8092));
            handedOver.add(owned);
            w.write(owned);
            if (r % 10 == 0) {
                // A heap buffer cannot go by address: the channel takes it, and all behind it.
                ByteBuf heap = filled(Unpooled.buffer(3000), 3000, r + 1);
                expected.writeBytes(bytes(heap, 0, 3000));
                handedOver.add(heap);
                w.write(heap);
            }
            ByteBuf region = filled(ctx.alloc().directBuffer(16384), 16384, r + 2);
            kept.add(region);
            w.writeRegion(region, 1000, 12000);
            expected.writeBytes(bytes(region, 1000, 12000));
            // A kept buffer's whole readable range: whatever path it takes, its indexes stay the caller's.
            ByteBuf whole = filled(ctx.alloc().directBuffer(5000), 5000, r + 3);
            kept.add(whole);
            w.writeRegion(whole, 0, 5000);
            expected.writeBytes(bytes(whole, 0, 5000));
            int crc = 0x01020304 + r;
            w.writeDigest(crc);
            expected.writeBytes(new byte[] {(byte) crc, (byte) (crc >>> 8), (byte) (crc >>> 16), (byte) (crc >>> 24)});
        }
    }

    private static ByteBuf filled(ByteBuf buf, int n, int seed) {
        for (int i = 0; i < n; i++) {
            buf.writeByte((seed * 31 + i * 13) & 0xff);
        }
        return buf;
    }

    private static byte[] bytes(ByteBuf buf, int index, int n) {
        byte[] b = new byte[n];
        buf.getBytes(index, b);
        return b;
    }
}
