package org.k200emu.cli.start;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.qos.QosBdev;
import org.k200emu.bdev.qos.QosStats;
import org.k200emu.card.config.CardConfig;
import org.k200emu.card.config.ConfigException;
import org.k200emu.nvmeof.host.HostOptions;
import org.k200emu.nvmeof.host.HostQueuePair;
import org.k200emu.nvmeof.host.HostTransport;
import org.k200emu.nvmeof.host.RemoteController;

/**
 * Two real initiators with different host NQNs against one qos namespace of a card in this JVM:
 * each host's I/O lands in its own class (counted by the qos bdev's per-class statistics), the
 * capped host is held to its class's limit and the other host is never delayed. Namespaces and
 * qos bdevs added at run time route hosts the same way.
 *
 * <p>Timing: the only wall-clock assertion is a lower bound that follows from the token bucket
 * (a slower machine only makes the capped host slower still); the uncapped host's freedom is
 * asserted by its class's delay counter, not by its speed.
 */
class QosHostClassesTest {

    private static final String SUBSYSTEM = "nqn.2014-08.org.k200emu:tenants";
    private static final String CAPPED = "nqn.2014-08.org.example:batch";
    private static final String FREE = "nqn.2014-08.org.example:db";
    private static final int CAP_IOPS = 50;
    private static final int IOS = 60;

    private static CardConfig config() {
        return CardConfig.parse(String.join("\n",
                "clusters: {hostThreads: 2}",
                "bdevs:",
                "  - {name: m0, type: 'null', size: 64MiB}",
                "  - {name: m1, type: 'null', size: 64MiB}",
                "  - name: shared",
                "    type: qos",
                "    member: m0",
                "    classes:",
                "      - {name: capped, weight: 1, iops: " + CAP_IOPS + ", hosts: ['" + CAPPED + "']}",
                "      - {name: free, weight: 4, hosts: ['" + FREE + "']}",
                "subsystems: [{nqn: '" + SUBSYSTEM + "', namespaces: [{nsid: 1, bdev: shared}]}]",
                "ports: [{port: 0}]",
                "discoveryPort: -1"), CardConfig.Format.YAML);
    }

    private static RemoteController connect(int port, String hostNqn, HostTransport transport) throws Exception {
        return RemoteController.connectNow(HostOptions.of("127.0.0.1", port, SUBSYSTEM)
                .withHost(hostNqn, UUID.nameUUIDFromBytes(hostNqn.getBytes(java.nio.charset.StandardCharsets.UTF_8))),
                transport);
    }

    /** Submits {@code count} 4 KiB writes at once on {@code q}; completes with the nanoTime of the last. */
    private static CompletableFuture<Long> writes(HostQueuePair q, int nsid, int count, ByteBuf data,
                                                  AtomicInteger failed) {
        CompletableFuture<Long> all = new CompletableFuture<>();
        AtomicInteger left = new AtomicInteger(count);
        q.eventLoop().execute(() -> {
            for (int i = 0; i < count; i++) {
                q.submit(q.acquire().write(nsid, i * 8L, 8, data).onCompletion(c -> {
                    if (!c.succeeded()) {
                        failed.incrementAndGet();
                    }
                    if (left.decrementAndGet() == 0) {
                        all.complete(System.nanoTime());
                    }
                }));
            }
        });
        return all;
    }

