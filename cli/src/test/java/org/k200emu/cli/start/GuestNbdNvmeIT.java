package org.k200emu.cli.start;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.k200emu.testing.LinuxGuest;

/**
 * A card's drive as a PCIe NVMe drive of a QEMU guest. QEMU 7.2 has no vfio-user client, so the
 * guest's NVMe controller is QEMU's own ({@code -device nvme}) over an NBD drive served by a k200
 * card on this machine; the guest kernel's PCIe nvme driver runs fio with verify on it. The card
 * is in co-processor mode, its export a remote namespace of a second (standalone) k200 card whose
 * bdev is a file:
 * <pre>
 *   guest nvme (PCIe) -> QEMU nvme -> NBD -> k200 co-processor -> k200 initiator -> k200 standalone (file)
 * </pre>
 * Mid-run the standalone card is killed (SIGKILL) and started again on the same file while the
 * guest writes; the guest's fio verify still passes. Afterwards the bytes of a region the guest
 * wrote are read on this side, through the NBD export and straight from the remote card's file,
 * and their SHA-256 compared with the guest's. Guest steps: {@code src/it/guest/nbd-nvme.sh}.
 */
class GuestNbdNvmeIT {

    private static final String REMOTE_NQN = "nqn.2014-08.org.k200emu:remote";
    private static final String SERIAL = "K200EMU0001";
    private static final long REGION_OFFSET = 64L << 20;
    private static final int REGION_LENGTH = 4 << 20;

    private Path work;
    private volatile Process remote;
    private Process coprocessor;

    @Test
    void guestPcieNvmeDriveOverNbdThroughTheCoprocessorChain() throws Exception {
        LinuxGuest shared = LinuxGuest.locate();
        work = shared.projectRoot().resolve("target").resolve("guest-nbd");
        deleteTree(work);
        Path sync = Files.createDirectories(work.resolve("sync"));
        Path disk = work.resolve("remote.img");
        int remotePort = freePort();
        int nbdPort = freePort();

        Files.writeString(work.resolve("remote.yaml"), String.join("\n",
                "clusters: {hostThreads: 1}",
                "bdevs:",
                "  - {name: disk0, type: file, path: '" + disk + "', size: 256MiB, create: true}",
                "subsystems:",
                "  - nqn: " + REMOTE_NQN,
                "    namespaces: [{bdev: disk0}]",
                "ports: [{port: " + remotePort + "}]",
                "discoveryPort: -1", ""));
        Files.writeString(work.resolve("coprocessor.yaml"), String.join("\n",
                "mode: coprocessor",
                "clusters: {hostThreads: 2}",
                "bdevs:",
                "  - {name: far0, type: remote, address: 127.0.0.1, port: " + remotePort + ", subnqn: '"
                        + REMOTE_NQN + "', holdTimeoutMs: 60000}",
                "ports: [{port: 0}]",
                "discoveryPort: -1",
                "hostPort: {port: 0}",
                "nbd: {port: " + nbdPort + ", exports: [{name: drive0, bdev: far0}]}", ""));

        try {
            remote = startCard(shared.projectRoot(), "remote", 1);
            awaitLog("remote-1", "card started", 60);
            coprocessor = startCard(shared.projectRoot(), "coprocessor", 1);
            awaitLog("coprocessor-1", "NBD on /127.0.0.1:" + nbdPort, 60);

            LinuxGuest guest = shared.withQemuArguments("linux-guest-nbd-nvme", List.of(
                    "-drive", "driver=nbd,host=127.0.0.1,port=" + nbdPort + ",export=drive0,if=none,id=k200d0",
                    "-device", "nvme,drive=k200d0,serial=" + SERIAL));
            Thread outage = new Thread(() -> outage(shared.projectRoot(), sync), "remote-outage");
            outage.setDaemon(true);
            outage.start();
            LinuxGuest.Result result = guest.run("nbd-nvme", 1500, "2G", "env",
                    "SYNC=" + sync, "SERIAL=" + SERIAL, "bash", "cli/src/it/guest/nbd-nvme.sh");
            outage.join(TimeUnit.SECONDS.toMillis(30));

            assertThat(result.output())
                    .as("guest output")
                    .contains("transport=pcie", "serial=" + SERIAL,
                            "fio randwrite-4k: errors=0", "fio seq-128k: errors=0", "fio outage-4k: errors=0",
                            "ALL STEPS PASSED")
                    .doesNotContain("FAIL ");
            assertThat(result.exitCode()).as("guest exit status").isZero();
            assertThat(Files.exists(sync.resolve("remote-up-again"))).as("the remote card came back").isTrue();
            assertThat(Files.readString(work.resolve("coprocessor-1.log"))).contains("reconnected");

            Matcher m = Pattern.compile("GUEST_SHA256 ([0-9a-f]{64})").matcher(result.output());
            assertThat(m.find()).as("the guest printed the region's SHA-256").isTrue();
            String guestSha = m.group(1);
            // This side: through the co-processor card's export, and in the remote card's file.
            try (CardNbdTest.Client nbd = new CardNbdTest.Client(new InetSocketAddress("127.0.0.1", nbdPort),
                    "drive0")) {
                assertThat(sha256(nbd.read(REGION_OFFSET, REGION_LENGTH))).as("via NBD").isEqualTo(guestSha);
            }
            byte[] fromFile = new byte[REGION_LENGTH];
            try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "r")) {
                f.seek(REGION_OFFSET);
                f.readFully(fromFile);
            }
            assertThat(sha256(fromFile)).as("in the remote card's file").isEqualTo(guestSha);
        } finally {
            stop(coprocessor);
            stop(remote);
        }
        assertThat(Files.readString(work.resolve("coprocessor-1.log"))).contains("card stopped");
    }

    /** On the guest's signal: the remote card killed, and once the guest writes, started again. */
    private void outage(Path root, Path sync) {
        try {
            awaitFile(sync.resolve("ready-for-outage"), 1200);
            remote.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            Files.writeString(sync.resolve("remote-killed"), "");
            awaitFile(sync.resolve("writing"), 120);
            Thread.sleep(3000);
            Files.writeString(sync.resolve("remote-restarting"), "");
            remote = startCard(root, "remote", 2);
            awaitLog("remote-2", "card started", 60);
            Files.writeString(sync.resolve("remote-up-again"), "");
        } catch (Exception e) {
            System.out.println("remote outage driver failed: " + e);
        }
    }

    private Process startCard(Path root, String config, int run) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path log = work.resolve(config + "-" + run + ".log");
        return new ProcessBuilder(java.toString(), "-Xmx512m", "-XX:MaxDirectMemorySize=512m",
                "-XX:TieredStopAtLevel=1", "-jar", root.resolve("cli/target/k200.jar").toString(), "start",
                "-c", work.resolve(config + ".yaml").toString(), "--management-port", "-1")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private void awaitLog(String name, String text, int seconds) throws Exception {
        Path log = work.resolve(name + ".log");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains(text)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(name + " did not log '" + text + "' within " + seconds + " s:\n"
                + (Files.exists(log) ? Files.readString(log) : "(no log)"));
    }

    private static void awaitFile(Path file, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!Files.exists(file)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + file + " within " + seconds + " s");
            }
            Thread.sleep(100);
        }
    }

    private static void stop(Process p) throws InterruptedException {
        if (p != null && p.isAlive()) {
            p.destroy(); // SIGTERM: the card shuts down cleanly
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
