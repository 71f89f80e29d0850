package org.k200emu.nvme.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.nvme.subsystem.DiscoveryEntry;
import org.k200emu.nvme.subsystem.DiscoveryLogSource;
import org.k200emu.nvme.subsystem.Subsystem;

/** The discovery controller (NVMe-oF 1.1, section 5): its Identify and the Discovery log page. */
class DiscoveryControllerTest {

    private static final String SUB_A = "nqn.2024-01.org.k200emu:a";
    private static final String SUB_B = "nqn.2024-01.org.k200emu:b";

    private final List<String> askedFor = new ArrayList<>();
    private final DiscoveryLogSource source = new DiscoveryLogSource() {
        @Override
        public List<DiscoveryEntry> entries(String hostNqn) {
            askedFor.add(hostNqn);
            return List.of(DiscoveryEntry.tcp(1, "192.168.1.20", 4420, SUB_A),
                    DiscoveryEntry.tcp(2, "fd00::20", 4421, SUB_B));
        }

        @Override
        public long generation() {
            return 42;
        }
    };
    private final TestTransport t = new TestTransport(Subsystem.discovery(source));

    @BeforeEach
    void enable() {
        t.connect(0);
        t.enable();
    }

    @AfterEach
    void close() {
        t.close();
    }

    @Test
    void identifyControllerSaysDiscovery() {
        assertThat(t.controller.isDiscovery()).isTrue();
        Completion c = t.admin(Sqe.identify(1, 0)).ok();
        assertThat(c.u8(111)).as("CNTRLTYPE").isEqualTo(2);
        assertThat(c.ascii(768, Subsystem.DISCOVERY_NQN.length())).isEqualTo("nqn.2014-08.org.nvmexpress.discovery");
        assertThat(c.u8(768 + Subsystem.DISCOVERY_NQN.length())).isZero();
        assertThat(c.u32(516)).as("NN").isZero();
        assertThat(c.u32(92)).as("OAES").isZero();
        assertThat(c.u16(78)).as("CNTLID").isEqualTo(t.controller.cntlid());
        assertThat(c.u32(80)).as("VER").isEqualTo(0x00010400);
    }

    @Test
    void onlyIdentifyControllerExists() {
        t.admin(Sqe.identify(0, 1)).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
        t.admin(Sqe.identify(2, 0)).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
    }

    @Test
    void logHeader() {
        Completion c = t.admin(Sqe.getLogPage(0x70, 0, 16, false), 16, null).ok();
        assertThat(c.u64(0)).as("GENCTR").isEqualTo(42);
        assertThat(c.u64(8)).as("NUMREC").isEqualTo(2);
        assertThat(askedFor).containsExactly(TestTransport.HOST_NQN);
    }

    @Test
    void logEntriesReadInTwoPieces() {
        int total = 1024 + 2 * 1024;
        byte[] whole = t.admin(Sqe.getLogPage(0x70, 0, total, false), total, null).ok().data;
        // As Linux does: the header (and a bit) first, then the rest from an offset.
        Completion first = t.admin(Sqe.getLogPage(0x70, 0, 1536, false), 1536, null).ok();
        Completion rest = t.admin(Sqe.getLogPage(0x70, 1536, total - 1536, false), total - 1536, null).ok();
        byte[] joined = new byte[total];
        System.arraycopy(first.data, 0, joined, 0, 1536);
        System.arraycopy(rest.data, 0, joined, 1536, total - 1536);
        assertThat(joined).isEqualTo(whole);

        Completion c = new Completion(null);
        c.data = whole;
        assertThat(c.u16(16)).as("RECFMT").isZero();
        assertThat(c.allZero(18, 1024)).isTrue();
        int e = 1024;
        assertThat(c.u8(e)).as("TRTYPE TCP").isEqualTo(3);
        assertThat(c.u8(e + 1)).as("ADRFAM IPv4").isEqualTo(1);
        assertThat(c.u8(e + 2)).as("SUBTYPE NVM").isEqualTo(2);
        assertThat(c.u8(e + 3)).as("TREQ").isZero();
        assertThat(c.u16(e + 4)).as("PORTID").isEqualTo(1);
        assertThat(c.u16(e + 6)).as("CNTLID dynamic").isEqualTo(0xFFFF);
        assertThat(c.u16(e + 8)).as("ASQSZ").isEqualTo(32);
        assertThat(c.ascii(e + 32, 32)).as("TRSVCID").isEqualTo(String.format("%-32s", "4420"));
        assertThat(c.ascii(e + 256, SUB_A.length())).as("SUBNQN").isEqualTo(SUB_A);
        assertThat(c.allZero(e + 256 + SUB_A.length(), e + 512)).isTrue();
        assertThat(c.ascii(e + 512, 256)).as("TRADDR").isEqualTo(String.format("%-256s", "192.168.1.20"));
        assertThat(c.allZero(e + 768, e + 1024)).as("TSAS: no security").isTrue();

        int f = 2048;
        assertThat(c.u8(f + 1)).as("ADRFAM IPv6").isEqualTo(2);
        assertThat(c.u16(f + 4)).isEqualTo(2);
        assertThat(c.ascii(f + 32, 4)).isEqualTo("4421");
        assertThat(c.ascii(f + 256, SUB_B.length())).isEqualTo(SUB_B);
        assertThat(c.ascii(f + 512, 8)).isEqualTo("fd00::20");
    }

    @Test
    void otherLogsAndCommandsAreRefused() {
        t.admin(Sqe.getLogPage(0x02, 0, 512, false), 512, null)
                .expect(NvmeStatus.withDnr(NvmeStatus.INVALID_LOG_PAGE));
        t.admin(Sqe.op(0x08)).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_OPCODE));
        t.admin(Sqe.getFeatures(0x07, 0)).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
        t.admin(Sqe.getFeatures(0x0F, 0)).ok();
        t.admin(Sqe.op(0x18)).ok();
    }

    @Test
    void ioIsAnInvalidOpcode() {
        t.io(Sqe.rw(0x02, 1, 0, 1), 512).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_OPCODE));
        t.io(Sqe.op(0x00).nsid(1), 0).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_OPCODE));
    }

    @Test
    void discoverySubsystemHasNoNamespaces() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> t.addMalloc(1, 512, 8))
                .isInstanceOf(IllegalStateException.class);
    }
}
