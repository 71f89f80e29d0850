package org.k200emu.nvme.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.testing.FaultyBdev;
import org.k200emu.cluster.CorePlacement;
import org.k200emu.cluster.Mppa;
import org.k200emu.cluster.MppaLayout;
import org.k200emu.cluster.netty.CoreEventLoops;
import org.k200emu.nvme.nbd.NbdTestClient.OptionReply;
import org.k200emu.nvme.nbd.NbdTestClient.Reply;
import org.k200emu.testing.Bytes;

/**
 * The NBD server against malloc bdevs, through a client written from the protocol document:
 * negotiation, every command checked against a byte-array model of the disk, the error numbers
 * of bad requests, FUA, disconnect, back-pressure and malformed input.
 */
class NbdServerTest {

    private static final int BLOCK = 512;
    private static final long BLOCKS = 8192; // 4 MiB
    private static final long SIZE = BLOCK * BLOCKS;

    // Constants spelled out from the protocol document, not taken from the code under test.
    private static final int OPT_EXPORT_NAME = 1;
    private static final int OPT_ABORT = 2;
    private static final int OPT_LIST = 3;
    private static final int OPT_INFO = 6;
    private static final int OPT_GO = 7;
    private static final int OPT_STRUCTURED_REPLY = 8;
    private static final int REP_ACK = 1;
    private static final int REP_SERVER = 2;
    private static final int REP_INFO = 3;
    private static final int REP_ERR_UNSUP = 0x80000001;
    private static final int REP_ERR_INVALID = 0x80000003;
    private static final int REP_ERR_UNKNOWN = 0x80000006;
    private static final int READ = 0;
    private static final int WRITE = 1;
    private static final int DISC = 2;
    private static final int FLUSH = 3;
    private static final int TRIM = 4;
    private static final int CACHE = 5;
    private static final int WRITE_ZEROES = 6;
    private static final int BLOCK_STATUS = 7;
    private static final int FUA = 1;
    private static final int NO_HOLE = 2;
    private static final int DF = 4;
    private static final int EPERM = 1;
    private static final int EIO = 5;
    private static final int EINVAL = 22;
    private static final int ENOSPC = 28;

    private CoreEventLoops loops;
    private FaultyBdev disk;
    private MallocBdev readOnly;
    private MallocBdev disk4k;
    private NbdServer server;
    private InetSocketAddress address;

    @BeforeEach
    void start() {
        Mppa mppa = Mppa.create(MppaLayout.of(2, 2, 1));
        loops = CoreEventLoops.start(CorePlacement.interleaved(mppa, 2), CoreEventLoops.Transport.AUTO, false);
        disk = FaultyBdev.overMalloc("m0", BLOCK, BLOCKS).volatileWriteCache(true);
        readOnly = new MallocBdev("m1", BLOCK, 64);
        disk4k = new MallocBdev("m2", 4096, 256);
        server = new NbdServer(loops, "127.0.0.1", 0, List.of(new NbdExport("disk", disk, false),
                new NbdExport("ro", readOnly, true), new NbdExport("disk4k", disk4k, false)));
        server.start();
        address = server.boundAddress();
    }

    @AfterEach
    void stop() {
        server.close();
        disk.close();
        readOnly.close();
        disk4k.close();
        loops.close();
    }

    // ---- Negotiation ----------------------------------------------------------------------

