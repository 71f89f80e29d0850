package org.k200emu.card.config;

import static org.k200emu.card.config.CardConfig.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.k200emu.cluster.accel.AcceleratorModel;

/**
 * Reads and validates a card configuration document into a {@link CardConfig}: one method per
 * section, every error a {@link ConfigException} naming the path of the field at fault.
 */
final class ConfigReader {

    CardConfig card(ConfigNode root) {
        root.allowOnly("ddr", "clusters", "bdevs", "subsystems", "ports", "discoveryPort", "mode", "hostPort",
                "accelerators", "nbd");
        String mode = root.field("mode").text(STANDALONE);
        if (!mode.equals(STANDALONE) && !mode.equals(COPROCESSOR)) {
            throw root.field("mode").error("must be standalone or coprocessor, not '" + mode + "'");
        }
        long ddr = root.field("ddr").size(16L << 30);
        if (ddr < MIN_DDR || ddr > MAX_DDR) {
            throw root.field("ddr").error("must be between 8GiB and 32GiB, not " + Sizes.format(ddr));
        }
        Clusters clusters = clusters(root.field("clusters"));
        List<BdevConfig> bdevs = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Set<String> stackedOn = new HashSet<>();
        for (ConfigNode n : root.field("bdevs").list()) {
            BdevConfig b = bdev(n);
            if (!names.add(b.name())) {
                throw n.field("name").error("duplicate bdev name '" + b.name() + "'");
            }
            if (b.service() != null) {
                for (String member : b.service().members()) {
                    if (!names.contains(member) || member.equals(b.name())) {
                        throw n.field(n.field("member").present() ? "member" : "members")
                                .error("no bdev named '" + member + "' before this one");
                    }
                    if (!stackedOn.add(member)) {
                        throw n.field(n.field("member").present() ? "member" : "members")
                                .error("bdev '" + member + "' is already a member of another bdev");
                    }
                    for (BdevConfig earlier : bdevs) {
                        if (earlier.name().equals(member) && routesHosts(earlier)) {
                            throw n.field(n.field("member").present() ? "member" : "members")
                                    .error("qos bdev '" + member + "' routes hosts to its classes, so it must"
                                            + " back a namespace itself: stack it on this one instead");
                        }
                    }
                }
            }
            bdevs.add(b);
            if (b.type().equals("lvstore")) {
                // Its volumes are bdevs too, named store/volume, for namespaces to use.
                for (String v : b.service().settings().get("volumes").split(";")) {
                    if (!v.isEmpty() && !names.add(b.name() + "/" + v.substring(0, v.indexOf(':')))) {
                        throw n.field("volumes").error("duplicate volume '" + v.substring(0, v.indexOf(':')) + "'");
                    }
                }
            }
        }
        long malloc = bdevs.stream().filter(b -> b.type().equals("malloc")).mapToLong(BdevConfig::sizeBytes).sum();
        if (malloc > ddr) {
            throw root.field("bdevs").error("malloc bdevs need " + Sizes.format(malloc)
                    + " but the card has " + Sizes.format(ddr) + " of DDR");
        }
        List<SubsystemConfig> subsystems = new ArrayList<>();
        Set<String> nqns = new HashSet<>();
        // A bdev that another bdev stacks on cannot also back a namespace.
        Set<String> usedBdevs = new HashSet<>(stackedOn);
        for (ConfigNode n : root.field("subsystems").list()) {
            SubsystemConfig s = subsystem(n, names, usedBdevs);
            if (!nqns.add(s.nqn())) {
                throw n.field("nqn").error("duplicate subsystem NQN '" + s.nqn() + "'");
            }
            subsystems.add(s);
        }
        List<PortConfig> ports = new ArrayList<>();
        Set<String> endpoints = new HashSet<>();
        List<ConfigNode> portNodes = root.field("ports").list();
        if (portNodes.isEmpty()) {
            throw root.field("ports").error("at least one port is needed");
        }
        for (ConfigNode n : portNodes) {
            PortConfig p = port(n, ports.size());
            if (p.port() != 0 && !endpoints.add(p.address() + ":" + p.port())) {
                throw n.field("port").error("duplicate listener " + p.address() + ":" + p.port());
            }
            ports.add(p);
        }
        int discoveryPort = root.field("discoveryPort").integer(8009, -1, 65535);
        if (discoveryPort > 0 && endpoints.contains(ports.get(0).address() + ":" + discoveryPort)) {
            throw root.field("discoveryPort").error("port " + discoveryPort + " is already an NVMe/TCP port");
        }
        PortConfig hostPort = root.field("hostPort").present() ? port(root.field("hostPort"), "host", 4430)
                : new PortConfig("host", "127.0.0.1", 4430);
        if (endpoints.contains(hostPort.address() + ":" + hostPort.port())) {
            throw root.field("hostPort").error("port " + hostPort.port() + " is already an NVMe/TCP fabric port");
        }
        if (mode.equals(COPROCESSOR)) {
            endpoints.add(hostPort.address() + ":" + hostPort.port());
        }
        if (discoveryPort > 0) {
            endpoints.add(ports.get(0).address() + ":" + discoveryPort);
        }
        NbdConfig nbd = nbd(root.field("nbd"), bdevs, names, stackedOn, endpoints);
        return new CardConfig(ddr, clusters, List.copyOf(bdevs), List.copyOf(subsystems), List.copyOf(ports),
                discoveryPort, mode, hostPort, accelerators(root.field("accelerators")), nbd);
    }

