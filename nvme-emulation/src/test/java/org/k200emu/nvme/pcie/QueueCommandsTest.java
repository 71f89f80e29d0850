package org.k200emu.nvme.pcie;

import static org.assertj.core.api.Assertions.assertThat;
import static org.k200emu.nvme.pcie.TestNvmeDriver.expect;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.testing.Bytes;

/**
 * Create / Delete I/O Submission and Completion Queue (NVMe Base 1.4, sections 5.3 to 5.6) and
 * each status they can fail with. The default function has 64 I/O queues of up to 1024 entries
 * and 65 MSI-X vectors.
 */
class QueueCommandsTest {

    private static final int INVALID_QID = NvmeStatus.withDnr(NvmeStatus.INVALID_QUEUE_ID);
    private static final int INVALID_SIZE = NvmeStatus.withDnr(NvmeStatus.INVALID_QUEUE_SIZE);
    private static final int INVALID_FIELD = NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD);
    private static final int CQ_INVALID = NvmeStatus.withDnr(PcieStatus.COMPLETION_QUEUE_INVALID);
    private static final int INVALID_VECTOR = NvmeStatus.withDnr(PcieStatus.INVALID_INTERRUPT_VECTOR);
    private static final int INVALID_DELETION = NvmeStatus.withDnr(PcieStatus.INVALID_QUEUE_DELETION);
    private static final int PRP_OFFSET = NvmeStatus.withDnr(PcieStatus.PRP_OFFSET_INVALID);
    private static final int DTE = NvmeStatus.withDnr(NvmeStatus.DATA_TRANSFER_ERROR);

    private final TestMachine m = TestMachine.ready();
    private final TestNvmeDriver d = m.driver;

    @AfterEach
    void close() {
        assertThat(m.csts()).as("no queue error is fatal").isEqualTo(PcieController.CSTS_RDY);
        m.close();
    }

    private Cqe createCq(int qid, int entries, int vector, boolean pc) {
        return d.admin(Sqe.createCq(qid, entries, d.allocPages(16), vector, true, pc));
    }

    private Cqe createSq(int qid, int entries, int cqid, boolean pc) {
        return d.admin(Sqe.createSq(qid, entries, d.allocPages(16), cqid, pc));
    }

    @Test
    void createAndDeleteAPairThenUseItsIdsAgain() {
        TestNvmeDriver.QueuePair q = d.createIoQueuePair(5, 32, 5);
        expect(d.write(q, 1, 0, Bytes.random(3, 1024), 512), NvmeStatus.SUCCESS);
        expect(d.admin(Sqe.deleteSq(5)), NvmeStatus.SUCCESS);
        expect(d.admin(Sqe.deleteCq(5)), NvmeStatus.SUCCESS);
        TestNvmeDriver.QueuePair again = d.createIoQueuePair(5, 1024, 64);
        assertThat(d.read(again, 1, 0, 2, 512)).isEqualTo(Bytes.random(3, 1024));
    }

    @Test
    void completionQueueIdentifiers() {
        expect(createCq(0, 16, 1, true), INVALID_QID);
        expect(createCq(65, 16, 1, true), INVALID_QID);
        expect(createCq(0xFFFF, 16, 1, true), INVALID_QID);
        expect(createCq(64, 16, 1, true), NvmeStatus.SUCCESS);
        expect(createCq(64, 16, 1, true), INVALID_QID);
    }

    @Test
    void queueIdentifiersAreBoundedByTheQueuesGranted() {
        expect(d.admin(Sqe.setFeatures(0x07, 1 | 1 << 16)), NvmeStatus.SUCCESS);
        expect(createCq(2, 16, 1, true), NvmeStatus.SUCCESS);
        expect(createCq(3, 16, 1, true), INVALID_QID);
        expect(createSq(3, 16, 2, true), INVALID_QID);
    }

    @Test
    void completionQueueSizes() {
        expect(createCq(1, 1, 1, true), INVALID_SIZE);
        expect(createCq(1, 1025, 1, true), INVALID_SIZE);
        expect(createCq(1, 2, 1, true), NvmeStatus.SUCCESS);
        expect(createCq(2, 1024, 1, true), NvmeStatus.SUCCESS);
    }

    @Test
    void completionQueueVectorsContiguityAndBase() {
        expect(createCq(1, 16, 65, true), INVALID_VECTOR);
        expect(createCq(1, 16, 1, false), INVALID_FIELD);
        long pages = d.allocPages(2);
        expect(d.admin(Sqe.createCq(1, 16, pages + 0x100, 1, true, true)), PRP_OFFSET);
        expect(d.admin(Sqe.createCq(1, 16, 0x1000, 1, true, true)), DTE);
        long lastPage = TestMachine.MEMORY_BASE + (16 << 20) - 4096;
        expect(d.admin(Sqe.createCq(1, 257, lastPage, 1, true, true)), DTE);
        expect(d.admin(Sqe.createCq(1, 256, lastPage, 1, true, true)), NvmeStatus.SUCCESS);
    }

    @Test
    void submissionQueueChecks() {
        expect(createCq(1, 16, 1, true), NvmeStatus.SUCCESS);
        expect(createSq(1, 16, 0, true), CQ_INVALID);
        expect(createSq(1, 16, 2, true), CQ_INVALID);
        expect(createSq(1, 16, 0xFFFF, true), CQ_INVALID);
        expect(createSq(0, 16, 1, true), INVALID_QID);
        expect(createSq(65, 16, 1, true), INVALID_QID);
        expect(createSq(1, 1, 1, true), INVALID_SIZE);
        expect(createSq(1, 1025, 1, true), INVALID_SIZE);
        expect(createSq(1, 16, 1, false), INVALID_FIELD);
        expect(d.admin(Sqe.createSq(1, 16, d.allocPages(1) + 64, 1, true)), PRP_OFFSET);
        expect(d.admin(Sqe.createSq(1, 16, TestMachine.MEMORY_BASE + (16 << 20), 1, true)), DTE);
        expect(createSq(1, 16, 1, true), NvmeStatus.SUCCESS);
        expect(createSq(1, 16, 1, true), INVALID_QID);
        expect(createSq(2, 16, 1, true), NvmeStatus.SUCCESS); // two SQs may share a CQ
    }

    @Test
    void deleteChecks() {
        expect(d.admin(Sqe.deleteSq(0)), INVALID_QID);
        expect(d.admin(Sqe.deleteCq(0)), INVALID_QID);
        expect(d.admin(Sqe.deleteSq(3)), INVALID_QID);
        expect(d.admin(Sqe.deleteCq(3)), INVALID_QID);
        expect(d.admin(Sqe.deleteSq(0xFFFF)), INVALID_QID);
        expect(createCq(3, 16, 1, true), NvmeStatus.SUCCESS);
        expect(createSq(3, 16, 3, true), NvmeStatus.SUCCESS);
        expect(createSq(4, 16, 3, true), NvmeStatus.SUCCESS);
        expect(d.admin(Sqe.deleteCq(3)), INVALID_DELETION);
        expect(d.admin(Sqe.deleteSq(3)), NvmeStatus.SUCCESS);
        expect(d.admin(Sqe.deleteSq(3)), INVALID_QID);
        expect(d.admin(Sqe.deleteCq(3)), INVALID_DELETION);
        expect(d.admin(Sqe.deleteSq(4)), NvmeStatus.SUCCESS);
        expect(d.admin(Sqe.deleteCq(3)), NvmeStatus.SUCCESS);
        expect(d.admin(Sqe.deleteCq(3)), INVALID_QID);
    }
}