    @Test
    void eachHostIsHeldToItsOwnClass() throws Exception {
        ByteBuf data = Unpooled.buffer(4096).writeZero(4096);
        try (CardProcess card = CardProcess.start(config(), StartOverrides.none());
             HostTransport transport = HostTransport.create(1)) {
            int port = card.target().boundAddresses().get(0).getPort();
            QosBdev shared = (QosBdev) card.bdev("shared");
            AtomicInteger failed = new AtomicInteger();
            try (RemoteController capped = connect(port, CAPPED, transport);
                 RemoteController free = connect(port, FREE, transport)) {
                long start = System.nanoTime();
                CompletableFuture<Long> cappedDone = writes(capped.ioQueues().get(0), 1, IOS, data, failed);
                CompletableFuture<Long> freeDone = writes(free.ioQueues().get(0), 1, IOS, data, failed);
                freeDone.get(30, TimeUnit.SECONDS);
                QosStats mid = shared.snapshot();
                assertThat(mid.of("free").releasedTotal()).isEqualTo(IOS);
                assertThat(mid.of("free").delayedTotal()).as("the free host never waits on the capped one").isZero();
                long cappedEnd = cappedDone.get(30, TimeUnit.SECONDS);
                assertThat(failed.get()).isZero();

                // A full bucket of 50/s with the default 100 ms burst lets 50 * (t + 0.1) + 1 through by t:
                // 60 writes need t >= 1.08 s.
                double seconds = (cappedEnd - start) / 1e9;
                double earliest = (IOS - 1) / (double) CAP_IOPS - 0.1;
                assertThat(seconds).as("the capped host is held to %d IOPS", CAP_IOPS).isGreaterThanOrEqualTo(earliest);
                QosStats end = shared.snapshot();
                assertThat(end.of("capped").releasedTotal()).isEqualTo(IOS);
                // How many found tokens on arrival depends on how fast the writes arrive; some must have waited.
                assertThat(end.of("capped").delayedTotal()).isPositive();
                assertThat(end.of("free").releasedTotal()).isEqualTo(IOS);
                assertThat(end.of("default").releasedTotal()).as("no I/O went to the default class").isZero();

                // A qos bdev and a namespace added at run time route the hosts the same way.
                card.addBdev("{name: late, type: qos, member: m1, classes: [{name: solo, iops: 1000, hosts: ['"
                        + CAPPED + "']}]}");
                int nsid = card.addNamespace(SUBSYSTEM, "late", 0);
                assertThat(nsid).isEqualTo(2);
                CompletableFuture<Long> late = writes(capped.ioQueues().get(0), nsid, 10, data, failed);
                CompletableFuture<Long> lateFree = writes(free.ioQueues().get(0), nsid, 7, data, failed);
                late.get(30, TimeUnit.SECONDS);
                lateFree.get(30, TimeUnit.SECONDS);
                assertThat(failed.get()).isZero();
                QosStats lateStats = ((QosBdev) card.bdev("late")).snapshot();
                assertThat(lateStats.of("solo").releasedTotal()).isEqualTo(10);
                assertThat(lateStats.of("default").releasedTotal()).isEqualTo(7);
                assertThat(shared.snapshot().of("capped").releasedTotal()).as("unchanged").isEqualTo(IOS);
            }
            assertThatThrownBy(() -> card.addBdev("{name: over, type: dedup, member: late}"))
                    .isInstanceOf(ConfigException.class).hasMessageContaining("routes hosts to its classes");
        } finally {
            data.release();
        }
    }

    @Test
    void ioHeldByAClassWhenTheHostGoesAndTheCardStopsIsAbortedAndReleased() throws Exception {
        ByteBuf data = Unpooled.buffer(4096).writeZero(4096);
        QosBdev shared;
        try (CardProcess card = CardProcess.start(config(), StartOverrides.none());
             HostTransport transport = HostTransport.create(1)) {
            int port = card.target().boundAddresses().get(0).getPort();
            shared = (QosBdev) card.bdev("shared");
            AtomicInteger failed = new AtomicInteger();
            try (RemoteController capped = connect(port, CAPPED, transport)) {
                writes(capped.ioQueues().get(0), 1, IOS, data, failed);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (shared.snapshot().of("capped").queued() < 20) {
                    assertThat(System.nanoTime()).as("the writes reach the card").isLessThan(deadline);
                    Thread.sleep(5);
                }
            }
        } finally {
            data.release();
        }
        // The card's close aborted what the class still held; the leak check (paranoid) sees its buffers freed.
        assertThat(shared.snapshot().queued()).isZero();
    }

