package org.k200emu.card.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import org.k200emu.cluster.accel.AcceleratorModel;

/**
 * The card's configuration: DDR size, clusters and host threads, bdevs, NVM subsystems with their
 * namespaces and allowed hosts, NVMe/TCP ports, and the clusters' accelerators. Read from JSON or YAML, or the embedded
 * default; validated as a whole, every error naming the path of the field at fault
 * ({@code subsystems[0].namespaces[1].bdev: no bdev named 'malloc9'}). Immutable.
 */
public record CardConfig(long ddrBytes, Clusters clusters, List<BdevConfig> bdevs,
                         List<SubsystemConfig> subsystems, List<PortConfig> ports, int discoveryPort, String mode,
                         PortConfig hostPort, AcceleratorModel accelerators, NbdConfig nbd) {

    /** The card serves its own drives to remote hosts over the fabric. */
    public static final String STANDALONE = "standalone";
    /** The card also attaches remote namespaces and shows drives to its own host. */
    public static final String COPROCESSOR = "coprocessor";
    /** Subsystems served on the fabric ports. */
    public static final String FABRIC_SIDE = "fabric";
    /** Subsystems served to the card's own host (the host port, in co-processor mode). */
    public static final String HOST_SIDE = "host";

    /** A standalone card. */
    public CardConfig(long ddrBytes, Clusters clusters, List<BdevConfig> bdevs, List<SubsystemConfig> subsystems,
                      List<PortConfig> ports, int discoveryPort) {
        this(ddrBytes, clusters, bdevs, subsystems, ports, discoveryPort, STANDALONE,
                new PortConfig("host", "127.0.0.1", 4430));
    }

    /** A card with the default accelerators ({@link AcceleratorModel#k200()}) and no NBD server. */
    public CardConfig(long ddrBytes, Clusters clusters, List<BdevConfig> bdevs, List<SubsystemConfig> subsystems,
                      List<PortConfig> ports, int discoveryPort, String mode, PortConfig hostPort) {
        this(ddrBytes, clusters, bdevs, subsystems, ports, discoveryPort, mode, hostPort, AcceleratorModel.k200(),
                null);
    }

    /** The same configuration in another mode (the command line's --mode). */
    public CardConfig withMode(String newMode) {
        return new CardConfig(ddrBytes, clusters, bdevs, subsystems, ports, discoveryPort, newMode, hostPort,
                accelerators, nbd);
    }

    /** The subsystems served on {@code side} ({@link #FABRIC_SIDE} or {@link #HOST_SIDE}). */
    public List<SubsystemConfig> subsystemsOn(String side) {
        return subsystems.stream().filter(s -> s.side().equals(side)).toList();
    }

    public static final long MIN_DDR = 8L << 30;
    public static final long MAX_DDR = 32L << 30;
    private static final String DEFAULT_RESOURCE = "org/k200emu/card/config/default-card.yaml";

    /** The MPPA's shape and how its cores are run on the host. */
    /**
     * The simulated MPPA and the host threads that run it; {@code cpus} (null: not pinned) lists
     * the host CPUs the threads are pinned to, in {@code taskset -c} syntax.
     */
    public record Clusters(int count, int coresPerCluster, int controlPlaneClusters, int hostThreads, String idle,
                           String transport, String cpus) {
        public Clusters(int count, int coresPerCluster, int controlPlaneClusters, int hostThreads, String idle,
                        String transport) {
            this(count, coresPerCluster, controlPlaneClusters, hostThreads, idle, transport, null);
        }
    }

    /**
     * A block device: {@code null}, {@code malloc} (RAM), {@code file} (host file or device) or
     * {@code remote} (a namespace of a remote NVMe/TCP controller, co-processor mode only; its
     * size and block size come from the remote namespace).
     */
    public record BdevConfig(String name, String type, long sizeBytes, int blockSize, Path path, boolean create,
                             RemoteConfig remote, ServiceConfig service) {
        public BdevConfig(String name, String type, long sizeBytes, int blockSize, Path path, boolean create) {
            this(name, type, sizeBytes, blockSize, path, create, null, null);
        }

        public BdevConfig(String name, String type, long sizeBytes, int blockSize, Path path, boolean create,
                          RemoteConfig remote) {
            this(name, type, sizeBytes, blockSize, path, create, remote, null);
        }

        public long blockCount() {
            return sizeBytes / blockSize;
        }
    }

    /**
     * A storage service stacked on other bdevs (named earlier in the list): {@code crypt}
     * (AES-256-XTS, settings {@code keyFile}), {@code integrity} (per-block digests, setting
     * {@code algorithm}), {@code pi} (T10 protection information, 8 bytes of metadata per block,
     * setting {@code piType} 1, 2 or 3), {@code qos} ({@code iops}, {@code bandwidth}, and its workload
     * {@code qosClasses}), {@code dedup}, {@code lvstore}
     * ({@code clusterSize}, {@code volumes}: name:size:thin;...), {@code raid}
     * ({@code level}, {@code stripSize}), {@code ec} ({@code k}, {@code m}, {@code stripSize}).
     */
    public record ServiceConfig(List<String> members, Map<String, String> settings, List<QosClassConfig> qosClasses) {
        public ServiceConfig {
            qosClasses = List.copyOf(qosClasses);
        }

        /** A service without QoS classes. */
        public ServiceConfig(List<String> members, Map<String, String> settings) {
            this(members, settings, List.of());
        }
    }

    /**
     * A workload class of a qos bdev: its weight in the share of the bdev's total limits, its own
     * limits (0: none) and the host NQNs routed to it. A qos bdev's list always holds a class named
     * {@code default}, which takes the hosts no class lists (added with weight 1 and no limits
     * when the configuration has none).
     */
    public record QosClassConfig(String name, int weight, long iops, long bandwidth, List<String> hosts) {
        public QosClassConfig {
            hosts = List.copyOf(hosts);
        }
    }

    /**
     * Where a remote bdev's namespace lives and how to reach it.
     *
     * @param holdMillis how long I/O waits for a lost connection to come back before it fails
     * @param morePaths  further target ports ("address:port") reaching the same namespace (multipath)
     */
    public record RemoteConfig(String address, int port, String subnqn, int nsid, String hostNqn,
                               boolean headerDigest, boolean dataDigest, int ioQueues, int queueSize,
                               int holdMillis, List<String> morePaths) {
        public RemoteConfig(String address, int port, String subnqn, int nsid, String hostNqn,
                            boolean headerDigest, boolean dataDigest, int ioQueues, int queueSize, int holdMillis) {
            this(address, port, subnqn, nsid, hostNqn, headerDigest, dataDigest, ioQueues, queueSize, holdMillis,
                    List.of());
        }
    }

    /** A namespace: NSID (0 = next free), the bdev behind it, optional fixed identifiers. */
    public record NamespaceConfig(int nsid, String bdev, UUID uuid, byte[] nguid) {
    }

    /**
     * An NVM subsystem and who may connect to it; {@code side} says where it is served: the
     * fabric ports, or (co-processor mode) the host port, as the drives the card's host sees.
     */
    public record SubsystemConfig(String nqn, String serial, String model, boolean allowAnyHost, List<String> hosts,
                                  List<NamespaceConfig> namespaces, String side) {
        public SubsystemConfig(String nqn, String serial, String model, boolean allowAnyHost, List<String> hosts,
                               List<NamespaceConfig> namespaces) {
            this(nqn, serial, model, allowAnyHost, hosts, namespaces, FABRIC_SIDE);
        }
    }

    /**
     * An NVMe/TCP listener; {@code ana} is its Asymmetric Namespace Access state at start
     * (optimized, non-optimized or inaccessible), which {@code k200 ctl ana} changes at run time.
     */
    public record PortConfig(String name, String address, int port, String ana) {
        public PortConfig(String name, String address, int port) {
            this(name, address, port, "optimized");
        }
    }

    /**
     * The NBD server (the top-level {@code nbd} block): where it listens and which bdevs it
     * exports, for QEMU's NBD client (a guest's emulated NVMe drive backed by the card) and any
     * other NBD client. Null in {@link CardConfig#nbd()} when not configured.
     */
    public record NbdConfig(String address, int port, List<NbdExportConfig> exports) {
        public static final int DEFAULT_PORT = 10809;
    }

    /** One NBD export: the name clients ask for, the bdev behind it, and whether it is read-only. */
    public record NbdExportConfig(String name, String bdev, boolean readOnly) {
    }

    /** Configuration text formats. */
    public enum Format { JSON, YAML }

    /** The configuration the card boots with when none is given. */
    public static CardConfig embeddedDefault() {
        try (InputStream in = CardConfig.class.getClassLoader().getResourceAsStream(DEFAULT_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("embedded default configuration missing: " + DEFAULT_RESOURCE);
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), Format.YAML);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the embedded default configuration", e);
        }
    }

    /** Reads a file; the format follows the extension (.json, else YAML). */
    public static CardConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file.toString(), "no such file");
        } catch (IOException e) {
            throw new ConfigException(file.toString(), "cannot read: " + e.getMessage());
        }
        Format format = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json")
                ? Format.JSON : Format.YAML;
        try {
            return parse(text, format);
        } catch (ConfigException e) {
            throw new ConfigException(file + ": " + e.path(), e.reason());
        }
    }

    public static CardConfig parse(String text, Format format) {
        JsonNode root;
        try {
            ObjectMapper mapper = format == Format.JSON ? new ObjectMapper() : new ObjectMapper(new YAMLFactory());
            root = mapper.readTree(text);
        } catch (IOException e) {
            throw new ConfigException("(document)", "not valid " + format + ": " + firstLine(e.getMessage()));
        }
        if (root == null || root.isNull() || root.isMissingNode()) {
            throw new ConfigException("(document)", "empty configuration");
        }
        return new ConfigReader().card(Node.root(root));
    }

    /**
     * One bdev entry, as in the configuration's {@code bdevs} list (JSON or YAML), for creating a
     * bdev at run time; its members must be among {@code existing} bdev names.
     */
    public static BdevConfig parseBdev(String text, java.util.Collection<String> existing) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(text);
        } catch (IOException e) {
            throw new ConfigException("(bdev)", "not valid JSON or YAML: " + firstLine(e.getMessage()));
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException("(bdev)", "a bdev is a mapping such as {name: m1, type: malloc, size: 1GiB}");
        }
        Node n = new Node(root, "bdev");
        BdevConfig b = new ConfigReader().bdev(n);
        if (existing.contains(b.name())) {
            throw n.field("name").error("a bdev named '" + b.name() + "' exists already");
        }
        if (b.service() != null) {
            for (String member : b.service().members()) {
                if (!existing.contains(member)) {
                    throw n.field(n.field("member").present() ? "member" : "members")
                            .error("no bdev named '" + member + "'");
                }
            }
        }
        return b;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /**
     * Checks what depends on the mode (which the command line may override): remote bdevs and
     * host-side subsystems need co-processor mode.
     */
    public CardConfig checkMode() {
        if (mode.equals(COPROCESSOR)) {
            return this;
        }
        for (int i = 0; i < bdevs.size(); i++) {
            if (bdevs.get(i).type().equals("remote")) {
                throw new ConfigException("bdevs[" + i + "].type", "remote bdevs need mode: coprocessor");
            }
        }
        for (int i = 0; i < subsystems.size(); i++) {
            if (subsystems.get(i).side().equals(HOST_SIDE)) {
                throw new ConfigException("subsystems[" + i + "].side", "host-side subsystems need mode: coprocessor");
            }
        }
        return this;
    }

    /** Whether {@code b} is a qos bdev with classes that list hosts. */
    private static boolean routesHosts(BdevConfig b) {
        return b.service() != null && b.service().qosClasses().stream().anyMatch(c -> !c.hosts().isEmpty());
    }

    /** Sum of the capacities of the malloc bdevs: what they may take of the DDR. */
    public long mallocBytes() {
        return bdevs.stream().filter(b -> b.type().equals("malloc")).mapToLong(BdevConfig::sizeBytes).sum();
    }

    // ---- Reading and validation ---------------------------------------------------------

    /** A JSON node with the path that leads to it, for error messages. */
    private record Node(JsonNode json, String path) {
        static Node root(JsonNode json) {
            return new Node(json, "");
        }

        Node field(String name) {
            return new Node(json.get(name), path.isEmpty() ? name : path + "." + name);
        }

        Node element(int i) {
            return new Node(json.get(i), path + "[" + i + "]");
        }

        boolean present() {
            return json != null && !json.isNull();
        }

        ConfigException error(String reason) {
            return new ConfigException(path.isEmpty() ? "(document)" : path, reason);
        }

        void allowOnly(String... names) {
            if (!json.isObject()) {
                throw error("must be a mapping");
            }
            Set<String> allowed = Set.of(names);
            for (Iterator<String> it = json.fieldNames(); it.hasNext();) {
                String f = it.next();
                if (!allowed.contains(f)) {
                    throw field(f).error("unknown field (allowed: " + String.join(", ", names) + ")");
                }
            }
        }

        String text(String dflt) {
            if (!present()) {
                return dflt;
            }
            if (!json.isTextual()) {
                throw error("must be text");
            }
            return json.asText();
        }

        int integer(int dflt, int min, int max) {
            if (!present()) {
                return dflt;
            }
            if (!json.isIntegralNumber() || !json.canConvertToInt()) {
                throw error("must be a whole number");
            }
            int v = json.asInt();
            if (v < min || v > max) {
                throw error("must be within " + min + ".." + max + ", not " + v);
            }
            return v;
        }

        boolean bool(boolean dflt) {
            if (!present()) {
                return dflt;
            }
            if (!json.isBoolean()) {
                throw error("must be true or false");
            }
            return json.asBoolean();
        }

        List<Node> list() {
            List<Node> out = new ArrayList<>();
            if (!present()) {
                return out;
            }
            if (!json.isArray()) {
                throw error("must be a list");
            }
            for (int i = 0; i < json.size(); i++) {
                out.add(element(i));
            }
            return out;
        }

        long size(long dflt) {
            if (!present()) {
                return dflt;
            }
            if (json.isIntegralNumber()) {
                // Negative or beyond a long: asLong() would pass it on as a sentinel or wrapped.
                if (!json.canConvertToLong() || json.asLong() < 0) {
                    throw error("must be a size such as 1GiB, 512MiB or a number of bytes, not " + json.asText());
                }
                return json.asLong();
            }
            if (!json.isTextual()) {
                throw error("must be a size such as 1GiB, 512MiB or a number of bytes");
            }
            try {
                return Sizes.parse(json.asText());
            } catch (IllegalArgumentException e) {
                throw error(e.getMessage());
            }
        }
    }

    /** Walks the document; one method per section. */
    private static final class ConfigReader {

        CardConfig card(Node root) {
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
            for (Node n : root.field("bdevs").list()) {
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
            for (Node n : root.field("subsystems").list()) {
                SubsystemConfig s = subsystem(n, names, usedBdevs);
                if (!nqns.add(s.nqn())) {
                    throw n.field("nqn").error("duplicate subsystem NQN '" + s.nqn() + "'");
                }
                subsystems.add(s);
            }
            List<PortConfig> ports = new ArrayList<>();
            Set<String> endpoints = new HashSet<>();
            List<Node> portNodes = root.field("ports").list();
            if (portNodes.isEmpty()) {
                throw root.field("ports").error("at least one port is needed");
            }
            for (Node n : portNodes) {
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
        AcceleratorModel accelerators(Node n) {
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
        private static double rate(Node n, double dflt) {
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
        NbdConfig nbd(Node n, List<BdevConfig> bdevs, Set<String> names, Set<String> stackedOn,
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
            List<Node> exportNodes = n.field("exports").list();
            if (exportNodes.isEmpty()) {
                throw n.field("exports").error("at least one export is needed, such as {name: disk0, bdev: malloc0}");
            }
            List<NbdExportConfig> exports = new ArrayList<>();
            Set<String> exportNames = new HashSet<>();
            for (Node e : exportNodes) {
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

        Clusters clusters(Node n) {
            if (!n.present()) {
                return new Clusters(5, 16, 1, 0, "block", "auto");
            }
            n.allowOnly("count", "coresPerCluster", "controlPlaneClusters", "hostThreads", "idle", "transport", "cpus");
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
            return new Clusters(count, cores, control, threads, idle, transport, cpus(n.field("cpus")));
        }

        /** A CPU list such as {@code 0-3,6} (a bare number is one CPU), checked for syntax here. */
        private static String cpus(Node n) {
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

        BdevConfig bdev(Node n) {
            Node typeField = n.field("type");
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
            Node typeNode = n.field("type");
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
        BdevConfig serviceBdev(Node n, String type) {
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
                for (Node m : n.field("members").list()) {
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
                    for (Node v : n.field("volumes").list()) {
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
        List<QosClassConfig> qosClasses(Node n) {
            List<QosClassConfig> out = new ArrayList<>();
            Map<String, String> classOfHost = new java.util.HashMap<>();
            for (Node c : n.list()) {
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
                for (Node h : c.field("hosts").list()) {
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
        private static long positiveLimit(Node n) {
            long v = n.size(0);
            if (n.present() && v <= 0) {
                throw n.error("must be positive; leave it out for no limit");
            }
            return v;
        }

        BdevConfig remoteBdev(Node n) {
            n.allowOnly("name", "type", "address", "port", "paths", "subnqn", "nsid", "hostnqn", "hdgst", "ddgst",
                    "ioQueues", "queueSize", "holdTimeoutMs");
            String name = n.field("name").text(null);
            if (name == null || !name.matches("[A-Za-z0-9_.-]{1,64}")) {
                throw n.field("name").error("needs a name of 1-64 letters, digits, '_', '.' or '-'");
            }
            List<String> paths = new ArrayList<>();
            for (Node p : n.field("paths").list()) {
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

        SubsystemConfig subsystem(Node n, Set<String> bdevNames, Set<String> usedBdevs) {
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
            for (Node h : n.field("hosts").list()) {
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
            for (Node ns : n.field("namespaces").list()) {
                NamespaceConfig c = namespace(ns, bdevNames, usedBdevs);
                if (c.nsid() != 0 && !nsids.add(c.nsid())) {
                    throw ns.field("nsid").error("duplicate NSID " + c.nsid());
                }
                namespaces.add(c);
            }
            return new SubsystemConfig(nqn, serial, model, allowAny, List.copyOf(hosts), List.copyOf(namespaces), side);
        }

        NamespaceConfig namespace(Node n, Set<String> bdevNames, Set<String> usedBdevs) {
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

        PortConfig port(Node n, int index) {
            return port(n, "port" + index, 4420);
        }

        PortConfig port(Node n, String defaultName, int defaultPort) {
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
}
