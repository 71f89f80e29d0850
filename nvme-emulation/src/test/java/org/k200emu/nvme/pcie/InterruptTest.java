package org.k200emu.nvme.pcie;

import static org.assertj.core.api.Assertions.assertThat;
import static org.k200emu.nvme.pcie.TestNvmeDriver.expect;

import org.junit.jupiter.api.Test;
import org.k200emu.nvme.NvmeStatus;

/**
 * Completion notification (NVMe Base 1.4, section 7.5): a call per completion queue on its
 * vector after entries are posted, none for a queue created with interrupts disabled, and
 * INTMS / INTMC masking for pin-based and MSI interrupts but not MSI-X.
 */
class InterruptTest {

    private static TestMachine machine(InterruptMode mode, int vectors) {
        TestMachine m = TestMachine.start(PcieParams.defaults().withInterrupts(mode, vectors));
        m.driver.enable();
        return m;
    }

    private static void readOn(TestNvmeDriver d, TestNvmeDriver.QueuePair q) {
        expect(d.execute(q, Sqe.rw(Sqe.READ, 1, 0, 1).prp1(d.allocPages(1))), NvmeStatus.SUCCESS);
    }

    @Test
    void eachCompletionQueueRaisesItsOwnVector() {
        try (TestMachine m = machine(InterruptMode.MSI_X, 65)) {
            TestNvmeDriver d = m.driver;
            assertThat(d.interrupts(0)).as("no command yet").isZero();
            TestNvmeDriver.QueuePair q1 = d.createIoQueuePair(1, 16, 16, 3, true);
            TestNvmeDriver.QueuePair q2 = d.createIoQueuePair(2, 16, 16, 7, true);
            assertThat(d.interrupts(0)).as("one per admin command").isEqualTo(4);
            readOn(d, q1);
            readOn(d, q1);
            readOn(d, q2);
            assertThat(d.interrupts(3)).isEqualTo(2);
            assertThat(d.interrupts(7)).isEqualTo(1);
            assertThat(d.interrupts(0)).isEqualTo(4);
        }
    }

    @Test
    void completionsPostedTogetherRaiseOneInterrupt() {
        try (TestMachine m = machine(InterruptMode.MSI_X, 65)) {
            TestNvmeDriver d = m.driver;
            TestNvmeDriver.QueuePair q = d.createIoQueuePair(1, 16, 1);
            long page = d.allocPages(1);
            for (int i = 0; i < 5; i++) {
                d.post(q, Sqe.rw(Sqe.READ, 1, i, 1).prp1(page));
            }
            d.ring(q);
            assertThat(d.reap(q)).hasSize(5);
            assertThat(d.interrupts(1)).isEqualTo(1);
        }
    }

    @Test
    void queuesMayShareAVectorAndAQueueMayHaveNone() {
        try (TestMachine m = machine(InterruptMode.MSI_X, 4)) {
            TestNvmeDriver d = m.driver;
            TestNvmeDriver.QueuePair q1 = d.createIoQueuePair(1, 8, 8, 2, true);
            TestNvmeDriver.QueuePair q2 = d.createIoQueuePair(2, 8, 8, 2, true);
            TestNvmeDriver.QueuePair polled = d.createIoQueuePair(3, 8, 8, 3, false);
            readOn(d, q1);
            readOn(d, q2);
            readOn(d, polled);
            assertThat(d.interrupts(2)).isEqualTo(2);
            assertThat(d.interrupts(3)).as("IEN = 0: the host polls").isZero();
            expect(d.admin(Sqe.createCq(4, 8, d.allocPages(1), 4, true, true)),
                    NvmeStatus.withDnr(PcieStatus.INVALID_INTERRUPT_VECTOR));
        }
    }

    @Test
    void msiMaskHoldsTheInterruptUntilUnmasked() {
        try (TestMachine m = machine(InterruptMode.MSI, 8)) {
            TestNvmeDriver d = m.driver;
            TestNvmeDriver.QueuePair q = d.createIoQueuePair(1, 16, 1);
            d.writeRegister(PcieController.REG_INTMS, 1 << 1 | 1 << 31);
            assertThat(m.device.readRegister(PcieController.REG_INTMS, 4)).as("only vectors that exist").isEqualTo(2);
            assertThat(m.device.readRegister(PcieController.REG_INTMC, 4)).isEqualTo(2);

            int cid = d.post(q, Sqe.rw(Sqe.READ, 1, 0, 1).prp1(d.allocPages(1)));
            d.ring(q);
            assertThat(d.visible(q)).isEqualTo(1);
            assertThat(d.interrupts(1)).as("masked").isZero();
            int admin = d.interrupts(0);
            d.identify(1, 0);
            assertThat(d.interrupts(0)).as("other vectors still fire").isEqualTo(admin + 1);

            d.writeRegister(PcieController.REG_INTMC, 1 << 1);
            assertThat(d.interrupts(1)).as("unmasking with a completion pending").isEqualTo(1);
            assertThat(m.device.readRegister(PcieController.REG_INTMS, 4)).isZero();
            assertThat(d.await(q, cid).ok()).isTrue();

            // Masked again, and the host reaps before unmasking: nothing is pending, nothing fires.
            d.writeRegister(PcieController.REG_INTMS, 1 << 1);
            readOn(d, q);
            d.writeRegister(PcieController.REG_INTMC, 1 << 1);
            assertThat(d.interrupts(1)).isEqualTo(1);
            readOn(d, q);
            assertThat(d.interrupts(1)).isEqualTo(2);
        }
    }

    @Test
    void msixIgnoresTheMaskRegisters() {
        try (TestMachine m = machine(InterruptMode.MSI_X, 65)) {
            TestNvmeDriver d = m.driver;
            TestNvmeDriver.QueuePair q = d.createIoQueuePair(1, 16, 1);
            d.writeRegister(PcieController.REG_INTMS, -1);
            assertThat(m.device.readRegister(PcieController.REG_INTMS, 4)).isZero();
            readOn(d, q);
            assertThat(d.interrupts(1)).isEqualTo(1);
        }
    }

    @Test
    void pinBasedHasOneVectorMaskedByBitZero() {
        try (TestMachine m = machine(InterruptMode.PIN, 1)) {
            TestNvmeDriver d = m.driver;
            expect(d.admin(Sqe.createCq(1, 8, d.allocPages(1), 1, true, true)),
                    NvmeStatus.withDnr(PcieStatus.INVALID_INTERRUPT_VECTOR));
            TestNvmeDriver.QueuePair q = d.createIoQueuePair(1, 8, 0);
            int before = d.interrupts(0);
            d.writeRegister(PcieController.REG_INTMS, 1);
            readOn(d, q);
            d.identify(1, 0);
            assertThat(d.interrupts(0)).isEqualTo(before);
            d.post(q, Sqe.rw(Sqe.READ, 1, 0, 1).prp1(d.allocPages(1)));
            d.ring(q);
            d.writeRegister(PcieController.REG_INTMC, 1);
            assertThat(d.interrupts(0)).isEqualTo(before + 1);
        }
    }

    @Test
    void aResetClearsTheMask() {
        try (TestMachine m = machine(InterruptMode.MSI, 4)) {
            m.driver.writeRegister(PcieController.REG_INTMS, 0xF);
            m.driver.disable();
            assertThat(m.device.readRegister(PcieController.REG_INTMS, 4)).isZero();
            m.driver.reenable();
            int before = m.driver.interrupts(0);
            m.driver.identify(1, 0);
            assertThat(m.driver.interrupts(0)).isEqualTo(before + 1);
        }
    }
}
