package org.k200emu.nvme.pcie;

import static org.assertj.core.api.Assertions.assertThat;
import static org.k200emu.nvme.pcie.PcieController.CSTS_CFS;
import static org.k200emu.nvme.pcie.PcieController.CSTS_RDY;
import static org.k200emu.nvme.pcie.PcieController.CSTS_SHST_COMPLETE;
import static org.k200emu.nvme.pcie.PcieController.CSTS_SHST_MASK;
import static org.k200emu.nvme.pcie.PcieController.CSTS_SHST_OCCURRING;
import static org.k200emu.nvme.pcie.TestNvmeDriver.CC_ENABLE;
import static org.k200emu.nvme.pcie.TestNvmeDriver.expect;

import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.k200emu.bdev.testing.FaultyBdev;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.nvme.controller.NvmeController;
import org.k200emu.testing.Bytes;

/** BAR0 registers and the enable / reset / shutdown state machine (NVMe Base 1.4, sections 3.1, 7.3, 7.6). */
class ControllerStateTest {

    @Test
    void capabilitiesVersionAndResetValues() {
        try (TestMachine m = TestMachine.start()) {
            long cap = m.device.readRegister(PcieController.REG_CAP, 8);
            assertThat(cap & 0xFFFF).as("MQES").isEqualTo(1023);
            assertThat(cap >>> 16 & 1).as("CQR").isEqualTo(1);
            assertThat(cap >>> 17 & 3).as("AMS").isZero();
            assertThat(cap >>> 24 & 0xFF).as("TO").isEqualTo(15);
            assertThat(cap >>> 32 & 0xF).as("DSTRD").isZero();
            assertThat(cap >>> 36 & 1).as("NSSRS").isZero();
            assertThat(cap >>> 37 & 0xFF).as("CSS: NVM only").isEqualTo(1);
            assertThat(cap >>> 48 & 0xF).as("MPSMIN").isZero();
            assertThat(cap >>> 52 & 0xF).as("MPSMAX").isZero();
            assertThat(m.device.readRegister(PcieController.REG_CAP, 4)
                    | m.device.readRegister(PcieController.REG_CAP + 4, 4) << 32).as("two dword reads").isEqualTo(cap);
            assertThat(m.device.readRegister(PcieController.REG_VS, 4)).isEqualTo(0x0001_0400L);
            assertThat(m.device.readRegister(PcieController.REG_CC, 4)).isZero();
            assertThat(m.csts()).isZero();
            assertThat(m.device.readRegister(PcieController.REG_INTMS, 4)).isZero();
        }
    }

    @Test
    void adminQueueRegistersKeepOnlyTheirFields() {
        try (TestMachine m = TestMachine.start()) {
            m.driver.writeRegister(PcieController.REG_AQA, 0xFFFF_FFFF);
            assertThat(m.device.readRegister(PcieController.REG_AQA, 4)).isEqualTo(0x0FFF_0FFFL);
            m.device.writeRegister(PcieController.REG_ASQ, 8, 0x1_2345_6FFFL);
            assertThat(m.device.readRegister(PcieController.REG_ASQ, 8)).as("bits 11:0 reserved").isEqualTo(0x1_2345_6000L);
            m.driver.writeRegister(PcieController.REG_ACQ, 0x7000);
            m.driver.writeRegister(PcieController.REG_ACQ + 4, 0x3);
            assertThat(m.device.readRegister(PcieController.REG_ACQ, 8)).as("two dword writes").isEqualTo(0x3_0000_7000L);
            m.driver.writeRegister(PcieController.REG_CC, 0xFFFF_FFFE);
            assertThat(m.device.readRegister(PcieController.REG_CC, 4)).as("reserved CC bits").isEqualTo(0x00FF_FFF0L);
        }
    }

    @Test
    void enableSetsReadyAndDisableClearsIt() {
        try (TestMachine m = TestMachine.start()) {
            m.driver.enable();
            assertThat(m.csts()).isEqualTo(CSTS_RDY);
            assertThat(m.device.controller().isReady()).as("the model is enabled too").isTrue();
            assertThat(m.device.readRegister(PcieController.REG_CC, 4)).isEqualTo(CC_ENABLE);
            m.driver.disable();
            assertThat(m.csts()).isZero();
            assertThat(m.device.controller().isReady()).isFalse();
            m.driver.reenable();
            assertThat(m.driver.identify(1, 0)).isNotEmpty();
        }
    }

