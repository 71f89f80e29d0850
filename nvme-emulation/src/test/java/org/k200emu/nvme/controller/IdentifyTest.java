package org.k200emu.nvme.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.testing.FaultyBdev;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.nvme.subsystem.Namespace;

/** Identify (NVMe Base 1.4, section 5.15; NVMe-oF 1.1 for the fabrics fields of the controller). */
class IdentifyTest {

    private final TestTransport t = TestTransport.nvm(2048, 4096);

    @AfterEach
    void close() {
        t.close();
    }

    @Test
    void controllerDataStructure() {
        t.connectAndEnable();
        Completion c = t.admin(Sqe.identify(1, 0)).ok();
        assertThat(c.data).hasSize(4096);
        assertThat(c.ascii(4, 20)).as("SN").isEqualTo(String.format("%-20s", TestTransport.SERIAL));
        assertThat(c.ascii(24, 40)).as("MN").isEqualTo(String.format("%-40s", TestTransport.MODEL));
        assertThat(c.ascii(64, 8)).as("FR").isEqualTo(String.format("%-8s", t.subsystem.firmware()));
        assertThat(c.u8(77)).as("MDTS").isEqualTo(5);
        assertThat(c.u16(78)).as("CNTLID").isEqualTo(t.controller.cntlid()).isEqualTo(1);
        assertThat(c.u32(80)).as("VER").isEqualTo(0x00010400);
        assertThat(c.u32(92) & (1 << 8)).as("OAES: namespace attribute notices").isNotZero();
        assertThat(c.u8(111)).as("CNTRLTYPE: I/O controller").isEqualTo(1);
        assertThat(c.u8(258)).as("ACL").isEqualTo(3);
        assertThat(c.u8(259)).as("AERL").isEqualTo(3);
        assertThat(c.u8(261) & 0x6).as("LPA: effects log, extended data").isEqualTo(0x6);
        assertThat(c.u8(262)).as("ELPE").isEqualTo(63);
        assertThat(c.u16(320)).as("KAS").isEqualTo(1);
        assertThat(c.u8(512)).as("SQES").isEqualTo(0x66);
        assertThat(c.u8(513)).as("CQES").isEqualTo(0x44);
        assertThat(c.u16(514)).as("MAXCMD").isEqualTo(128);
        assertThat(c.u32(516)).as("NN").isGreaterThanOrEqualTo(2);
        assertThat(c.u16(520)).as("ONCS: Compare, DSM, Write Zeroes").isEqualTo(0x0D);
        assertThat(c.u8(525) & 1).as("VWC present: malloc has none").isZero();
        assertThat((c.u8(525) >>> 1) & 0x3).as("VWC flush broadcast not supported").isEqualTo(2);
        assertThat(c.u32(536) & 0x3).as("SGLS supported").isEqualTo(1);
        String subnqn = c.ascii(768, TestTransport.NQN.length());
        assertThat(subnqn).as("SUBNQN").isEqualTo(TestTransport.NQN);
        assertThat(c.allZero(768 + TestTransport.NQN.length(), 1024)).as("SUBNQN NUL padding").isTrue();
        assertThat(c.u32(1792)).as("IOCCSZ").isEqualTo(516);
        assertThat(c.u32(1796)).as("IORCSZ").isEqualTo(1);
        assertThat(c.u16(1800)).as("ICDOFF").isZero();
        assertThat(c.u8(1802)).as("FCATT: dynamic model").isZero();
        assertThat(c.u8(1803)).as("MSDBD").isEqualTo(1);
    }

    @Test
    void secondControllerHasItsOwnCntlid() {
        t.connectAndEnable();
        t.connectAndEnable();
        assertThat(t.admin(Sqe.identify(1, 0)).ok().u16(78)).isEqualTo(2);
    }

    @Test
    void volatileCacheIsAdvertisedWhenANamespaceHasOne() {
        t.addBdev(3, FaultyBdev.overMalloc("cached", 512, 64).volatileWriteCache(true));
        t.connectAndEnable();
        assertThat(t.admin(Sqe.identify(1, 0)).ok().u8(525) & 1).isEqualTo(1);
    }

