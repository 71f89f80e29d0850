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
import java.util.List;
import java.util.Map;
import java.util.Locale;
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

    /**
     * The simulated MPPA and the host threads that run it; {@code cpus} (null: not pinned) lists
     * the host CPUs the threads are pinned to, in {@code taskset -c} syntax; {@code tcpCongestion}
     * (null: the system's) is the TCP congestion control of the card's NVMe/TCP and NBD connections.
     */
    public record Clusters(int count, int coresPerCluster, int controlPlaneClusters, int hostThreads, String idle,
                           String transport, String cpus, String tcpCongestion) {
        public Clusters(int count, int coresPerCluster, int controlPlaneClusters, int hostThreads, String idle,
                        String transport) {
            this(count, coresPerCluster, controlPlaneClusters, hostThreads, idle, transport, null, null);
        }

        public Clusters(int count, int coresPerCluster, int controlPlaneClusters, int hostThreads, String idle,
                        String transport, String cpus) {
            this(count, coresPerCluster, controlPlaneClusters, hostThreads, idle, transport, cpus, null);
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
        return new ConfigReader().card(ConfigNode.root(root));
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
        ConfigNode n = new ConfigNode(root, "bdev");
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
    static boolean routesHosts(BdevConfig b) {
        return b.service() != null && b.service().qosClasses().stream().anyMatch(c -> !c.hosts().isEmpty());
    }

    /** Sum of the capacities of the malloc bdevs: what they may take of the DDR. */
    public long mallocBytes() {
        return bdevs.stream().filter(b -> b.type().equals("malloc")).mapToLong(BdevConfig::sizeBytes).sum();
    }
}