    @Test
    void aNoisyHostCannotStarveAWeightedOneWhenTheTotalIsSaturated() throws Exception {
        String noisyHost = "nqn.2014-08.org.example:noisy";
        String quietHost = "nqn.2014-08.org.example:quiet";
        CardConfig config = CardConfig.parse(String.join("\n",
                "clusters: {hostThreads: 2}",
                "bdevs:",
                "  - {name: m0, type: 'null', size: 64MiB}",
                "  - name: shared",
                "    type: qos",
                "    member: m0",
                "    iops: 100",
                "    classes:",
                "      - {name: noisy, weight: 1, hosts: ['" + noisyHost + "']}",
                "      - {name: quiet, weight: 4, hosts: ['" + quietHost + "']}",
                "subsystems: [{nqn: '" + SUBSYSTEM + "', namespaces: [{nsid: 1, bdev: shared}]}]",
                "ports: [{port: 0}]",
                "discoveryPort: -1"), CardConfig.Format.YAML);
        ByteBuf data = Unpooled.buffer(4096).writeZero(4096);
        try (CardProcess card = CardProcess.start(config, StartOverrides.none());
             HostTransport transport = HostTransport.create(1)) {
            int port = card.target().boundAddresses().get(0).getPort();
            QosBdev shared = (QosBdev) card.bdev("shared");
            AtomicInteger failed = new AtomicInteger();
            try (RemoteController noisy = connect(port, noisyHost, transport);
                 RemoteController quiet = connect(port, quietHost, transport)) {
                CompletableFuture<Long> noisyDone = writes(noisy.ioQueues().get(0), 1, 120, data, failed);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (shared.snapshot().of("noisy").queued() < 80) {
                    assertThat(System.nanoTime()).as("the noisy host's writes queue up").isLessThan(deadline);
                    Thread.sleep(2);
                }
                // 100 IOPS in all: queued behind noisy in FIFO order, quiet would wait for 80+ releases
                // (0.8 s); with weight 4 against 1 it gets four of every five from now on, so noisy
                // gets about 10 while quiet's 40 go (40 with equal weights).
                long noisyBefore = shared.snapshot().of("noisy").releasedTotal();
                writes(quiet.ioQueues().get(0), 1, 40, data, failed).get(30, TimeUnit.SECONDS);
                QosStats atQuietsEnd = shared.snapshot();
                assertThat(atQuietsEnd.of("quiet").releasedTotal()).isEqualTo(40);
                assertThat(atQuietsEnd.of("noisy").queued()).as("quiet finished while noisy still waits")
                        .isGreaterThanOrEqualTo(30);
                assertThat(atQuietsEnd.of("noisy").releasedTotal() - noisyBefore).as("noisy's share meanwhile")
                        .isBetween(5L, 25L);
                noisyDone.get(30, TimeUnit.SECONDS);
                assertThat(failed.get()).isZero();
                assertThat(shared.snapshot().of("noisy").releasedTotal()).isEqualTo(120);
            }
        } finally {
            data.release();
        }
    }

    @Test
    void ctlStatusShowsEachClass() throws Exception {
        try (CardProcess card = CardProcess.start(config(), StartOverrides.none());
             ManagementServer m = ManagementServer.start(card, "127.0.0.1", 0)) {
            java.io.StringWriter out = new java.io.StringWriter();
            int code = org.k200emu.cli.K200.commandLine().setOut(new java.io.PrintWriter(out))
                    .execute("ctl", "status", "--port", Integer.toString(m.address().getPort()));
            assertThat(code).isZero();
            assertThat(out.toString()).contains(
                    "bdev shared (qos)",
                    "  qos limits: 0 IOPS, 0 bytes/s (0: none)",
                    "  class capped (weight 1): 0 IOPS, 0.00 MB/s, 0 queued, 0 delayed so far; limits: 50 IOPS; hosts: "
                            + CAPPED,
                    "  class free (weight 4): 0 IOPS, 0.00 MB/s, 0 queued, 0 delayed so far; limits: none; hosts: " + FREE,
                    "  class default (weight 1): 0 IOPS, 0.00 MB/s, 0 queued, 0 delayed so far; limits: none;"
                            + " hosts: any host no class lists");
            java.io.StringWriter json = new java.io.StringWriter();
            org.k200emu.cli.K200.commandLine().setOut(new java.io.PrintWriter(json))
                    .execute("ctl", "status", "--json", "--port", Integer.toString(m.address().getPort()));
            com.fasterxml.jackson.databind.JsonNode classes = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(json.toString()).path("bdevs").findValue("classes");
            assertThat(classes.get(0).path("hosts").get(0).asText()).isEqualTo(CAPPED);
            assertThat(classes.get(0).path("iopsLimit").asLong()).isEqualTo(CAP_IOPS);
            assertThat(classes.get(2).path("default").asBoolean()).isTrue();
        }
    }
}