    /** Each cluster's co-processors: engines, throughput per kind, submit cost, pacing. */
    AcceleratorModel accelerators(ConfigNode n) {
        AcceleratorModel d = AcceleratorModel.k200();
        if (!n.present()) {
            return d;
        }
        n.allowOnly("engines", "cryptoBytesPerSecond", "hashBytesPerSecond", "ecBytesPerSecond", "submitCycles",
                "pace");
        return new AcceleratorModel(n.field("engines").integer(d.engines(), 1, AcceleratorModel.MAX_ENGINES),
                rate(n.field("cryptoBytesPerSecond"), d.cryptoBytesPerSecond()),
                rate(n.field("hashBytesPerSecond"), d.hashBytesPerSecond()),
                rate(n.field("ecBytesPerSecond"), d.ecBytesPerSecond()),
                n.field("submitCycles").integer((int) d.submitCycles(), 0, 100_000_000), d.coreHz(),
                n.field("pace").bool(d.pace()));
    }

    /** Bytes per second: a number ({@code 5e9}) or a size ({@code 4GiB}); positive. */
    private static double rate(ConfigNode n, double dflt) {
        if (!n.present()) {
            return dflt;
        }
        double v;
        if (n.json().isNumber()) {
            v = n.json().asDouble();
        } else if (n.json().isTextual()) {
            try {
                v = Sizes.parse(n.json().asText());
            } catch (IllegalArgumentException e) {
                throw n.error(e.getMessage());
            }
        } else {
            throw n.error("must be bytes per second: a number such as 5e9, or a size such as 4GiB");
        }
        if (!(v > 0) || Double.isInfinite(v)) {
            throw n.error("must be a positive number of bytes per second, not " + n.json().asText());
        }
        return v;
    }

    /** The {@code nbd} block, or null; exports name bdevs that no other bdev is stacked on. */
    NbdConfig nbd(ConfigNode n, List<BdevConfig> bdevs, Set<String> names, Set<String> stackedOn,
                  Set<String> endpoints) {
        if (!n.present()) {
            return null;
        }
        n.allowOnly("listen", "port", "exports");
        String address = n.field("listen").text("127.0.0.1");
        if (!address.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            throw n.field("listen").error("must be an IPv4 or IPv6 address literal, not '" + address + "'");
        }
        int port = n.field("port").integer(NbdConfig.DEFAULT_PORT, 0, 65535);
        if (port != 0 && endpoints.contains(address + ":" + port)) {
            throw n.field("port").error("port " + port + " is already an NVMe/TCP port of the card");
        }
        List<ConfigNode> exportNodes = n.field("exports").list();
        if (exportNodes.isEmpty()) {
            throw n.field("exports").error("at least one export is needed, such as {name: disk0, bdev: malloc0}");
        }
        List<NbdExportConfig> exports = new ArrayList<>();
        Set<String> exportNames = new HashSet<>();
        for (ConfigNode e : exportNodes) {
            e.allowOnly("name", "bdev", "readOnly");
            String bdev = e.field("bdev").text(null);
            if (bdev == null) {
                throw e.field("bdev").error("an export needs a bdev");
            }
            if (!names.contains(bdev)) {
                throw e.field("bdev").error("no bdev named '" + bdev + "'");
            }
            if (stackedOn.contains(bdev)) {
                throw e.field("bdev").error("bdev '" + bdev + "' is a member of another bdev; export that one");
            }
            if (bdevs.stream().anyMatch(b -> b.name().equals(bdev) && b.type().equals("lvstore"))) {
                throw e.field("bdev").error("'" + bdev + "' is a volume store; export one of its volumes ("
                        + bdev + "/NAME)");
            }
            String name = e.field("name").text(bdev);
            int bytes = name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (bytes == 0 || bytes > 4096 || name.indexOf('\0') >= 0) {
                throw e.field("name").error("must be 1-4096 bytes of UTF-8 without NUL");
            }
            if (!exportNames.add(name)) {
                throw e.field("name").error("duplicate export name '" + name + "'");
            }
            exports.add(new NbdExportConfig(name, bdev, e.field("readOnly").bool(false)));
        }
        return new NbdConfig(address, port, List.copyOf(exports));
    }