    /** The card's congestion control reaches the NBD connections it accepts (seen with ss). */
    @Test
    void acceptedConnectionsTakeTheCongestionControlAskedFor() throws Exception {
        Assumptions.assumeTrue(loops.socketChannelClass().getSimpleName().startsWith("Epoll"), "the epoll transport");
        Assumptions.assumeTrue(java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/bin/ss")), "ss (iproute2)");
        // reno is built into every Linux kernel; the default here is usually cubic or bbr.
        NbdServer reno = new NbdServer(loops, "127.0.0.1", 0, List.of(new NbdExport("disk", disk, false)));
        reno.tcpCongestion("reno");
        reno.start();
        try (NbdTestClient c = new NbdTestClient(reno.boundAddress()).greet(3)) {
            c.go("disk");
            Process ss = new ProcessBuilder("ss", "-tinH", "state", "established", "( sport = :"
                    + reno.boundAddress().getPort() + " )").redirectErrorStream(true).start();
            String out = new String(ss.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(ss.waitFor()).isZero();
            assertThat(out).as(out).contains(" reno ");
        } finally {
            reno.close();
        }
        assertThatThrownBy(() -> server.tcpCongestion("nosuchcc")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'nosuchcc' is not available");
    }

    @Test
    void greetingAndGoDescribeTheExport() throws IOException {
        try (NbdTestClient c = new NbdTestClient(address).greet(3)) {
            assertThat(c.handshakeFlags).isEqualTo(3); // FIXED_NEWSTYLE | NO_ZEROES
            List<OptionReply> replies = c.go("disk");
            assertThat(replies).extracting(OptionReply::type).endsWith(REP_ACK);
            assertThat(replies).allSatisfy(r -> assertThat(r.option()).isEqualTo(OPT_GO));
            assertThat(c.exportSize).isEqualTo(SIZE);
            // HAS_FLAGS, SEND_FLUSH, SEND_FUA, SEND_TRIM, SEND_WRITE_ZEROES, CAN_MULTI_CONN; not READ_ONLY.
            assertThat(c.transmissionFlags).isEqualTo(1 | 4 | 8 | 32 | 64 | 256);
            assertThat(c.minBlock).isEqualTo(BLOCK);
            assertThat(c.preferredBlock).isEqualTo(4096);
            assertThat(c.maxBlock).isEqualTo(32 << 20);
            // Transmission works at once.
            assertThat(c.read(0, BLOCK).error()).isZero();
        }
    }

    @Test
    void infoAnswersWithoutLeavingNegotiationAndNamesTheExport() throws IOException {
        try (NbdTestClient c = new NbdTestClient(address).greet(1)) {
            c.sendOption(OPT_INFO, NbdTestClient.infoRequest("ro", 1, 2));
            List<OptionReply> replies = c.readOptionReplies();
            Map<Integer, byte[]> infos = new HashMap<>();
            for (OptionReply r : replies.subList(0, replies.size() - 1)) {
                assertThat(r.type()).isEqualTo(REP_INFO);
                infos.put(((r.data()[0] & 0xFF) << 8) | (r.data()[1] & 0xFF), r.data());
            }
            assertThat(replies.get(replies.size() - 1).type()).isEqualTo(REP_ACK);
            assertThat(infos).containsKeys(0, 1, 2, 3);
            ByteBuffer export = ByteBuffer.wrap(infos.get(0));
            export.getShort();
            assertThat(export.getLong()).isEqualTo(64 * 512L);
            assertThat(export.getShort() & 2).as("READ_ONLY").isEqualTo(2);
            assertThat(new String(infos.get(1), 2, infos.get(1).length - 2, StandardCharsets.UTF_8)).isEqualTo("ro");
            assertThat(new String(infos.get(2), StandardCharsets.UTF_8)).contains("m1");
            // Still negotiating: GO on another export.
            assertThat(c.go("disk4k")).extracting(OptionReply::type).endsWith(REP_ACK);
            assertThat(c.exportSize).isEqualTo(256 * 4096L);
            assertThat(c.minBlock).isEqualTo(4096);
        }
    }

    @Test
    void listNamesEveryExport() throws IOException {
        try (NbdTestClient c = new NbdTestClient(address).greet(3)) {
            c.sendOption(OPT_LIST, new byte[0]);
            List<OptionReply> replies = c.readOptionReplies();
            assertThat(replies).extracting(OptionReply::type).containsExactly(REP_SERVER, REP_SERVER, REP_SERVER, REP_ACK);
            assertThat(replies.subList(0, 3)).extracting(r -> new String(r.data(), 4, r.data().length - 4,
                    StandardCharsets.UTF_8)).containsExactly("disk", "ro", "disk4k");
            c.sendOption(OPT_LIST, new byte[] {1});
            assertThat(c.readOptionReply().type()).isEqualTo(REP_ERR_INVALID);
        }
    }

    @Test
    void unknownExportUnsupportedAndInvalidOptionsGetErrorRepliesAndNegotiationGoesOn() throws IOException {
        try (NbdTestClient c = new NbdTestClient(address).greet(3)) {
            c.sendOption(OPT_GO, NbdTestClient.infoRequest("nope"));
            assertThat(c.readOptionReply().type()).isEqualTo(REP_ERR_UNKNOWN);
            c.sendOption(OPT_STRUCTURED_REPLY, new byte[0]);
            assertThat(c.readOptionReply().type()).isEqualTo(REP_ERR_UNSUP);
            c.sendOption(4242, new byte[] {1, 2, 3});
            OptionReply unknown = c.readOptionReply();
            assertThat(unknown.option()).isEqualTo(4242);
            assertThat(unknown.type()).isEqualTo(REP_ERR_UNSUP);
            // Name length beyond the option's data; then information requests not matching the length.
            c.sendOption(OPT_GO, new byte[] {0, 0, 0, 9, 'd', 'i', 's', 'k', 0, 0});
            assertThat(c.readOptionReply().type()).isEqualTo(REP_ERR_INVALID);
            c.sendOption(OPT_GO, new byte[] {0, 0, 0, 4, 'd', 'i', 's', 'k', 0, 2, 0, 3});
            assertThat(c.readOptionReply().type()).isEqualTo(REP_ERR_INVALID);
            assertThat(c.go("disk")).extracting(OptionReply::type).endsWith(REP_ACK);
        }
    }

    @Test
    void emptyNameIsTheDefaultExport() throws IOException {
        try (NbdTestClient c = NbdTestClient.connect(address, "")) {
            assertThat(c.exportSize).isEqualTo(SIZE);
        }
    }

    @Test
    void exportNameEntersTransmissionWithOrWithoutTheZeroPadding() throws IOException {
        for (int clientFlags : new int[] {1, 3}) {
            try (NbdTestClient c = new NbdTestClient(address).greet(clientFlags)) {
                c.sendOption(OPT_EXPORT_NAME, "disk".getBytes(StandardCharsets.UTF_8));
                assertThat(c.in.readLong()).isEqualTo(SIZE);
                assertThat(c.in.readUnsignedShort()).isEqualTo(1 | 4 | 8 | 32 | 64 | 256);
                if (clientFlags == 1) {
                    byte[] zeroes = new byte[124];
                    c.in.readFully(zeroes);
                    assertThat(zeroes).containsOnly(0);
                }
                byte[] data = Bytes.random(clientFlags, BLOCK);
                assertThat(c.write(0, data, 0).error()).isZero();
                assertThat(c.read(0, BLOCK).data()).isEqualTo(data);
            }
        }
    }

    @Test
    void exportNameOfAnUnknownExportEndsTheSession() throws IOException {
        try (NbdTestClient c = new NbdTestClient(address).greet(3)) {
            c.sendOption(OPT_EXPORT_NAME, "nope".getBytes(StandardCharsets.UTF_8));
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void abortIsAcknowledgedThenTheConnectionCloses() throws IOException {
        try (NbdTestClient c = new NbdTestClient(address).greet(3)) {
            c.sendOption(OPT_ABORT, new byte[0]);
            OptionReply ack = c.readOptionReply();
            assertThat(ack.type()).isEqualTo(REP_ACK);
            assertThat(ack.option()).isEqualTo(OPT_ABORT);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void malformedNegotiationEndsOnlyThatConnection() throws IOException {
        try (NbdTestClient good = NbdTestClient.connect(address, "disk")) {
            try (NbdTestClient c = new NbdTestClient(address).greet(4)) { // unknown client flag
                assertThat(c.closedByServer()).isTrue();
            }
            try (NbdTestClient c = new NbdTestClient(address).greet(3)) {
                c.out.writeLong(0x1122334455667788L); // not IHAVEOPT
                c.out.writeInt(OPT_LIST);
                c.out.writeInt(0);
                c.out.flush();
                assertThat(c.closedByServer()).isTrue();
            }
            try (NbdTestClient c = new NbdTestClient(address).greet(3)) {
                c.out.writeLong(NbdTestClient.IHAVEOPT);
                c.out.writeInt(OPT_GO);
                c.out.writeInt(1 << 20); // a 1 MiB option
                c.out.flush();
                assertThat(c.closedByServer()).isTrue();
            }
            assertThat(good.read(0, BLOCK).error()).isZero();
        }
    }

    // ---- Commands against a model ---------------------------------------------------------

    @Test
    void everyCommandMatchesAByteArrayModelOfTheDisk() throws IOException {
        byte[] model = new byte[(int) SIZE];
        Random random = new Random(42);
        try (NbdTestClient c = NbdTestClient.connect(address, "disk")) {
            for (int i = 0; i < 400; i++) {
                int blocks = 1 + random.nextInt(64);
                long lba = random.nextInt((int) (BLOCKS - blocks));
                int offset = (int) (lba * BLOCK);
                int length = blocks * BLOCK;
                int op = random.nextInt(10);
                if (op < 5) {
                    byte[] data = Bytes.random(random.nextLong(), length);
                    assertThat(c.write(offset, data, random.nextBoolean() ? FUA : 0).error()).isZero();
                    System.arraycopy(data, 0, model, offset, length);
                } else if (op < 6) {
                    assertThat(c.command(TRIM, 0, offset, length).error()).isZero();
                    Arrays.fill(model, offset, offset + length, (byte) 0);
                } else if (op < 7) {
                    assertThat(c.command(WRITE_ZEROES, random.nextBoolean() ? NO_HOLE : 0, offset, length).error())
                            .isZero();
                    Arrays.fill(model, offset, offset + length, (byte) 0);
                } else if (op < 8) {
                    assertThat(c.command(FLUSH, 0, 0, 0).error()).isZero();
                } else {
                    Reply r = c.read(offset, length);
                    assertThat(r.error()).isZero();
                    assertThat(r.data()).as("read %d+%d", offset, length)
                            .isEqualTo(Arrays.copyOfRange(model, offset, offset + length));
                }
            }
            // The whole disk, in 1 MiB reads.
            for (int offset = 0; offset < SIZE; offset += 1 << 20) {
                assertThat(c.read(offset, 1 << 20).data()).isEqualTo(Arrays.copyOfRange(model, offset, offset + (1 << 20)));
            }
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredByCookie() throws IOException {
        try (NbdTestClient c = NbdTestClient.connect(address, "disk")) {
            int n = 64;
            for (int i = 0; i < n; i++) {
                c.sendRequest(0, WRITE, 1000 + i, (long) i * 4096, 4096, Bytes.random(i, 4096));
            }
            for (int i = 0; i < n; i++) {
                Reply r = c.readReply(0);
                assertThat(r.error()).isZero();
                assertThat(r.cookie()).isBetween(1000L, 1000L + n - 1);
            }
            for (int i = 0; i < n; i++) {
                c.sendRequest(0, READ, 5000 + i, (long) i * 4096, 4096, null);
            }
            for (int i = 0; i < n; i++) {
                Reply r = c.readReply(4096);
                assertThat(r.data()).isEqualTo(Bytes.random((int) (r.cookie() - 5000), 4096));
            }
        }
    }

    // ---- Bad requests ---------------------------------------------------------------------

    @Test
    void outOfRangeRequestsGetTheProtocolsErrorNumbers() throws IOException {
        try (NbdTestClient c = NbdTestClient.connect(address, "disk")) {
            assertThat(c.read(SIZE - BLOCK, 2 * BLOCK).error()).isEqualTo(EINVAL);
            assertThat(c.read(SIZE, BLOCK).error()).isEqualTo(EINVAL);
            assertThat(c.read(-512L, BLOCK).error()).as("offset 2^64-512").isEqualTo(EINVAL);
            assertThat(c.write(SIZE - BLOCK, new byte[2 * BLOCK], 0).error()).isEqualTo(ENOSPC);
            assertThat(c.command(WRITE_ZEROES, 0, SIZE, BLOCK).error()).isEqualTo(ENOSPC);
            assertThat(c.command(TRIM, 0, SIZE - BLOCK, 2 * BLOCK).error()).isEqualTo(EINVAL);
            // The rejected write's payload was skipped: the connection still frames correctly.
            byte[] data = Bytes.random(7, BLOCK);
            assertThat(c.write(SIZE - BLOCK, data, 0).error()).isZero();
            assertThat(c.read(SIZE - BLOCK, BLOCK).data()).isEqualTo(data);
        }
        assertThat(disk.ops()).doesNotContain(BdevOp.UNMAP, BdevOp.WRITE_ZEROES);
    }

    @Test
    void misalignedUnknownAndUnadvertisedRequestsGetEinval() throws IOException {
        try (NbdTestClient c = NbdTestClient.connect(address, "disk")) {
            assertThat(c.read(1, BLOCK).error()).isEqualTo(EINVAL);
            assertThat(c.read(0, 100).error()).isEqualTo(EINVAL);
            assertThat(c.write(256, new byte[BLOCK], 0).error()).isEqualTo(EINVAL);
            assertThat(c.command(CACHE, 0, 0, BLOCK).error()).isEqualTo(EINVAL);
            assertThat(c.command(BLOCK_STATUS, 0, 0, BLOCK).error()).isEqualTo(EINVAL);
            assertThat(c.command(99, 0, 0, BLOCK).error()).isEqualTo(EINVAL);
            c.sendRequest(DF, READ, 9, 0, BLOCK, null);
            assertThat(c.readReply(BLOCK).error()).as("DF without structured replies").isEqualTo(EINVAL);
            c.sendRequest(0x8000, READ, 9, 0, BLOCK, null);
            assertThat(c.readReply(BLOCK).error()).as("unknown flag").isEqualTo(EINVAL);
            assertThat(c.write(0, new byte[BLOCK], NO_HOLE).error()).as("NO_HOLE on WRITE").isEqualTo(EINVAL);
            c.sendRequest(0, READ, 9, 0, 64L << 20, null);
            assertThat(c.readReply(0).error()).as("read above the maximum payload").isEqualTo(EINVAL);
            assertThat(c.read(0, BLOCK).error()).isZero();
        }
        try (NbdTestClient c = NbdTestClient.connect(address, "disk4k")) {
            assertThat(c.read(512, 4096).error()).isEqualTo(EINVAL);
            assertThat(c.read(4096, 4096).error()).isZero();
        }
    }

    @Test
    void readOnlyExportRefusesModificationsWithEperm() throws IOException {
        try (NbdTestClient c = NbdTestClient.connect(address, "ro")) {
            assertThat(c.write(0, new byte[BLOCK], 0).error()).isEqualTo(EPERM);
            assertThat(c.command(TRIM, 0, 0, BLOCK).error()).isEqualTo(EPERM);
            assertThat(c.command(WRITE_ZEROES, 0, 0, BLOCK).error()).isEqualTo(EPERM);
            assertThat(c.read(0, BLOCK).data()).containsOnly(0);
            assertThat(c.command(FLUSH, 0, 0, 0).error()).isZero();
        }
    }

    @Test
    void bdevErrorsBecomeEio() throws IOException {
        disk.failWhen(io -> io.op() == BdevOp.WRITE, BdevStatus.MEDIA_ERROR);
        try (NbdTestClient c = NbdTestClient.connect(address, "disk")) {
            assertThat(c.write(0, new byte[BLOCK], 0).error()).isEqualTo(EIO);
            disk.failWhen(io -> io.op() == BdevOp.WRITE, BdevStatus.PATH_ERROR);
            assertThat(c.write(0, new byte[BLOCK], 0).error()).isEqualTo(EIO);
            disk.heal();
            assertThat(c.write(0, new byte[BLOCK], 0).error()).isZero();
        }
    }

    @Test
    void malformedRequestEndsOnlyThatConnection() throws IOException {
        try (NbdTestClient good = NbdTestClient.connect(address, "disk");
             NbdTestClient bad = NbdTestClient.connect(address, "disk")) {
            bad.out.writeInt(0xdeadbeef);
            bad.out.write(new byte[24]);
            bad.out.flush();
            assertThat(bad.closedByServer()).isTrue();
            byte[] data = Bytes.random(3, BLOCK);
            assertThat(good.write(BLOCK, data, 0).error()).isZero();
            assertThat(good.read(BLOCK, BLOCK).data()).isEqualTo(data);
        }
    }

    // ---- FUA, flush, disconnect, back-pressure --------------------------------------------

    @Test
    void fuaWritesAreFlushedBeforeTheReplyAndFlushReachesTheBdev() throws IOException {
        try (NbdTestClient c = NbdTestClient.connect(address, "disk")) {
            disk.log().clear();
            assertThat(c.write(0, new byte[BLOCK], 0).error()).isZero();
            assertThat(disk.ops()).containsExactly(BdevOp.WRITE);
            disk.log().clear();
            assertThat(c.write(0, new byte[BLOCK], FUA).error()).isZero();
            assertThat(disk.ops()).containsExactly(BdevOp.WRITE, BdevOp.FLUSH);
            disk.log().clear();
            assertThat(c.command(WRITE_ZEROES, FUA, 0, BLOCK).error()).isZero();
            assertThat(disk.ops()).containsExactly(BdevOp.WRITE_ZEROES, BdevOp.FLUSH);
            disk.log().clear();
            assertThat(c.command(FLUSH, 0, 0, 0).error()).isZero();
            assertThat(disk.ops()).containsExactly(BdevOp.FLUSH);
            // The FUA write's reply waits for the flush: held, no reply comes.
            disk.log().clear();
            c.sendRequest(FUA, WRITE, 77, 0, BLOCK, new byte[BLOCK]);
            awaitHeldOrOps(() -> disk.ops().contains(BdevOp.FLUSH));
            assertThat(disk.ops()).containsExactly(BdevOp.WRITE, BdevOp.FLUSH);
            assertThat(c.readReply(0).cookie()).isEqualTo(77);
        }
        try (NbdTestClient c = NbdTestClient.connect(address, "disk4k")) {
            // No volatile cache: FUA needs no flush, and the write still lands.
            byte[] data = Bytes.random(5, 4096);
            assertThat(c.write(4096, data, FUA).error()).isZero();
            assertThat(c.read(4096, 4096).data()).isEqualTo(data);
        }
    }

    @Test
    void disconnectAnswersWhatIsInFlightThenCloses() throws IOException {
        try (NbdTestClient c = NbdTestClient.connect(address, "disk")) {
            disk.hold(true);
            byte[] data = Bytes.random(11, 4 * BLOCK);
            c.sendRequest(0, WRITE, 1, 0, data.length, data);
            c.sendRequest(0, READ, 2, 8 * BLOCK, BLOCK, null);
            awaitHeldOrOps(() -> disk.heldCount() == 2);
            c.sendRequest(0, DISC, 3, 0, 0, null);
            c.sendRequest(0, READ, 4, 0, BLOCK, null); // after DISC: ignored
            disk.releaseHeld();
            Map<Long, Integer> errors = new HashMap<>();
            Reply first = c.readReply(0);
            errors.put(first.cookie(), first.error());
            if (first.cookie() == 2) {
                c.in.readFully(new byte[BLOCK]);
            }
            Reply second = c.readReply(first.cookie() == 1 ? BLOCK : 0);
            errors.put(second.cookie(), second.error());
            assertThat(errors).containsOnly(Map.entry(1L, 0), Map.entry(2L, 0));
            assertThat(c.closedByServer()).isTrue();
        }
        try (NbdTestClient c = NbdTestClient.connect(address, "disk")) {
            assertThat(c.read(0, 4 * BLOCK).data()).isEqualTo(Bytes.random(11, 4 * BLOCK));
        }
    }

    @Test
    void moreRequestsThanSlotsWaitForFreeSlots() throws IOException {
        int n = NbdConnection.MAX_SLOTS + 40;
        try (NbdTestClient c = NbdTestClient.connect(address, "disk")) {
            disk.hold(true);
            for (int i = 0; i < n; i++) {
                c.sendRequest(0, WRITE, i, (long) i * BLOCK, BLOCK, Bytes.random(100 + i, BLOCK));
            }
            awaitHeldOrOps(() -> disk.heldCount() == NbdConnection.MAX_SLOTS);
            assertThat(disk.heldCount()).isEqualTo(NbdConnection.MAX_SLOTS);
            disk.releaseHeld();
            boolean[] seen = new boolean[n];
            for (int i = 0; i < n; i++) {
                Reply r = c.readReply(0);
                assertThat(r.error()).isZero();
                seen[(int) r.cookie()] = true;
            }
            assertThat(seen).containsOnly(true);
            for (int i = 0; i < n; i += 37) {
                assertThat(c.read((long) i * BLOCK, BLOCK).data()).isEqualTo(Bytes.random(100 + i, BLOCK));
            }
        }
    }

    @Test
    void closingTheServerLetsInFlightRequestsFinish() throws Exception {
        NbdTestClient c = NbdTestClient.connect(address, "disk");
        try {
            disk.hold(true);
            c.sendRequest(0, WRITE, 1, 0, BLOCK, new byte[BLOCK]);
            awaitHeldOrOps(() -> disk.heldCount() == 1);
            Thread closer = new Thread(server::close);
            closer.start();
            Thread.sleep(200);
            disk.releaseHeld();
            closer.join(TimeUnit.SECONDS.toMillis(10));
            assertThat(closer.isAlive()).isFalse();
            assertThat(c.readReply(0).error()).isZero();
            assertThat(c.closedByServer()).isTrue();
            assertThat(server.connectionCount()).isZero();
        } finally {
            c.close();
        }
    }

    private static void awaitHeldOrOps(java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.onSpinWait();
        }
    }
}
