package org.k200emu.nvmeof.target;

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
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicLong;
import org.k200emu.cluster.SimCore;
import org.k200emu.cluster.netty.CoreEventLoops;
import org.k200emu.nvme.AnaState;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.nvme.controller.ControllerParams;
import org.k200emu.nvme.controller.NvmeController;
import org.k200emu.nvme.subsystem.DiscoveryEntry;
import org.k200emu.nvme.subsystem.DiscoveryLogSource;
import org.k200emu.nvme.subsystem.Subsystem;
import org.k200emu.cluster.netty.TcpCongestion;
import org.k200emu.nvmeof.tcp.DirectDataReads;
import org.k200emu.nvmeof.tcp.pdu.PduDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The card's NVMe/TCP target: listens on its ports, serves the NVM subsystems and the discovery
 * subsystem on each, and places every queue pair on a simulated core of the event loop that
 * accepted its connection (admin queues on control-plane cores, I/O queues on data-plane cores).
 * Owned by the card process, which starts it after the cores and bdevs and closes it first.
 */
public final class NvmeofTarget implements DiscoveryLogSource, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NvmeofTarget.class);
    private static final long DRAIN_TIMEOUT_MILLIS = 5000;
    /**
     * The most one socket read of a connection takes. A write's in-capsule data is a slice of the
     * read it came in, and keeps that read's buffer alive until the write completes.
     */
    static final int SOCKET_READ = 64 * 1024;

    private final CoreEventLoops loops;
    private final TcpTransportSettings settings;
    private final Map<String, Subsystem> subsystems = new LinkedHashMap<>();
    private final Subsystem discovery;
    private final List<TargetPort> ports;
    private final List<Channel> listeners = new ArrayList<>();
    private final Set<TcpQueuePair> connections = ConcurrentHashMap.newKeySet();
    private final Set<ControllerSession> sessions = ConcurrentHashMap.newKeySet();
    private final Map<EventLoop, AtomicInteger> placementCursor = new ConcurrentHashMap<>();
    private final AtomicLong discoveryGeneration = new AtomicLong(1);
    private final AtomicLong closedQueuesIoCommands = new AtomicLong();
    /**
     * Each port's ANA state, in a holder of its own: a controller keeps its port's holder and
     * reads it for every I/O command, one volatile read rather than a map look-up.
     */
    private final Map<Integer, AtomicReference<AnaState>> anaByPort = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private String congestion;

    public NvmeofTarget(CoreEventLoops loops, TcpTransportSettings settings, List<Subsystem> subsystems,
                        List<TargetPort> ports) {
        this.loops = loops;
        this.settings = settings;
        for (Subsystem s : subsystems) {
            if (s.type() != Subsystem.Type.NVM) {
                throw new IllegalArgumentException("not an NVM subsystem: " + s.nqn());
            }
            if (this.subsystems.putIfAbsent(s.nqn(), s) != null) {
                throw new IllegalArgumentException("two subsystems named " + s.nqn());
            }
        }
        if (ports.isEmpty()) {
            throw new IllegalArgumentException("the target needs at least one port");
        }
        this.ports = List.copyOf(ports);
        for (TargetPort p : ports) {
            anaByPort.put(p.portId(), new AtomicReference<>(p.ana()));
        }
        this.discovery = Subsystem.discovery(this);
    }

    /**
     * The TCP congestion control of the connections this target accepts (null, the default: the
     * system's); set before {@link #start}.
     *
     * @throws IllegalArgumentException when the kernel has no such algorithm, or the card's
     *                                  transport cannot set it (NIO)
     */
    public void tcpCongestion(String name) {
        this.congestion = name == null ? null : TcpCongestion.check(name, loops.socketChannelClass());
    }

    /** Binds every port; if one fails, closes those already bound and throws. */
    public void start() {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loops.group())
                .channel(loops.serverChannelClass())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // The pooled allocator recycles the slices the PDU decoder hands out; the adaptive
                // one (Netty 4.2's default) allocates a new slice object per PDU.
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT);
        for (TargetPort port : ports) {
            ChannelFuture bound = bootstrap.clone().childHandler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    if (congestion != null) {
                        TcpCongestion.apply(ch, congestion);
                    }
                    PduDecoder decoder = new PduDecoder(PduDecoder.Role.TARGET, settings.maxReceivedPdu());
                    DirectDataReads.install(ch, decoder, SOCKET_READ);
                    ch.pipeline().addLast("pdu-decoder", decoder);
                    ch.pipeline().addLast("queue-pair", new TcpQueuePair(NvmeofTarget.this, port, decoder));
                }
            }).bind(port.address(), port.port()).awaitUninterruptibly();
            if (!bound.isSuccess()) {
                close();
                Throwable cause = bound.cause();
                throw new IllegalStateException("cannot listen on " + port.address() + ":" + port.port() + ": "
                        + (cause == null ? "unknown error" : cause.getMessage()), cause);
            }
            listeners.add(bound.channel());
        }
        LOG.info("NVMe/TCP target listening on {} ({} transport, TCP congestion control {})", boundAddresses(),
                loops.transportName(), TcpCongestion.describe(congestion));
    }

    /** The bound address of each port, in port order (ephemeral ports resolved). */
    public List<InetSocketAddress> boundAddresses() {
        List<InetSocketAddress> out = new ArrayList<>();
        for (Channel ch : listeners) {
            out.add((InetSocketAddress) ch.localAddress());
        }
        return out;
    }

    public TcpTransportSettings settings() {
        return settings;
    }

    /** The NVM subsystem with this NQN, or null. */
    public Subsystem subsystem(String nqn) {
        return subsystems.get(nqn);
    }

    public Subsystem discoverySubsystem() {
        return discovery;
    }

    /** Open connections (each one queue pair). */
    public int connectionCount() {
        return connections.size();
    }

    /** Live controller associations. */
    public int sessionCount() {
        return sessions.size();
    }

    // ---- Discovery ------------------------------------------------------------------------

    @Override
    public List<DiscoveryEntry> entries(String hostNqn) {
        List<DiscoveryEntry> out = new ArrayList<>();
        for (Subsystem s : subsystems.values()) {
            if (!s.hostAllowed(hostNqn)) {
                continue;
            }
            for (int i = 0; i < ports.size(); i++) {
                TargetPort p = ports.get(i);
                if (p.listedInDiscovery()) {
                    out.add(DiscoveryEntry.tcp(p.portId(), p.address(), listenPort(i, p), s.nqn()));
                }
            }
        }
        return Collections.unmodifiableList(out);
    }

    private int listenPort(int index, TargetPort p) {
        return p.port() == 0 && index < listeners.size()
                ? ((InetSocketAddress) listeners.get(index).localAddress()).getPort() : p.port();
    }

    @Override
    public long generation() {
        return discoveryGeneration.get();
    }

    // ---- Connect --------------------------------------------------------------------------

    /** Handles a Fabrics Connect on {@code queue}'s event loop. */
    ConnectResult connect(ConnectRequest r, TcpQueuePair queue) {
        if (closed) {
            return ConnectResult.refused(NvmeStatus.CONNECT_CONTROLLER_BUSY, "the target is shutting down");
        }
        if (r.recfmt() != 0) {
            return ConnectResult.refused(NvmeStatus.CONNECT_INCOMPATIBLE_FORMAT, "record format " + r.recfmt());
        }
        Subsystem subsystem = Subsystem.DISCOVERY_NQN.equals(r.subnqn()) ? discovery : subsystems.get(r.subnqn());
        if (subsystem == null) {
            return ConnectResult.invalidParameter(true, ConnectRequest.DATA_SUBNQN, "no such subsystem");
        }
        if (r.hostNqn().isEmpty()) {
            return ConnectResult.invalidParameter(true, ConnectRequest.DATA_HOSTNQN, "empty host NQN");
        }
        if (!subsystem.hostAllowed(r.hostNqn())) {
            return ConnectResult.refused(NvmeStatus.CONNECT_INVALID_HOST, "host not allowed");
        }
        if (r.sqsize() < 1 || r.sqsize() + 1 > settings.maxQueueEntries()) {
            return ConnectResult.invalidParameter(false, ConnectRequest.SQE_SQSIZE, "queue size " + (r.sqsize() + 1));
        }
        EventLoop loop = queue.channel().eventLoop();
        return r.isAdmin() ? connectAdmin(r, subsystem, queue, loop) : connectIo(r, subsystem, queue, loop);
    }

    private ConnectResult connectAdmin(ConnectRequest r, Subsystem subsystem, TcpQueuePair queue, EventLoop loop) {
        if (r.cntlid() != ConnectRequest.DYNAMIC_CNTLID) {
            return ConnectResult.invalidParameter(true, ConnectRequest.DATA_CNTLID,
                    "static controller ID " + r.cntlid() + " requested; this target is dynamic");
        }
        SimCore core = placeQueue(loop, true);
        boolean isDiscovery = subsystem.type() == Subsystem.Type.DISCOVERY;
        int portId = queue.port().portId();
        ControllerParams params = new ControllerParams(r.hostNqn(), r.hostId(), Math.max(r.kato(), 0),
                isDiscovery ? settings.discoveryTransportParams() : settings.nvmTransportParams(), core,
                anaByPort.get(portId)::get);
        NvmeController controller = subsystem.createController(params);
        if (controller == null) {
            return ConnectResult.refused(NvmeStatus.CONNECT_CONTROLLER_BUSY, "no free controller ID");
        }
        ControllerSession session = new ControllerSession(this, controller, core, queue,
                isDiscovery ? 0 : settings.maxIoQueues(), portId);
        sessions.add(session);
        session.startWatchdog();
        LOG.info("controller {} created in {} for host {} (kato {} ms)", controller.cntlid(), subsystem.nqn(),
                r.hostNqn(), r.kato());
        return ConnectResult.accepted(session, core);
    }

    private ConnectResult connectIo(ConnectRequest r, Subsystem subsystem, TcpQueuePair queue, EventLoop loop) {
        NvmeController controller = subsystem.controller(r.cntlid());
        if (controller == null || !controller.hostNqn().equals(r.hostNqn())) {
            return ConnectResult.invalidParameter(true, ConnectRequest.DATA_CNTLID,
                    "no controller " + r.cntlid() + " of this host");
        }
        ControllerSession session = sessionOf(controller);
        if (session == null || session.isClosed()) {
            return ConnectResult.invalidParameter(true, ConnectRequest.DATA_CNTLID, "controller is going away");
        }
        if (!controller.isReady()) {
            return ConnectResult.refused(NvmeStatus.CMD_SEQ_ERROR, "controller not enabled");
        }
        if (r.qid() > controller.grantedIoQueues()) {
            return ConnectResult.invalidParameter(false, ConnectRequest.SQE_QID,
                    "queue " + r.qid() + " beyond the " + controller.grantedIoQueues() + " granted");
        }
        if (!session.attach(r.qid(), queue)) {
            return ConnectResult.invalidParameter(false, ConnectRequest.SQE_QID, "queue " + r.qid() + " exists");
        }
        return ConnectResult.accepted(session, placeQueue(loop, false));
    }

    private ControllerSession sessionOf(NvmeController controller) {
        for (ControllerSession s : sessions) {
            if (s.controller() == controller) {
                return s;
            }
        }
        return null;
    }

    /**
     * The simulated core a new queue pair runs on: one of the cores placed on the connection's
     * host thread, round robin, preferring control-plane cores for admin queues and data-plane
     * cores for I/O queues (any core on that thread if it has none of the preferred kind).
     */
    SimCore placeQueue(EventLoop loop, boolean admin) {
        List<SimCore> cores = loops.coresOn(loop);
        List<SimCore> preferred = new ArrayList<>();
        for (SimCore c : cores) {
            if (c.id().controlPlane() == admin) {
                preferred.add(c);
            }
        }
        List<SimCore> pool = preferred.isEmpty() ? cores : preferred;
        int n = placementCursor.computeIfAbsent(loop, l -> new AtomicInteger()).getAndIncrement();
        return pool.get(Math.floorMod(n, pool.size()));
    }

    // ---- ANA ----------------------------------------------------------------------------

    /** The ANA state of a port (of every namespace, as seen through it). */
    public AnaState anaState(int portId) {
        AtomicReference<AnaState> s = anaByPort.get(portId);
        if (s == null) {
            throw new IllegalArgumentException("no port " + portId);
        }
        return s.get();
    }

    /**
     * Changes a port's ANA state, as the real card does when one of its Ethernet ports goes down
     * or comes back: controllers reached through it see the new state at once and their hosts
     * get an ANA change notice.
     */
    public void setAnaState(int portId, AnaState state) {
        AtomicReference<AnaState> holder = anaByPort.get(portId);
        if (holder == null) {
            throw new IllegalArgumentException("no port " + portId + " (ports: " + anaByPort.keySet() + ")");
        }
        holder.set(state);
        LOG.info("port {}: ANA state {}", portId, state.label());
        for (ControllerSession s : sessions) {
            if (s.portId() == portId) {
                s.controller().notifyAnaChanged();
            }
        }
    }

    /** The ports, as configured. */
    public List<TargetPort> ports() {
        return ports;
    }

    // ---- Bookkeeping ------------------------------------------------------------------------

    void connectionOpened(TcpQueuePair queue) {
        connections.add(queue);
        if (closed) {
            queue.close();
        }
    }

    void connectionClosed(TcpQueuePair queue) {
        if (connections.remove(queue)) {
            closedQueuesIoCommands.addAndGet(queue.ioCommands());
        }
    }

    /** I/O commands completed so far on every queue, open or closed (statistics, approximate while running). */
    public long ioCommandsCompleted() {
        long n = closedQueuesIoCommands.get();
        for (TcpQueuePair q : connections) {
            n += q.ioCommands();
        }
        return n;
    }

    void sessionClosed(ControllerSession session) {
        sessions.remove(session);
    }

    /**
     * Stops listening, lets every queue finish the commands it has in flight (up to 5 s), then
     * closes every connection. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Channel l : listeners) {
            l.close().awaitUninterruptibly();
        }
        List<TcpQueuePair> open = new ArrayList<>(connections);
        for (TcpQueuePair q : open) {
            q.drain();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_TIMEOUT_MILLIS);
        for (TcpQueuePair q : open) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !q.channel().closeFuture().awaitUninterruptibly(TimeUnit.NANOSECONDS.toMillis(left))) {
                LOG.warn("{}: commands still in flight after {} ms, closing anyway", q, DRAIN_TIMEOUT_MILLIS);
                q.channel().close().awaitUninterruptibly();
            }
        }
        for (ControllerSession s : new ArrayList<>(sessions)) {
            s.close();
            sessions.remove(s); // its own close may still be running on its loop
        }
        LOG.info("NVMe/TCP target stopped");
    }
}
