package org.k200emu.nvme.pcie;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.k200emu.nvme.pcie.PcieController.CSTS_CFS;
import static org.k200emu.nvme.pcie.PcieController.CSTS_RDY;

import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Doorbell writes the host should never make: each sets CSTS.CFS (the host must reset the
 * controller), throws nothing, and stops the controller from fetching until the reset.
 */
class DoorbellTest {

    private static Arguments bad(String what, Consumer<TestMachine> write) {
        return Arguments.of(what, write);
    }

    private static TestNvmeDriver.QueuePair q(TestMachine m) {
        return m.driver.createIoQueuePair(1, 8, 1);
    }

    static Stream<Arguments> badDoorbells() {
        return Stream.of(
                bad("SQ tail equal to the queue size", m -> {
                    q(m);
                    m.driver.writeRegister(PcieController.sqTailDoorbell(1), 8);
                }),
                bad("SQ tail far beyond the queue", m -> {
                    q(m);
                    m.driver.writeRegister(PcieController.sqTailDoorbell(1), 0xFFFF_FFFF);
                }),
                bad("admin SQ tail beyond the queue", m -> m.driver.writeRegister(PcieController.sqTailDoorbell(0), 32)),
                bad("SQ tail that passes the head", m -> {
                    q(m);
                    // After a shutdown nothing is fetched, so the head stays at 0 and the ring fills.
                    m.driver.writeRegister(PcieController.REG_CC, TestNvmeDriver.CC_ENABLE | PcieController.CC_SHN_NORMAL);
                    m.driver.writeRegister(PcieController.sqTailDoorbell(1), 7);
                    m.driver.writeRegister(PcieController.sqTailDoorbell(1), 1);
                }),
                bad("CQ head equal to the queue size", m -> {
                    q(m);
                    m.driver.writeRegister(PcieController.cqHeadDoorbell(1), 8);
                }),
                bad("CQ head past the entries posted", m -> {
                    TestNvmeDriver.QueuePair q = q(m);
                    m.driver.post(q, Sqe.op(0x00).nsid(1));
                    m.driver.ring(q);
                    m.driver.writeRegister(PcieController.cqHeadDoorbell(1), 2);
                }),
                bad("admin CQ head with nothing posted", m -> {
                    m.driver.reap(m.driver.admin);
                    m.driver.writeRegister(PcieController.cqHeadDoorbell(0), m.driver.admin.cqHead + 1);
                }),
                bad("SQ doorbell of a queue never created", m -> m.driver.writeRegister(PcieController.sqTailDoorbell(3), 1)),
                bad("CQ doorbell of a queue never created", m -> m.driver.writeRegister(PcieController.cqHeadDoorbell(64), 0)),
                bad("SQ doorbell of a deleted queue", m -> {
                    q(m);
                    m.driver.admin(Sqe.deleteSq(1));
                    m.driver.writeRegister(PcieController.sqTailDoorbell(1), 1);
                }),
                bad("doorbell past the last queue, inside BAR0", m -> m.driver.writeRegister(PcieController.sqTailDoorbell(65), 1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badDoorbells")
    void badDoorbellSetsFatalStatusWithoutThrowing(String what, Consumer<TestMachine> write) {
        try (TestMachine m = TestMachine.ready()) {
            assertThatCode(() -> write.accept(m)).doesNotThrowAnyException();
            assertThat(m.csts() & (CSTS_RDY | CSTS_CFS)).isEqualTo(CSTS_RDY | CSTS_CFS);

            // Nothing is fetched until the host resets the controller.
            m.driver.post(m.driver.admin, Sqe.identify(1, 0).prp1(m.driver.allocPages(1)));
            m.driver.ring(m.driver.admin);
            assertThat(m.driver.visible(m.driver.admin)).isZero();

            m.driver.disable();
            assertThat(m.csts()).isZero();
            m.driver.reenable();
            assertThat(m.driver.identify(1, 0)).isNotEmpty();
            assertThat(m.csts()).isEqualTo(CSTS_RDY);
        }
    }

    @Test
    void doorbellsWhileDisabledOrBeyondBar0AreIgnored() {
        try (TestMachine m = TestMachine.start()) {
            m.driver.writeRegister(PcieController.sqTailDoorbell(0), 5);
            m.driver.writeRegister(PcieController.cqHeadDoorbell(7), 5);
            assertThat(m.csts()).isZero();
            m.driver.enable();
            m.driver.writeRegister(m.device.barSize(), 1);
            m.device.writeRegister(PcieController.sqTailDoorbell(0), 8, 1);
            assertThat(m.csts()).isEqualTo(CSTS_RDY);
        }
    }

    @Test
    void sameTailAgainAndHeadOnlyAsFarAsPostedAreFine() {
        try (TestMachine m = TestMachine.ready()) {
            TestNvmeDriver.QueuePair q = q(m);
            m.driver.ring(q);
            m.driver.ring(q);
            m.driver.post(q, Sqe.op(0x00).nsid(1));
            m.driver.post(q, Sqe.op(0x00).nsid(1));
            m.driver.ring(q);
            assertThat(m.driver.visible(q)).isEqualTo(2);
            m.driver.writeRegister(PcieController.cqHeadDoorbell(1), 1);
            m.driver.writeRegister(PcieController.cqHeadDoorbell(1), 2);
            assertThat(m.csts()).isEqualTo(CSTS_RDY);
        }
    }
}
