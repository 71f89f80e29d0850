package org.k200emu.nvme.controller;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.nvme.subsystem.Namespace;
import org.k200emu.nvme.subsystem.Subsystem;

/**
 * One NVMe controller: the association of a host with a subsystem, as the NVMe base
 * specification models it. Front ends (the NVMe/TCP target today) submit admin commands on the
 * admin queue's core and I/O commands on each I/O queue's core; the controller validates and
 * executes them against the subsystem's namespaces and completes them through the front end's
 * {@link CompletionHandler}.
 *
 * <p>Parameters (host, transport limits) are fixed at creation; state is the registers, the
 * features, outstanding asynchronous events, and the health counters and error log that I/O
 * queues on several threads update without locks. Admin state is confined to the admin core.
 */
public final class NvmeController {

    public static final int REG_CAP = 0x00;
    public static final int REG_VS = 0x08;
    public static final int REG_CC = 0x14;
    public static final int REG_CSTS = 0x1C;

    /** NVMe 1.4.0. */
    public static final int VERSION = 0x00010400;
    /** CAP.TO in 500 ms units: how long a host waits for CSTS.RDY. */
    static final int CAP_TIMEOUT = 15;

    /** The outcome of a Property Get: a status and, on success, the register's value. */
    public record PropertyValue(int status, long value) {
    }

    private final Subsystem subsystem;
    private final int cntlid;
    private final ControllerParams params;
    private final TransportParams transport;
    private final HealthCounters health = new HealthCounters();
    private final ErrorLog errorLog = new ErrorLog();
    private final Features features;
    private final AsyncEvents asyncEvents;
    private final AdminCommands admin;
    private final IoCommands io;

    /** The subsystem's namespaces as this controller's host sees them; see {@link #namespace}. */
    private volatile HostNamespaces hostNamespaces = new HostNamespaces(null, Map.of());
    private volatile int cc;
    private volatile int csts;
    private volatile long lastActivityNanos = System.nanoTime();
    private volatile boolean shutdown;
    private volatile long anaChangeCount = 1;

    public NvmeController(Subsystem subsystem, int cntlid, ControllerParams params) {
        this.subsystem = subsystem;
        this.cntlid = cntlid;
        this.params = params;
        this.transport = params.transport();
        this.features = new Features(params.kato(), transport.maxIoQueues(), hasVolatileCache(subsystem));
        this.asyncEvents = new AsyncEvents(this);
        this.admin = new AdminCommands(this);
        this.io = new IoCommands(this);
    }

    private static boolean hasVolatileCache(Subsystem s) {
        return s.namespaces().values().stream().anyMatch(ns -> ns.bdev().hasVolatileWriteCache());
    }

    public Subsystem subsystem() {
        return subsystem;
    }

    public int cntlid() {
        return cntlid;
    }

    public String hostNqn() {
        return params.hostNqn();
    }

    public UUID hostId() {
        return params.hostId();
    }

    /**
     * The active namespace {@code nsid} as this controller's host sees it
     * ({@link Namespace#forHost}: its I/O goes to the bdev face meant for the host), or null. The
     * host's view is worked out again only when the subsystem's namespace table changes (an
     * added or removed namespace), so the I/O path costs one map lookup, as on the subsystem's
     * own table. Any thread; concurrent rebuilds give equal views.
     */
    public Namespace namespace(int nsid) {
        SortedMap<Integer, Namespace> current = subsystem.namespaces();
        HostNamespaces view = hostNamespaces;
        if (view.source != current) {
            view = HostNamespaces.of(current, params.hostNqn());
            hostNamespaces = view;
        }
        return view.byNsid.get(nsid);
    }

    /** A snapshot of the subsystem's namespace table and the host's view of it. */
    private record HostNamespaces(SortedMap<Integer, Namespace> source, Map<Integer, Namespace> byNsid) {
        static HostNamespaces of(SortedMap<Integer, Namespace> source, String hostNqn) {
            TreeMap<Integer, Namespace> routed = null;
            for (Namespace ns : source.values()) {
                Namespace mine = ns.forHost(hostNqn);
                if (mine != ns) {
                    if (routed == null) {
                        routed = new TreeMap<>(source);
                    }
                    routed.put(ns.nsid(), mine);
                }
            }
            return new HostNamespaces(source, routed == null ? source : routed);
        }
    }

    public boolean isDiscovery() {
        return subsystem.type() == Subsystem.Type.DISCOVERY;
    }

    TransportParams transport() {
        return transport;
    }

    ControllerParams params() {
        return params;
    }

    Features features() {
        return features;
    }

    HealthCounters health() {
        return health;
    }

    ErrorLog errorLog() {
        return errorLog;
    }

    AsyncEvents asyncEvents() {
        return asyncEvents;
    }

    /** I/O queues granted by Set Features (Number of Queues), or the maximum if never set. */
    public int grantedIoQueues() {
        return features.grantedIoQueues();
    }

    // ---- Registers (Property Get / Set on fabrics) -------------------------------------

    public long cap() {
        long mqes = transport.maxQueueEntries() - 1;
        long cqr = 1L << 16;
        long to = (long) CAP_TIMEOUT << 24;
        long cssNvm = 1L << 37;
        return mqes | cqr | to | cssNvm;
    }

