package org.k200emu.nvme.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.k200emu.nvme.NvmeStatus;

/** Registers (CAP, VS, CC, CSTS), enable / shutdown sequencing, Keep Alive and Abort. */
class NvmeControllerTest {

    private final TestTransport t = TestTransport.nvm(1024);

    @AfterEach
    void close() {
        t.close();
    }

    private long property(int offset, int size) {
        NvmeController.PropertyValue v = t.controller.getProperty(offset, size);
        assertThat(v.status()).isEqualTo(NvmeStatus.SUCCESS);
        return v.value();
    }

    @Test
    void capFields() {
        t.connect(0);
        long cap = property(NvmeController.REG_CAP, 8);
        assertThat(cap & 0xFFFF).as("MQES (0's based)").isEqualTo(127);
        assertThat((cap >>> 16) & 1).as("CQR").isEqualTo(1);
        assertThat((cap >>> 17) & 0x3).as("AMS").isZero();
        assertThat((cap >>> 24) & 0xFF).as("TO").isEqualTo(15);
        assertThat((cap >>> 32) & 0xF).as("DSTRD").isZero();
        assertThat((cap >>> 37) & 0xFF).as("CSS: NVM command set only").isEqualTo(1);
        assertThat((cap >>> 48) & 0xF).as("MPSMIN: 4 KiB").isZero();
        assertThat(property(NvmeController.REG_VS, 4)).isEqualTo(0x00010400);
    }

