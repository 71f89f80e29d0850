package org.k200emu.cluster.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.k200emu.cluster.CoreId;
import org.k200emu.cluster.CorePlacement;
import org.k200emu.cluster.Mppa;
import org.k200emu.cluster.MppaLayout;
import org.k200emu.cluster.SimCore;

class CoreEventLoopsTest {

    private final Mppa mppa = Mppa.create(MppaLayout.DEFAULT);

    @ParameterizedTest
    @EnumSource(value = CoreEventLoops.Transport.class, names = {"AUTO", "NIO", "IO_URING"})
    void tcpEchoSharesTheThreadWithItsCores(CoreEventLoops.Transport transport) throws Exception {
        CoreEventLoops loops = CoreEventLoops.start(CorePlacement.interleaved(mppa, 2), transport, false);
        try {
            String auto = Epoll.isAvailable() ? "epoll" : "nio";
            switch (transport) {
                case NIO:
                    assertThat(loops.transportName()).isEqualTo("nio");
                    break;
                case IO_URING:
                    // Optional: used when the kernel allows it, else the loops fall back to AUTO.
                    assertThat(loops.transportName()).isEqualTo(IoUring.isAvailable() ? "io_uring" : auto);
                    break;
                default:
                    assertThat(loops.transportName()).isEqualTo(auto);
            }
            CompletableFuture<Thread> channelThread = new CompletableFuture<>();
            CompletableFuture<String> messageThread = new CompletableFuture<>();
            CompletableFuture<String> timerThread = new CompletableFuture<>();
            Channel server = new ServerBootstrap()
                    .group(loops.group())
                    .channel(loops.serverChannelClass())
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new Echo(loops, channelThread, messageThread, timerThread));
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            byte[] payload = new byte[64 * 1024];
            for (int i = 0; i < payload.length; i++) {
                payload[i] = (byte) (i * 31 + 7);
            }
            Collect collect = new Collect(payload.length);
            Channel client = new Bootstrap()
                    .group(loops.group())
                    .channel(loops.socketChannelClass())
                    .handler(collect)
                    .connect(server.localAddress()).sync().channel();
            client.writeAndFlush(Unpooled.wrappedBuffer(payload)).sync();
            assertThat(collect.done.get(10, TimeUnit.SECONDS)).isEqualTo(payload);

            Thread loopThread = channelThread.get(5, TimeUnit.SECONDS);
            assertThat(loopThread.getName()).startsWith("k200-host-");
            String expected = loopThread.getName() + " inCore=true";
            assertThat(messageThread.get(5, TimeUnit.SECONDS)).isEqualTo(expected);
            assertThat(timerThread.get(5, TimeUnit.SECONDS)).isEqualTo(expected);
            client.close().sync();
            server.close().sync();
        } finally {
            loops.close();
        }
        assertThat(loops.group().isTerminated()).isTrue();
        assertThat(mppa.all()).allMatch(c -> !c.inCoreThread());
    }

    @Test
    void coresAndLoopsMapBothWays() {
        CorePlacement placement = CorePlacement.interleaved(mppa, 2);
        try (CoreEventLoops loops = CoreEventLoops.start(placement)) {
            List<EventLoop> all = loops.eventLoops();
            assertThat(all).hasSize(2).doesNotHaveDuplicates();
            for (SimCore core : mppa.all()) {
                EventLoop loop = loops.eventLoopOf(core);
                assertThat(loop).isSameAs(all.get(placement.hostOf(core)));
                assertThat(loops.coresOn(loop)).contains(core);
            }
            assertThat(loops.coresOn(all.get(0))).hasSize(40);
        }
    }

    @ParameterizedTest
    @EnumSource(value = CoreEventLoops.Transport.class, names = {"AUTO", "NIO", "IO_URING"})
    void foreignOfferWakesABlockedLoop(CoreEventLoops.Transport transport) throws Exception {
        try (CoreEventLoops loops = CoreEventLoops.start(CorePlacement.interleaved(mppa, 1), transport, false)) {
            EventLoop loop = loops.eventLoops().get(0);
            long start = System.nanoTime();
            for (int round = 0; round < 50; round++) {
                SimCore core = mppa.core((round * 7) % 80);
                CompletableFuture<Boolean> ran = new CompletableFuture<>();
                core.execute(() -> ran.complete(loop.inEventLoop() && core.inCoreThread()));
                // No Netty task or timer is pending: only the core's doorbell can end epoll_wait.
                assertThat(ran.get(5, TimeUnit.SECONDS)).as("round %d", round).isTrue();
                LockSupport.parkNanos(300_000);
            }
            // Netty's epoll loop re-checks about once a second on its own, so a lost wake-up shows as
            // ~1 s per round; woken rounds take well under a millisecond.
            assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(10));
        }
    }

    @ParameterizedTest
    @EnumSource(value = CoreEventLoops.Transport.class, names = {"AUTO", "NIO", "IO_URING"})
    void coreTimerEndsABlockingWait(CoreEventLoops.Transport transport) throws Exception {
        try (CoreEventLoops loops = CoreEventLoops.start(CorePlacement.interleaved(mppa, 1), transport, false)) {
            SimCore core = mppa.core(CoreId.of(3, 3));
            CountDownLatch fired = new CountDownLatch(5);
            long start = System.nanoTime();
            core.execute(() -> core.schedulePeriodic(TimeUnit.MILLISECONDS.toNanos(10), fired::countDown));
            assertThat(fired.await(5, TimeUnit.SECONDS)).isTrue();
            long elapsed = System.nanoTime() - start;
            assertThat(elapsed).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(50));
            // Uncapped, epoll_wait would only return on Netty's own ~1 s re-check: about 5 s for 5 firings.
            assertThat(elapsed).isLessThan(TimeUnit.MILLISECONDS.toNanos(2500));
            assertThat(core.counters().timersFired()).isGreaterThanOrEqualTo(5);
            assertThat(loops.eventLoopOf(core).inEventLoop()).isFalse();
        }
    }

    @Test
    void spinningLoopRunsMessages() throws Exception {
        try (CoreEventLoops loops = CoreEventLoops.start(CorePlacement.interleaved(mppa, 1),
                CoreEventLoops.Transport.NIO, true)) {
            SimCore core = mppa.core(79);
            CompletableFuture<Boolean> ran = new CompletableFuture<>();
            core.execute(() -> ran.complete(loops.eventLoopOf(core).inEventLoop()));
            assertThat(ran.get(5, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** Server side: echoes bytes and checks a core of its loop runs on the same thread. */
    private static final class Echo extends ChannelInboundHandlerAdapter {
        private final CoreEventLoops loops;
        private final CompletableFuture<Thread> channelThread;
        private final CompletableFuture<String> messageThread;
        private final CompletableFuture<String> timerThread;

        Echo(CoreEventLoops loops, CompletableFuture<Thread> channelThread, CompletableFuture<String> messageThread,
                CompletableFuture<String> timerThread) {
            this.loops = loops;
            this.channelThread = channelThread;
            this.messageThread = messageThread;
            this.timerThread = timerThread;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            channelThread.complete(Thread.currentThread());
            List<SimCore> cores = loops.coresOn(ctx.channel().eventLoop());
            SimCore core = cores.get(cores.size() - 1);
            core.execute(() -> messageThread.complete(Thread.currentThread().getName() + " inCore="
                    + core.inCoreThread()));
            core.execute(() -> core.schedule(TimeUnit.MILLISECONDS.toNanos(5),
                    () -> timerThread.complete(Thread.currentThread().getName() + " inCore=" + core.inCoreThread())));
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }
    }

    /** Client side: gathers the echoed bytes. */
    private static final class Collect extends ChannelInboundHandlerAdapter {
        private final int expected;
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final CompletableFuture<byte[]> done = new CompletableFuture<>();

        Collect(int expected) {
            this.expected = expected;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                byte[] chunk = new byte[buf.readableBytes()];
                buf.readBytes(chunk);
                received.write(chunk, 0, chunk.length);
            } finally {
                buf.release();
            }
            if (received.size() >= expected) {
                done.complete(received.toByteArray());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            done.completeExceptionally(cause);
            ctx.close();
        }
    }
}
