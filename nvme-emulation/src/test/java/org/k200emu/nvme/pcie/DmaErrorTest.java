package org.k200emu.nvme.pcie;

import static org.assertj.core.api.Assertions.assertThat;
import static org.k200emu.nvme.pcie.TestNvmeDriver.PAGE;
import static org.k200emu.nvme.pcie.TestNvmeDriver.expect;

import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.testing.Bytes;

/**
 * Data pointers into memory the host does not have: the DMA fails (a PCIe master abort), the
 * command completes with Data Transfer Error, nothing reaches the bdev or the host, and the
 * controller carries on (no fatal status: the error fits in a completion entry).
 */
class DmaErrorTest {

    private static final long END = TestMachine.MEMORY_BASE + (16 << 20);
    private static final int DTE = NvmeStatus.withDnr(NvmeStatus.DATA_TRANSFER_ERROR);

    /** Builds the bad command given the driver (which may set up lists in host memory). */
    private static Arguments bad(String what, Function<TestNvmeDriver, Sqe> command) {
        return Arguments.of(what, command);
    }

    static Stream<Arguments> badPointers() {
        return Stream.of(
                bad("write, PRP1 below host memory", d -> Sqe.rw(Sqe.WRITE, 1, 0, 8).prp1(0x1000)),
                bad("read, PRP1 below host memory", d -> Sqe.rw(Sqe.READ, 1, 0, 8).prp1(0x1000)),
                bad("read, PRP1 at the top of the 64-bit space", d -> Sqe.rw(Sqe.READ, 1, 0, 8).prp1(0xFFFF_FFFF_FFFF_F000L)),
                bad("write, buffer runs off the end", d -> Sqe.rw(Sqe.WRITE, 1, 0, 16).prp1(END - PAGE).prp2(END)),
                bad("read, PRP1 just past the end", d -> Sqe.rw(Sqe.READ, 1, 0, 1).prp1(END)),
                bad("write, PRP list outside", d -> Sqe.rw(Sqe.WRITE, 1, 0, 24).prp1(d.allocPages(1)).prp2(END + PAGE)),
                bad("read, PRP list entry outside", d -> {
                    long list = d.allocPages(1);
                    d.memory.putLong(list, d.allocPages(1));
                    d.memory.putLong(list + 8, 0x8000_0000L);
                    return Sqe.rw(Sqe.READ, 1, 0, 24).prp1(d.allocPages(1)).prp2(list);
                }),
                bad("read, chained list page outside", d -> {
                    long list = d.allocPages(1) + PAGE - 8;
                    d.memory.putLong(list, END);
                    return Sqe.rw(Sqe.READ, 1, 0, 24).prp1(d.allocPages(1)).prp2(list);
                }));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badPointers")
    void failsTheCommandOnly(String what, Function<TestNvmeDriver, Sqe> command) {
        try (TestMachine m = TestMachine.ready()) {
            TestNvmeDriver d = m.driver;
            TestNvmeDriver.QueuePair q = d.createIoQueuePair(1, 16, 1);
            byte[] before = Bytes.random(9, 12 * 1024);
            expect(d.write(q, 1, 0, before, 512), NvmeStatus.SUCCESS);

            expect(d.execute(q, command.apply(d)), DTE);
            assertThat(m.csts()).isEqualTo(PcieController.CSTS_RDY);
            assertThat(d.read(q, 1, 0, 24, 512)).as("the blocks are untouched").isEqualTo(before);
        }
    }

    @ParameterizedTest(name = "identify into {0}")
    @MethodSource("adminTargets")
    void adminDataOutsideHostMemory(String what, long prp1, long prp2) {
        try (TestMachine m = TestMachine.ready()) {
            expect(m.driver.admin(Sqe.identify(1, 0).prp1(prp1).prp2(prp2)), DTE);
            expect(m.driver.admin(Sqe.getLogPage(0x02, 0, 512).prp1(prp1).prp2(prp2)), DTE);
            assertThat(m.csts()).isEqualTo(PcieController.CSTS_RDY);
            assertThat(m.driver.identify(1, 0)).isNotEmpty();
        }
    }

    static Stream<Arguments> adminTargets() {
        return Stream.of(
                Arguments.of("address 0", 0L, 0L),
                Arguments.of("the last bytes and beyond", END - 256, END));
    }
}