    @Test
    void wrongSizesAndReadOnlyRegistersAreInvalidField() {
        t.connect(0);
        int invalid = NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD);
        assertThat(t.controller.getProperty(NvmeController.REG_CAP, 4).status()).isEqualTo(invalid);
        assertThat(t.controller.getProperty(NvmeController.REG_CC, 8).status()).isEqualTo(invalid);
        assertThat(t.controller.getProperty(0x24, 4).status()).isEqualTo(invalid);
        assertThat(t.controller.setProperty(NvmeController.REG_CAP, 8, 0)).isEqualTo(invalid);
        assertThat(t.controller.setProperty(NvmeController.REG_CSTS, 4, 1)).isEqualTo(invalid);
    }

    @Test
    void commandsBeforeEnableAreSequenceErrors() {
        t.connect(0);
        assertThat(t.controller.isReady()).isFalse();
        assertThat(property(NvmeController.REG_CSTS, 4) & 1).as("CSTS.RDY").isZero();
        t.admin(Sqe.identify(1, 0)).expect(NvmeStatus.withDnr(NvmeStatus.CMD_SEQ_ERROR));
        t.io(Sqe.rw(0x02, 1, 0, 1), 512).expect(NvmeStatus.withDnr(NvmeStatus.CMD_SEQ_ERROR));
    }

    @Test
    void enableSetsReadyAndCcReadsBack() {
        t.connect(0);
        t.enable();
        assertThat(property(NvmeController.REG_CC, 4)).isEqualTo(TestTransport.CC_ENABLE);
        long csts = property(NvmeController.REG_CSTS, 4);
        assertThat(csts & 1).as("RDY").isEqualTo(1);
        assertThat((csts >>> 1) & 1).as("CFS").isZero();
        t.admin(Sqe.identify(1, 0)).ok();
    }

    @Test
    void badQueueEntrySizesSetFatalStatus() {
        t.connect(0);
        int badIosqes = 1 | 5 << 16 | 4 << 20;
        assertThat(t.controller.setProperty(NvmeController.REG_CC, 4, badIosqes)).isEqualTo(NvmeStatus.SUCCESS);
        long csts = property(NvmeController.REG_CSTS, 4);
        assertThat((csts >>> 1) & 1).as("CFS").isEqualTo(1);
        assertThat(csts & 1).as("RDY").isZero();
        t.admin(Sqe.identify(1, 0)).expect(NvmeStatus.withDnr(NvmeStatus.CMD_SEQ_ERROR));

        // Disable, then enable correctly: the controller recovers.
        t.controller.setProperty(NvmeController.REG_CC, 4, 0);
        t.enable();
        assertThat((property(NvmeController.REG_CSTS, 4) >>> 1) & 1).as("CFS after reset").isZero();
    }

    @Test
    void badIocqesAndCssAlsoFail() {
        t.connect(0);
        t.controller.setProperty(NvmeController.REG_CC, 4, 1 | 6 << 16 | 3 << 20);
        assertThat((property(NvmeController.REG_CSTS, 4) >>> 1) & 1).isEqualTo(1);
        t.controller.setProperty(NvmeController.REG_CC, 4, 0);
        t.controller.setProperty(NvmeController.REG_CC, 4, 1 | 7 << 4 | 6 << 16 | 4 << 20);
        assertThat((property(NvmeController.REG_CSTS, 4) >>> 1) & 1).isEqualTo(1);
        assertThat(t.controller.isReady()).isFalse();
    }

    @Test
    void normalShutdownReportsShutdownComplete() {
        t.connectAndEnable();
        assertThat((property(NvmeController.REG_CSTS, 4) >>> 2) & 0x3).as("SHST before").isZero();
        t.controller.setProperty(NvmeController.REG_CC, 4, TestTransport.CC_ENABLE | 1 << 14);
        assertThat((property(NvmeController.REG_CSTS, 4) >>> 2) & 0x3).as("SHST").isEqualTo(2);
    }

    @Test
    void disableClearsReady() {
        t.connectAndEnable();
        t.controller.setProperty(NvmeController.REG_CC, 4, 0);
        assertThat(property(NvmeController.REG_CSTS, 4) & 1).isZero();
        t.admin(Sqe.op(0x18)).expect(NvmeStatus.withDnr(NvmeStatus.CMD_SEQ_ERROR));
    }

    @Test
    void keepAliveTimeout() {
        t.connect(1000);
        t.enable();
        assertThat(t.controller.kato()).isEqualTo(1000);
        long before = System.nanoTime();
        t.admin(Sqe.op(0x18)).ok();
        long last = t.controller.lastActivityNanos();
        assertThat(last).isGreaterThanOrEqualTo(before);
        assertThat(t.controller.keepAliveExpired(last + TimeUnit.MILLISECONDS.toNanos(500))).isFalse();
        assertThat(t.controller.keepAliveExpired(last + TimeUnit.MILLISECONDS.toNanos(1001))).isTrue();
        t.controller.touch(last + TimeUnit.MILLISECONDS.toNanos(900));
        assertThat(t.controller.keepAliveExpired(last + TimeUnit.MILLISECONDS.toNanos(1500))).isFalse();
    }

    @Test
    void noKeepAliveTimeoutNeverExpires() {
        t.connectAndEnable();
        assertThat(t.controller.keepAliveExpired(System.nanoTime() + TimeUnit.HOURS.toNanos(10))).isFalse();
    }

    @Test
    void abortReportsNotAborted() {
        t.connectAndEnable();
        Completion c = t.admin(Sqe.op(0x08).cdw(10, 1 | 7 << 16)).ok();
        assertThat(c.dw0 & 1).as("DW0 bit 0: command not aborted").isEqualTo(1);
    }

    @Test
    void unknownOrFusedAdminCommands() {
        t.connectAndEnable();
        t.admin(Sqe.op(0xC0)).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_OPCODE));
        // Opcodes the controller does not implement (Create I/O SQ, Format NVM, Namespace Management).
        t.admin(Sqe.op(0x01)).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_OPCODE));
        t.admin(Sqe.op(0x80)).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_OPCODE));
        t.admin(Sqe.op(0x0D)).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_OPCODE));
        t.admin(Sqe.identify(1, 0).fuse(1)).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
    }

    @Test
    void controllersGetDistinctIdsAndShutdownStopsCommands() {
        NvmeController a = t.connectAndEnable();
        NvmeController b = t.connect(0);
        assertThat(a.cntlid()).isEqualTo(1);
        assertThat(b.cntlid()).isEqualTo(2);
        assertThat(t.subsystem.controller(2)).isSameAs(b);
        t.controller = a;
        t.subsystem.removeController(a);
        assertThat(a.isReady()).isFalse();
        t.admin(Sqe.op(0x18)).expect(NvmeStatus.withDnr(NvmeStatus.CMD_SEQ_ERROR));
        assertThat(t.subsystem.controller(1)).isNull();
    }
}
