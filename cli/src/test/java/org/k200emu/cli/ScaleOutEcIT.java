package org.k200emu.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.k200emu.bdev.ec.EcBdev;
import org.k200emu.bdev.ec.EcRebuild;
import org.k200emu.card.config.CardConfig;
import org.k200emu.cli.start.CardProcess;
import org.k200emu.cli.start.StartOverrides;
import org.k200emu.nvmeof.host.HostCommand;
import org.k200emu.nvmeof.host.HostOptions;
import org.k200emu.nvmeof.host.HostQueuePair;
import org.k200emu.nvmeof.host.HostTransport;
import org.k200emu.nvmeof.host.RemoteBdev;
import org.k200emu.nvmeof.host.RemoteController;
import org.k200emu.testing.Bytes;

/**
 * The scale-out story: an erasure-coded 4+2 volume over six remote namespaces served by six other
 * k200 processes (cards) on this machine, written and verified through NVMe/TCP while two of the
 * six processes are killed, then rebuilt onto two new cards; after the rebuild the volume
 * survives the loss of two other cards.
 */
class ScaleOutEcIT {

    private static final String DEFAULT = "nqn.2014-08.org.k200emu:default";
    private static final String VOLUME = "nqn.2014-08.org.k200emu:ec-volume";
    private static final int CHUNK = 65536;

    private final List<Process> cards = new ArrayList<>();

    @AfterEach
    void stopCards() {
        for (Process p : cards) {
            p.destroyForcibly();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** A card process serving a 64 MiB malloc namespace on {@code port}. */
    private Process startCard(Path dir, int port) throws Exception {
        Path config = dir.resolve("card-" + port + ".yaml");
        Files.writeString(config, String.join("\n",
                "clusters: {hostThreads: 1}",
                "bdevs: [{name: m0, type: malloc, size: 64MiB}]",
                "subsystems: [{nqn: '" + DEFAULT + "', namespaces: [{bdev: m0}]}]",
                "ports: [{port: " + port + "}]",
                "discoveryPort: -1"));
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx192m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), K200.class.getName(),
                "start", "-c", config.toString(), "--management-port", "-1")
                .redirectErrorStream(true).redirectOutput(dir.resolve("card-" + port + ".log").toFile());
        Process p = pb.start();
        cards.add(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                assertThat(s.isConnected()).isTrue();
                return p;
            } catch (IOException notYet) {
                assertThat(p.isAlive()).as("card on port %d: %s", port,
                        Files.exists(dir.resolve("card-" + port + ".log"))
                                ? Files.readString(dir.resolve("card-" + port + ".log")) : "").isTrue();
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("card on port " + port + " did not start");
    }

    private static int run(HostQueuePair q, java.util.function.Consumer<HostCommand> fill) throws Exception {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        q.eventLoop().execute(() -> {
            HostCommand c = q.acquire();
            fill.accept(c);
            c.onCompletion(x -> done.complete(x.status()));
            q.submit(c);
        });
        return done.get(60, TimeUnit.SECONDS);
    }

    /** Writes {@code count} 64 KiB chunks of seed-derived data, chunk i at LBA i * 1024 + offset. */
    private static void write(HostQueuePair q, long seed, int count, long offset) throws Exception {
        for (int i = 0; i < count; i++) {
            ByteBuf data = Unpooled.wrappedBuffer(Bytes.random(seed + i, CHUNK));
            try {
                long lba = i * 1024L + offset;
                assertThat(run(q, c -> c.write(1, lba, CHUNK / 512, data))).as("write %d", i).isZero();
            } finally {
                data.release();
            }
        }
    }

    private static void verify(HostQueuePair q, long seed, int count, long offset, String when) throws Exception {
        for (int i = 0; i < count; i++) {
            ByteBuf back = Unpooled.buffer(CHUNK);
            try {
                long lba = i * 1024L + offset;
                assertThat(run(q, c -> c.read(1, lba, CHUNK / 512, back, CHUNK))).as("read %d %s", i, when).isZero();
                assertThat(ByteBufUtil.getBytes(back)).as("chunk %d %s", i, when).isEqualTo(Bytes.random(seed + i, CHUNK));
            } finally {
                back.release();
            }
        }
    }

    @Test
    void erasureCodedVolumeOverSixCardsSurvivesTwoLossesAndRebuilds(@TempDir Path dir) throws Exception {
        int[] ports = new int[6];
        for (int i = 0; i < 6; i++) {
            ports[i] = freePort();
            startCard(dir, ports[i]);
        }
        StringBuilder yaml = new StringBuilder("mode: coprocessor\nclusters: {hostThreads: 2}\nbdevs:\n");
        for (int i = 0; i < 6; i++) {
            yaml.append("  - {name: r").append(i).append(", type: remote, address: 127.0.0.1, port: ").append(ports[i])
                    .append(", subnqn: '").append(DEFAULT).append("', holdTimeoutMs: 500}\n");
        }
        yaml.append("  - {name: vol, type: ec, k: 4, m: 2, members: [r0, r1, r2, r3, r4, r5], stripSize: 16KiB}\n")
                .append("subsystems: [{nqn: '").append(VOLUME).append("', namespaces: [{bdev: vol}]}]\n")
                .append("ports: [{port: 0}]\ndiscoveryPort: -1\n");
        // The replacements' connections outlive the card, which closes (and writes its clean state) first.
        try (HostTransport replacements = HostTransport.create(1);
             CardProcess card = CardProcess.start(CardConfig.parse(yaml.toString(), CardConfig.Format.YAML),
                new StartOverrides(null, null, null, null, null, 0));
             HostTransport transport = HostTransport.create(2);
             RemoteController host = RemoteController.connectNow(HostOptions.of("127.0.0.1",
                     card.target().boundAddresses().get(0).getPort(), VOLUME), transport)) {
            EcBdev ec = (EcBdev) card.bdev("vol");
            HostQueuePair q = host.ioQueues().get(0);
            write(q, 1000, 64, 0);
            verify(q, 1000, 64, 0, "with six cards");

            cards.get(1).destroyForcibly().waitFor();
            cards.get(4).destroyForcibly().waitFor();
            write(q, 2000, 64, 256);
            verify(q, 1000, 64, 0, "after two cards died");
            verify(q, 2000, 64, 256, "written with two cards dead");
            assertThat(ec.status().failedMembers()).isEqualTo(2);

            for (int member : new int[] {1, 4}) {
                int port = freePort();
                startCard(dir, port);
                RemoteController rc = RemoteController.connectNow(HostOptions.of("127.0.0.1", port, DEFAULT)
                        .withHost("nqn.2014-08.org.k200emu:card", java.util.UUID.randomUUID())
                        .withReconnect(true, 30_000), replacements);
                RemoteBdev replacement = new RemoteBdev("r" + member + "-new", rc, 1, 500);
                EcRebuild rebuild = ec.replace(member, replacement, card.mppa().dataPlaneCores().get(0));
                rebuild.completion().get(300, TimeUnit.SECONDS);
            }
            assertThat(ec.status().fullyRedundant()).as("full redundancy after the rebuild").isTrue();

            cards.get(0).destroyForcibly().waitFor();
            cards.get(5).destroyForcibly().waitFor();
            verify(q, 1000, 64, 0, "after rebuild and two other losses");
            verify(q, 2000, 64, 256, "after rebuild and two other losses");
        }
    }
}
