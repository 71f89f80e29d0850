package org.k200emu.cli.start;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.k200emu.card.config.CardConfig;
import org.k200emu.card.config.ConfigException;
import org.k200emu.testing.Bytes;

/**
 * The card's NBD server as {@code k200 start} runs it: {@code --nbd-port} on the default card
 * exports its namespace's bdev; in co-processor mode the {@code nbd} block exports the remote
 * namespace, so bytes written through card B's export are found through card A's.
 */
class CardNbdTest {

    private static final String DEFAULT = "nqn.2014-08.org.k200emu:default";

    /** A minimal NBD client (fixed newstyle, NBD_OPT_GO, simple replies) written from the protocol document. */
    static final class Client implements AutoCloseable {
        private final Socket socket;
        private final DataInputStream in;
        private final DataOutputStream out;
        final long size;

        Client(InetSocketAddress address, String export) throws IOException {
            socket = new Socket(address.getAddress(), address.getPort());
            socket.setSoTimeout(30_000);
            in = new DataInputStream(socket.getInputStream());
            out = new DataOutputStream(socket.getOutputStream());
            assertThat(in.readLong()).isEqualTo(0x4e42444d41474943L);
            assertThat(in.readLong()).isEqualTo(0x49484156454f5054L);
            in.readUnsignedShort();
            out.writeInt(3);
            byte[] name = export.getBytes(StandardCharsets.UTF_8);
            out.writeLong(0x49484156454f5054L);
            out.writeInt(7); // NBD_OPT_GO
            out.writeInt(4 + name.length + 2);
            out.writeInt(name.length);
            out.write(name);
            out.writeShort(0);
            out.flush();
            long exportSize = -1;
            while (true) {
                assertThat(in.readLong()).isEqualTo(0x3e889045565a9L);
                in.readInt();
                int type = in.readInt();
                byte[] data = new byte[in.readInt()];
                in.readFully(data);
                if (type == 3 && data[0] == 0 && data[1] == 0) {
                    exportSize = java.nio.ByteBuffer.wrap(data, 2, 8).getLong();
                } else if (type == 1) {
                    break;
                } else if (type != 3) {
                    throw new IOException("NBD_OPT_GO refused: 0x" + Integer.toHexString(type));
                }
            }
            size = exportSize;
        }

        int write(long offset, byte[] data) throws IOException {
            header(1, offset, data.length);
            out.write(data);
            out.flush();
            return reply();
        }

        byte[] read(long offset, int length) throws IOException {
            header(0, offset, length);
            out.flush();
            assertThat(reply()).isZero();
            byte[] data = new byte[length];
            in.readFully(data);
            return data;
        }

        private void header(int type, long offset, int length) throws IOException {
            out.writeInt(0x25609513);
            out.writeShort(0);
            out.writeShort(type);
            out.writeLong(offset);
            out.writeLong(offset);
            out.writeInt(length);
        }

        private int reply() throws IOException {
            assertThat(in.readInt()).isEqualTo(0x67446698);
            int error = in.readInt();
            in.readLong();
            return error;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static StartOverrides standalone(Integer nbdPort) {
        return new StartOverrides("127.0.0.1", 0, -1, 2, null, null, null, nbdPort);
    }

    @Test
    void nbdPortAloneExportsEveryNamespaceBdevUnderItsName() throws Exception {
        try (CardProcess card = CardProcess.start(CardConfig.embeddedDefault(), standalone(0))) {
            InetSocketAddress nbd = card.nbdServer().boundAddress();
            assertThat(card.summary()).contains("NBD on " + nbd, "malloc0=malloc0");
            byte[] data = Bytes.random(5, 128 * 1024);
            try (Client writer = new Client(nbd, "malloc0"); Client reader = new Client(nbd, "malloc0")) {
                assertThat(writer.size).isEqualTo(1L << 30);
                assertThat(writer.write(1L << 29, data)).isZero();
                assertThat(reader.read(1L << 29, data.length)).isEqualTo(data);
                // k200 ctl status shows the server, its export and the two connections' commands.
                try (ManagementServer m = ManagementServer.start(card, "127.0.0.1", 0)) {
                    java.io.StringWriter out = new java.io.StringWriter();
                    int code = org.k200emu.cli.K200.commandLine().setOut(new java.io.PrintWriter(out))
                            .execute("ctl", "status", "--port", Integer.toString(m.address().getPort()));
                    assertThat(code).isZero();
                    assertThat(out.toString()).contains("nbd: listening on " + nbd + ", 2 connection(s), 2 commands",
                            "  export malloc0: bdev malloc0, 1073741824 bytes");
                }
            }
        }
        try (CardProcess card = CardProcess.start(CardConfig.embeddedDefault(), standalone(null))) {
            assertThat(card.nbdServer()).isNull();
            assertThat(card.summary()).doesNotContain("NBD");
            assertThat(CardStatus.of(card).get("nbd")).isNull();
        }
    }

    @Test
    void coprocessorCardExportsTheRemoteNamespace() throws Exception {
        try (CardProcess a = CardProcess.start(CardConfig.embeddedDefault(), standalone(0))) {
            int remotePort = a.target().boundAddresses().get(0).getPort();
            CardConfig coprocessor = CardConfig.parse(String.join("\n",
                    "mode: coprocessor",
                    "clusters: {hostThreads: 2}",
                    "bdevs:",
                    "  - {name: far0, type: remote, address: 127.0.0.1, port: " + remotePort + ", subnqn: '"
                            + DEFAULT + "'}",
                    "ports: [{port: 0}]",
                    "discoveryPort: -1",
                    "hostPort: {port: 0}",
                    "nbd: {port: 0, exports: [{name: drive0, bdev: far0}]}"), CardConfig.Format.YAML);
            try (CardProcess b = CardProcess.start(coprocessor, StartOverrides.none())) {
                assertThat(b.summary()).contains("coprocessor mode", "NBD on", "drive0=far0");
                byte[] data = Bytes.random(9, 256 * 1024);
                try (Client drive = new Client(b.nbdServer().boundAddress(), "drive0");
                     Client direct = new Client(a.nbdServer().boundAddress(), "malloc0")) {
                    assertThat(drive.size).isEqualTo(1L << 30);
                    assertThat(drive.write(3L << 20, data)).isZero();
                    assertThat(direct.read(3L << 20, data.length)).as("B's export wrote A's namespace").isEqualTo(data);
                    assertThat(drive.read(3L << 20, data.length)).isEqualTo(data);
                }
            }
        }
    }

    @Test
    void aTakenNbdPortFailsTheStartCleanly() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            assertThatThrownBy(() -> CardProcess.start(CardConfig.embeddedDefault(), standalone(taken.getLocalPort())))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("NBD: cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
        // Nothing of the failed card is left listening: the same start on a free port works.
        try (CardProcess card = CardProcess.start(CardConfig.embeddedDefault(), standalone(0))) {
            assertThat(card.nbdServer().connectionCount()).isZero();
        }
    }

    @Test
    void nbdPortWithNothingToExportIsAConfigError() {
        CardConfig empty = CardConfig.parse("ports: [{port: 0}]\ndiscoveryPort: -1", CardConfig.Format.YAML);
        assertThatThrownBy(() -> CardProcess.start(empty, standalone(0)))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.path()).isEqualTo("nbd"));
    }
}