    Clusters clusters(ConfigNode n) {
        if (!n.present()) {
            return new Clusters(5, 16, 1, 0, "block", "auto");
        }
        n.allowOnly("count", "coresPerCluster", "controlPlaneClusters", "hostThreads", "idle", "transport", "cpus",
                "tcpCongestion");
        int count = n.field("count").integer(5, 2, 16);
        int cores = n.field("coresPerCluster").integer(16, 1, 16);
        int control = n.field("controlPlaneClusters").integer(1, 1, count - 1);
        int threads = n.field("hostThreads").integer(0, 0, count * cores);
        String idle = n.field("idle").text("block");
        // The host threads are Netty event loops: they either sleep in epoll or never sleep.
        if (!Set.of("spin", "block").contains(idle)) {
            throw n.field("idle").error("must be block or spin, not '" + idle + "'");
        }
        String transport = n.field("transport").text("auto");
        if (!Set.of("auto", "epoll", "io_uring", "nio").contains(transport)) {
            throw n.field("transport").error("must be auto, epoll, io_uring or nio, not '" + transport + "'");
        }
        String congestion = n.field("tcpCongestion").text(null);
        // Whether the kernel has it is checked when the card starts; here only that it is a name.
        if (congestion != null && !congestion.matches("[a-z0-9_]{1,15}")) {
            throw n.field("tcpCongestion").error("must be a congestion control name such as cubic, not '"
                    + congestion + "'");
        }
        return new Clusters(count, cores, control, threads, idle, transport, cpus(n.field("cpus")), congestion);
    }

    /** A CPU list such as {@code 0-3,6} (a bare number is one CPU), checked for syntax here. */
    private static String cpus(ConfigNode n) {
        if (!n.present()) {
            return null;
        }
        JsonNode v = n.json();
        if (!v.isTextual() && !v.isIntegralNumber()) {
            throw n.error("must be a CPU list such as 0-3,6");
        }
        try {
            return org.k200emu.cluster.affinity.CpuList.parse(v.asText()).toString();
        } catch (IllegalArgumentException e) {
            throw n.error(e.getMessage());
        }
    }

