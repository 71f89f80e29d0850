package org.k200emu.nvmeof.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.k200emu.nvme.subsystem.Subsystem;
import org.k200emu.nvmeof.tcp.pdu.Pdu;
import org.k200emu.nvmeof.tcp.pdu.PduEncoder;
import org.k200emu.nvmeof.tcp.pdu.PduType;
import org.k200emu.nvmeof.tcp.pdu.TermReqStatus;
import org.k200emu.testing.Bytes;

/**
 * The target over real TCP loopback, driven by {@link TestHost}: discovery, Connect, properties,
 * Identify, in-capsule and R2T writes with read-back (with and without digests), and every way a
 * host can get it wrong: refused hosts, bad commands, malformed PDUs, bad transfer tags, data
 * digest errors, an expired keep-alive.
 */
class TargetLoopbackTest {

    private static final String NQN = LoopbackTarget.NQN;
    private static final String RESTRICTED = LoopbackTarget.RESTRICTED;
    private static final int BLOCK = LoopbackTarget.BLOCK;
    /** Small H2CData limit so a 64 KiB write takes four R2Ts. */
    private static final TcpTransportSettings SETTINGS = new TcpTransportSettings(16384, 8192, 8, 128, 4);

    private LoopbackTarget card;
    private NvmeofTarget target;
    private InetSocketAddress address;

    @BeforeEach
    void start() {
        card = new LoopbackTarget(SETTINGS);
        target = card.target();
        address = card.address();
    }

    @AfterEach
    void stop() {
        card.close();
    }

    private TestHost admin(TestHost h, String nqn, int kato) throws IOException {
        TestHost.Completion c = h.connect(nqn, 0, 0xFFFF, 32, kato);
        assertThat(c.status()).as("connect status").isZero();
        assertThat(h.enable().status()).isZero();
        return h;
    }

    @Test
    void discoveryListsOnlyTheSubsystemsTheHostMayReach() throws IOException {
        try (TestHost h = admin(TestHost.open(address), Subsystem.DISCOVERY_NQN, 0)) {
            TestHost.Completion log = h.getLogPage(0x70, 4096);
            assertThat(log.status()).isZero();
            ByteBuffer page = ByteBuffer.wrap(log.data()).order(ByteOrder.LITTLE_ENDIAN);
            assertThat(page.getLong(0)).as("GENCTR").isPositive();
            assertThat(page.getLong(8)).as("NUMREC").isEqualTo(1);
            assertThat(page.get(1024)).as("TRTYPE tcp").isEqualTo((byte) 3);
            assertThat(text(log.data(), 1024 + 256, 256)).isEqualTo(NQN);
            assertThat(text(log.data(), 1024 + 32, 32).trim()).isEqualTo(Integer.toString(address.getPort()));
            assertThat(text(log.data(), 1024 + 512, 256).trim()).isEqualTo("127.0.0.1");
        }
    }

    @Test
    void adminQueueConnectsAndServesPropertiesAndIdentify() throws IOException {
        try (TestHost h = TestHost.open(address)) {
            TestHost.Completion c = h.connect(NQN, 0, 0xFFFF, 32, 5000);
            assertThat(c.status()).isZero();
            assertThat(c.dw0() & 0xFFFF).as("CNTLID").isBetween(1, 0xFFEF);

            TestHost.Completion cap = h.propertyGet(0x00, 8);
            long capValue = (cap.dw0() & 0xFFFFFFFFL) | ((long) cap.dw1() << 32);
            assertThat(capValue & 0xFFFF).as("CAP.MQES").isEqualTo(127);
            assertThat(h.propertyGet(0x08, 4).dw0()).as("VS").isEqualTo(0x00010400);
            assertThat(h.propertyGet(0x1C, 4).dw0() & 1).as("CSTS.RDY before enable").isZero();
            assertThat(h.enable().status()).isZero();
            assertThat(h.propertyGet(0x1C, 4).dw0() & 1).as("CSTS.RDY").isEqualTo(1);

            TestHost.Completion id = h.identify(1, 0);
            assertThat(id.status()).isZero();
            assertThat(id.data()).hasSize(4096);
            assertThat(text(id.data(), 768, 256)).isEqualTo(NQN);
            ByteBuffer b = ByteBuffer.wrap(id.data()).order(ByteOrder.LITTLE_ENDIAN);
            assertThat(b.getInt(1792)).as("IOCCSZ").isEqualTo((64 + 8192) / 16);
            assertThat(b.getInt(1796)).as("IORCSZ").isEqualTo(1);
        }
    }

