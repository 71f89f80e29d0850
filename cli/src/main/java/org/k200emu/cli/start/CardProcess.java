package org.k200emu.cli.start;

import java.util.ArrayList;
import java.util.List;
import org.k200emu.bdev.BdevRegistry;
import org.k200emu.card.config.CardConfig;
import org.k200emu.cluster.CorePlacement;
import org.k200emu.cluster.Mppa;
import org.k200emu.cluster.MppaLayout;
import org.k200emu.cluster.netty.CoreEventLoops;
import org.k200emu.nvme.subsystem.Namespace;
import org.k200emu.nvme.subsystem.Subsystem;
import org.k200emu.nvmeof.target.NvmeofTarget;
import org.k200emu.nvmeof.target.TargetPort;
import org.k200emu.nvmeof.target.TcpTransportSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running card: the simulated MPPA and its host threads, the bdevs, the NVM subsystems and the
 * NVMe/TCP target, built from a {@link CardConfig} and torn down in reverse order by
 * {@link #close()}. Owned by {@code k200 start} (and by tests that start a card in-process).
 */
public final class CardProcess implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CardProcess.class);

    private final Mppa mppa;
    private final CoreEventLoops loops;
    private final BdevRegistry bdevs;
    private final List<Subsystem> subsystems;
    private final NvmeofTarget target;
    private final long allocatedAtStart;

    private CardProcess(Mppa mppa, CoreEventLoops loops, BdevRegistry bdevs, List<Subsystem> subsystems,
                        NvmeofTarget target) {
        this.mppa = mppa;
        this.loops = loops;
        this.bdevs = bdevs;
        this.subsystems = subsystems;
        this.target = target;
        this.allocatedAtStart = loops.allocatedBytes();
    }

    /** Builds and starts the card; on failure everything started so far is stopped again. */
    public static CardProcess start(CardConfig config, StartOverrides overrides) {
        CardConfig.Clusters c = config.clusters();
        Mppa mppa = Mppa.create(MppaLayout.of(c.count(), c.coresPerCluster(), c.controlPlaneClusters()));
        int threads = overrides.hostThreads() != null ? overrides.hostThreads()
                : c.hostThreads() > 0 ? c.hostThreads() : Runtime.getRuntime().availableProcessors();
        CoreEventLoops loops = CoreEventLoops.start(CorePlacement.interleaved(mppa, threads),
                CoreEventLoops.Transport.valueOf(c.transport().toUpperCase(java.util.Locale.ROOT)),
                "spin".equals(c.idle()));
        BdevRegistry bdevs = null;
        NvmeofTarget target = null;
        try {
            bdevs = BdevRegistry.create(config);
            List<Subsystem> subsystems = new ArrayList<>();
            for (CardConfig.SubsystemConfig s : config.subsystems()) {
                Subsystem subsystem = Subsystem.nvm(s.nqn(), s.serial(), s.model(), s.allowAnyHost(), s.hosts());
                for (CardConfig.NamespaceConfig ns : s.namespaces()) {
                    subsystem.addNamespace(new Namespace(ns.nsid(), bdevs.get(ns.bdev()), ns.uuid(), ns.nguid()));
                }
                subsystems.add(subsystem);
            }
            target = new NvmeofTarget(loops, TcpTransportSettings.defaults(), subsystems, ports(config, overrides));
            target.start();
            return new CardProcess(mppa, loops, bdevs, subsystems, target);
        } catch (RuntimeException e) {
            if (target != null) {
                target.close();
            }
            loops.close();
            if (bdevs != null) {
                bdevs.close();
            }
            throw e;
        }
    }

    private static List<TargetPort> ports(CardConfig config, StartOverrides o) {
        List<TargetPort> ports = new ArrayList<>();
        int id = 1;
        for (CardConfig.PortConfig p : config.ports()) {
            String address = o.listenAddress() != null ? o.listenAddress() : p.address();
            int port = id == 1 && o.port() != null ? o.port() : p.port();
            ports.add(new TargetPort(id++, address, port, true));
        }
        int discoveryPort = o.discoveryPort() != null ? o.discoveryPort() : config.discoveryPort();
        if (discoveryPort >= 0) {
            String address = o.listenAddress() != null ? o.listenAddress() : ports.get(0).address();
            ports.add(new TargetPort(id, address, discoveryPort, false));
        }
        return ports;
    }

    public NvmeofTarget target() {
        return target;
    }

    public Mppa mppa() {
        return mppa;
    }

    /** One line for the log: what the card serves and where. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append(mppa.all().size()).append(" cores on ").append(loops.eventLoops().size())
                .append(" host threads (").append(loops.transportName()).append("), ");
        for (Subsystem s : subsystems) {
            sb.append(s.nqn()).append(" [").append(s.namespaces().size()).append(" namespace(s)] ");
        }
        sb.append("on ").append(target.boundAddresses());
        return sb.toString();
    }

    /** Stops listening, ends every association, lets outstanding I/O finish, stops the cores. */
    @Override
    public void close() {
        LOG.debug("closing the target");
        long allocated = loops.allocatedBytes() - allocatedAtStart;
        long commands = target.ioCommandsCompleted();
        target.close();
        if (allocatedAtStart >= 0 && commands > 0) {
            // What the data path costs the garbage collector: the benchmark script reads this line.
            LOG.info("served {} I/O commands; host threads allocated {} bytes, {} bytes per I/O command", commands,
                    allocated, String.format(java.util.Locale.ROOT, "%.2f", (double) allocated / commands));
        }
        // Bdevs before loops: in-flight file I/O completes onto cores that are still running.
        bdevs.close();
        loops.close();
    }
}