    BdevConfig bdev(ConfigNode n) {
        ConfigNode typeField = n.field("type");
        String declared = typeField.json() != null && typeField.json().isTextual() ? typeField.json().asText() : null;
        if ("remote".equals(declared)) {
            return remoteBdev(n);
        }
        if (declared != null && SERVICES.contains(declared)) {
            return serviceBdev(n, declared);
        }
        n.allowOnly("name", "type", "size", "blockSize", "path", "create");
        String name = n.field("name").text(null);
        if (name == null || !name.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw n.field("name").error("needs a name of 1-64 letters, digits, '_', '.' or '-'");
        }
        ConfigNode typeNode = n.field("type");
        // YAML reads an unquoted null as no value at all; here it can only mean the null bdev.
        String type = typeNode.json() != null && typeNode.json().isNull() ? "null" : typeNode.text(null);
        if (type == null || !Set.of("null", "malloc", "file").contains(type)) {
            throw n.field("type").error("must be null, malloc, file, remote, crypt, integrity, pi, qos, dedup, lvstore, raid or ec");
        }
        int blockSize = n.field("blockSize").integer(512, 512, 4096);
        if (blockSize != 512 && blockSize != 4096) {
            throw n.field("blockSize").error("must be 512 or 4096, not " + blockSize);
        }
        String pathText = n.field("path").text(null);
        boolean create = n.field("create").bool(false);
        long size = n.field("size").size(-1);
        if (type.equals("file")) {
            if (pathText == null) {
                throw n.field("path").error("a file bdev needs a path");
            }
            if (size < 0 && create) {
                throw n.field("size").error("needed to create the file");
            }
        } else {
            if (pathText != null) {
                throw n.field("path").error("only file bdevs have a path");
            }
            if (size < 0) {
                throw n.field("size").error("a " + type + " bdev needs a size");
            }
        }
        if (size >= 0 && (size == 0 || size % blockSize != 0)) {
            throw n.field("size").error("must be a non-zero multiple of the block size " + blockSize);
        }
        return new BdevConfig(name, type, size, blockSize, pathText == null ? null : Path.of(pathText), create);
    }

    private static final Set<String> SERVICES = Set.of("crypt", "integrity", "pi", "raid", "ec", "qos", "dedup",
            "lvstore");

