package org.k200emu.cluster.netty;

import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.netty.util.concurrent.ThreadAwareExecutor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.k200emu.cluster.CoreGroup;
import org.k200emu.cluster.CorePlacement;
import org.k200emu.cluster.SimCore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host threads of a {@link CorePlacement} as a Netty 4.2 event-loop group: event loop i is
 * host thread i (named {@code k200-host-<i>}) and runs the duty cycles of the cores placed there
 * between socket polls (see {@link CoreIoHandler}). So a channel registered on
 * {@link #eventLoopOf(SimCore)} is served on the same thread as the core, with no thread hop
 * between socket and core. Owned by whoever started it (the emulator); {@link #close()} shuts the
 * group down and unbinds the cores.
 */
public final class CoreEventLoops implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CoreEventLoops.class);

    /** Which native transport the event loops wrap. */
    public enum Transport {
        /** Epoll when available, else NIO. */
        AUTO,
        /** Linux epoll; fails if not available. */
        EPOLL,
        /** Java NIO selectors; works everywhere. */
        NIO,
        /** Linux io_uring; falls back to {@link #AUTO} with a warning when the kernel lacks it. */
        IO_URING
    }

    private final CorePlacement placement;
    private final Transport transport;
    private final MultiThreadIoEventLoopGroup group;
    private final IoEventLoop[] loops;
    private final long[] threadIds;

    private CoreEventLoops(CorePlacement placement, Transport transport, boolean spin) {
        this.placement = placement;
        this.transport = transport;
        int n = placement.hostThreads();
        List<CoreGroup> groups = new ArrayList<>(n);
        for (int host = 0; host < n; host++) {
            groups.add(new CoreGroup(host, placement.coresOn(host)));
        }
        IoHandlerFactory nativeFactory = nativeFactory(transport);
        Map<ThreadAwareExecutor, CoreIoHandler> byExecutor = new IdentityHashMap<>();
        AtomicInteger nextHost = new AtomicInteger();
        // Netty builds its child loops one by one inside the group constructor, each calling
        // newHandler(itself) once: the i-th call gets host thread i's cores, and the executor it
        // passes tells us afterwards which loop that is.
        IoHandlerFactory factory = executor -> {
            int host = nextHost.getAndIncrement();
            if (host >= n) {
                throw new IllegalStateException("more event loops than host threads (" + n + ")");
            }
            CoreIoHandler handler = new CoreIoHandler(nativeFactory.newHandler(executor), groups.get(host),
                    placement.mppa().clock(), spin, executor);
            synchronized (byExecutor) {
                byExecutor.put(executor, handler);
            }
            return handler;
        };
        this.group = new MultiThreadIoEventLoopGroup(n, new HostThreadFactory(), factory);
        this.loops = new IoEventLoop[n];
        synchronized (byExecutor) {
            for (EventExecutor executor : group) {
                CoreIoHandler handler = byExecutor.get(executor);
                if (handler == null) {
                    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                    throw new IllegalStateException("event loop " + executor + " has no core handler");
                }
                loops[handler.cores().host()] = (IoEventLoop) executor;
            }
        }
        for (int host = 0; host < n; host++) {
            if (loops[host] == null) {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                throw new IllegalStateException("no event loop for host thread " + host);
            }
        }
        // Netty starts a loop's thread on its first task; start them all now so every core has a
        // running host thread (and is bound to it) before anyone offers it a message.
        this.threadIds = new long[n];
        for (int host = 0; host < n; host++) {
            threadIds[host] = loops[host].submit(() -> Thread.currentThread().getId()).syncUninterruptibly().getNow();
        }
    }

    /**
     * Starts the event loops of {@code placement}.
     *
     * @param transport native transport to wrap
     * @param spin true: the loops never block (lowest latency, one host CPU each at 100%); false:
     *     they block in epoll_wait / select when their cores and sockets are idle
     */
    public static CoreEventLoops start(CorePlacement placement, Transport transport, boolean spin) {
        return new CoreEventLoops(Objects.requireNonNull(placement, "placement"),
                resolve(Objects.requireNonNull(transport, "transport")), spin);
    }

    /** {@link #start(CorePlacement, Transport, boolean)} with {@link Transport#AUTO}, blocking when idle. */
    public static CoreEventLoops start(CorePlacement placement) {
        return start(placement, Transport.AUTO, false);
    }

    private static Transport resolve(Transport requested) {
        switch (requested) {
            case EPOLL:
                if (!Epoll.isAvailable()) {
                    throw new IllegalStateException("epoll transport not available", Epoll.unavailabilityCause());
                }
                return Transport.EPOLL;
            case NIO:
                return Transport.NIO;
            case IO_URING:
                if (IoUring.isAvailable()) {
                    return Transport.IO_URING;
                }
                LOG.warn("io_uring not available ({}), falling back", String.valueOf(IoUring.unavailabilityCause()));
                return resolve(Transport.AUTO);
            case AUTO:
            default:
                return Epoll.isAvailable() ? Transport.EPOLL : Transport.NIO;
        }
    }

    private static IoHandlerFactory nativeFactory(Transport transport) {
        switch (transport) {
            case EPOLL:
                return EpollIoHandler.newFactory();
            case IO_URING:
                return IoUringIoHandler.newFactory();
            case NIO:
            default:
                return NioIoHandler.newFactory();
        }
    }

    /** The Netty group; use it as a ServerBootstrap's child group (and parent group). */
    public IoEventLoopGroup group() {
        return group;
    }

    /** The placement being run. */
    public CorePlacement placement() {
        return placement;
    }

    /** The event loop (host thread) that runs {@code core}; register that core's channels here. */
    public EventLoop eventLoopOf(SimCore core) {
        return loops[placement.hostOf(core)];
    }

    /** The cores run by {@code loop}, in flat order. */
    public List<SimCore> coresOn(EventLoop loop) {
        for (int host = 0; host < loops.length; host++) {
            if (loops[host] == loop) {
                return placement.coresOn(host);
            }
        }
        throw new IllegalArgumentException(loop + " is not one of these event loops");
    }

    /** The event loops, index = host-thread index. */
    public List<EventLoop> eventLoops() {
        List<EventLoop> list = new ArrayList<>(loops.length);
        Collections.addAll(list, loops);
        return Collections.unmodifiableList(list);
    }

    /** Server channel class that matches the transport. */
    public Class<? extends ServerSocketChannel> serverChannelClass() {
        switch (transport) {
            case EPOLL:
                return EpollServerSocketChannel.class;
            case IO_URING:
                return IoUringServerSocketChannel.class;
            default:
                return NioServerSocketChannel.class;
        }
    }

    /** Client channel class that matches the transport. */
    public Class<? extends SocketChannel> socketChannelClass() {
        switch (transport) {
            case EPOLL:
                return EpollSocketChannel.class;
            case IO_URING:
                return IoUringSocketChannel.class;
            default:
                return NioSocketChannel.class;
        }
    }

    /** "epoll", "nio" or "io_uring". */
    public String transportName() {
        switch (transport) {
            case EPOLL:
                return "epoll";
            case IO_URING:
                return "io_uring";
            default:
                return "nio";
        }
    }

    /**
     * Bytes allocated on the heap so far by the host threads (the JVM's per-thread allocation
     * counters), or -1 where the JVM does not count. For measuring what the data path allocates.
     */
    public long allocatedBytes() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        if (!(mx instanceof com.sun.management.ThreadMXBean)) {
            return -1;
        }
        com.sun.management.ThreadMXBean counters = (com.sun.management.ThreadMXBean) mx;
        if (!counters.isThreadAllocatedMemorySupported() || !counters.isThreadAllocatedMemoryEnabled()) {
            return -1;
        }
        long sum = 0;
        for (long b : counters.getThreadAllocatedBytes(threadIds)) {
            sum += Math.max(b, 0);
        }
        return sum;
    }

    /** Shuts the loops down (closing their channels), waits for the threads, and unbinds the cores. */
    /**
     * Pins host thread {@code i} to {@code cpus.forThread(i)}; returns once every thread runs only
     * on its CPU.
     *
     * @throws IllegalArgumentException when a CPU is not one this process may run on
     */
    public void pin(org.k200emu.cluster.affinity.CpuList cpus) {
        org.k200emu.cluster.affinity.CpuAffinity.pinEach(java.util.Arrays.asList(loops), cpus);
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Netty-friendly threads; {@link CoreIoHandler#initialize()} names each after its host thread. */
    private static final class HostThreadFactory implements ThreadFactory {
        private final AtomicInteger next = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            return new FastThreadLocalThread(r, "k200-host-starting-" + next.getAndIncrement());
        }
    }
}