    @Test
    void shortHostBufferIsSglLengthInvalid() {
        t.connectAndEnable();
        t.admin(Sqe.identify(1, 0), 4095, null).expect(NvmeStatus.withDnr(NvmeStatus.DATA_SGL_LENGTH_INVALID));
        t.admin(Sqe.identify(0, 1), 512, null).expect(NvmeStatus.withDnr(NvmeStatus.DATA_SGL_LENGTH_INVALID));
    }

    @Test
    void namespaceDataStructure() {
        t.connectAndEnable();
        Completion c = t.admin(Sqe.identify(0, 2)).ok();
        assertThat(c.u64(0)).as("NSZE").isEqualTo(4096);
        assertThat(c.u64(8)).as("NCAP").isEqualTo(4096);
        assertThat(c.u64(16)).as("NUSE").isEqualTo(4096);
        assertThat(c.u8(25)).as("NLBAF").isZero();
        assertThat(c.u8(26) & 0xF).as("FLBAS").isZero();
        assertThat(c.u8(33) & 0x7).as("DLFEAT: deallocated reads zeroes").isEqualTo(1);
        assertThat(c.u8(128 + 2)).as("LBAF0.LBADS").isEqualTo(9);
        assertThat(c.u16(128)).as("LBAF0.MS").isZero();
        byte[] nguid = t.subsystem.namespace(2).nguid();
        assertThat(c.bytes(104, 16)).as("NGUID").isEqualTo(nguid).isNotEqualTo(new byte[16]);
    }

    @Test
    void fourKiBlockNamespace() {
        t.addMalloc(5, 4096, 16);
        t.connectAndEnable();
        Completion c = t.admin(Sqe.identify(0, 5)).ok();
        assertThat(c.u8(130)).isEqualTo(12);
        assertThat(c.u64(0)).isEqualTo(16);
    }

