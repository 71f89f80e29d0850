package org.k200emu.nvme.controller;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.k200emu.nvme.NvmeStatus;

/** Asynchronous Event Request (NVMe Base 1.4, section 5.2) with Namespace Attribute Notices. */
class AsyncEventTest {

    /** DW0: type Notice (2), information Namespace Attribute Changed (0), log page 04h. */
    private static final int NS_CHANGED_DW0 = 2 | 0 << 8 | 0x04 << 16;

    private final TestTransport t = TestTransport.nvm(64);

    @BeforeEach
    void enable() {
        t.connectAndEnable();
    }

    @AfterEach
    void close() {
        t.close();
    }

    private void enableNotices() {
        t.admin(Sqe.setFeatures(0x0B, 1 << 8, false)).ok();
    }

    private Completion readChangedList(boolean rae) {
        return t.admin(Sqe.getLogPage(0x04, 0, 4096, rae), 4096, null).ok();
    }

    @Test
    void heldUntilANamespaceIsAdded() {
        enableNotices();
        Completion aer = t.admin(Sqe.asyncEventRequest().cid(7));
        assertThat(aer.done()).isFalse();
        t.addMalloc(2, 512, 8);
        aer.ok();
        assertThat(aer.dw0 & 0x7).as("event type").isEqualTo(2);
        assertThat((aer.dw0 >>> 8) & 0xFF).as("event information").isZero();
        assertThat((aer.dw0 >>> 16) & 0xFF).as("log page").isEqualTo(4);
        assertThat(aer.dw0).isEqualTo(NS_CHANGED_DW0);
        assertThat(readChangedList(false).u32(0)).isEqualTo(2);
    }

    @Test
    void noNoticeWhileDisabledInConfiguration() {
        Completion aer = t.admin(Sqe.asyncEventRequest());
        t.addMalloc(2, 512, 8);
        assertThat(aer.done()).isFalse();
        // The list still records the change.
        assertThat(readChangedList(false).u32(0)).isEqualTo(2);
        assertThat(aer.done()).isFalse();
    }

    @Test
    void fifthRequestExceedsTheLimit() {
        Completion[] held = new Completion[4];
        for (int i = 0; i < 4; i++) {
            held[i] = t.admin(Sqe.asyncEventRequest().cid(i));
        }
        t.admin(Sqe.asyncEventRequest().cid(4)).expect(NvmeStatus.withDnr(NvmeStatus.AER_LIMIT_EXCEEDED));
        for (Completion c : held) {
            assertThat(c.done()).isFalse();
        }
        enableNotices();
        t.addMalloc(2, 512, 8);
        long completed = java.util.Arrays.stream(held).filter(Completion::done).count();
        assertThat(completed).as("one event completes one request").isEqualTo(1);
    }

    @Test
    void furtherNoticesMaskedUntilTheLogIsRead() {
        enableNotices();
        Completion first = t.admin(Sqe.asyncEventRequest());
        t.addMalloc(2, 512, 8);
        first.ok();
        Completion second = t.admin(Sqe.asyncEventRequest());
        // Not yet: the notice is masked until the log is read without RAE.
        assertThat(second.done()).isFalse();
        t.addMalloc(3, 512, 8);
        assertThat(second.done()).isFalse();
        Completion retained = readChangedList(true);
        assertThat(second.done()).as("RAE keeps the mask").isFalse();
        assertThat(new int[] {retained.u32(0), retained.u32(4)}).containsExactly(2, 3);
        readChangedList(false);
        second.ok();
        assertThat(second.dw0).isEqualTo(NS_CHANGED_DW0);
    }

    @Test
    void pendingNoticeDeliveredToTheNextRequest() {
        enableNotices();
        t.addMalloc(2, 512, 8);
        Completion aer = t.admin(Sqe.asyncEventRequest());
        aer.ok();
        assertThat(aer.dw0).isEqualTo(NS_CHANGED_DW0);
    }

    @Test
    void resetAbortsOutstandingRequests() {
        Completion a = t.admin(Sqe.asyncEventRequest());
        Completion b = t.admin(Sqe.asyncEventRequest());
        t.controller.setProperty(NvmeController.REG_CC, 4, 0);
        a.expect(NvmeStatus.ABORTED_SQ_DELETION);
        b.expect(NvmeStatus.ABORTED_SQ_DELETION);
    }

    @Test
    void removingTheControllerAbortsOutstandingRequests() {
        Completion a = t.admin(Sqe.asyncEventRequest());
        t.subsystem.removeController(t.controller);
        a.expect(NvmeStatus.ABORTED_SQ_DELETION);
    }
}
