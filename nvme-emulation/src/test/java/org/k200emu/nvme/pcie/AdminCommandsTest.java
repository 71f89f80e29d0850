package org.k200emu.nvme.pcie;

import static org.assertj.core.api.Assertions.assertThat;
import static org.k200emu.nvme.pcie.TestNvmeDriver.expect;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.nvme.CommandEffects;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.nvme.subsystem.Namespace;

/** Admin commands the controller model runs, carried through the admin queues and PRPs. */
class AdminCommandsTest {

    private final TestMachine m = TestMachine.ready();
    private final TestNvmeDriver d = m.driver;

    @AfterEach
    void close() {
        m.close();
    }

    private static ByteBuffer le(byte[] data) {
        return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void identifyControllerThroughTheAdminQueue() {
        ByteBuffer id = le(d.identify(1, 0));
        assertThat(id.getShort(0)).as("VID").isZero();
        byte[] raw = id.array();
        assertThat(new String(raw, 4, 20, StandardCharsets.US_ASCII).trim()).isEqualTo(TestMachine.SERIAL);
        assertThat(new String(raw, 24, 40, StandardCharsets.US_ASCII).trim()).isEqualTo(TestMachine.MODEL);
        assertThat(id.get(77)).as("MDTS").isEqualTo((byte) 5);
        assertThat(id.getShort(78) & 0xFFFF).as("CNTLID").isEqualTo(m.device.controller().cntlid());
        assertThat(id.getInt(80)).as("VER").isEqualTo(0x0001_0400);
        assertThat(id.get(111)).as("CNTRLTYPE: I/O controller").isEqualTo((byte) 1);
        assertThat(id.get(512)).as("SQES").isEqualTo((byte) 0x66);
        assertThat(id.get(513)).as("CQES").isEqualTo((byte) 0x44);
        assertThat(id.getShort(514) & 0xFFFF).as("MAXCMD").isEqualTo(1024);
        assertThat(id.getInt(516)).as("NN").isEqualTo(1);
        assertThat(new String(raw, 768, TestMachine.NQN.length(), StandardCharsets.UTF_8)).isEqualTo(TestMachine.NQN);
        assertThat(id.getInt(1792)).as("IOCCSZ: not fabrics").isZero();
    }

    @Test
    void identifyNamespaceAndActiveList() {
        ByteBuffer ns = le(d.identify(0, 1));
        assertThat(ns.getLong(0)).as("NSZE").isEqualTo(TestMachine.BLOCKS);
        assertThat(ns.get(130)).as("LBAF0.LBADS").isEqualTo((byte) 9);
        ByteBuffer list = le(d.identify(2, 0));
        assertThat(list.getInt(0)).isEqualTo(1);
        assertThat(list.getInt(4)).isZero();
    }

    @Test
    void identifyIntoABufferThatStartsMidPageUsesPrp2ForTheRest() {
        byte[] aligned = d.identify(1, 0);
        TestNvmeDriver.Buffer b = d.allocBuffer(4096, 0x810, true);
        TestNvmeDriver.Prp p = d.prp(b);
        assertThat(p.prp2()).isEqualTo(b.pages()[1]);
        expect(d.admin(Sqe.identify(1, 0).prp1(p.prp1()).prp2(p.prp2())), NvmeStatus.SUCCESS);
        assertThat(d.contents(b)).isEqualTo(aligned);
        assertThat(d.memory.read(b.pages()[0], 0x810)).as("before the buffer").containsOnly(0);
        assertThat(d.memory.read(b.pages()[1] + 0x810, 4096 - 0x810)).as("after the buffer").containsOnly(0);
    }

    @Test
    void identifyWithAnOffsetInPrp2IsAPrpOffsetError() {
        long page = d.allocPages(2);
        expect(d.admin(Sqe.identify(1, 0).prp1(page + 0x200).prp2(page + 4096 + 8)),
                NvmeStatus.withDnr(PcieStatus.PRP_OFFSET_INVALID));
        expect(d.admin(Sqe.identify(1, 0).prp1(page + 2)), NvmeStatus.withDnr(PcieStatus.PRP_OFFSET_INVALID));
    }

    @Test
    void getLogPageMovesNumdDwords() {
        long page = d.allocPages(1);
        d.memory.write(page, filled(4096, (byte) 0xAA));
        expect(d.admin(Sqe.getLogPage(0x02, 0, 512).prp1(page)), NvmeStatus.SUCCESS);
        byte[] smart = d.memory.read(page, 4096);
        assertThat(smart[1] & 0xFF | (smart[2] & 0xFF) << 8).as("composite temperature").isEqualTo(313);
        assertThat(Arrays.copyOfRange(smart, 512, 4096)).as("only NUMD dwords written").containsOnly((byte) 0xAA);
    }

    @Test
    void effectsLogListsTheQueueCommandsThisFrontEndRuns() {
        long page = d.allocPages(2);
        expect(d.admin(Sqe.getLogPage(0x05, 0, 4096).prp1(page).prp2(page + 4096)), NvmeStatus.SUCCESS);
        ByteBuffer log = le(d.memory.read(page, 4096));
        for (int opcode : new int[] {0x00, 0x01, 0x04, 0x05, 0x02, 0x06, 0x09, 0x0A}) {
            assertThat(log.getInt(4 * opcode) & CommandEffects.CSUPP).as("admin opcode 0x%02x", opcode).isEqualTo(1);
        }
        assertThat(log.getInt(4 * 0x03)).as("opcode 0x03").isZero();
        assertThat(log.getInt(1024 + 4 * 0x02) & CommandEffects.CSUPP).as("Read").isEqualTo(1);

        // A window that starts past the first entries: the entry for opcode 05h lands at byte 4.
        expect(d.admin(Sqe.getLogPage(0x05, 16, 8).prp1(page + 4096)), NvmeStatus.SUCCESS);
        ByteBuffer window = le(d.memory.read(page + 4096, 8));
        assertThat(window.getInt(0)).as("opcode 04h").isEqualTo(CommandEffects.CSUPP);
        assertThat(window.getInt(4)).as("opcode 05h").isEqualTo(CommandEffects.CSUPP);
    }

    @Test
    void transfersBeyondMdtsAreInvalid() {
        long page = d.allocPages(1);
        expect(d.admin(Sqe.getLogPage(0x02, 0, (4096 << 5) + 4).prp1(page)), NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
    }

    @Test
    void unknownOpcodeAndSglOnTheAdminQueue() {
        Cqe unknown = expect(d.admin(Sqe.op(0x7F)), NvmeStatus.withDnr(NvmeStatus.INVALID_OPCODE));
        assertThat(unknown.sqid()).isZero();
        assertThat(unknown.sqhd()).isEqualTo(d.admin.sqTail);
        expect(d.admin(Sqe.identify(1, 0).sgl(d.allocPages(1), 4096, 0)), NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
        expect(d.admin(Sqe.op(0x01).fuse(1).cdw(10, 1 | 3 << 16)), NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
    }

    @Test
    void numberOfQueuesFeature() {
        Cqe cqe = expect(d.admin(Sqe.setFeatures(0x07, 3 | 3 << 16)), NvmeStatus.SUCCESS);
        assertThat(cqe.dw0()).isEqualTo(3 | 3 << 16);
    }

    @Test
    void asyncEventRequestCompletesWhenANamespaceIsAdded() {
        expect(d.admin(Sqe.setFeatures(0x0B, 1 << 8)), NvmeStatus.SUCCESS);
        int cid = d.post(d.admin, Sqe.asyncEventRequest());
        d.ring(d.admin);
        assertThat(d.reap(d.admin)).isEmpty();
        MallocBdev second = new MallocBdev("malloc1", 4096, 256);
        m.bdevs.add(second);
        m.subsystem.addNamespace(new Namespace(2, second, null, null));
        Cqe event = expect(d.await(d.admin, cid), NvmeStatus.SUCCESS);
        assertThat(event.dw0() & 0x7).as("notice").isEqualTo(2);
        assertThat(event.dw0() >>> 16 & 0xFF).as("changed namespace list").isEqualTo(0x04);
        assertThat(le(d.identify(2, 0)).getInt(4)).isEqualTo(2);
        assertThat(le(d.identify(0, 2)).get(130)).isEqualTo((byte) 12);
    }

    private static byte[] filled(int n, byte value) {
        byte[] b = new byte[n];
        Arrays.fill(b, value);
        return b;
    }
}