    @ParameterizedTest(name = "header digest {0}, data digest {1}")
    @CsvSource({"false,false", "true,true", "true,false", "false,true"})
    void ioQueueWritesInCapsuleAndThroughR2TAndReadsBack(boolean hdgst, boolean ddgst) throws IOException {
        try (TestHost a = TestHost.open(address, hdgst, ddgst)) {
            int cntlid = a.connect(NQN, 0, 0xFFFF, 32, 5000).dw0() & 0xFFFF;
            assertThat(a.enable().status()).isZero();
            try (TestHost io = TestHost.open(address, hdgst, ddgst)) {
                assertThat(io.connect(NQN, 1, cntlid, 128, 0).status()).isZero();

                byte[] small = Bytes.random(1, 4096);
                assertThat(io.write(1, 100, small, BLOCK).status()).isZero();
                byte[] large = Bytes.random(2, 65536);
                assertThat(io.write(1, 1000, large, BLOCK).status()).isZero();

                TestHost.Completion r1 = io.read(1, 100, 8, BLOCK);
                assertThat(r1.status()).isZero();
                assertThat(r1.sqid()).isEqualTo(1);
                assertThat(r1.data()).isEqualTo(small);
                TestHost.Completion r2 = io.read(1, 1000, 128, BLOCK);
                assertThat(r2.data()).isEqualTo(large);
            }
        }
    }

    @Test
    void badCommandsGetTheirNvmeStatusAndTheQueueCarriesOn() throws IOException {
        try (TestHost a = TestHost.open(address)) {
            int cntlid = a.connect(NQN, 0, 0xFFFF, 32, 5000).dw0() & 0xFFFF;
            a.enable();
            try (TestHost io = TestHost.open(address)) {
                io.connect(NQN, 1, cntlid, 64, 0);
                TestHost.Completion unknown = io.execute(TestHost.sqe(0x7E), null, 0);
                assertThat(unknown.sct()).isZero();
                assertThat(unknown.sc()).as("Invalid Opcode").isEqualTo(0x01);
                assertThat(unknown.dnr()).isTrue();

                TestHost.Completion beyond = io.read(1, 65536 - 4, 8, BLOCK);
                assertThat(beyond.sc()).as("LBA Out of Range").isEqualTo(0x80);

                TestHost.Completion badNs = io.read(7, 0, 1, BLOCK);
                assertThat(badNs.sc()).as("Invalid Namespace").isEqualTo(0x0B);

                ByteBuffer noSgl = TestHost.rw(0x02, 1, 0, 1);
                noSgl.put(1, (byte) 0); // PSDT 00b: PRPs, which fabrics do not use
                assertThat(io.execute(noSgl, null, BLOCK).sc()).as("Invalid Field").isEqualTo(0x02);

                assertThat(io.read(1, 0, 1, BLOCK).status()).isZero();
            }
        }
    }

    @Test
    void refusedConnectsSayWhy() throws IOException {
        try (TestHost h = TestHost.open(address)) {
            TestHost.Completion c = h.connect(RESTRICTED, 0, 0xFFFF, 32, 0);
            assertThat(c.sct()).isEqualTo(1);
            assertThat(c.sc()).as("Connect Invalid Host").isEqualTo(0x84);
        }
        try (TestHost h = TestHost.open(address)) {
            TestHost.Completion c = h.connect("nqn.2014-08.org.k200emu:nope", 0, 0xFFFF, 32, 0);
            assertThat(c.sc()).as("Connect Invalid Parameters").isEqualTo(0x82);
            assertThat(c.dw0()).as("IATTR data, IPO SUBNQN").isEqualTo(1 << 16 | 256);
        }
        try (TestHost h = TestHost.open(address)) {
            TestHost.Completion c = h.connect(NQN, 1, 999, 32, 0);
            assertThat(c.sc()).isEqualTo(0x82);
            assertThat(c.dw0()).as("IATTR data, IPO CNTLID").isEqualTo(1 << 16 | 16);
        }
    }