    static Stream<Arguments> badEnables() {
        return Stream.of(
                Arguments.of("AQA.ASQS = 0 (one entry)", (Consumer<TestMachine>) m ->
                        m.driver.writeRegister(PcieController.REG_AQA, 31 << 16), CC_ENABLE),
                Arguments.of("AQA.ACQS = 0 (one entry)", (Consumer<TestMachine>) m ->
                        m.driver.writeRegister(PcieController.REG_AQA, 31), CC_ENABLE),
                Arguments.of("AQA = 0", (Consumer<TestMachine>) m ->
                        m.driver.writeRegister(PcieController.REG_AQA, 0), CC_ENABLE),
                Arguments.of("ASQ outside host memory", (Consumer<TestMachine>) m ->
                        m.device.writeRegister(PcieController.REG_ASQ, 8, 0x1000), CC_ENABLE),
                Arguments.of("ACQ ends past host memory", (Consumer<TestMachine>) m -> {
                    m.driver.writeRegister(PcieController.REG_AQA, 31 | 4095 << 16);
                    m.device.writeRegister(PcieController.REG_ACQ, 8, TestMachine.MEMORY_BASE + (16 << 20) - 4096);
                }, CC_ENABLE),
                Arguments.of("IOSQES = 7", (Consumer<TestMachine>) m -> { }, PcieController.CC_EN | 7 << 16 | 4 << 20),
                Arguments.of("IOCQES = 5", (Consumer<TestMachine>) m -> { }, PcieController.CC_EN | 6 << 16 | 5 << 20),
                Arguments.of("MPS = 8 KiB", (Consumer<TestMachine>) m -> { }, CC_ENABLE | 1 << 7),
                Arguments.of("CSS = admin only", (Consumer<TestMachine>) m -> { }, CC_ENABLE | 7 << 4),
                Arguments.of("AMS = weighted round robin", (Consumer<TestMachine>) m -> { }, CC_ENABLE | 1 << 11));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badEnables")
    void badSettingsOnEnableSetFatalStatusUntilReset(String what, Consumer<TestMachine> spoil, int cc) {
        try (TestMachine m = TestMachine.start()) {
            m.driver.configureAdmin(32, 64);
            spoil.accept(m);
            int csts = m.driver.writeCcAndWait(cc);
            assertThat(csts).as("CSTS: CFS, not RDY").isEqualTo(CSTS_CFS);
            assertThat(m.device.controller().isReady()).isFalse();

            m.driver.writeRegister(PcieController.REG_CC, 0);
            assertThat(m.csts()).as("a reset clears CFS").isZero();
            m.driver.enable();
            assertThat(m.driver.identify(1, 0)).isNotEmpty();
        }
    }

    @Test
    void resetDeletesIoQueues() {
        try (TestMachine m = TestMachine.ready()) {
            TestNvmeDriver.QueuePair q = m.driver.createIoQueuePair(1, 16, 1);
            expect(m.driver.write(q, 1, 0, Bytes.random(1, 4096), 512), NvmeStatus.SUCCESS);
            m.driver.disable();
            m.driver.reenable();
            // Queue 1 is free again: it can be created anew, with other memory.
            TestNvmeDriver.QueuePair again = m.driver.createIoQueuePair(1, 8, 1);
            assertThat(m.driver.read(again, 1, 0, 8, 512)).isEqualTo(Bytes.random(1, 4096));
        }
    }

    @Test
    void resetDropsOutstandingCommandsAndReleasesTheirBuffers() {
        FaultyBdev bdev = FaultyBdev.overMalloc("held0", 512, 4096);
        try (TestMachine m = new TestMachine(PcieParams.defaults(), Runnable::run, 16 << 20, bdev)) {
            m.driver.enable();
            TestNvmeDriver.QueuePair q = m.driver.createIoQueuePair(1, 16, 1);
            m.driver.post(m.driver.admin, Sqe.asyncEventRequest());
            m.driver.ring(m.driver.admin);
            bdev.hold(true);
            TestNvmeDriver.Buffer readBuf = m.driver.allocBuffer(8192, 0, false);
            TestNvmeDriver.Buffer writeBuf = m.driver.allocBuffer(8192, 0, false);
            m.driver.fill(writeBuf, Bytes.random(2, 8192));
            m.driver.post(q, Sqe.rw(Sqe.READ, 1, 0, 16).prp1(readBuf.address()).prp2(readBuf.pages()[1]));
            m.driver.post(q, Sqe.rw(Sqe.WRITE, 1, 64, 16).prp1(writeBuf.address()).prp2(writeBuf.pages()[1]));
            m.driver.ring(q);
            assertThat(bdev.heldCount()).isEqualTo(2);
            assertThat(m.driver.visible(q)).isZero();

            m.driver.disable();
            bdev.releaseHeld();
            assertThat(m.driver.visible(q)).as("no completion after the reset").isZero();
            assertThat(m.driver.visible(m.driver.admin)).as("the AER is gone without completion").isZero();
            assertThat(m.driver.contents(readBuf)).as("no DMA after the reset").containsOnly(0);

            m.driver.reenable();
            assertThat(m.driver.identify(1, 0)).isNotEmpty();
            assertThat(m.csts()).isEqualTo(CSTS_RDY);
        }
    }

    @Test
    void shutdownWhenIdleCompletesAtOnceAndNeedsAResetToRestart() {
        try (TestMachine m = TestMachine.ready()) {
            m.driver.writeRegister(PcieController.REG_CC, CC_ENABLE | PcieController.CC_SHN_NORMAL);
            assertThat(m.csts()).isEqualTo(CSTS_RDY | CSTS_SHST_COMPLETE);
            m.driver.post(m.driver.admin, Sqe.identify(1, 0).prp1(m.driver.allocPages(1)));
            m.driver.ring(m.driver.admin);
            assertThat(m.driver.visible(m.driver.admin)).as("nothing runs after shutdown").isZero();

            m.driver.writeRegister(PcieController.REG_CC, CC_ENABLE);
            assertThat(m.csts()).as("clearing SHN alone does not restart").isEqualTo(CSTS_RDY | CSTS_SHST_COMPLETE);
            m.driver.disable();
            assertThat(m.csts()).isZero();
            m.driver.reenable();
            assertThat(m.driver.identify(1, 0)).isNotEmpty();
        }
    }

    @Test
    void shutdownWaitsForOutstandingCommandsButNotForEventRequests() {
        FaultyBdev bdev = FaultyBdev.overMalloc("held0", 512, 4096);
        try (TestMachine m = new TestMachine(PcieParams.defaults(), Runnable::run, 16 << 20, bdev)) {
            m.driver.enable();
            TestNvmeDriver.QueuePair q = m.driver.createIoQueuePair(1, 16, 1);
            m.driver.post(m.driver.admin, Sqe.asyncEventRequest());
            m.driver.ring(m.driver.admin);
            bdev.hold(true);
            TestNvmeDriver.Buffer buf = m.driver.allocBuffer(4096, 0, false);
            int read = m.driver.post(q, Sqe.rw(Sqe.READ, 1, 0, 8).prp1(buf.address()));
            m.driver.ring(q);

            m.driver.writeRegister(PcieController.REG_CC, CC_ENABLE | PcieController.CC_SHN_ABRUPT);
            assertThat(m.csts() & CSTS_SHST_MASK).isEqualTo(CSTS_SHST_OCCURRING);
            m.driver.post(q, Sqe.rw(Sqe.READ, 1, 8, 8).prp1(buf.address()));
            m.driver.ring(q);

            bdev.releaseHeld();
            assertThat(m.csts()).isEqualTo(CSTS_RDY | CSTS_SHST_COMPLETE);
            assertThat(m.driver.reap(q)).as("only the command fetched before shutdown")
                    .singleElement().satisfies(c -> assertThat(c.cid()).isEqualTo(read));
        }
    }

    @Test
    void oddRegisterAccessesAreIgnored() {
        try (TestMachine m = TestMachine.ready()) {
            assertThat(m.device.readRegister(PcieController.REG_CSTS, 2)).isZero();
            m.device.writeRegister(PcieController.REG_CC + 1, 4, 0);
            m.device.writeRegister(PcieController.REG_CC, 2, 0);
            m.device.writeRegister(PcieController.REG_CAP, 4, 0);
            m.device.writeRegister(PcieController.REG_VS, 4, 0);
            m.device.writeRegister(PcieController.REG_CSTS, 4, CSTS_CFS);
            m.device.writeRegister(PcieController.REG_NSSR, 4, 0x4E564D65);
            m.device.writeRegister(m.device.barSize() + 8, 4, 1);
            assertThat(m.csts()).isEqualTo(CSTS_RDY);
            assertThat(m.device.readRegister(PcieController.REG_VS, 4)).isEqualTo(NvmeController.VERSION);
            assertThat(m.device.readRegister(PcieController.sqTailDoorbell(0), 4)).as("doorbells read as 0").isZero();
            assertThat(m.driver.identify(1, 0)).isNotEmpty();
        }
    }
}
