package org.k200emu.nvmeof.host;

import io.netty.channel.DefaultSelectStrategyFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SelectStrategy;
import io.netty.channel.SelectStrategyFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.concurrent.TimeUnit;
import org.k200emu.cluster.netty.CoreEventLoops;

/**
 * The event loops a host's connections run on, and the socket channel class that goes with
 * them: the card's own core event loops (co-processor mode), or a small group of its own (a
 * load generator), which {@link #close()} then shuts down.
 */
public final class HostTransport implements AutoCloseable {

    private final EventLoopGroup group;
    private final Class<? extends SocketChannel> channelClass;
    private final boolean owned;
    private volatile String congestion;

    private HostTransport(EventLoopGroup group, Class<? extends SocketChannel> channelClass, boolean owned) {
        this.group = group;
        this.channelClass = channelClass;
        this.owned = owned;
    }

    /** Connections on the card's core event loops; closing this transport leaves them running. */
    public static HostTransport on(CoreEventLoops loops) {
        return new HostTransport(loops.group(), loops.socketChannelClass(), false);
    }

    /** A group of {@code threads} event loops of its own: epoll where available, else NIO. */
    public static HostTransport create(int threads) {
        return create(threads, false);
    }

    /**
     * A group of {@code threads} event loops of its own: epoll where available, else NIO. With
     * {@code spin} the epoll loops never sleep (lowest latency, one CPU each at 100%), as a
     * polling load generator such as SPDK's perf does.
     */
    public static HostTransport create(int threads, boolean spin) {
        if (Epoll.isAvailable()) {
            SelectStrategyFactory strategy = spin ? () -> (supplier, hasTasks) -> SelectStrategy.BUSY_WAIT
                    : DefaultSelectStrategyFactory.INSTANCE;
            return new HostTransport(new MultiThreadIoEventLoopGroup(threads, EpollIoHandler.newFactory(0, strategy)),
                    EpollSocketChannel.class, true);
        }
        return new HostTransport(new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory()),
                NioSocketChannel.class, true);
    }

    /**
     * Pins this transport's own event loops, loop {@code i} to {@code cpus.forThread(i)} (a
     * transport on the card's loops leaves them to the card).
     *
     * @throws IllegalArgumentException when a CPU is not one this process may run on
     */
    public void pin(org.k200emu.cluster.affinity.CpuList cpus) {
        if (!owned) {
            throw new IllegalStateException("the card's event loops are pinned by the card");
        }
        org.k200emu.cluster.affinity.CpuAffinity.pinEach(group, cpus);
    }

    /**
     * Sets the TCP congestion control of the connections opened from now on (null: the system's).
     *
     * @throws IllegalArgumentException when the kernel has no such algorithm, or this transport
     *                                  cannot set it (NIO)
     */
    public void tcpCongestion(String name) {
        this.congestion = name == null ? null : org.k200emu.cluster.netty.TcpCongestion.check(name, channelClass);
    }

    /** The TCP congestion control the connections ask for, or null for the system's. */
    public String tcpCongestion() {
        return congestion;
    }

    public EventLoopGroup group() {
        return group;
    }

    public Class<? extends SocketChannel> channelClass() {
        return channelClass;
    }

    /** "epoll" or "nio". */
    public String transportName() {
        return channelClass == EpollSocketChannel.class ? "epoll" : channelClass.getSimpleName();
    }

    @Override
    public void close() {
        if (owned) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