    /** A service bdev: its members and its own settings, checked here; members are resolved in card(). */
    BdevConfig serviceBdev(ConfigNode n, String type) {
        Set<String> keys = new java.util.LinkedHashSet<>(List.of("name", "type"));
        switch (type) {
            case "crypt":
                keys.addAll(List.of("member", "keyFile"));
                break;
            case "integrity":
                keys.addAll(List.of("member", "algorithm"));
                break;
            case "pi":
                keys.addAll(List.of("member", "piType"));
                break;
            case "qos":
                keys.addAll(List.of("member", "iops", "bandwidth", "classes"));
                break;
            case "dedup":
                keys.add("member");
                break;
            case "lvstore":
                keys.addAll(List.of("member", "clusterSize", "volumes"));
                break;
            case "raid":
                keys.addAll(List.of("members", "level", "stripSize"));
                break;
            default:
                keys.addAll(List.of("members", "k", "m", "stripSize"));
        }
        n.allowOnly(keys.toArray(new String[0]));
        String name = n.field("name").text(null);
        if (name == null || !name.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw n.field("name").error("needs a name of 1-64 letters, digits, '_', '.' or '-'");
        }
        List<String> members = new ArrayList<>();
        Map<String, String> settings = new java.util.LinkedHashMap<>();
        List<QosClassConfig> qosClasses = List.of();
        if (keys.contains("member")) {
            String member = n.field("member").text(null);
            if (member == null) {
                throw n.field("member").error("a " + type + " bdev needs the bdev it stacks on");
            }
            members.add(member);
        } else {
            for (ConfigNode m : n.field("members").list()) {
                String member = m.text(null);
                if (member == null) {
                    throw m.error("must be a bdev name");
                }
                members.add(member);
            }
        }
        switch (type) {
            case "crypt": {
                String keyFile = n.field("keyFile").text(null);
                if (keyFile == null) {
                    throw n.field("keyFile").error("a crypt bdev needs keyFile: a file with its 64-byte"
                            + " AES-256-XTS key (raw, or 128 hexadecimal digits)");
                }
                settings.put("keyFile", keyFile);
                break;
            }
            case "integrity": {
                String algorithm = n.field("algorithm").text("SHA-256");
                if (!algorithm.equals("SHA-256") && !algorithm.equals("SHA3-256")) {
                    throw n.field("algorithm").error("must be SHA-256 or SHA3-256, not '" + algorithm + "'");
                }
                settings.put("algorithm", algorithm);
                break;
            }
            case "pi": {
                int piType = n.field("piType").integer(1, 1, 3);
                settings.put("piType", Integer.toString(piType));
                break;
            }
            case "dedup":
                break;
            case "lvstore": {
                long cluster = n.field("clusterSize").size(1 << 20);
                if (cluster < 4096 || cluster > (64 << 20) || Long.bitCount(cluster) != 1) {
                    throw n.field("clusterSize").error("must be a power of two between 4KiB and 64MiB");
                }
                settings.put("clusterSize", Long.toString(cluster));
                StringBuilder volumes = new StringBuilder();
                for (ConfigNode v : n.field("volumes").list()) {
                    v.allowOnly("name", "size", "thin");
                    String vname = v.field("name").text(null);
                    if (vname == null || !vname.matches("[A-Za-z0-9_.-]{1,64}")) {
                        throw v.field("name").error("a volume needs a name of 1-64 letters, digits, '_', '.' or '-'");
                    }
                    long vsize = v.field("size").size(-1);
                    if (vsize <= 0) {
                        throw v.field("size").error("a volume needs a size");
                    }
                    volumes.append(vname).append(':').append(vsize).append(':').append(v.field("thin").bool(true))
                            .append(';');
                }
                settings.put("volumes", volumes.toString());
                break;
            }
            case "qos": {
                long iops = n.field("iops").size(0);
                long bandwidth = n.field("bandwidth").size(0);
                qosClasses = qosClasses(n.field("classes"));
                boolean classLimits = qosClasses.stream().anyMatch(c -> c.iops() > 0 || c.bandwidth() > 0);
                if (iops < 0 || bandwidth < 0 || (iops == 0 && bandwidth == 0 && !classLimits)) {
                    throw n.field("iops").error("a qos bdev needs iops and/or bandwidth (bytes per second,"
                            + " e.g. 200MiB), both non-negative, or classes with limits of their own");
                }
                settings.put("iops", Long.toString(iops));
                settings.put("bandwidth", Long.toString(bandwidth));
                break;
            }
            case "raid": {
                int level = n.field("level").integer(-1, 0, 10);
                if (!Set.of(0, 1, 5, 6, 10).contains(level)) {
                    throw n.field("level").error("a raid bdev needs level 0, 1, 5, 6 or 10");
                }
                int min = level == 0 || level == 1 ? 2 : level == 5 ? 3 : 4;
                if (members.size() < min || (level == 10 && members.size() % 2 != 0)) {
                    throw n.field("members").error("RAID " + level + " needs at least " + min + " members"
                            + (level == 10 ? " in pairs" : "") + ", not " + members.size());
                }
                settings.put("level", Integer.toString(level));
                settings.put("stripSize", Long.toString(n.field("stripSize").size(64 * 1024)));
                break;
            }
            default: {
                int k = n.field("k").integer(-1, 1, 254);
                int m = n.field("m").integer(-1, 1, 254);
                if (k < 1 || m < 1 || k + m > 255) {
                    throw n.field("k").error("an ec bdev needs k >= 1 data and m >= 1 parity members, k + m <= 255");
                }
                if (members.size() != k + m) {
                    throw n.field("members").error("k + m = " + (k + m) + " members needed, not " + members.size());
                }
                settings.put("k", Integer.toString(k));
                settings.put("m", Integer.toString(m));
                settings.put("stripSize", Long.toString(n.field("stripSize").size(64 * 1024)));
            }
        }
        if (members.isEmpty()) {
            throw n.field("members").error("a " + type + " bdev needs members");
        }
        return new BdevConfig(name, type, 0, 0, null, false, null,
                new ServiceConfig(List.copyOf(members), java.util.Collections.unmodifiableMap(settings), qosClasses));
    }

