package org.k200emu.cli.start;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.k200emu.card.config.CardConfig;

/**
 * The card started in-process from the embedded default configuration on an ephemeral port:
 * it listens, answers an NVMe/TCP ICReq with an ICResp, stops on close, and cleans up after
 * itself when it cannot bind.
 */
class CardProcessTest {

    private static final int TIMEOUT_MILLIS = 5000;
    private static final String LOCALHOST = "127.0.0.1";
    private static final String HOST_THREAD_PREFIX = "k200-host-";

    private static StartOverrides onPort(int port) {
        return new StartOverrides(LOCALHOST, port, -1, 2);
    }

    @BeforeEach
    @AfterEach
    void noHostThreadsLeft() throws InterruptedException {
        assertThat(hostThreadsAfterJoin()).as("k200 host threads still alive").isEmpty();
    }

    @Test
    void startsServesIcReqAndStopsOnClose() throws IOException {
        InetSocketAddress bound;
        try (CardProcess card = CardProcess.start(CardConfig.embeddedDefault(), onPort(0))) {
            List<InetSocketAddress> addresses = card.target().boundAddresses();
            assertThat(addresses).hasSize(1);
            bound = addresses.get(0);
            assertThat(bound.getPort()).isPositive();
            assertThat(bound.getAddress()).isEqualTo(InetAddress.getByName(LOCALHOST));

            try (Socket socket = connect(bound.getPort())) {
                socket.getOutputStream().write(icReq());
                socket.getOutputStream().flush();
                byte[] resp = readFully(socket.getInputStream(), 128);
                ByteBuffer b = ByteBuffer.wrap(resp).order(ByteOrder.LITTLE_ENDIAN);

                assertThat(b.get(0)).as("PDU type ICResp").isEqualTo((byte) 0x01);
                assertThat(b.get(1)).as("flags").isZero();
                assertThat(b.get(2) & 0xFF).as("HLEN").isEqualTo(128);
                assertThat(b.get(3)).as("PDO").isZero();
                assertThat(b.getInt(4)).as("PLEN").isEqualTo(128);
                assertThat(b.getShort(8)).as("PFV").isZero();
                assertThat(b.get(10)).as("CPDA").isZero();
                assertThat(b.get(11)).as("digests (none asked for)").isZero();
                assertThat(b.getInt(12)).as("MAXH2CDATA").isEqualTo(131072);
                // The target then waits for a command capsule: nothing more arrives unasked.
                assertThat(socket.getInputStream().available()).isZero();
            }

            assertThat(card.summary())
                    .contains("80 cores on 2 host threads", "nqn.2014-08.org.k200emu:default [1 namespace(s)]",
                            String.valueOf(bound.getPort()));
        }

        assertThatThrownBy(() -> connect(bound.getPort()).close())
                .as("connection after close")
                .isInstanceOf(ConnectException.class);
    }

    @Test
    void discoveryPortIsASecondListener() throws IOException {
        try (CardProcess card = CardProcess.start(CardConfig.embeddedDefault(),
                new StartOverrides(LOCALHOST, 0, 0, 2))) {
            List<InetSocketAddress> addresses = card.target().boundAddresses();
            assertThat(addresses).hasSize(2);
            assertThat(addresses.get(0).getPort()).isPositive().isNotEqualTo(addresses.get(1).getPort());
            assertThat(addresses.get(1).getPort()).isPositive();
            try (Socket socket = connect(addresses.get(1).getPort())) {
                socket.getOutputStream().write(icReq());
                assertThat(readFully(socket.getInputStream(), 128)[0]).isEqualTo((byte) 0x01);
            }
        }
    }

    @Test
    void twoCardsOnPortZeroGetDifferentPorts() {
        try (CardProcess first = CardProcess.start(CardConfig.embeddedDefault(), onPort(0));
             CardProcess second = CardProcess.start(CardConfig.embeddedDefault(), onPort(0))) {
            int a = first.target().boundAddresses().get(0).getPort();
            int b = second.target().boundAddresses().get(0).getPort();

            assertThat(a).isPositive();
            assertThat(b).isPositive().isNotEqualTo(a);
        }
    }