    public PropertyValue getProperty(int offset, int size) {
        switch (offset) {
            case REG_CAP:
                return size == 8 ? new PropertyValue(NvmeStatus.SUCCESS, cap()) : invalidProperty();
            case REG_VS:
                return size == 4 ? new PropertyValue(NvmeStatus.SUCCESS, VERSION) : invalidProperty();
            case REG_CC:
                return size == 4 ? new PropertyValue(NvmeStatus.SUCCESS, cc & 0xFFFF_FFFFL) : invalidProperty();
            case REG_CSTS:
                return size == 4 ? new PropertyValue(NvmeStatus.SUCCESS, csts & 0xFFFF_FFFFL) : invalidProperty();
            default:
                return invalidProperty();
        }
    }

    private static PropertyValue invalidProperty() {
        return new PropertyValue(NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD), 0);
    }

    /** Property Set: only CC is writable; CC.EN and CC.SHN drive CSTS like a PCIe controller. */
    public synchronized int setProperty(int offset, int size, long value) {
        if (offset != REG_CC || size != 4) {
            return NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD);
        }
        int next = (int) value;
        int prev = cc;
        cc = next;
        boolean wasEnabled = (prev & 1) != 0;
        boolean enable = (next & 1) != 0;
        int status = csts;
        if (enable && !wasEnabled) {
            int css = (next >>> 4) & 0x7;
            int mps = (next >>> 7) & 0xF;
            int iosqes = (next >>> 16) & 0xF;
            int iocqes = (next >>> 20) & 0xF;
            if (css != 0 || mps != 0 || iosqes != 6 || iocqes != 4) {
                status |= 1 << 1; // CSTS.CFS: the host asked for something we cannot be
            } else {
                status = (status & ~(1 << 1)) | 1;
            }
        } else if (!enable && wasEnabled) {
            status &= ~1;
            asyncEvents.abortAll();
        }
        if (((next >>> 14) & 0x3) != 0) {
            status = (status & ~(0x3 << 2)) | (0x2 << 2); // CSTS.SHST: shutdown complete
        }
        csts = status;
        return NvmeStatus.SUCCESS;
    }

    /** CC.EN = 1 and CSTS.RDY = 1: the controller processes commands. */
    public boolean isReady() {
        return (csts & 1) != 0 && !shutdown;
    }

    // ---- Keep-alive ----------------------------------------------------------------------

    /** Keep-alive timeout in milliseconds (0: none). */
    public int kato() {
        return features.kato();
    }

    public long lastActivityNanos() {
        return lastActivityNanos;
    }

    /** Any command counts as keep-alive traffic (Linux hosts rely on it under load). */
    public void touch(long nowNanos) {
        lastActivityNanos = nowNanos;
    }

    public boolean keepAliveExpired(long nowNanos) {
        int kato = features.kato();
        return kato > 0 && nowNanos - lastActivityNanos > TimeUnit.MILLISECONDS.toNanos(kato);
    }

    // ---- Commands ----------------------------------------------------------------------

    /** Runs an admin command on the admin queue's core. */
    public void submitAdmin(NvmeRequest req, CompletionHandler handler) {
        req.resetCompletion();
        req.handler = handler;
        if (!isReady()) {
            complete(req, NvmeStatus.withDnr(NvmeStatus.CMD_SEQ_ERROR));
            return;
        }
        admin.execute(req);
    }

    /** Runs an I/O command; bdev completions come back through {@code core}. */
    public void submitIo(NvmeRequest req, java.util.concurrent.Executor core, CompletionHandler handler) {
        req.resetCompletion();
        req.handler = handler;
        if (!isReady() || isDiscovery()) {
            complete(req, NvmeStatus.withDnr(isDiscovery() ? NvmeStatus.INVALID_OPCODE : NvmeStatus.CMD_SEQ_ERROR));
            return;
        }
        io.execute(req, core);
    }

    /** Finishes a command: records failures in the error log, then hands it to the front end. */
    void complete(NvmeRequest req, int status) {
        req.status(status);
        if (status != NvmeStatus.SUCCESS) {
            errorLog.record(req, status);
        }
        CompletionHandler h = req.handler;
        req.handler = null;
        h.completed(req);
    }

    /** The ANA state of the port this controller was reached through. */
    public org.k200emu.nvme.AnaState anaState() {
        return params.anaState().get();
    }

    long anaChangeCount() {
        return anaChangeCount;
    }

    /** The port's ANA state changed: the change count moves and the host is told; any thread. */
    public void notifyAnaChanged() {
        anaChangeCount++;
        asyncEvents.anaChanged();
    }

    /** A namespace was added or removed; may be called from any thread. */
    public void notifyNamespaceChanged(int nsid) {
        asyncEvents.namespaceChanged(nsid);
    }

    /** The association ends: outstanding asynchronous event requests are dropped. */
    public void shutdown() {
        shutdown = true;
        asyncEvents.abortAll();
    }

    @Override
    public String toString() {
        return "NvmeController[" + cntlid + " " + subsystem.nqn() + " host " + params.hostNqn() + "]";
    }
}