    /**
     * A qos bdev's {@code classes}: distinct names, weights 1..1000000, positive limits where
     * given, valid host NQNs each in one class at most; a class named default is added (weight
     * 1, no limits, no hosts) when none is listed.
     */
    List<QosClassConfig> qosClasses(ConfigNode n) {
        List<QosClassConfig> out = new ArrayList<>();
        Map<String, String> classOfHost = new java.util.HashMap<>();
        for (ConfigNode c : n.list()) {
            c.allowOnly("name", "weight", "hosts", "iops", "bandwidth");
            String name = c.field("name").text(null);
            if (name == null || !name.matches("[A-Za-z0-9_.-]{1,64}")) {
                throw c.field("name").error("a class needs a name of 1-64 letters, digits, '_', '.' or '-'");
            }
            if (out.stream().anyMatch(o -> o.name().equals(name))) {
                throw c.field("name").error("duplicate class '" + name + "'");
            }
            int weight = c.field("weight").integer(1, 1, 1_000_000);
            long iops = positiveLimit(c.field("iops"));
            long bandwidth = positiveLimit(c.field("bandwidth"));
            List<String> hosts = new ArrayList<>();
            for (ConfigNode h : c.field("hosts").list()) {
                String host = h.text(null);
                String problem = Nqn.problem(host);
                if (problem != null) {
                    throw h.error(problem);
                }
                String other = classOfHost.putIfAbsent(host, name);
                if (other != null) {
                    throw h.error("host '" + host + "' is already in class '" + other + "'");
                }
                hosts.add(host);
            }
            out.add(new QosClassConfig(name, weight, iops, bandwidth, hosts));
        }
        if (out.stream().noneMatch(o -> o.name().equals("default"))) {
            out.add(new QosClassConfig("default", 1, 0, 0, List.of()));
        }
        return List.copyOf(out);
    }

    /** A class's limit: absent is none (0); given, it must be positive. */
    private static long positiveLimit(ConfigNode n) {
        long v = n.size(0);
        if (n.present() && v <= 0) {
            throw n.error("must be positive; leave it out for no limit");
        }
        return v;
    }

    BdevConfig remoteBdev(ConfigNode n) {
        n.allowOnly("name", "type", "address", "port", "paths", "subnqn", "nsid", "hostnqn", "hdgst", "ddgst",
                "ioQueues", "queueSize", "holdTimeoutMs");
        String name = n.field("name").text(null);
        if (name == null || !name.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw n.field("name").error("needs a name of 1-64 letters, digits, '_', '.' or '-'");
        }
        List<String> paths = new ArrayList<>();
        for (ConfigNode p : n.field("paths").list()) {
            String path = p.text(null);
            if (path == null || !path.matches("([0-9.]+|\\[[0-9a-fA-F:]+\\]):[0-9]{1,5}")) {
                throw p.error("a path is address:port, e.g. 10.0.0.2:4420 or [fd00::2]:4420");
            }
            paths.add(path);
        }
        String address;
        int port;
        if (!paths.isEmpty()) {
            if (n.field("address").present() || n.field("port").present()) {
                throw n.field("paths").error("give either paths or address and port, not both");
            }
            String first = paths.remove(0);
            int colon = first.lastIndexOf(':');
            address = first.substring(0, colon).replace("[", "").replace("]", "");
            port = Integer.parseInt(first.substring(colon + 1));
        } else {
            address = n.field("address").text(null);
            if (address == null || !address.matches("[0-9.]+|[0-9a-fA-F:]+")) {
                throw n.field("address").error("a remote bdev needs the target's IPv4 or IPv6 address");
            }
            port = n.field("port").integer(4420, 1, 65535);
        }
        String subnqn = n.field("subnqn").text(null);
        String problem = Nqn.problem(subnqn);
        if (problem != null) {
            throw n.field("subnqn").error(problem);
        }
        int nsid = n.field("nsid").integer(1, 1, 0x7FFF_FFFE);
        String hostNqn = n.field("hostnqn").text("nqn.2014-08.org.k200emu:card");
        String hostProblem = Nqn.problem(hostNqn);
        if (hostProblem != null) {
            throw n.field("hostnqn").error(hostProblem);
        }
        RemoteConfig remote = new RemoteConfig(address, port, subnqn, nsid, hostNqn, n.field("hdgst").bool(false),
                n.field("ddgst").bool(false), n.field("ioQueues").integer(0, 0, 64),
                n.field("queueSize").integer(128, 2, 1024), n.field("holdTimeoutMs").integer(30_000, 0, 3_600_000),
                List.copyOf(paths));
        return new BdevConfig(name, "remote", 0, 0, null, false, remote);
    }

