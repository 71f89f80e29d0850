package org.k200emu.cli.start;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.k200emu.card.config.CardConfig;
import org.k200emu.card.config.ConfigException;
import org.k200emu.nvmeof.host.HostCommand;
import org.k200emu.nvmeof.host.HostOptions;
import org.k200emu.nvmeof.host.HostQueuePair;
import org.k200emu.nvmeof.host.HostTransport;
import org.k200emu.nvmeof.host.RemoteController;
import org.k200emu.testing.Bytes;

/**
 * Card to card, in one JVM: card A serves its default namespace on the fabric; card B, in
 * co-processor mode, attaches it as a remote bdev and shows it to its host as drive0 on the host
 * port. Data written to B's drive is found on A's namespace, and the other way round.
 */
class CoprocessorModeTest {

    private static final String DRIVE = "nqn.2014-08.org.k200emu:drive0";
    private static final String DEFAULT = "nqn.2014-08.org.k200emu:default";

    private static CardConfig coprocessor(int remotePort) {
        return CardConfig.parse(String.join("\n",
                "mode: coprocessor",
                "clusters: {hostThreads: 2}",
                "bdevs:",
                "  - {name: far0, type: remote, address: 127.0.0.1, port: " + remotePort + ", subnqn: '" + DEFAULT + "'}",
                "subsystems:",
                "  - nqn: " + DRIVE,
                "    side: host",
                "    namespaces: [{bdev: far0}]",
                "ports: [{port: 0}]",
                "discoveryPort: -1"), CardConfig.Format.YAML);
    }

    private static int run(HostQueuePair q, java.util.function.Consumer<HostCommand> fill) throws Exception {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        q.eventLoop().execute(() -> {
            HostCommand c = q.acquire();
            fill.accept(c);
            c.onCompletion(x -> done.complete(x.status()));
            q.submit(c);
        });
        return done.get(20, TimeUnit.SECONDS);
    }

    @Test
    void hostSideDriveIsTheRemoteNamespace() throws Exception {
        try (CardProcess a = CardProcess.start(CardConfig.embeddedDefault(), new StartOverrides("127.0.0.1", 0, -1, 2));
             CardProcess b = CardProcess.start(coprocessor(a.target().boundAddresses().get(0).getPort()),
                     new StartOverrides(null, null, null, null, null, 0));
             HostTransport host = HostTransport.create(1)) {
            assertThat(b.remoteBdevs()).hasSize(1);
            assertThat(b.remoteBdevs().get(0).blockCount()).isEqualTo(2097152);
            assertThat(b.summary()).contains("coprocessor mode", DRIVE, "host side on");
            try (ManagementServer m = ManagementServer.start(b, "127.0.0.1", 0)) {
                java.io.StringWriter out = new java.io.StringWriter();
                int code = org.k200emu.cli.K200.commandLine().setOut(new java.io.PrintWriter(out))
                        .execute("ctl", "paths", "--port", Integer.toString(m.address().getPort()));
                assertThat(code).isZero();
                assertThat(out.toString()).contains("far0", DEFAULT, "connected");
            }
            int hostPort = b.hostTarget().boundAddresses().get(0).getPort();
            int fabricPort = a.target().boundAddresses().get(0).getPort();
            ByteBuf data = Unpooled.wrappedBuffer(Bytes.random(31, 65536));
            ByteBuf back = Unpooled.buffer(65536);
            try (RemoteController drive = RemoteController.connectNow(HostOptions.of("127.0.0.1", hostPort, DRIVE),
                    host);
                 RemoteController direct = RemoteController.connectNow(HostOptions.of("127.0.0.1", fabricPort, DEFAULT)
                         .withHost("nqn.2014-08.org.k200emu:other", java.util.UUID.randomUUID()), host)) {
                assertThat(drive.namespaces()).hasSize(1);
                assertThat(drive.namespace(1).bytes()).isEqualTo(1L << 30);
                HostQueuePair dq = drive.ioQueues().get(0);
                assertThat(run(dq, c -> c.write(1, 777, 128, data))).isZero();
                assertThat(run(direct.ioQueues().get(0), c -> c.read(1, 777, 128, back, 65536))).isZero();
                assertThat(ByteBufUtil.equals(data, back)).as("B's drive wrote A's namespace").isTrue();
                back.clear();
                assertThat(run(dq, c -> c.read(1, 777, 128, back, 65536))).isZero();
                assertThat(ByteBufUtil.equals(data, back)).as("read back through B").isTrue();
            } finally {
                data.release();
                back.release();
            }
        }
    }

