package org.k200emu.nvme.subsystem;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.k200emu.nvme.controller.ControllerParams;
import org.k200emu.nvme.controller.NvmeController;

/**
 * An NVM subsystem of the card (or the discovery subsystem): its identity, its namespaces, the
 * hosts allowed to connect, and the controllers (host associations) created in it.
 *
 * <p>Namespaces are an immutable sorted map swapped on change, so I/O queues on any thread read
 * them without a lock. Adding or removing one is a control-plane operation that notifies every
 * controller (asynchronous event, changed namespace list).
 */
public final class Subsystem {

    /** The well-known discovery subsystem NQN. */
    public static final String DISCOVERY_NQN = "nqn.2014-08.org.nvmexpress.discovery";
    /** Controller IDs 0xFFF0..0xFFFF are reserved; dynamic IDs come from 1..0xFFEF. */
    private static final int MAX_CNTLID = 0xFFEF;

    /** NVM subsystem, or the discovery subsystem. */
    public enum Type { NVM, DISCOVERY }

    private final Type type;
    private final String nqn;
    private final String serial;
    private final String model;
    private final String firmware;
    private final boolean allowAnyHost;
    private final Set<String> hosts;
    private final DiscoveryLogSource discoveryLog;
    private final long createdNanos = System.nanoTime();
    private volatile SortedMap<Integer, Namespace> namespaces = Collections.emptySortedMap();
    private final Map<Integer, NvmeController> controllers = new ConcurrentHashMap<>();
    private int nextCntlid = 1;

    private Subsystem(Type type, String nqn, String serial, String model, boolean allowAnyHost,
                      Collection<String> hosts, DiscoveryLogSource discoveryLog) {
        this.type = type;
        this.nqn = nqn;
        this.serial = serial;
        this.model = model;
        this.firmware = "0.1.0";
        this.allowAnyHost = allowAnyHost;
        this.hosts = Set.copyOf(hosts);
        this.discoveryLog = discoveryLog;
    }

    /** An NVM subsystem; {@code serial} may be null (then derived from the NQN). */
    public static Subsystem nvm(String nqn, String serial, String model, boolean allowAnyHost,
                                Collection<String> hosts) {
        if (nqn == null || nqn.isEmpty() || nqn.getBytes(StandardCharsets.UTF_8).length > 223) {
            throw new IllegalArgumentException("invalid subsystem NQN: " + nqn);
        }
        String sn = serial != null ? serial : derivedSerial(nqn);
        return new Subsystem(Type.NVM, nqn, sn, model, allowAnyHost, hosts, null);
    }

    /** The discovery subsystem, whose log page comes from {@code source}; any host may use it. */
    public static Subsystem discovery(DiscoveryLogSource source) {
        return new Subsystem(Type.DISCOVERY, DISCOVERY_NQN, derivedSerial(DISCOVERY_NQN),
                "K200-LP emulated discovery", true, List.of(), source);
    }

    public Type type() {
        return type;
    }

    public String nqn() {
        return nqn;
    }

    public String serial() {
        return serial;
    }

    public String model() {
        return model;
    }

    public String firmware() {
        return firmware;
    }

    public DiscoveryLogSource discoveryLog() {
        return discoveryLog;
    }

    /** When the subsystem came up (for power-on hours). */
    public long createdNanos() {
        return createdNanos;
    }

    public boolean hostAllowed(String hostNqn) {
        return allowAnyHost || hosts.contains(hostNqn);
    }

    // ---- Namespaces --------------------------------------------------------------------

    /** Active namespaces by NSID, ascending; an immutable snapshot. */
    public SortedMap<Integer, Namespace> namespaces() {
        return namespaces;
    }

    /** The active namespace with this NSID, or null. */
    public Namespace namespace(int nsid) {
        return namespaces.get(nsid);
    }

    /** Highest NSID in use (Identify Controller NN is at least this). */
    public int maxNsid() {
        SortedMap<Integer, Namespace> ns = namespaces;
        return ns.isEmpty() ? 0 : ns.lastKey();
    }

    /**
     * Adds a namespace; NSID 0 picks the lowest free one. Missing UUID / NGUID are derived from
     * the subsystem NQN and NSID. Returns the namespace as added.
     */
    public synchronized Namespace addNamespace(Namespace ns) {
        if (type != Type.NVM) {
            throw new IllegalStateException("the discovery subsystem has no namespaces");
        }
        TreeMap<Integer, Namespace> next = new TreeMap<>(namespaces);
        int nsid = ns.nsid();
        if (nsid == 0) {
            nsid = 1;
            while (next.containsKey(nsid)) {
                nsid++;
            }
        }
        if (nsid < 0 || nsid == 0xFFFFFFFF) {
            throw new IllegalArgumentException("invalid NSID " + Integer.toUnsignedString(nsid));
        }
        if (next.containsKey(nsid)) {
            throw new IllegalArgumentException(nqn + ": NSID " + nsid + " already in use");
        }
        UUID uuid = ns.uuid() != null ? ns.uuid() : derivedUuid(nqn, nsid);
        byte[] nguid = ns.nguid() != null ? ns.nguid() : nguidOf(derivedUuid(nqn + "/nguid", nsid));
        Namespace added = ns.withIdentifiers(nsid, uuid, nguid);
        next.put(nsid, added);
        namespaces = Collections.unmodifiableSortedMap(next);
        for (NvmeController c : controllers.values()) {
            c.notifyNamespaceChanged(nsid);
        }
        return added;
    }

    /** Removes a namespace (hosts are told through an asynchronous event). */
    public synchronized Namespace removeNamespace(int nsid) {
        TreeMap<Integer, Namespace> next = new TreeMap<>(namespaces);
        Namespace removed = next.remove(nsid);
        if (removed != null) {
            namespaces = Collections.unmodifiableSortedMap(next);
            for (NvmeController c : controllers.values()) {
                c.notifyNamespaceChanged(nsid);
            }
        }
        return removed;
    }

    // ---- Controllers -------------------------------------------------------------------

    /** Creates a controller with a free dynamic CNTLID, or returns null if none is left. */
    public synchronized NvmeController createController(ControllerParams params) {
        for (int tries = 0; tries < MAX_CNTLID; tries++) {
            int cntlid = nextCntlid;
            nextCntlid = nextCntlid == MAX_CNTLID ? 1 : nextCntlid + 1;
            if (!controllers.containsKey(cntlid)) {
                NvmeController c = new NvmeController(this, cntlid, params);
                controllers.put(cntlid, c);
                return c;
            }
        }
        return null;
    }

    public NvmeController controller(int cntlid) {
        return controllers.get(cntlid);
    }

    public Collection<NvmeController> controllers() {
        return Collections.unmodifiableCollection(controllers.values());
    }

    public void removeController(NvmeController controller) {
        if (controllers.remove(controller.cntlid(), controller)) {
            controller.shutdown();
        }
    }

    // ---- Derived identifiers -----------------------------------------------------------

    private static UUID derivedUuid(String nqn, int nsid) {
        return UUID.nameUUIDFromBytes((nqn + "#" + nsid).getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] nguidOf(UUID uuid) {
        return ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits())
                .putLong(uuid.getLeastSignificantBits()).array();
    }

    /** A 20-character serial number derived from the NQN, stable across restarts. */
    private static String derivedSerial(String nqn) {
        UUID u = UUID.nameUUIDFromBytes(nqn.getBytes(StandardCharsets.UTF_8));
        String hex = Long.toHexString(u.getMostSignificantBits() ^ u.getLeastSignificantBits()).toUpperCase();
        return ("K200" + hex + "0000000000000000").substring(0, 20);
    }
}