    SubsystemConfig subsystem(ConfigNode n, Set<String> bdevNames, Set<String> usedBdevs) {
        n.allowOnly("nqn", "serial", "model", "allowAnyHost", "hosts", "namespaces", "side");
        String side = n.field("side").text(FABRIC_SIDE);
        if (!side.equals(FABRIC_SIDE) && !side.equals(HOST_SIDE)) {
            throw n.field("side").error("must be fabric or host, not '" + side + "'");
        }
        String nqn = n.field("nqn").text(null);
        String problem = Nqn.problem(nqn);
        if (problem != null) {
            throw n.field("nqn").error(problem);
        }
        String serial = n.field("serial").text(null);
        if (serial != null && (serial.isEmpty() || serial.length() > 20 || !isPrintableAscii(serial))) {
            throw n.field("serial").error("must be 1-20 printable ASCII characters");
        }
        String model = n.field("model").text("K200-LP emulated NVMe");
        if (model.isEmpty() || model.length() > 40 || !isPrintableAscii(model)) {
            throw n.field("model").error("must be 1-40 printable ASCII characters");
        }
        List<String> hosts = new ArrayList<>();
        for (ConfigNode h : n.field("hosts").list()) {
            String host = h.text(null);
            String hp = Nqn.problem(host);
            if (hp != null) {
                throw h.error(hp);
            }
            hosts.add(host);
        }
        boolean allowAny = n.field("allowAnyHost").bool(hosts.isEmpty());
        List<NamespaceConfig> namespaces = new ArrayList<>();
        Set<Integer> nsids = new HashSet<>();
        for (ConfigNode ns : n.field("namespaces").list()) {
            NamespaceConfig c = namespace(ns, bdevNames, usedBdevs);
            if (c.nsid() != 0 && !nsids.add(c.nsid())) {
                throw ns.field("nsid").error("duplicate NSID " + c.nsid());
            }
            namespaces.add(c);
        }
        return new SubsystemConfig(nqn, serial, model, allowAny, List.copyOf(hosts), List.copyOf(namespaces), side);
    }

    NamespaceConfig namespace(ConfigNode n, Set<String> bdevNames, Set<String> usedBdevs) {
        n.allowOnly("nsid", "bdev", "uuid", "nguid");
        int nsid = n.field("nsid").integer(0, 1, 0x7FFF_FFFE);
        String bdev = n.field("bdev").text(null);
        if (bdev == null) {
            throw n.field("bdev").error("a namespace needs a bdev");
        }
        if (!bdevNames.contains(bdev)) {
            throw n.field("bdev").error("no bdev named '" + bdev + "'");
        }
        if (!usedBdevs.add(bdev)) {
            throw n.field("bdev").error("bdev '" + bdev + "' already backs another namespace or is a member of another bdev");
        }
        UUID uuid = null;
        String u = n.field("uuid").text(null);
        if (u != null) {
            try {
                uuid = UUID.fromString(u);
            } catch (IllegalArgumentException e) {
                throw n.field("uuid").error("not a UUID: '" + u + "'");
            }
        }
        byte[] nguid = null;
        String g = n.field("nguid").text(null);
        if (g != null) {
            String hex = g.replace("-", "");
            if (!hex.matches("[0-9a-fA-F]{32}")) {
                throw n.field("nguid").error("must be 32 hexadecimal digits");
            }
            nguid = new byte[16];
            for (int i = 0; i < 16; i++) {
                nguid[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
            }
        }
        return new NamespaceConfig(nsid, bdev, uuid, nguid);
    }

    PortConfig port(ConfigNode n, int index) {
        return port(n, "port" + index, 4420);
    }

    PortConfig port(ConfigNode n, String defaultName, int defaultPort) {
        n.allowOnly("name", "address", "port", "transport", "ana");
        String name = n.field("name").text(defaultName);
        String transport = n.field("transport").text("tcp");
        if (!transport.equals("tcp")) {
            throw n.field("transport").error("only tcp is supported, not '" + transport + "'");
        }
        String address = n.field("address").text("127.0.0.1");
        if (!address.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            throw n.field("address").error("must be an IPv4 or IPv6 address literal, not '" + address + "'");
        }
        int port = n.field("port").integer(defaultPort, 0, 65535);
        String ana = n.field("ana").text("optimized");
        if (!Set.of("optimized", "non-optimized", "inaccessible").contains(ana)) {
            throw n.field("ana").error("must be optimized, non-optimized or inaccessible, not '" + ana + "'");
        }
        return new PortConfig(name, address, port, ana);
    }

    private static boolean isPrintableAscii(String s) {
        return s.chars().allMatch(ch -> ch >= 0x20 && ch < 0x7F);
    }
}