    @Test
    void namespaceErrorsAndSpecialNsids() {
        t.connectAndEnable();
        t.admin(Sqe.identify(0, 0)).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_NAMESPACE));
        t.admin(Sqe.identify(0, 99)).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_NAMESPACE));
        Completion common = t.admin(Sqe.identify(0, 0xFFFFFFFF)).ok();
        assertThat(common.u8(130)).as("common LBADS").isEqualTo(9);
        assertThat(common.u64(0)).as("common NSZE").isZero();
    }

    @Test
    void inactiveValidNsidReadsAsZeroes() {
        t.addMalloc(4, 512, 16); // NN = 4, NSID 3 inactive
        t.connectAndEnable();
        Completion c = t.admin(Sqe.identify(0, 3)).ok();
        assertThat(c.data).hasSize(4096);
        assertThat(c.allZero(0, 4096)).isTrue();
        t.admin(Sqe.identify(0, 5)).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_NAMESPACE));
    }

    @Test
    void activeNamespaceListIsAscendingAfterTheStartNsid() {
        t.addMalloc(9, 512, 8);
        t.addMalloc(5, 512, 8);
        t.connectAndEnable();
        Completion all = t.admin(Sqe.identify(2, 0)).ok();
        assertThat(new int[] {all.u32(0), all.u32(4), all.u32(8), all.u32(12), all.u32(16)})
                .containsExactly(1, 2, 5, 9, 0);
        Completion after2 = t.admin(Sqe.identify(2, 2)).ok();
        assertThat(new int[] {after2.u32(0), after2.u32(4), after2.u32(8)}).containsExactly(5, 9, 0);
        Completion after5 = t.admin(Sqe.identify(2, 5)).ok();
        assertThat(after5.u32(0)).isEqualTo(9);
        assertThat(after5.allZero(4, 4096)).isTrue();
        assertThat(t.admin(Sqe.identify(2, 9)).ok().allZero(0, 4096)).isTrue();
    }

    @Test
    void activeNamespaceListEdgeNsids() {
        t.connectAndEnable();
        t.admin(Sqe.identify(2, 0xFFFFFFFE)).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_NAMESPACE));
        t.admin(Sqe.identify(2, 0xFFFFFFFF)).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_NAMESPACE));
        // No NSID is greater than these: empty lists, not the whole list after an int wrap.
        assertThat(t.admin(Sqe.identify(2, Integer.MAX_VALUE)).ok().allZero(0, 4096)).isTrue();
        assertThat(t.admin(Sqe.identify(2, 0x80000000)).ok().allZero(0, 4096)).isTrue();
    }

    @Test
    void descriptorListHasNguidThenUuid() {
        t.connectAndEnable();
        Completion c = t.admin(Sqe.identify(3, 1)).ok();
        Namespace ns = t.subsystem.namespace(1);
        assertThat(c.u8(0)).as("NIDT NGUID").isEqualTo(2);
        assertThat(c.u8(1)).as("NIDL").isEqualTo(16);
        assertThat(c.bytes(4, 16)).isEqualTo(ns.nguid());
        assertThat(c.u8(20)).as("NIDT UUID").isEqualTo(3);
        assertThat(c.u8(21)).isEqualTo(16);
        ByteBuffer uuid = ByteBuffer.wrap(c.bytes(24, 16)); // big-endian, as RFC 4122 lays it out
        assertThat(new UUID(uuid.getLong(), uuid.getLong())).isEqualTo(ns.uuid());
        assertThat(c.allZero(40, 4096)).as("terminated by NIDL 0").isTrue();
        // Identify Namespace reports the same NGUID.
        assertThat(t.admin(Sqe.identify(0, 1)).ok().bytes(104, 16)).isEqualTo(c.bytes(4, 16));
        t.admin(Sqe.identify(3, 7)).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_NAMESPACE));
    }

    @Test
    void descriptorsAreDeterministicPerNqnAndNsid() {
        t.connectAndEnable();
        byte[] first = t.admin(Sqe.identify(3, 1)).ok().data;
        byte[] second = t.admin(Sqe.identify(3, 2)).ok().data;
        assertThat(second).isNotEqualTo(first);
        try (TestTransport twin = TestTransport.nvm(16)) {
            twin.connectAndEnable();
            assertThat(twin.admin(Sqe.identify(3, 1)).ok().data).isEqualTo(first);
        }
        try (TestTransport other = new TestTransport(org.k200emu.nvme.subsystem.Subsystem.nvm(
                "nqn.2024-01.org.k200emu:other", null, TestTransport.MODEL, true, java.util.List.of()))) {
            other.addMalloc(1, 512, 16);
            other.connectAndEnable();
            byte[] otherDesc = other.admin(Sqe.identify(3, 1)).ok().data;
            assertThat(otherDesc).isNotEqualTo(first);
            // A derived serial number is 20 printable ASCII characters.
            String sn = other.admin(Sqe.identify(1, 0)).ok().ascii(4, 20);
            assertThat(sn).matches("[\\x20-\\x7E]{20}");
            assertThat(sn.getBytes(StandardCharsets.US_ASCII)).hasSize(20);
            assertThat(sn.trim()).isNotEmpty();
        }
    }

    @Test
    void explicitIdentifiersAreReported() {
        UUID uuid = UUID.fromString("12345678-9abc-def0-1122-334455667788");
        byte[] nguid = new byte[16];
        for (int i = 0; i < 16; i++) {
            nguid[i] = (byte) (0xA0 + i);
        }
        org.k200emu.bdev.malloc.MallocBdev bdev = new org.k200emu.bdev.malloc.MallocBdev("explicit", 512, 8);
        t.bdevs.add(bdev);
        t.subsystem.addNamespace(new Namespace(6, bdev, uuid, nguid));
        t.connectAndEnable();
        Completion c = t.admin(Sqe.identify(3, 6)).ok();
        assertThat(c.bytes(4, 16)).isEqualTo(nguid);
        assertThat(c.bytes(24, 8)).containsExactly(0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0);
    }

    @Test
    void commandSetSpecificStructures() {
        t.connectAndEnable();
        Completion ns = t.admin(Sqe.identify(5, 1)).ok();
        assertThat(ns.data).hasSize(4096);
        assertThat(ns.allZero(0, 4096)).isTrue();
        t.admin(Sqe.identify(5, 42)).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_NAMESPACE));
        assertThat(t.admin(Sqe.identify(6, 0)).ok().data).hasSize(4096);
        // CSI (CDW11 bits 31:24) other than NVM (0).
        t.admin(Sqe.identify(6, 0).cdw(11, 2 << 24)).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
        t.admin(Sqe.identify(5, 1).cdw(11, 1 << 24)).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
    }

    @Test
    void unknownCnsIsInvalidField() {
        t.connectAndEnable();
        t.admin(Sqe.identify(0x10, 0)).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
        t.admin(Sqe.identify(0x04, 0)).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
    }
}