    @Test
    void remoteBdevsNeedCoprocessorMode() {
        assertThatThrownBy(() -> CardProcess.start(coprocessor(4420).withMode(CardConfig.STANDALONE),
                StartOverrides.none()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.path()).isEqualTo("bdevs[0].type"));
    }

    @Test
    void anUnreachableRemoteFailsTheStartWithAClearMessage() throws Exception {
        int unused;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            unused = s.getLocalPort();
        }
        assertThatThrownBy(() -> CardProcess.start(coprocessor(unused), new StartOverrides(null, null, null, null,
                null, 0)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("cannot attach " + DEFAULT + " at 127.0.0.1:" + unused);
    }
    @Test
    void multipathUsesBothOptimizedPortsAndFailsOverWhenOneBecomesInaccessible() throws Exception {
        CardConfig twoPorts = CardConfig.parse(String.join("\n",
                "clusters: {hostThreads: 2}",
                "bdevs: [{name: m0, type: malloc, size: 64MiB}]",
                "subsystems: [{nqn: '" + DEFAULT + "', namespaces: [{bdev: m0}]}]",
                "ports: [{port: 0}, {port: 0}]",
                "discoveryPort: -1"), CardConfig.Format.YAML);
        try (CardProcess a = CardProcess.start(twoPorts, StartOverrides.none())) {
            int p1 = a.target().boundAddresses().get(0).getPort();
            int p2 = a.target().boundAddresses().get(1).getPort();
            CardConfig multipath = CardConfig.parse(String.join("\n",
                    "mode: coprocessor",
                    "clusters: {hostThreads: 2}",
                    "bdevs:",
                    "  - {name: far0, type: remote, paths: ['127.0.0.1:" + p1 + "', '127.0.0.1:" + p2 + "'],",
                    "     subnqn: '" + DEFAULT + "'}",
                    "subsystems: [{nqn: " + DRIVE + ", side: host, namespaces: [{bdev: far0}]}]",
                    "ports: [{port: 0}]",
                    "discoveryPort: -1"), CardConfig.Format.YAML);
            try (CardProcess b = CardProcess.start(multipath, new StartOverrides(null, null, null, null, null, 0));
                 HostTransport host = HostTransport.create(1);
                 RemoteController drive = RemoteController.connectNow(HostOptions.of("127.0.0.1",
                         b.hostTarget().boundAddresses().get(0).getPort(), DRIVE), host)) {
                org.k200emu.nvmeof.host.MultipathBdev mp = b.multipathBdevs().get(0);
                assertThat(mp.paths()).hasSize(2);
                HostQueuePair q = drive.ioQueues().get(0);
                ByteBuf data = Unpooled.wrappedBuffer(Bytes.random(41, 4096));
                ByteBuf back = Unpooled.buffer(4096);
                try {
                    for (int i = 0; i < 20; i++) {
                        long lba = 8L * i;
                        assertThat(run(q, c -> c.write(1, lba, 8, data))).isZero();
                    }
                    assertThat(mp.ioCount(0)).as("active-active: path 0 used").isPositive();
                    assertThat(mp.ioCount(1)).as("active-active: path 1 used").isPositive();

                    a.target().setAnaState(1, org.k200emu.nvme.AnaState.INACCESSIBLE);
                    long before1 = mp.ioCount(1);
                    for (int i = 0; i < 20; i++) {
                        long lba = 8L * i;
                        back.clear();
                        assertThat(run(q, c -> c.read(1, lba, 8, back, 4096))).as("read %d after failover", i)
                                .isZero();
                        assertThat(ByteBufUtil.equals(data, back)).isTrue();
                    }
                    assertThat(mp.ioCount(1) - before1).as("the surviving path carried the reads").isGreaterThanOrEqualTo(20);
                    @SuppressWarnings("unchecked")
                    List<Map<String, Object>> shown = (List<Map<String, Object>>) CardStatus.of(b).get("remotePaths");
                    assertThat(shown).extracting(p -> p.get("bdev"), p -> p.get("commands")).containsExactly(
                            org.assertj.core.groups.Tuple.tuple("far0.path0", mp.ioCount(0)),
                            org.assertj.core.groups.Tuple.tuple("far0.path1", mp.ioCount(1)));
                } finally {
                    data.release();
                    back.release();
                }
            }
        }
    }
}
