package org.k200emu.nvme.pcie;

import static org.assertj.core.api.Assertions.assertThat;
import static org.k200emu.nvme.pcie.TestNvmeDriver.expect;

import org.junit.jupiter.api.Test;
import org.k200emu.bdev.testing.FaultyBdev;
import org.k200emu.nvme.NvmeStatus;

/** Delete I/O Submission Queue while the queue's commands are still running in the bdev. */
class QueueDeletionTest {

    private static final int INVALID_QID = NvmeStatus.withDnr(NvmeStatus.INVALID_QUEUE_ID);
    private static final int INVALID_DELETION = NvmeStatus.withDnr(PcieStatus.INVALID_QUEUE_DELETION);

    @Test
    void deletingASubmissionQueueWaitsForItsCommands() {
        FaultyBdev bdev = FaultyBdev.overMalloc("held0", 512, 4096);
        try (TestMachine held = new TestMachine(PcieParams.defaults(), Runnable::run, 16 << 20, bdev)) {
            TestNvmeDriver h = held.driver;
            h.enable();
            TestNvmeDriver.QueuePair q = h.createIoQueuePair(1, 16, 1);
            bdev.hold(true);
            TestNvmeDriver.Buffer buf = h.allocBuffer(4096, 0, false);
            int read = h.post(q, Sqe.rw(Sqe.READ, 1, 0, 8).prp1(buf.address()));
            h.ring(q);
            int delete = h.post(h.admin, Sqe.deleteSq(1));
            h.ring(h.admin);
            assertThat(h.reap(h.admin)).as("Delete waits").isEmpty();
            assertThat(h.admin(Sqe.deleteSq(1)).status()).as("already being deleted").isEqualTo(INVALID_QID);
            assertThat(h.admin(Sqe.deleteCq(1)).status()).isEqualTo(INVALID_DELETION);

            bdev.releaseHeld();
            Cqe io = h.await(q, read);
            assertThat(io.ok()).isTrue();
            expect(h.await(h.admin, delete), NvmeStatus.SUCCESS);
            expect(h.admin(Sqe.deleteCq(1)), NvmeStatus.SUCCESS);
            assertThat(held.csts()).isEqualTo(PcieController.CSTS_RDY);
        }
    }
}
