package org.k200emu.cli.start;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.k200emu.cluster.SimCore;
import org.k200emu.cluster.accel.AcceleratorModel;
import org.k200emu.cluster.accel.AcceleratorStats;
import org.k200emu.cluster.accel.Accelerators;
import org.k200emu.nvme.subsystem.Namespace;
import org.k200emu.nvme.subsystem.Subsystem;
import org.k200emu.nvmeof.host.RemoteBdev;
import org.k200emu.nvmeof.host.RemoteController;

/**
 * A snapshot of a running card for {@code k200 ctl}: mode, cores, the accelerators' work,
 * subsystems and their namespaces, connections, the remote paths of the initiator with their state,
 * and the NBD server's exports. Plain maps
 * and lists, so it serializes to JSON as it is. Read racily from the management thread: figures
 * may be a moment apart.
 */
final class CardStatus {

    private CardStatus() {
    }

    static Map<String, Object> of(CardProcess card) {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("mode", card.config().mode());
        status.put("fabric", card.target().boundAddresses().toString());
        status.put("host", card.hostTarget() == null ? null : card.hostTarget().boundAddresses().toString());
        status.put("connections", card.target().connectionCount()
                + (card.hostTarget() == null ? 0 : card.hostTarget().connectionCount()));
        status.put("ioCommands", card.target().ioCommandsCompleted()
                + (card.hostTarget() == null ? 0 : card.hostTarget().ioCommandsCompleted()));
        status.put("hostThreadsAllocatedBytes", card.hostThreadsAllocatedBytes());
        status.put("clusters", clusters(card));
        status.put("accelerators", accelerators(card.accelerators()));
        status.put("bdevs", bdevs(card));
        status.put("subsystems", subsystems(card));
        status.put("remotePaths", remotePaths(card));
        status.put("ports", ports(card));
        status.put("nbd", nbd(card.nbdServer()));
        return status;
    }

    /** The NBD server: where it listens, its exports, connections and commands; null if none. */
    private static Map<String, Object> nbd(org.k200emu.nvme.nbd.NbdServer server) {
        if (server == null) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("address", String.valueOf(server.boundAddress()));
        List<Map<String, Object>> exports = new ArrayList<>();
        for (org.k200emu.nvme.nbd.NbdExport e : server.exports()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("name", e.name());
            x.put("bdev", e.bdev().name());
            x.put("readOnly", e.readOnly());
            x.put("bytes", e.sizeBytes());
            exports.add(x);
        }
        m.put("exports", exports);
        m.put("connections", server.connectionCount());
        m.put("commands", server.commandsCompleted());
        return m;
    }

