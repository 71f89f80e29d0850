package org.k200emu.cluster.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class TcpCongestionTest {

    private static String name(ByteBuffer value) {
        byte[] bytes = new byte[value.remaining()];
        value.get(bytes);
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, StandardCharsets.US_ASCII);
    }

    @Test
    void describesANamedAlgorithmAsItselfAndNoneAsTheSystems() {
        assertThat(TcpCongestion.describe("cubic")).isEqualTo("cubic");
        assertThat(TcpCongestion.describe(null)).isEqualTo(TcpCongestion.systemDefault() + " (the system's)");
    }

    @Test
    void acceptsWhatTheKernelHasAndRefusesTheRestByName() {
        Assumptions.assumeFalse(TcpCongestion.available().isEmpty(), "a Linux kernel lists its algorithms");
        String system = TcpCongestion.systemDefault();
        assertThat(TcpCongestion.available()).contains(system);
        assertThat(TcpCongestion.check(system)).isEqualTo(system);
        assertThatThrownBy(() -> TcpCongestion.check("nosuchcc")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'nosuchcc' is not available").hasMessageContaining(system);
        assertThatThrownBy(() -> TcpCongestion.check("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TcpCongestion.check("a-name-far-too-long")).isInstanceOf(IllegalArgumentException.class);
        assertThat(TcpCongestion.check(system, EpollSocketChannel.class)).isEqualTo(system);
        assertThatThrownBy(() -> TcpCongestion.check(system, NioSocketChannel.class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs the epoll or io_uring transport");
        assertThat(TcpCongestion.value("reno").remaining()).isEqualTo(16);
        assertThat(name(TcpCongestion.value("reno"))).isEqualTo("reno");
    }

    /** Both ends of an epoll connection get the algorithm asked for, whatever the system's is. */
    @Test
    void theOptionReachesBothEndsOfAConnection() throws Exception {
        Assumptions.assumeTrue(Epoll.isAvailable(), "the epoll transport");
        // reno is built into every Linux kernel; the default here is usually cubic or bbr.
        String wanted = "reno";
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
            Channel server = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            TcpCongestion.apply(ch, wanted);
                            accepted.add(ch);
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            // Two connections: each channel gets a value of its own (a shared one is used up).
            for (int i = 0; i < 2; i++) {
                Channel client = new Bootstrap().group(group).channel(EpollSocketChannel.class)
                        .handler(new ChannelInitializer<Channel>() {
                            @Override
                            protected void initChannel(Channel ch) {
                                TcpCongestion.apply(ch, wanted);
                            }
                        })
                        .connect(server.localAddress()).sync().channel();
                Channel child = accepted.poll(5, TimeUnit.SECONDS);
                assertThat(child).isNotNull();
                assertThat(name(client.config().getOption(TcpCongestion.OPTION))).isEqualTo(wanted);
                assertThat(name(child.config().getOption(TcpCongestion.OPTION))).isEqualTo(wanted);
                client.close().sync();
            }
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