    @Test
    void unknownRecordFormatIsIncompatible() throws IOException {
        try (TestHost h = TestHost.open(address)) {
            ByteBuffer connect = TestHost.sqe(0x7F);
            connect.put(4, (byte) 0x01);
            connect.putShort(40, (short) 1); // RECFMT 1: not defined
            connect.putShort(44, (short) 31);
            byte[] data = new byte[1024];
            byte[] sub = NQN.getBytes(StandardCharsets.UTF_8);
            System.arraycopy(sub, 0, data, 256, sub.length);
            byte[] host = TestHost.HOST_NQN.getBytes(StandardCharsets.UTF_8);
            System.arraycopy(host, 0, data, 512, host.length);
            TestHost.Completion c = h.execute(connect, data, 0);
            assertThat(c.sct()).isEqualTo(1);
            assertThat(c.sc()).as("Connect Incompatible Format").isEqualTo(0x80);
        }
    }

    @Test
    void disconnectEndsOnlyThatIoQueue() throws IOException {
        try (TestHost a = TestHost.open(address)) {
            int cntlid = a.connect(NQN, 0, 0xFFFF, 32, 5000).dw0() & 0xFFFF;
            a.enable();
            try (TestHost io = TestHost.open(address)) {
                io.connect(NQN, 1, cntlid, 64, 0);
                ByteBuffer disconnect = TestHost.sqe(0x7F);
                disconnect.put(4, (byte) 0x08);
                assertThat(io.execute(disconnect, null, 0).status()).isZero();
                assertThat(io.closedByPeer()).isTrue();
            }
            try (TestHost io = TestHost.open(address)) {
                assertThat(io.connect(NQN, 1, cntlid, 64, 0).status()).as("queue 1 is free again").isZero();
            }
            assertThat(a.identify(1, 0).status()).isZero();
        }
    }

    @Test
    void shutdownClosesEveryConnectionAndRefusesNewOnes() throws IOException {
        try (TestHost a = TestHost.open(address)) {
            int cntlid = a.connect(NQN, 0, 0xFFFF, 32, 5000).dw0() & 0xFFFF;
            a.enable();
            try (TestHost io = TestHost.open(address)) {
                io.connect(NQN, 1, cntlid, 64, 0);
                assertThat(io.write(1, 0, Bytes.random(5, 4096), BLOCK).status()).isZero();
                target.close();
                assertThat(io.closedByPeer()).isTrue();
                assertThat(a.closedByPeer()).isTrue();
                assertThat(target.sessionCount()).isZero();
            }
        }
        try (Socket s = new Socket()) {
            assertThatThrownBy(() -> s.connect(address, 2000))
                    .isInstanceOf(IOException.class);
        }
    }

    @Test
    void malformedPduEndsOnlyItsConnection() throws IOException {
        try (TestHost good = admin(TestHost.open(address), NQN, 5000);
             TestHost bad = TestHost.open(address)) {
            byte[] unknown = new byte[24];
            unknown[0] = 0x42;
            unknown[2] = 24;
            unknown[4] = 24;
            bad.sendRaw(unknown);
            ByteBuf term = bad.readPdu();
            try {
                assertThat(Pdu.type(term)).isEqualTo(PduType.C2H_TERMREQ);
                assertThat(Pdu.TermReq.fes(term)).isEqualTo(TermReqStatus.INVALID_PDU_HEADER_FIELD);
                assertThat(Pdu.TermReq.fei(term)).as("offending field: PDU-Type").isZero();
            } finally {
                term.release();
            }
            assertThat(bad.closedByPeer()).isTrue();
            assertThat(good.identify(1, 0).status()).isZero();
        }
    }