    @Test
    void portInUseFailsAndLeavesNothingRunning() throws IOException, InterruptedException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName(LOCALHOST))) {
            int port = taken.getLocalPort();

            assertThatThrownBy(() -> CardProcess.start(CardConfig.embeddedDefault(), onPort(port)).close())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot listen on " + LOCALHOST + ":" + port);

            assertThat(hostThreadsAfterJoin()).as("host threads after the failed start").isEmpty();
        }

        try (CardProcess card = CardProcess.start(CardConfig.embeddedDefault(), onPort(0))) {
            assertThat(card.target().boundAddresses()).singleElement()
                    .satisfies(a -> assertThat(a.getPort()).isPositive());
        }
    }

    @Test
    void portOutOfRangeFailsAndLeavesNothingRunning() throws InterruptedException {
        assertThatThrownBy(() -> CardProcess.start(CardConfig.embeddedDefault(), onPort(65536)).close())
                .isInstanceOf(RuntimeException.class)
                .hasMessageContaining("65536");

        assertThat(hostThreadsAfterJoin()).as("host threads after the failed start").isEmpty();
    }

    @Test
    void pinsEveryHostThreadToTheCpusAsked() throws IOException {
        java.util.BitSet allowed = org.k200emu.cluster.affinity.CpuAffinity.currentThreadCpus();
        int last = allowed.length() - 1;
        try (CardProcess card = CardProcess.start(CardConfig.embeddedDefault(),
                new StartOverrides(LOCALHOST, 0, -1, 2, null, null, Integer.toString(last), null))) {
            // The kernel's view of each host thread, from /proc rather than from the code that pinned it.
            List<String> seen = new java.util.ArrayList<>();
            try (java.util.stream.Stream<java.nio.file.Path> tasks = java.nio.file.Files.list(
                    java.nio.file.Path.of("/proc/self/task"))) {
                for (java.nio.file.Path task : tasks.toList()) {
                    String name = java.nio.file.Files.readString(task.resolve("comm")).trim();
                    if (name.startsWith(HOST_THREAD_PREFIX)) {
                        seen.add(name + " " + java.nio.file.Files.readAllLines(task.resolve("status")).stream()
                                .filter(l -> l.startsWith("Cpus_allowed_list:")).findFirst().orElseThrow()
                                .substring("Cpus_allowed_list:".length()).trim());
                    }
                }
            }
            assertThat(seen).hasSize(2).allSatisfy(t -> assertThat(t).endsWith(" " + last));
            assertThat(card.target().boundAddresses()).hasSize(1);
        }
    }

    @Test
    void aCongestionControlTheKernelLacksFailsAndLeavesNothingRunning() throws InterruptedException {
        CardConfig config = CardConfig.parse("clusters: {hostThreads: 2, tcpCongestion: nosuchcc}\n"
                + "ports: [{address: 127.0.0.1, port: 0}]\ndiscoveryPort: -1", CardConfig.Format.YAML);
        assertThatThrownBy(() -> CardProcess.start(config, new StartOverrides(LOCALHOST, 0, -1, 2)).close())
                .isInstanceOf(org.k200emu.card.config.ConfigException.class)
                .hasMessageContaining("clusters.tcpCongestion").hasMessageContaining("'nosuchcc' is not available");

        assertThat(hostThreadsAfterJoin()).as("host threads after the failed start").isEmpty();
    }

    @Test
    void aCpuOutsideTheProcessFailsAndLeavesNothingRunning() throws InterruptedException {
        int absent = org.k200emu.cluster.affinity.CpuAffinity.currentThreadCpus().length() + 64;
        assertThatThrownBy(() -> CardProcess.start(CardConfig.embeddedDefault(),
                new StartOverrides(LOCALHOST, 0, -1, 2, null, null, Integer.toString(absent), null)).close())
                .isInstanceOf(org.k200emu.card.config.ConfigException.class)
                .hasMessageContaining("--cpus").hasMessageContaining("CPU " + absent + " is not one this process");

        assertThat(hostThreadsAfterJoin()).as("host threads after the failed start").isEmpty();
    }

    /** A 128-byte ICReq: PFV 0, HPDA 0, no digests, MAXR2T 0. */
    private static byte[] icReq() {
        ByteBuffer b = ByteBuffer.allocate(128).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, (byte) 0x00);      // PDU type: ICReq
        b.put(1, (byte) 0);         // flags
        b.put(2, (byte) 128);       // HLEN
        b.put(3, (byte) 0);         // PDO
        b.putInt(4, 128);           // PLEN
        b.putShort(8, (short) 0);   // PFV
        b.put(10, (byte) 0);        // HPDA
        b.put(11, (byte) 0);        // digests
        b.putInt(12, 0);            // MAXR2T
        return b.array();
    }

    private static Socket connect(int port) throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(LOCALHOST, port), TIMEOUT_MILLIS);
            socket.setSoTimeout(TIMEOUT_MILLIS);
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    private static byte[] readFully(InputStream in, int n) throws IOException {
        byte[] buf = new byte[n];
        new DataInputStream(in).readFully(buf);
        return buf;
    }

    /** Names of the card's host threads still alive after giving each a few seconds to end. */
    private static List<String> hostThreadsAfterJoin() throws InterruptedException {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith(HOST_THREAD_PREFIX)) {
                t.join(TIMEOUT_MILLIS);
            }
        }
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(HOST_THREAD_PREFIX) && t.isAlive())
                .map(Thread::getName)
                .toList();
    }
}
