package org.k200emu.nvme.nbd;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.k200emu.cluster.SimCore;
import org.k200emu.cluster.netty.CoreEventLoops;
import org.k200emu.cluster.netty.TcpCongestion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The card's NBD server: listens on one TCP address and serves its {@link NbdExport}s, each
 * connection on the event loop that accepted it and its I/O completed on a data-plane core of
 * that host thread (see {@link NbdConnection}). Owned by the card process, which starts it after
 * the bdevs and closes it before them.
 */
public final class NbdServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NbdServer.class);
    private static final long DRAIN_TIMEOUT_MILLIS = 5000;

    private final CoreEventLoops loops;
    private final String address;
    private final int port;
    private final Map<String, NbdExport> exports = new LinkedHashMap<>();
    private final Set<NbdConnection> connections = ConcurrentHashMap.newKeySet();
    private final Map<EventLoop, AtomicInteger> placementCursor = new ConcurrentHashMap<>();
    private final AtomicLong closedConnectionsCommands = new AtomicLong();
    private Channel listener;
    private volatile boolean closed;
    private String congestion;

    /**
     * @param loops   the card's event loops (connections and completions run there)
     * @param address listen address
     * @param port    TCP port, 0 for any free one (see {@link #boundAddress()})
     * @param exports at least one; names unique
     */
    public NbdServer(CoreEventLoops loops, String address, int port, List<NbdExport> exports) {
        this.loops = loops;
        this.address = address;
        this.port = port;
        if (exports.isEmpty()) {
            throw new IllegalArgumentException("an NBD server needs at least one export");
        }
        for (NbdExport e : exports) {
            if (this.exports.putIfAbsent(e.name(), e) != null) {
                throw new IllegalArgumentException("two NBD exports named " + e.name());
            }
        }
    }

    /**
     * The TCP congestion control of the connections this server accepts (null, the default: the
     * system's); set before {@link #start}.
     *
     * @throws IllegalArgumentException when the kernel has no such algorithm, or the card's
     *                                  transport cannot set it (NIO)
     */
    public void tcpCongestion(String name) {
        this.congestion = name == null ? null : TcpCongestion.check(name, loops.socketChannelClass());
    }

    /** Binds the listener; throws IllegalStateException naming the address if it cannot. */
    public void start() {
        ChannelFuture bound = new ServerBootstrap()
                .group(loops.group())
                .channel(loops.serverChannelClass())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // Pooled: reply buffers and the retained slices of write payloads are recycled.
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (congestion != null) {
                            TcpCongestion.apply(ch, congestion);
                        }
                        ch.pipeline().addLast("nbd", new NbdConnection(NbdServer.this));
                    }
                }).bind(address, port).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            Throwable cause = bound.cause();
            throw new IllegalStateException("NBD: cannot listen on " + address + ":" + port + ": "
                    + (cause == null ? "unknown error" : cause.getMessage()), cause);
        }
        listener = bound.channel();
        LOG.info("NBD server listening on {}, exports {}, TCP congestion control {}", boundAddress(), exports.keySet(),
                TcpCongestion.describe(congestion));
    }

    /** The bound address (an ephemeral port resolved), or null before {@link #start()}. */
    public InetSocketAddress boundAddress() {
        return listener == null ? null : (InetSocketAddress) listener.localAddress();
    }

    /** The exports, in configuration order. */
    public List<NbdExport> exports() {
        return List.copyOf(exports.values());
    }

    /** The export a client names; the empty name is the default export (the first). Null if none. */
    NbdExport export(String name) {
        if (name.isEmpty()) {
            return exports.values().iterator().next();
        }
        return exports.get(name);
    }

    /** Open connections. */
    public int connectionCount() {
        return connections.size();
    }

    /** Commands completed so far on every connection, open or closed (approximate while running). */
    public long commandsCompleted() {
        long n = closedConnectionsCommands.get();
        for (NbdConnection c : connections) {
            n += c.commandsCompleted();
        }
        return n;
    }

    /** A data-plane core placed on {@code loop}, round robin (any core there if it has none). */
    SimCore placeCore(EventLoop loop) {
        List<SimCore> cores = loops.coresOn(loop);
        List<SimCore> dataPlane = new ArrayList<>();
        for (SimCore c : cores) {
            if (!c.id().controlPlane()) {
                dataPlane.add(c);
            }
        }
        List<SimCore> pool = dataPlane.isEmpty() ? cores : dataPlane;
        int n = placementCursor.computeIfAbsent(loop, l -> new AtomicInteger()).getAndIncrement();
        return pool.get(Math.floorMod(n, pool.size()));
    }

    void connectionOpened(NbdConnection c) {
        connections.add(c);
        if (closed) {
            c.drain();
        }
    }

    void connectionClosed(NbdConnection c) {
        if (connections.remove(c)) {
            closedConnectionsCommands.addAndGet(c.commandsCompleted());
        }
    }

    /**
     * Stops listening, lets every connection finish the requests it has in flight (up to 5 s)
     * and closes it. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (listener != null) {
            listener.close().awaitUninterruptibly();
        }
        List<NbdConnection> open = new ArrayList<>(connections);
        for (NbdConnection c : open) {
            c.drain();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_TIMEOUT_MILLIS);
        for (NbdConnection c : open) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !c.closeFuture().awaitUninterruptibly(TimeUnit.NANOSECONDS.toMillis(left))) {
                LOG.warn("{}: requests still in flight after {} ms, closing anyway", c, DRAIN_TIMEOUT_MILLIS);
                c.closeFuture().channel().close().awaitUninterruptibly();
            }
            // The close future's waiters may wake before its listeners ran.
            connectionClosed(c);
        }
        if (listener != null) {
            LOG.info("NBD server stopped");
        }
    }
}
