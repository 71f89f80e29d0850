package org.k200emu.cli.start;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.k200emu.bdev.BdevRegistry;
import org.k200emu.card.config.CardConfig;
import org.k200emu.cluster.CorePlacement;
import org.k200emu.cluster.Mppa;
import org.k200emu.cluster.MppaLayout;
import org.k200emu.cluster.netty.CoreEventLoops;
import org.k200emu.nvme.nbd.NbdExport;
import org.k200emu.nvme.nbd.NbdServer;
import org.k200emu.nvme.subsystem.Namespace;
import org.k200emu.nvme.subsystem.Subsystem;
import org.k200emu.nvmeof.host.HostTransport;
import org.k200emu.nvmeof.host.RemoteBdev;
import org.k200emu.nvmeof.target.NvmeofTarget;
import org.k200emu.nvmeof.target.TargetPort;
import org.k200emu.nvmeof.target.TcpTransportSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running card: the simulated MPPA and its host threads, the bdevs (in co-processor mode
 * including the remote namespaces its initiator attached), the NVM subsystems, the fabric-side
 * NVMe/TCP target and, in co-processor mode, the host-side target that shows the card's
 * emulated drives to its own host, and the NBD server when configured (how a QEMU guest gets a
 * card's bdev as its NVMe drive). Built from a {@link CardConfig} and torn down in reverse order
 * by {@link #close()}. Owned by {@code k200 start} (and by tests that start a card in-process).
 */
public final class CardProcess implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CardProcess.class);

    private final CardConfig config;
    private final Mppa mppa;
    private final CoreEventLoops loops;
    private final RemoteAttachments remotes;
    private final BdevRegistry bdevs;
    private final List<Subsystem> subsystems;
    private final NvmeofTarget target;
    private final NvmeofTarget hostTarget;
    private final NbdServer nbd;
    private final long allocatedAtStart;

    private CardProcess(CardConfig config, Mppa mppa, CoreEventLoops loops, RemoteAttachments remotes,
                        BdevRegistry bdevs, List<Subsystem> subsystems, NvmeofTarget target,
                        NvmeofTarget hostTarget, NbdServer nbd) {
        this.config = config;
        this.mppa = mppa;
        this.loops = loops;
        this.remotes = remotes;
        this.bdevs = bdevs;
        this.subsystems = subsystems;
        this.target = target;
        this.hostTarget = hostTarget;
        this.nbd = nbd;
        this.allocatedAtStart = loops.allocatedBytes();
    }

    /** Builds and starts the card; on failure everything started so far is stopped again. */
    public static CardProcess start(CardConfig configured, StartOverrides overrides) {
        CardConfig config = (overrides.mode() != null ? configured.withMode(overrides.mode()) : configured).checkMode();
        long direct = io.netty.util.internal.PlatformDependent.maxDirectMemory();
        if (direct > 0 && direct < config.mallocBytes() + (64L << 20)) {
            // Malloc bdevs live in direct memory: past the JVM's limit their writes fail.
            LOG.warn("malloc bdevs may take {} bytes but the JVM allows {} bytes of direct memory: start it with"
                    + " -XX:MaxDirectMemorySize={}m or more (the k200 launcher does)", config.mallocBytes(), direct,
                    (config.mallocBytes() >> 20) + 256);
        }
        CardConfig.Clusters c = config.clusters();
        Mppa mppa = Mppa.create(MppaLayout.of(c.count(), c.coresPerCluster(), c.controlPlaneClusters()));
        int threads = overrides.hostThreads() != null ? overrides.hostThreads()
                : c.hostThreads() > 0 ? c.hostThreads() : Runtime.getRuntime().availableProcessors();
        CoreEventLoops loops = CoreEventLoops.start(CorePlacement.interleaved(mppa, threads),
                CoreEventLoops.Transport.valueOf(c.transport().toUpperCase(Locale.ROOT)),
                "spin".equals(c.idle()));
        String cpus = overrides.cpus() != null ? overrides.cpus() : c.cpus();
        if (cpus != null) {
            try {
                loops.pin(org.k200emu.cluster.affinity.CpuList.parse(cpus));
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                loops.close();
                throw new org.k200emu.card.config.ConfigException(overrides.cpus() != null ? "--cpus" : "clusters.cpus",
                        e.getMessage());
            }
            LOG.info("{} host threads pinned to CPUs {}", threads, org.k200emu.cluster.affinity.CpuList.parse(cpus));
        }
        String congestion = overrides.tcpCongestion() != null ? overrides.tcpCongestion()
                : config.clusters().tcpCongestion();
        HostTransport initiator = HostTransport.on(loops);
        try {
            initiator.tcpCongestion(congestion);
        } catch (IllegalArgumentException e) {
            loops.close();
            throw new org.k200emu.card.config.ConfigException(
                    overrides.tcpCongestion() != null ? "--tcp-congestion" : "clusters.tcpCongestion", e.getMessage());
        }
        RemoteAttachments remotes = new RemoteAttachments(initiator, threads);
        BdevRegistry bdevs = null;
        NvmeofTarget target = null;
        NvmeofTarget hostTarget = null;
        NbdServer nbd = null;
        try {
            bdevs = BdevRegistry.create(config, remotes::attach);
            List<Subsystem> fabricSide = subsystems(config.subsystemsOn(CardConfig.FABRIC_SIDE), bdevs);
            List<Subsystem> hostSide = subsystems(config.subsystemsOn(CardConfig.HOST_SIDE), bdevs);
            TcpTransportSettings settings = TcpTransportSettings.defaults();
            target = new NvmeofTarget(loops, settings, fabricSide, fabricPorts(config, overrides));
            target.tcpCongestion(congestion);
            target.start();
            if (config.mode().equals(CardConfig.COPROCESSOR)) {
                CardConfig.PortConfig h = config.hostPort();
                int port = overrides.hostPort() != null ? overrides.hostPort() : h.port();
                hostTarget = new NvmeofTarget(loops, settings, hostSide, List.of(new TargetPort(1, h.address(), port,
                        true)));
                hostTarget.tcpCongestion(congestion);
                hostTarget.start();
            }
            List<Subsystem> all = new ArrayList<>(fabricSide);
            all.addAll(hostSide);
            nbd = nbdServer(config, overrides, loops, bdevs, all, congestion);
            return new CardProcess(config, mppa, loops, remotes, bdevs, all, target, hostTarget, nbd);
        } catch (RuntimeException e) {
            if (nbd != null) {
                nbd.close();
            }
            if (hostTarget != null) {
                hostTarget.close();
            }
            if (target != null) {
                target.close();
            }
            remotes.close();
            if (bdevs != null) {
                bdevs.close();
            }
            loops.close();
            throw e;
        }
    }

    private static List<Subsystem> subsystems(List<CardConfig.SubsystemConfig> configs, BdevRegistry bdevs) {
        List<Subsystem> out = new ArrayList<>();
        for (CardConfig.SubsystemConfig s : configs) {
            Subsystem subsystem = Subsystem.nvm(s.nqn(), s.serial(), s.model(), s.allowAnyHost(), s.hosts());
            for (CardConfig.NamespaceConfig ns : s.namespaces()) {
                subsystem.addNamespace(new Namespace(ns.nsid(), bdevs.get(ns.bdev()), ns.uuid(), ns.nguid()));
            }
            out.add(subsystem);
        }
        return out;
    }

    /**
     * The NBD server of the {@code nbd} block, or of {@code --nbd-port} alone (then every bdev that
     * backs a namespace is exported under its own name); null when neither asks for one.
     */
    private static NbdServer nbdServer(CardConfig config, StartOverrides o, CoreEventLoops loops,
                                       BdevRegistry bdevs, List<Subsystem> subsystems, String congestion) {
        CardConfig.NbdConfig c = config.nbd();
        if (c == null && o.nbdPort() == null) {
            return null;
        }
        List<NbdExport> exports = new ArrayList<>();
        if (c != null) {
            for (CardConfig.NbdExportConfig e : c.exports()) {
                exports.add(new NbdExport(e.name(), bdevs.get(e.bdev()), e.readOnly()));
            }
        } else {
            for (Subsystem s : subsystems) {
                for (Namespace ns : s.namespaces().values()) {
                    if (exports.stream().noneMatch(e -> e.bdev() == ns.bdev())) {
                        exports.add(new NbdExport(ns.bdev().name(), ns.bdev(), false));
                    }
                }
            }
            if (exports.isEmpty()) {
                throw new org.k200emu.card.config.ConfigException("nbd",
                        "--nbd-port needs an nbd block with exports, or namespaces whose bdevs it can export");
            }
        }
        String address = c != null ? c.address() : "127.0.0.1";
        int port = o.nbdPort() != null ? o.nbdPort() : c.port();
        NbdServer server = new NbdServer(loops, address, port, exports);
        server.tcpCongestion(congestion);
        server.start();
        return server;
    }

    private static List<TargetPort> fabricPorts(CardConfig config, StartOverrides o) {
        List<TargetPort> ports = new ArrayList<>();
        int id = 1;
        for (CardConfig.PortConfig p : config.ports()) {
            String address = o.listenAddress() != null ? o.listenAddress() : p.address();
            int port = id == 1 && o.port() != null ? o.port() : p.port();
            org.k200emu.nvme.AnaState ana = org.k200emu.nvme.AnaState.ofLabel(p.ana());
            ports.add(new TargetPort(id++, address, port, true, ana));
        }
        int discoveryPort = o.discoveryPort() != null ? o.discoveryPort() : config.discoveryPort();
        if (discoveryPort >= 0) {
            String address = o.listenAddress() != null ? o.listenAddress() : ports.get(0).address();
            ports.add(new TargetPort(id, address, discoveryPort, false));
        }
        return ports;
    }

    /** The fabric-side target. */
    public NvmeofTarget target() {
        return target;
    }

    /** The NBD server, or null when none is configured. */
    public NbdServer nbdServer() {
        return nbd;
    }

    /** The host-side target (co-processor mode), or null. */
    public NvmeofTarget hostTarget() {
        return hostTarget;
    }

    /** The remote namespaces reached through several paths (co-processor mode). */
    public List<org.k200emu.nvmeof.host.MultipathBdev> multipathBdevs() {
        return remotes.multipaths();
    }

    /** The remote namespaces attached by the initiator (co-processor mode). */
    public List<RemoteBdev> remoteBdevs() {
        return remotes.bdevs();
    }

    public Mppa mppa() {
        return mppa;
    }

    public CardConfig config() {
        return config;
    }

    /** The clusters' co-processors the storage services submit their work to. */
    public org.k200emu.cluster.accel.Accelerators accelerators() {
        return bdevs.accelerators();
    }

    /** A bdev of the card by name (tests and the control plane); throws if there is none. */
    public org.k200emu.bdev.Bdev bdev(String name) {
        return bdevs.get(name);
    }

    // ---- Control plane (run time changes, from k200 ctl) ---------------------------------

    /** The bdevs, in creation order (for status displays). */
    public java.util.Collection<org.k200emu.bdev.Bdev> allBdevs() {
        return bdevs.all();
    }

    /**
     * Creates a bdev at run time from one configuration entry (JSON or YAML, the schema of the
     * configuration's {@code bdevs} list): a storage service over existing bdevs, a volume store,
     * a remote namespace in co-processor mode, or a plain bdev. Returns its name.
     */
    public synchronized String addBdev(String entry) {
        CardConfig.BdevConfig b = CardConfig.parseBdev(entry, bdevs.all().stream()
                .map(org.k200emu.bdev.Bdev::name).toList());
        if (b.type().equals("remote") && !config.mode().equals(CardConfig.COPROCESSOR)) {
            throw new org.k200emu.card.config.ConfigException("bdev.type", "remote bdevs need mode: coprocessor");
        }
        if (b.service() != null) {
            for (String member : b.service().members()) {
                // As in the configuration: host routing happens where a namespace meets its bdev.
                if (bdevs.get(member) instanceof org.k200emu.bdev.qos.QosBdev q
                        && q.classes().stream().anyMatch(c -> !c.hosts().isEmpty())) {
                    throw new org.k200emu.card.config.ConfigException("bdev.member", "qos bdev '" + member
                            + "' routes hosts to its classes, so it must back a namespace itself");
                }
            }
        }
        bdevs.create(b, "bdev", remotes::attach);
        LOG.info("bdev {} ({}) created at run time", b.name(), b.type());
        return b.name();
    }

    /** Adds a namespace backed by {@code bdevName} to subsystem {@code nqn} (NSID 0: the next free one). */
    public synchronized int addNamespace(String nqn, String bdevName, int nsid) {
        Subsystem subsystem = subsystems.stream().filter(s -> s.nqn().equals(nqn)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no subsystem " + nqn));
        org.k200emu.bdev.Bdev bdev = bdevs.get(bdevName);
        for (Subsystem s : subsystems) {
            for (Namespace ns : s.namespaces().values()) {
                if (ns.bdev() == bdev) {
                    throw new IllegalArgumentException("bdev " + bdevName + " already backs namespace " + ns.nsid()
                            + " of " + s.nqn());
                }
            }
        }
        Namespace added = subsystem.addNamespace(new Namespace(nsid, bdev, null, null));
        LOG.info("namespace {} of {} added at run time, backed by {}", added.nsid(), nqn, bdevName);
        return added.nsid();
    }

    /**
     * A snapshot of a logical volume, or a clone of a snapshot, registered as a bdev named
     * {@code store/name}; returns that name.
     */
    public synchronized String lvol(String store, String op, String source, String name) {
        org.k200emu.bdev.lvol.LvolStore s = bdevs.volumeStore(store);
        if (s == null) {
            throw new IllegalArgumentException("no volume store " + store);
        }
        org.k200emu.bdev.lvol.Lvol made;
        switch (op) {
            case "snapshot":
                made = s.snapshot(source, name);
                break;
            case "clone":
                made = s.clone(source, name);
                break;
            default:
                throw new IllegalArgumentException("unknown operation " + op + " (snapshot or clone)");
        }
        bdevs.add(made);
        LOG.info("{} {} of {}/{} made at run time", op, made.name(), store, source);
        return made.name();
    }

    /**
     * Changes the limits of a qos bdev at run time: its total limits, or with {@code className}
     * those of that class alone (0 lifts a dimension). A raised limit releases what waits at once;
     * a lowered one holds what comes next. Returns the limits now in force.
     */
    public synchronized java.util.Map<String, Object> setQosLimits(String bdevName, String className, long iops,
            long bytesPerSecond) {
        if (!(bdevs.get(bdevName) instanceof org.k200emu.bdev.qos.QosBdev q)) {
            throw new IllegalArgumentException("bdev " + bdevName + " is not a qos bdev");
        }
        org.k200emu.bdev.qos.QosLimits limits = new org.k200emu.bdev.qos.QosLimits(iops, bytesPerSecond);
        if (className == null) {
            q.setLimits(limits);
        } else {
            q.setClassLimits(className, limits);
        }
        LOG.info("qos bdev {}{}: limits set at run time to {} IOPS, {} bytes/s (0: none)", bdevName,
                className == null ? "" : " class " + className, iops, bytesPerSecond);
        java.util.Map<String, Object> now = new java.util.LinkedHashMap<>();
        now.put("bdev", bdevName);
        now.put("class", className);
        now.put("iopsLimit", iops);
        now.put("bytesPerSecondLimit", bytesPerSecond);
        return now;
    }

    /** Every NVM subsystem of the card, fabric side then host side. */
    public List<Subsystem> subsystems() {
        return List.copyOf(subsystems);
    }

    /** One line for the log: what the card serves and where. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append(config.mode()).append(" mode, ").append(mppa.all().size()).append(" cores on ")
                .append(loops.eventLoops().size()).append(" host threads (").append(loops.transportName())
                .append("), ");
        for (Subsystem s : subsystems) {
            sb.append(s.nqn()).append(" [").append(s.namespaces().size()).append(" namespace(s)] ");
        }
        sb.append("on ").append(target.boundAddresses());
        if (hostTarget != null) {
            sb.append(", host side on ").append(hostTarget.boundAddresses());
        }
        if (!remotes.bdevs().isEmpty()) {
            sb.append(", ").append(remotes.bdevs().size()).append(" remote namespace(s)");
        }
        if (nbd != null) {
            sb.append(", NBD on ").append(nbd.boundAddress()).append(" exports ")
                    .append(nbd.exports().stream().map(e -> e.name() + "=" + e.bdev().name()).toList());
        }
        return sb.toString();
    }

    /**
     * Bytes the host threads have allocated on the heap since the card started (-1 where the JVM
     * cannot tell): read twice around a measurement window, it gives the data path's allocation
     * per I/O without the start-up's.
     */
    public long hostThreadsAllocatedBytes() {
        return allocatedAtStart < 0 ? -1 : loops.allocatedBytes() - allocatedAtStart;
    }

    /** Stops listening, ends every association, lets outstanding I/O finish, stops the cores. */
    @Override
    public void close() {
        LOG.debug("closing the targets");
        long allocated = loops.allocatedBytes() - allocatedAtStart;
        long commands = target.ioCommandsCompleted() + (hostTarget != null ? hostTarget.ioCommandsCompleted() : 0)
                + (nbd != null ? nbd.commandsCompleted() : 0);
        if (nbd != null) {
            nbd.close();
        }
        if (hostTarget != null) {
            hostTarget.close();
        }
        target.close();
        if (allocatedAtStart >= 0 && commands > 0) {
            // What the data path costs the garbage collector: the benchmark script reads this line.
            LOG.info("served {} I/O commands; host threads allocated {} bytes, {} bytes per I/O command", commands,
                    allocated, String.format(Locale.ROOT, "%.2f", (double) allocated / commands));
        }
        // Remote associations before bdevs: held I/O fails rather than waiting for a reconnect.
        remotes.close();
        // Bdevs before loops: in-flight file I/O completes onto cores that are still running.
        bdevs.close();
        awaitCoreMessages();
        loops.close();
    }

    /**
     * Lets every core run the messages it was sent before now: closed bdevs hand I/O they held
     * (a qos bdev's queues) back to its core as aborted, and its queue pair frees the command's
     * buffers there. Without this the loops could stop first and those buffers would leak.
     */
    private void awaitCoreMessages() {
        List<org.k200emu.cluster.SimCore> cores = mppa.all();
        java.util.concurrent.CountDownLatch ran = new java.util.concurrent.CountDownLatch(cores.size());
        for (org.k200emu.cluster.SimCore core : cores) {
            try {
                core.execute(ran::countDown);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                ran.countDown();
            }
        }
        try {
            if (!ran.await(5, java.util.concurrent.TimeUnit.SECONDS)) {
                LOG.warn("cores still busy 5 s after the bdevs closed; stopping them anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
