package org.k200emu.nvme.controller;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.k200emu.nvme.AnaState;

/** Asymmetric Namespace Access (NVMe Base 1.4, 8.20): identify fields, the ANA log, I/O gating, change notices. */
class AnaTest {

    /** DW0 of an ANA change notice: type Notice (2), information ANA change (3), log page 0Ch. */
    private static final int ANA_CHANGE_DW0 = 2 | 0x03 << 8 | 0x0C << 16;

    private final TestTransport t = TestTransport.nvm(64, 64);

    @BeforeEach
    void enable() {
        t.connectAndEnable();
    }

    @AfterEach
    void close() {
        t.close();
    }

    private Completion anaLog(boolean groupsOnly) {
        Sqe sqe = Sqe.getLogPage(0x0C, 0, 4096, false);
        if (groupsOnly) {
            sqe.orCdw(10, 1 << 8);
        }
        return t.admin(sqe, 4096, null).ok();
    }

    @Test
    void identifyAdvertisesAnaReporting() {
        Completion ctrl = t.admin(Sqe.identify(1, 0), 4096, null).ok();
        assertThat(ctrl.u8(76) & 1 << 3).as("CMIC.ANARS").isNotZero();
        assertThat(ctrl.u8(343)).as("ANATT").isPositive();
        assertThat(ctrl.u8(344) & 0x7).as("ANACAP optimized, non-optimized, inaccessible").isEqualTo(0x7);
        assertThat(ctrl.u32(345)).as("ANAGRPMAX").isEqualTo(1);
        assertThat(ctrl.u32(540)).as("MNAN, not 0 and at most NN").isPositive().isLessThanOrEqualTo(ctrl.u32(516));
        assertThat(ctrl.u32(92) & 1 << 11).as("OAES ANA change").isNotZero();
        Completion ns = t.admin(Sqe.identify(0, 2), 4096, null).ok();
        assertThat(ns.u32(92)).as("ANAGRPID").isEqualTo(1);
        assertThat(ns.u8(30) & 1).as("NMIC shared").isEqualTo(1);
    }

    @Test
    void logPageListsTheGroupInThePortsState() {
        Completion log = anaLog(false);
        assertThat(log.u32(8) & 0xFFFF).as("NGRPS").isEqualTo(1);
        assertThat(log.u32(16)).as("ANAGRPID").isEqualTo(1);
        assertThat(log.u32(20)).as("NNSID").isEqualTo(2);
        assertThat(log.u8(32)).as("ANAS").isEqualTo(AnaState.OPTIMIZED.code());
        assertThat(log.u32(48)).isEqualTo(1);
        assertThat(log.u32(52)).isEqualTo(2);
        long before = log.u64(0);

        t.portState = AnaState.NON_OPTIMIZED;
        t.controller.notifyAnaChanged();
        Completion after = anaLog(true);
        assertThat(after.u8(32)).isEqualTo(AnaState.NON_OPTIMIZED.code());
        assertThat(after.u32(20)).as("RGO: no NSID list").isZero();
        assertThat(after.u64(0)).as("CHGCNT moves").isGreaterThan(before);
    }

    @Test
    void ioIsRefusedWhileInaccessibleAndServedWhenNonOptimized() {
        t.io(Sqe.rw(0x02, 1, 0, 1), 512).ok();
        t.portState = AnaState.INACCESSIBLE;
        Completion refused = t.io(Sqe.rw(0x02, 1, 0, 1), 512);
        assertThat(refused.status).as("Asymmetric Access Inaccessible, retryable").isEqualTo(0x302);
        t.portState = AnaState.CHANGE;
        assertThat(t.io(Sqe.rw(0x02, 1, 0, 1), 512).status).as("Asymmetric Access Transition").isEqualTo(0x303);
        t.portState = AnaState.NON_OPTIMIZED;
        t.io(Sqe.rw(0x02, 1, 0, 1), 512).ok();
    }

    @Test
    void changeNoticeUntilTheLogIsRead() {
        t.admin(Sqe.setFeatures(0x0B, 1 << 11, false)).ok();
        Completion aer = t.admin(Sqe.asyncEventRequest());
        assertThat(aer.done()).isFalse();
        t.portState = AnaState.INACCESSIBLE;
        t.controller.notifyAnaChanged();
        aer.ok();
        assertThat(aer.dw0).isEqualTo(ANA_CHANGE_DW0);
        Completion second = t.admin(Sqe.asyncEventRequest());
        t.controller.notifyAnaChanged();
        assertThat(second.done()).as("masked until the log is read").isFalse();
        anaLog(false);
        assertThat(second.done()).isTrue();
    }
}