    private static List<Map<String, Object>> clusters(CardProcess card) {
        Map<Integer, double[]> byCluster = new LinkedHashMap<>();
        for (SimCore core : card.mppa().all()) {
            double[] acc = byCluster.computeIfAbsent(core.id().cluster(), c -> new double[3]);
            acc[0] += core.counters().recentBusyRatio();
            acc[1] += core.counters().messagesProcessed();
            acc[2]++;
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map.Entry<Integer, double[]> e : byCluster.entrySet()) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("cluster", e.getKey());
            c.put("role", e.getKey() < card.config().clusters().controlPlaneClusters() ? "control" : "data");
            c.put("cores", (int) e.getValue()[2]);
            c.put("busy", Math.round(e.getValue()[0] / e.getValue()[2] * 1000) / 1000.0);
            c.put("messages", (long) e.getValue()[1]);
            out.add(c);
        }
        return out;
    }

    /**
     * The co-processors: the model, and per cluster and kind (for those that ran jobs) the jobs,
     * bytes, modelled engine time and utilisation since the start, and the current backlog.
     */
    static Map<String, Object> accelerators(Accelerators accel) {
        AcceleratorModel model = accel.model();
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("engines", model.engines());
        a.put("cryptoBytesPerSecond", model.cryptoBytesPerSecond());
        a.put("hashBytesPerSecond", model.hashBytesPerSecond());
        a.put("ecBytesPerSecond", model.ecBytesPerSecond());
        a.put("submitCycles", model.submitCycles());
        a.put("pace", model.pace());
        List<Map<String, Object>> engines = new ArrayList<>();
        for (AcceleratorStats s : accel.stats()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("cluster", s.cluster());
            m.put("kind", s.kind().label());
            m.put("jobs", s.jobs());
            m.put("bytes", s.bytes());
            m.put("busyNanos", s.busyNanos());
            m.put("waitNanos", s.waitNanos());
            m.put("utilisation", Math.round(s.utilisation() * 1e6) / 1e6);
            m.put("backlogNanos", s.backlogNanos());
            engines.add(m);
        }
        a.put("clusters", engines);
        return a;
    }

    private static List<Map<String, Object>> bdevs(CardProcess card) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (org.k200emu.bdev.Bdev b : card.allBdevs()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", b.name());
            m.put("module", b.module());
            m.put("bytes", b.blockCount() * b.blockSize());
            if (b instanceof org.k200emu.bdev.qos.QosBdev) {
                m.put("qos", qos(((org.k200emu.bdev.qos.QosBdev) b).snapshot()));
            }
            out.add(m);
        }
        return out;
    }

    /**
     * A QoS bdev's limits and, per class, its weight, own limits, hosts and current rates (over the
     * last second); {@code default} marks the class that takes hosts no class lists.
     */
    private static Map<String, Object> qos(org.k200emu.bdev.qos.QosStats stats) {
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("iopsLimit", stats.limits().iops());
        q.put("bytesPerSecondLimit", stats.limits().bytesPerSecond());
        q.put("queued", stats.queued());
        q.put("delayedTotal", stats.delayedTotal());
        List<Map<String, Object>> classes = new ArrayList<>();
        for (org.k200emu.bdev.qos.QosStats.ClassStats c : stats.classes()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("class", c.name());
            m.put("weight", c.weight());
            m.put("default", c.isDefault());
            m.put("hosts", c.hosts());
            m.put("iopsLimit", c.limits().iops());
            m.put("bytesPerSecondLimit", c.limits().bytesPerSecond());
            m.put("iops", c.iops());
            m.put("bytesPerSecond", c.bytesPerSecond());
            m.put("queued", c.queued());
            m.put("delayedTotal", c.delayedTotal());
            m.put("releasedTotal", c.releasedTotal());
            classes.add(m);
        }
        q.put("classes", classes);
        return q;
    }

    private static List<Map<String, Object>> subsystems(CardProcess card) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Subsystem s : card.subsystems()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("nqn", s.nqn());
            m.put("controllers", s.controllers().size());
            List<Map<String, Object>> nss = new ArrayList<>();
            for (Namespace ns : s.namespaces().values()) {
                Map<String, Object> n = new LinkedHashMap<>();
                n.put("nsid", ns.nsid());
                n.put("bdev", ns.bdev().name());
                n.put("module", ns.bdev().module());
                n.put("bytes", ns.blocks() * ns.blockSize());
                n.put("blockSize", ns.blockSize());
                nss.add(n);
            }
            m.put("namespaces", nss);
            out.add(m);
        }
        return out;
    }

    private static List<Map<String, Object>> ports(CardProcess card) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (org.k200emu.nvmeof.target.TargetPort p : card.target().ports()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("portId", p.portId());
            m.put("address", p.address() + ":" + p.port());
            m.put("discoveryOnly", !p.listedInDiscovery());
            m.put("ana", card.target().anaState(p.portId()).label());
            out.add(m);
        }
        return out;
    }

    private static List<Map<String, Object>> remotePaths(CardProcess card) {
        // Commands each path carried, where a multipath bdev spreads them (single paths: not counted).
        Map<RemoteBdev, Long> carried = new java.util.IdentityHashMap<>();
        for (org.k200emu.nvmeof.host.MultipathBdev mp : card.multipathBdevs()) {
            for (int i = 0; i < mp.paths().size(); i++) {
                carried.put(mp.paths().get(i), mp.ioCount(i));
            }
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (RemoteBdev b : card.remoteBdevs()) {
            RemoteController c = b.controller();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("bdev", b.name());
            m.put("address", c.options().address() + ":" + c.options().port());
            m.put("subnqn", c.options().subnqn());
            m.put("nsid", b.nsid());
            m.put("state", c.state().name().toLowerCase(java.util.Locale.ROOT));
            m.put("ana", c.anaState(b.nsid()).label());
            m.put("ioQueues", c.ioQueues().size());
            if (carried.containsKey(b)) {
                m.put("commands", carried.get(b));
            }
            out.add(m);
        }
        return out;
    }
}