    @Test
    void h2cDataWithAnUnknownTransferTagIsFatal() throws IOException {
        try (TestHost a = TestHost.open(address)) {
            int cntlid = a.connect(NQN, 0, 0xFFFF, 32, 5000).dw0() & 0xFFFF;
            a.enable();
            try (TestHost io = TestHost.open(address)) {
                io.connect(NQN, 1, cntlid, 64, 0);
                int ttag = writeAwaitingR2T(io, 77, 0, false);
                ByteBuf data = Unpooled.buffer();
                PduEncoder.writeH2CDataHeader(data, 77, ttag + 5, 0, 4096, false, false, false);
                data.writeZero(4096);
                io.send(data);
                ByteBuf term = io.readPdu();
                try {
                    assertThat(Pdu.type(term)).isEqualTo(PduType.C2H_TERMREQ);
                    assertThat(Pdu.TermReq.fes(term)).isEqualTo(TermReqStatus.INVALID_PDU_HEADER_FIELD);
                    assertThat(Pdu.TermReq.fei(term)).as("TTAG").isEqualTo(10);
                } finally {
                    term.release();
                }
                assertThat(io.closedByPeer()).isTrue();
            }
            assertThat(a.identify(1, 0).status()).as("the admin queue is unaffected").isZero();
        }
    }

    /**
     * H2CData sent in two pieces with a pause between, so that the target reads the PDU split: its
     * data goes straight into the command's buffer (the decoder's placement). A sound PDU writes
     * its data; one with a wrong data digest fails only its command.
     */
    @ParameterizedTest(name = "corrupt digest {0}")
    @ValueSource(booleans = {false, true})
    void h2cDataSplitAcrossReadsIsPlacedAndChecked(boolean corrupt) throws Exception {
        try (TestHost a = TestHost.open(address, true, true)) {
            int cntlid = a.connect(NQN, 0, 0xFFFF, 32, 5000).dw0() & 0xFFFF;
            a.enable();
            try (TestHost io = TestHost.open(address, true, true)) {
                io.connect(NQN, 1, cntlid, 64, 0);
                int ttag = writeAwaitingR2T(io, 21, 64, true);
                byte[] payload = Bytes.random(11, 16384);
                ByteBuf pdu = Unpooled.buffer();
                PduEncoder.writeH2CDataHeader(pdu, 21, ttag, 0, payload.length, true, true, true);
                pdu.writeBytes(payload);
                PduEncoder.writeDataDigest(pdu, Unpooled.wrappedBuffer(payload));
                if (corrupt) {
                    int last = pdu.writerIndex() - 1;
                    pdu.setByte(last, pdu.getByte(last) ^ 0x5A);
                }
                byte[] bytes = new byte[pdu.readableBytes()];
                pdu.readBytes(bytes);
                pdu.release();
                io.sendRaw(Arrays.copyOfRange(bytes, 0, 5000));
                Thread.sleep(100);
                io.sendRaw(Arrays.copyOfRange(bytes, 5000, bytes.length - 2));
                Thread.sleep(100);
                io.sendRaw(Arrays.copyOfRange(bytes, bytes.length - 2, bytes.length));
                ByteBuf resp = io.readPdu();
                try {
                    assertThat(Pdu.type(resp)).isEqualTo(PduType.CAPSULE_RESP);
                    assertThat(Pdu.CapsuleResp.cid(resp)).isEqualTo(21);
                    assertThat(Pdu.CapsuleResp.status(resp) & 0x7FF).as("status").isEqualTo(corrupt ? 0x22 : 0);
                } finally {
                    resp.release();
                }
                TestHost.Completion read = io.read(1, 64, 32, BLOCK);
                assertThat(read.status()).isZero();
                if (corrupt) {
                    assertThat(read.data()).as("nothing of the failed write was stored").isEqualTo(new byte[16384]);
                } else {
                    assertThat(read.data()).isEqualTo(payload);
                }
            }
        }
    }

