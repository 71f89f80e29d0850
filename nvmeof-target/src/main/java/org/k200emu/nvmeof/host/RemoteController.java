package org.k200emu.nvmeof.host;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.k200emu.nvme.AnaState;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.nvme.subsystem.DiscoveryEntry;
import org.k200emu.nvme.subsystem.Subsystem;
import org.k200emu.cluster.netty.TcpCongestion;
import org.k200emu.nvmeof.tcp.DirectDataReads;
import org.k200emu.nvmeof.tcp.pdu.PduDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host side of one controller association on a remote NVMe/TCP target: the admin queue, the
 * I/O queues the controller granted, the namespaces it reported, and the keep-alive that holds
 * the association open. {@link #connect} performs the whole set-up a Linux host does (ICReq,
 * Connect, CAP, CC.EN, CSTS.RDY, Identify, Number of Queues, namespaces, I/O queue Connects);
 * {@link #close()} shuts the controller down (CC.SHN) and closes every connection.
 */
public final class RemoteController implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RemoteController.class);

    /** Admin queues are 32 entries, as Linux makes them. */
    static final int ADMIN_QUEUE_SIZE = 32;
    /** NVMe/TCP admin queues take up to 8 KiB of in-capsule data. */
    static final int ADMIN_IN_CAPSULE = 8192;
    /** A C2HData PDU may carry a whole transfer; accept up to 16 MiB of it. */
    static final int MAX_RECEIVED_PDU = (16 << 20) + 64;
    static final long COMMAND_TIMEOUT_MILLIS = 10_000;
    /**
     * The most one socket read takes: Netty's adaptive guess grows towards it while reads fill
     * their buffers (its default stops at 64 KiB). Received data is copied into each command's
     * own buffer and responses are handled at once, so a large read buffer is not kept alive by
     * what it held. Measured on loopback, 128k reads at QD16 moved 5.6-8.2 GB/s with it against
     * 3.0-5.7 with 64 KiB reads (docs/benchmarks).
     */
    static final int MAX_SOCKET_READ = 1 << 20;

    /** An admin command's outcome: status, CQE dwords 0-1, and the data read, if any. */
    public record AdminResult(int status, int dw0, int dw1, byte[] data) {
        AdminResult requireSuccess(String what) {
            if (status != 0) {
                throw new CompletionException(new NvmeCommandException(what, status));
            }
            return this;
        }
    }

    /**
     * A namespace of the remote controller, as Identify Namespace described it.
     *
     * @param metadataSize metadata bytes per block of the formatted LBA format (LBAF.MS), 0 if none
     * @param piType       end-to-end protection information type (DPS bits 2:0), 0 if none
     */
    public record RemoteNamespace(int nsid, int blockSize, long blocks, int metadataSize, int piType) {

        /** A namespace without metadata. */
        public RemoteNamespace(int nsid, int blockSize, long blocks) {
            this(nsid, blockSize, blocks, 0, 0);
        }

        public long bytes() {
            return blocks * blockSize;
        }
    }

    /** Identify Controller fields the host uses. */
    public record ControllerIdentity(String serial, String model, String firmware, String subnqn, int mdts,
                                     int ioccsz, int maxCommands, long cap, int cmic) {
        /** CMIC bit 3: the controller reports Asymmetric Namespace Access states. */
        public boolean anaReporting() {
            return (cmic & 1 << 3) != 0;
        }

        /** Largest transfer in bytes (minimum page size 4 KiB); Integer.MAX_VALUE when unlimited. */
        public int maxTransferBytes() {
            return mdts == 0 || mdts > 18 ? Integer.MAX_VALUE : 4096 << mdts;
        }

        public int inCapsuleBytes() {
            return Math.max(ioccsz * 16 - 64, 0);
        }
    }

    /** Where the association stands. */
    public enum State {
        /** Queues up, commands flow. */
        CONNECTED,
        /** A connection failed; the association is being set up again (with {@link HostOptions#reconnect()}). */
        RECONNECTING,
        /** Closed by the host, or failed without reconnect. */
        CLOSED
    }

    /** One set-up of the association: its queues and what Identify said; replaced on reconnect. */
    private static final class Association {
        final HostQueuePair admin;
        final List<HostQueuePair> ioQueues = new ArrayList<>();
        final List<RemoteNamespace> namespaces = new ArrayList<>();
        /** ANA state by NSID, from the ANA log (empty when the controller does not report ANA). */
        volatile Map<Integer, AnaState> ana = Map.of();
        int cntlid;
        ControllerIdentity identity;
        ScheduledFuture<?> keepAlive;
        /**
         * The keep-alive's ANA log reads land here in turn with {@link #anaPrevious}, the page of the
         * read before; both wrap arrays made once (not tracked, not pooled: nothing to release), so
         * a keep-alive tick on the I/O thread allocates nothing unless the page changed.
         */
        ByteBuf anaLog;
        ByteBuf anaPrevious;
        boolean anaReadInFlight;
        /** The completions of the keep-alive and of its ANA log read, made once per association. */
        HostCompletion keepAliveDone;
        HostCompletion anaLogDone;

        Association(HostQueuePair admin) {
            this.admin = admin;
        }

        void abort() {
            if (keepAlive != null) {
                keepAlive.cancel(false);
            }
            for (HostQueuePair q : ioQueues) {
                q.close();
            }
            admin.close();
        }
    }

    private static final long FIRST_RETRY_MILLIS = 100;
    /** How much of the ANA log page is read (at set-up and with every keep-alive). */
    private static final int ANA_LOG_BYTES = 4096;
    private static final long MAX_RETRY_MILLIS = 5000;

    private final HostOptions options;
    private final HostTransport transport;
    private final io.netty.channel.EventLoop scheduler;
    private final List<java.util.function.Consumer<State>> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile Association live;
    private volatile State state = State.RECONNECTING;
    private volatile boolean closed;

    private RemoteController(HostOptions options, HostTransport transport) {
        this.options = options;
        this.transport = transport;
        this.scheduler = transport.group().next();
    }

    /** Connects and sets up the association; fails with the reason (an NVMe status, an I/O error). */
    public static CompletableFuture<RemoteController> connect(HostOptions options, HostTransport transport) {
        RemoteController rc = new RemoteController(options, transport);
        return rc.establish().thenApply(a -> {
            rc.live = a;
            rc.state = State.CONNECTED;
            rc.watch(a);
            return rc;
        });
    }

    /** Opens the admin queue and sets the whole association up; on failure closes what it opened. */
    private CompletableFuture<Association> establish() {
        return openQueue(options, transport, 0, ADMIN_QUEUE_SIZE - 1, ADMIN_IN_CAPSULE).thenCompose(adminQueue -> {
            Association a = new Association(adminQueue);
            return setUp(a).handle((ok, error) -> {
                if (error != null) {
                    a.abort();
                    throw error instanceof CompletionException ? (CompletionException) error
                            : new CompletionException(error);
                }
                return a;
            });
        });
    }

    /** Any queue of the association failing takes the association down (and, with reconnect, up again). */
    private void watch(Association a) {
        a.admin.onFailure(() -> pathFailed(a));
        for (HostQueuePair q : a.ioQueues) {
            q.onFailure(() -> pathFailed(a));
        }
    }

    private void pathFailed(Association a) {
        synchronized (this) {
            if (live != a || closed) {
                return;
            }
            live = null;
            state = options.reconnect() ? State.RECONNECTING : State.CLOSED;
        }
        LOG.warn("{}: connection lost{}", this, options.reconnect() ? ", reconnecting" : "");
        a.abort();
        notifyListeners();
        if (options.reconnect()) {
            retry(FIRST_RETRY_MILLIS);
        }
    }

    private void retry(long delayMillis) {
        scheduler.schedule(() -> {
            if (closed) {
                return;
            }
            establish().whenComplete((a, error) -> {
                boolean installed = false;
                synchronized (this) {
                    if (error == null && !closed) {
                        live = a;
                        state = State.CONNECTED;
                        installed = true;
                    }
                }
                if (installed) {
                    LOG.info("{}: reconnected as controller {}", this, a.cntlid);
                    watch(a);
                    notifyListeners();
                } else if (error == null) {
                    a.abort();
                } else {
                    long next = Math.min(delayMillis * 2, MAX_RETRY_MILLIS);
                    LOG.info("{}: reconnect failed ({}); next try in {} ms", this, error.toString(), next);
                    retry(next);
                }
            });
        }, delayMillis, TimeUnit.MILLISECONDS);
    }

    private void notifyListeners() {
        State now = state;
        for (java.util.function.Consumer<State> l : listeners) {
            try {
                l.accept(now);
            } catch (RuntimeException e) {
                LOG.error("{}: state listener failed", this, e);
            }
        }
    }

    /** Called with the new state after each change (on an event-loop thread). */
    public void onStateChange(java.util.function.Consumer<State> listener) {
        listeners.add(listener);
    }

    public State state() {
        return state;
    }

    /** An event loop of the transport for timers that outlive any one connection. */
    io.netty.channel.EventLoop scheduler() {
        return scheduler;
    }

    /** {@link #connect}, waiting for the outcome; throws the failure with its cause unwrapped. */
    public static RemoteController connectNow(HostOptions options, HostTransport transport) throws IOException {
        try {
            return connect(options, transport).get(2 * COMMAND_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while connecting", e);
        } catch (TimeoutException e) {
            throw new IOException("timed out connecting to " + options.address() + ":" + options.port(), e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException && e.getCause().getCause() != null
                    ? e.getCause().getCause() : e.getCause();
            if (cause instanceof IOException) {
                throw (IOException) cause;
            }
            throw new IOException(cause.getMessage(), cause);
        }
    }

    private static CompletableFuture<HostQueuePair> openQueue(HostOptions o, HostTransport t, int qid, int slots,
                                                              int inCapsuleLimit) {
        PduDecoder decoder = new PduDecoder(PduDecoder.Role.HOST, MAX_RECEIVED_PDU);
        HostQueuePair queue = new HostQueuePair(qid, slots, inCapsuleLimit, o.headerDigest(), o.dataDigest(),
                decoder, TimeUnit.MILLISECONDS.toNanos(o.commandTimeoutMillis()));
        Bootstrap b = new Bootstrap().group(t.group()).channel(t.channelClass())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (t.tcpCongestion() != null) {
                            TcpCongestion.apply(ch, t.tcpCongestion());
                        }
                        DirectDataReads.install(ch, decoder, MAX_SOCKET_READ);
                        ch.pipeline().addLast("pdu-decoder", decoder);
                        ch.pipeline().addLast("queue-pair", queue);
                    }
                });
        CompletableFuture<HostQueuePair> result = new CompletableFuture<>();
        ChannelFuture connecting = b.connect(o.address(), o.port());
        connecting.addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(new IOException("cannot connect to " + o.address() + ":" + o.port()
                        + ": " + f.cause().getMessage(), f.cause()));
                return;
            }
            queue.established().whenComplete((q, e) -> {
                if (e != null) {
                    result.completeExceptionally(e);
                } else {
                    result.complete(q);
                }
            });
        });
        return result.orTimeout(COMMAND_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    }

    // ---- Set-up -------------------------------------------------------------------------

    private CompletableFuture<Void> setUp(Association a) {
        return fabricsConnect(a.admin, 0, 0xFFFF, ADMIN_QUEUE_SIZE - 1, options.katoMillis())
                .thenCompose(r -> {
                    a.cntlid = r.dw0() & 0xFFFF;
                    return propertyGet(a.admin, 0x00, 8);
                })
                .thenCompose(cap -> {
                    long capValue = (cap.dw0() & 0xFFFF_FFFFL) | ((long) cap.dw1() << 32);
                    long readyTimeout = Math.max(((capValue >>> 24) & 0xFF) * 500, 500);
                    return propertySet(a.admin, 0x14, 1 | 6 << 16 | 4 << 20)
                            .thenCompose(x -> awaitReady(a.admin,
                                    System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(readyTimeout)))
                            .thenCompose(x -> identifyController(a, capValue));
                })
                .thenCompose(x -> isDiscovery() ? CompletableFuture.completedFuture(null) : setUpNvm(a))
                .thenCompose(x -> refreshAna(a))
                .thenRun(() -> startKeepAlive(a));
    }

    private CompletableFuture<Void> setUpNvm(Association a) {
        int wanted = options.ioQueues();
        CompletableFuture<Integer> granted = wanted == 0 ? CompletableFuture.completedFuture(0)
                : execute(a.admin, c -> c.opcode(0x09).cdw(10, 0x07).cdw(11, (wanted - 1) | (wanted - 1) << 16), 0)
                        .thenApply(r -> {
                            r.requireSuccess("Set Features (Number of Queues)");
                            int nsq = (r.dw0() & 0xFFFF) + 1;
                            int ncq = (r.dw0() >>> 16) + 1;
                            return Math.min(wanted, Math.min(nsq, ncq));
                        });
        return granted.thenCompose(n -> readNamespaces(a).thenCompose(x -> openIoQueues(a, n)));
    }

    private CompletableFuture<Void> readNamespaces(Association a) {
        return execute(a.admin, c -> c.opcode(0x06).nsid(0).cdw(10, 0x02), 4096).thenCompose(r -> {
            r.requireSuccess("Identify (active namespace list)");
            ByteBuf list = Unpooled.wrappedBuffer(r.data());
            CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
            for (int i = 0; i < 1024; i++) {
                int nsid = list.getIntLE(4 * i);
                if (nsid == 0) {
                    break;
                }
                chain = chain.thenCompose(x -> identifyNamespace(a, nsid));
            }
            return chain;
        });
    }

    private CompletableFuture<Void> identifyNamespace(Association a, int nsid) {
        return execute(a.admin, c -> c.opcode(0x06).nsid(nsid).cdw(10, 0x00), 4096).thenAccept(r -> {
            r.requireSuccess("Identify Namespace " + nsid);
            ByteBuf ns = Unpooled.wrappedBuffer(r.data());
            long nsze = ns.getLongLE(0);
            int format = ns.getUnsignedByte(26) & 0xF;
            int lbads = ns.getUnsignedByte(128 + 4 * format + 2);
            int ms = ns.getUnsignedShortLE(128 + 4 * format);
            int piType = ns.getUnsignedByte(29) & 0x7;
            if (nsze > 0 && lbads >= 9 && lbads < 31) {
                synchronized (a.namespaces) {
                    a.namespaces.add(new RemoteNamespace(nsid, 1 << lbads, nsze, ms, piType));
                }
            }
        });
    }

    private CompletableFuture<Void> openIoQueues(Association a, int count) {
        int size = (int) Math.min(options.queueSize(), (a.identity.cap() & 0xFFFF) + 1);
        List<CompletableFuture<HostQueuePair>> opening = new ArrayList<>();
        for (int qid = 1; qid <= count; qid++) {
            int q = qid;
            opening.add(openQueue(options, transport, q, size - 1, a.identity.inCapsuleBytes())
                    .thenCompose(queue -> fabricsConnect(queue, q, a.cntlid, size - 1, 0).thenApply(r -> queue)));
        }
        return CompletableFuture.allOf(opening.toArray(new CompletableFuture<?>[0])).whenComplete((x, error) -> {
            // Keep every queue that opened, so a failed set-up closes them all.
            for (CompletableFuture<HostQueuePair> f : opening) {
                if (!f.isCompletedExceptionally()) {
                    a.ioQueues.add(f.join());
                }
            }
        });
    }

    private CompletableFuture<Void> identifyController(Association a, long cap) {
        return execute(a.admin, c -> c.opcode(0x06).nsid(0).cdw(10, 0x01), 4096).thenAccept(r -> {
            r.requireSuccess("Identify Controller");
            ByteBuf id = Unpooled.wrappedBuffer(r.data());
            a.identity = new ControllerIdentity(ascii(id, 4, 20), ascii(id, 24, 40), ascii(id, 64, 8),
                    ascii(id, 768, 256), id.getUnsignedByte(77), id.getIntLE(1792), id.getUnsignedShortLE(514), cap,
                    id.getUnsignedByte(76));
        });
    }

    private CompletableFuture<Void> awaitReady(HostQueuePair admin, long deadlineNanos) {
        return propertyGet(admin, 0x1C, 4).thenCompose(csts -> {
            if ((csts.dw0() & 0x2) != 0) {
                throw new CompletionException(new IOException("controller fatal status (CSTS.CFS) on enable"));
            }
            if ((csts.dw0() & 1) != 0) {
                return CompletableFuture.completedFuture(null);
            }
            if (System.nanoTime() > deadlineNanos) {
                throw new CompletionException(new IOException("controller not ready within CAP.TO"));
            }
            CompletableFuture<Void> later = new CompletableFuture<>();
            admin.eventLoop().schedule(() -> {
                awaitReady(admin, deadlineNanos).whenComplete((v, e) -> {
                    if (e != null) {
                        later.completeExceptionally(e);
                    } else {
                        later.complete(null);
                    }
                });
            }, 10, TimeUnit.MILLISECONDS);
            return later;
        });
    }

    /** Reads the ANA log (when the controller reports ANA) into the association's per-namespace states. */
    private CompletableFuture<Void> refreshAna(Association a) {
        if (a.identity == null || !a.identity.anaReporting() || isDiscovery()) {
            return CompletableFuture.completedFuture(null);
        }
        return execute(a.admin, c -> c.opcode(0x02).nsid(0xFFFFFFFF).cdw(10, 0x0C | (ANA_LOG_BYTES / 4 - 1) << 16),
                ANA_LOG_BYTES)
                .thenAccept(r -> {
                    if (r.status() != 0) {
                        return; // not fatal: paths are then taken as optimized
                    }
                    applyAna(a, Unpooled.wrappedBuffer(r.data()));
                });
    }

    /** Parses an ANA log page into the association's per-namespace states (allocates: on change only). */
    private void applyAna(Association a, ByteBuf log) {
        Map<Integer, AnaState> states = new java.util.HashMap<>();
        int groups = log.getUnsignedShortLE(8);
        int at = 16;
        for (int g = 0; g < groups && at + 32 <= log.writerIndex(); g++) {
            int nsids = log.getIntLE(at + 4);
            AnaState state = AnaState.ofCode(log.getUnsignedByte(at + 16) & 0xF);
            at += 32;
            for (int i = 0; i < nsids && at + 4 <= log.writerIndex(); i++, at += 4) {
                states.put(log.getIntLE(at), state == null ? AnaState.INACCESSIBLE : state);
            }
        }
        Map<Integer, AnaState> previous = a.ana;
        a.ana = Map.copyOf(states);
        if (!previous.isEmpty() && !previous.equals(a.ana)) {
            LOG.info("{}: ANA states now {}", this, a.ana);
        }
    }

    /**
     * The keep-alive's ANA log read: into the association's buffer, through its completion made
     * once, parsed only when the page differs from the one read before (the steady state reads
     * the same page every time, and this runs on the event loop that carries the I/O).
     */
    private void rereadAna(Association a) {
        if (a.anaReadInFlight || a.identity == null || !a.identity.anaReporting() || isDiscovery()) {
            return;
        }
        HostCommand c = a.admin.acquire();
        if (c == null) {
            return;
        }
        a.anaLog.clear();
        c.opcode(0x02).nsid(0xFFFFFFFF).cdw(10, 0x0C | (ANA_LOG_BYTES / 4 - 1) << 16)
                .readInto(a.anaLog, ANA_LOG_BYTES).onCompletion(a.anaLogDone);
        a.anaReadInFlight = true;
        a.admin.submit(c);
    }

    private void anaLogRead(Association a, HostCommand done) {
        a.anaReadInFlight = false;
        if (!done.succeeded() || closed || live != a) {
            return; // not fatal: the states read before stay
        }
        ByteBuf log = a.anaLog;
        ByteBuf before = a.anaPrevious;
        if (log.writerIndex() == before.writerIndex() && ByteBufUtil.equals(log, 0, before, 0, log.writerIndex())) {
            return;
        }
        applyAna(a, log);
        a.anaLog = before;
        a.anaPrevious = log;
    }

    /**
     * The ANA state of a namespace through this controller: as the ANA log last said (it is read
     * at set-up and with every keep-alive), optimized when the controller does not report ANA,
     * inaccessible while the association is down.
     */
    public AnaState anaState(int nsid) {
        Association a = live;
        if (a == null) {
            return AnaState.INACCESSIBLE;
        }
        return a.ana.getOrDefault(nsid, a.identity != null && a.identity.anaReporting() && !a.ana.isEmpty()
                ? AnaState.INACCESSIBLE : AnaState.OPTIMIZED);
    }

    private void startKeepAlive(Association a) {
        int kato = options.katoMillis();
        if (kato <= 0) {
            return;
        }
        long period = Math.max(kato / 2, 100);
        HostQueuePair admin = a.admin;
        // Everything a tick needs is made here, once: the tick runs on the event loop that also
        // carries the I/O queues', whose steady state allocates nothing.
        a.anaLog = Unpooled.wrappedBuffer(new byte[ANA_LOG_BYTES]).clear();
        a.anaPrevious = Unpooled.wrappedBuffer(new byte[ANA_LOG_BYTES]).clear();
        a.keepAliveDone = done -> {
            if (!done.succeeded() && !closed && live == a) {
                LOG.warn("{}: Keep Alive failed: {}", this, NvmeStatus.name(done.status()));
            }
        };
        a.anaLogDone = done -> anaLogRead(a, done);
        a.keepAlive = admin.eventLoop().scheduleAtFixedRate(() -> {
            HostCommand c = admin.acquire();
            if (c != null) {
                c.opcode(0x18).onCompletion(a.keepAliveDone);
                admin.submit(c);
            }
            rereadAna(a);
        }, period, period, TimeUnit.MILLISECONDS);
    }

    // ---- Admin commands -----------------------------------------------------------------

    private CompletableFuture<AdminResult> fabricsConnect(HostQueuePair queue, int qid, int cntlidWanted, int sqsize,
                                                          int kato) {
        ByteBuf data = Unpooled.buffer(1024);
        data.writeZero(1024);
        data.setLong(0, options.hostId().getMostSignificantBits());
        data.setLong(8, options.hostId().getLeastSignificantBits());
        data.setShortLE(16, cntlidWanted);
        writeNqn(data, 256, options.subnqn());
        writeNqn(data, 512, options.hostNqn());
        return execute(queue, c -> {
            c.opcode(0x7F);
            c.sqe().setByte(4, 0x01);
            c.sqe().setShortLE(42, qid);
            c.sqe().setShortLE(44, sqsize);
            // CATTR: I/O queues disable SQ flow control (this host never needs SQHD), which lets
            // the controller complete reads with C2HData SUCCESS instead of a response capsule.
            c.sqe().setByte(46, qid == 0 ? 0 : 0x04);
            c.sqe().setIntLE(48, kato);
            c.writeFrom(data);
        }, 0).whenComplete((r, e) -> data.release()).thenApply(r -> {
            if (r.status() != 0) {
                throw new CompletionException(new NvmeCommandException("Connect to " + options.subnqn()
                        + " (queue " + qid + ") refused", r.status()));
            }
            return r;
        });
    }

    private static void writeNqn(ByteBuf data, int at, String nqn) {
        byte[] b = nqn.getBytes(StandardCharsets.UTF_8);
        data.setBytes(at, b, 0, Math.min(b.length, 255));
    }

    private static CompletableFuture<AdminResult> propertyGet(HostQueuePair admin, int offset, int size) {
        return execute(admin, c -> {
            c.opcode(0x7F);
            c.sqe().setByte(4, 0x04);
            c.sqe().setByte(40, size == 8 ? 1 : 0);
            c.sqe().setIntLE(44, offset);
        }, 0).thenApply(r -> r.requireSuccess("Property Get " + Integer.toHexString(offset) + "h"));
    }

    private static CompletableFuture<AdminResult> propertySet(HostQueuePair admin, int offset, long value) {
        return execute(admin, c -> {
            c.opcode(0x7F);
            c.sqe().setByte(4, 0x00);
            c.sqe().setIntLE(44, offset);
            c.sqe().setLongLE(48, value);
        }, 0).thenApply(r -> r.requireSuccess("Property Set " + Integer.toHexString(offset) + "h"));
    }

    /** Runs an admin command: {@code fill} sets the SQE, {@code readLength} bytes of data come back. */
    public CompletableFuture<AdminResult> adminCommand(Consumer<HostCommand> fill, int readLength) {
        Association a = live;
        if (a == null) {
            return CompletableFuture.failedFuture(new IOException(this + " is " + state));
        }
        return execute(a.admin, fill, readLength);
    }

    private static CompletableFuture<AdminResult> execute(HostQueuePair queue, Consumer<HostCommand> fill,
                                                          int readLength) {
        CompletableFuture<AdminResult> result = new CompletableFuture<>();
        queue.eventLoop().execute(() -> {
            HostCommand c = queue.acquire();
            if (c == null) {
                result.completeExceptionally(new IOException("no free slot on " + queue));
                return;
            }
            fill.accept(c);
            ByteBuf into = readLength > 0 ? Unpooled.buffer(readLength) : null;
            if (into != null) {
                c.readInto(into, readLength);
            }
            c.onCompletion(done -> {
                byte[] data = into == null ? null : ByteBufUtil.getBytes(into);
                if (into != null) {
                    into.release();
                }
                result.complete(new AdminResult(done.status(), done.dw0(), done.dw1(), data));
            });
            queue.submit(c);
        });
        return result.orTimeout(COMMAND_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** The discovery log page (discovery controllers only): every entry, in order. */
    public CompletableFuture<List<DiscoveryEntry>> discoveryLog() {
        return getLogPage(0x70, 1024).thenCompose(header -> {
            long records = Unpooled.wrappedBuffer(header).getLongLE(8);
            int length = (int) Math.min(1024 * (records + 1), 1024 * 1024);
            return getLogPage(0x70, length).thenApply(page -> {
                ByteBuf b = Unpooled.wrappedBuffer(page);
                long n = Math.min(b.getLongLE(8), length / 1024 - 1);
                List<DiscoveryEntry> out = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    out.add(DiscoveryEntry.decode(b, 1024 * (i + 1)));
                }
                return out;
            });
        });
    }

    private CompletableFuture<byte[]> getLogPage(int lid, int length) {
        int numd = length / 4 - 1;
        return adminCommand(c -> c.opcode(0x02).nsid(0).cdw(10, lid | (numd & 0xFFFF) << 16)
                .cdw(11, numd >>> 16), length).thenApply(r -> r.requireSuccess("Get Log Page " + lid).data());
    }

    // ---- State --------------------------------------------------------------------------

    public boolean isDiscovery() {
        return Subsystem.DISCOVERY_NQN.equals(options.subnqn());
    }

    /** The live association, or an exception saying why there is none. */
    private Association requireLive() {
        Association a = live;
        if (a == null) {
            throw new IllegalStateException(this + " is " + state);
        }
        return a;
    }

    public int cntlid() {
        return requireLive().cntlid;
    }

    public ControllerIdentity identity() {
        return requireLive().identity;
    }

    public HostOptions options() {
        return options;
    }

    /** The namespaces of the live association (empty while reconnecting). */
    public List<RemoteNamespace> namespaces() {
        Association a = live;
        if (a == null) {
            return List.of();
        }
        synchronized (a.namespaces) {
            return List.copyOf(a.namespaces);
        }
    }

    /** The namespace with this NSID, or null. */
    public RemoteNamespace namespace(int nsid) {
        for (RemoteNamespace ns : namespaces()) {
            if (ns.nsid() == nsid) {
                return ns;
            }
        }
        return null;
    }

    /** The I/O queues of the live association (empty while reconnecting). */
    public List<HostQueuePair> ioQueues() {
        Association a = live;
        return a == null ? List.of() : Collections.unmodifiableList(a.ioQueues);
    }

    public HostQueuePair adminQueue() {
        return requireLive().admin;
    }

    /**
     * Normal shutdown: CC.SHN, a short wait for the controller to acknowledge, then every
     * connection closes. Commands still in flight complete with Host Path Error. Idempotent.
     */
    @Override
    public void close() {
        Association a;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            state = State.CLOSED;
            a = live;
            live = null;
        }
        if (a == null) {
            notifyListeners();
            return;
        }
        if (a.keepAlive != null) {
            a.keepAlive.cancel(false);
        }
        for (HostQueuePair q : a.ioQueues) {
            q.close();
        }
        if (!a.admin.eventLoop().inEventLoop() && a.admin.isLive() && a.identity != null) {
            try {
                propertySet(a.admin, 0x14, 1 | 6 << 16 | 4 << 20 | 1 << 14).get(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                LOG.debug("{}: shutdown notification not acknowledged: {}", this, e.toString());
            }
        }
        a.admin.close();
        if (!a.admin.eventLoop().inEventLoop()) {
            try {
                a.admin.channel().closeFuture().await(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        notifyListeners();
    }

    private static String ascii(ByteBuf b, int at, int width) {
        int n = 0;
        while (n < width && b.getByte(at + n) != 0) {
            n++;
        }
        return b.toString(at, n, StandardCharsets.US_ASCII).strip();
    }

    @Override
    public String toString() {
        return "remote-controller[" + options.subnqn() + " at " + options.address() + ":" + options.port() + "]";
    }
}