    @Test
    void dataDigestErrorFailsOnlyTheCommand() throws IOException {
        try (TestHost a = TestHost.open(address, true, true)) {
            int cntlid = a.connect(NQN, 0, 0xFFFF, 32, 5000).dw0() & 0xFFFF;
            a.enable();
            try (TestHost io = TestHost.open(address, true, true)) {
                io.connect(NQN, 1, cntlid, 64, 0);
                ByteBuffer sqe = TestHost.rw(0x01, 1, 0, 8);
                sqe.putShort(2, (short) 9);
                sqe.putInt(32, 4096);
                sqe.put(39, (byte) 0x01);
                ByteBuf capsule = Unpooled.buffer();
                PduEncoder.writeCapsuleCmd(capsule, Unpooled.wrappedBuffer(sqe.array()),
                        Unpooled.wrappedBuffer(Bytes.random(3, 4096)), true, true);
                int last = capsule.writerIndex() - 1;
                capsule.setByte(last, capsule.getByte(last) ^ 0x5A); // corrupt the data digest
                io.send(capsule);
                ByteBuf resp = io.readPdu();
                try {
                    assertThat(Pdu.type(resp)).isEqualTo(PduType.CAPSULE_RESP);
                    assertThat(Pdu.CapsuleResp.cid(resp)).isEqualTo(9);
                    assertThat(Pdu.CapsuleResp.status(resp) & 0x7FF).as("Transient Transport Error").isEqualTo(0x22);
                } finally {
                    resp.release();
                }
                assertThat(io.write(1, 0, Bytes.random(4, 4096), BLOCK).status()).isZero();
            }
        }
    }

    @Test
    void expiredKeepAliveEndsTheAssociation() throws IOException {
        try (TestHost h = admin(TestHost.open(address), NQN, 300)) {
            assertThat(target.sessionCount()).isEqualTo(1);
            assertThat(h.closedByPeer()).as("closed after the keep-alive timeout").isTrue();
        }
    }

    /**
     * Sends a 16 KiB write (command {@code cid}, 32 blocks from {@code slba}) whose data goes by
     * R2T, reads the R2T and returns its transfer tag.
     */
    private static int writeAwaitingR2T(TestHost io, int cid, long slba, boolean digests) throws IOException {
        ByteBuffer sqe = TestHost.rw(0x01, 1, slba, 32);
        sqe.putShort(2, (short) cid);
        sqe.putInt(32, 16384);
        sqe.put(39, (byte) 0x5A);
        ByteBuf capsule = Unpooled.buffer();
        PduEncoder.writeCapsuleCmd(capsule, Unpooled.wrappedBuffer(sqe.array()), null, digests, digests);
        io.send(capsule);
        ByteBuf r2t = io.readPdu();
        try {
            assertThat(Pdu.type(r2t)).isEqualTo(PduType.R2T);
            assertThat(Pdu.R2T.cccid(r2t)).isEqualTo(cid);
            return Pdu.R2T.ttag(r2t);
        } finally {
            r2t.release();
        }
    }

    private static String text(byte[] data, int at, int width) {
        int n = 0;
        while (n < width && data[at + n] != 0) {
            n++;
        }
        return new String(data, at, n, StandardCharsets.US_ASCII);
    }
    @Test
    void withoutSqFlowControlReadsEndWithTheC2HDataSuccessFlag() throws IOException {
        try (TestHost a = TestHost.open(address)) {
            int cntlid = a.connect(NQN, 0, 0xFFFF, 32, 5000).dw0() & 0xFFFF;
            a.enable();
            try (TestHost io = TestHost.open(address)) {
                io.connectAttributes = 0x04;
                assertThat(io.connect(NQN, 1, cntlid, 64, 0).status()).isZero();
                byte[] data = Bytes.random(12, 4096);
                assertThat(io.write(1, 10, data, BLOCK).status()).isZero();
                assertThat(io.lastCompletedBySuccessFlag).as("writes still end with a response").isFalse();
                TestHost.Completion r = io.read(1, 10, 8, BLOCK);
                assertThat(r.data()).isEqualTo(data);
                assertThat(io.lastCompletedBySuccessFlag).as("no response capsule after a read").isTrue();
                assertThat(io.read(1, 65536 + 8, 1, BLOCK).sc()).as("errors still come as responses").isEqualTo(0x80);
            }
        }
        try (TestHost a = TestHost.open(address)) {
            int cntlid = a.connect(NQN, 0, 0xFFFF, 32, 5000).dw0() & 0xFFFF;
            a.enable();
            try (TestHost io = TestHost.open(address)) {
                io.connect(NQN, 1, cntlid, 64, 0);
                io.read(1, 10, 8, BLOCK);
                assertThat(io.lastCompletedBySuccessFlag).as("with SQ flow control: a response").isFalse();
            }
        }
    }
}
