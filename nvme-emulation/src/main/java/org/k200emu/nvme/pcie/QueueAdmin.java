package org.k200emu.nvme.pcie;

import static org.k200emu.nvme.pcie.HostMemory.PAGE_MASK;

import org.k200emu.nvme.NvmeStatus;
import org.k200emu.nvme.controller.NvmeRequest;

/**
 * The PCIe-only admin commands of one {@link PcieController}: Create and Delete I/O Submission
 * and Completion Queue (NVMe Base 1.4, sections 5.3 to 5.6), with their command-specific
 * statuses. Runs on the controller's core, on the controller's queue tables.
 */
final class QueueAdmin {

    /** The command completes later (a Delete waiting for the queue's commands). */
    static final int DEFERRED = -1;

    private static final int CQ_PC = 1;
    private static final int CQ_IEN = 1 << 1;
    private static final int SQ_PC = 1;

    private final PcieController c;

    QueueAdmin(PcieController controller) {
        this.c = controller;
    }

    /** Runs {@code op}; returns its status, or {@link #DEFERRED}. */
    int execute(PcieCommand cmd, PcieAdminOpcode op) {
        NvmeRequest req = cmd.request;
        if (req.fuse() != 0) {
            return NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD);
        }
        switch (op) {
            case CREATE_IO_CQ:
                return createCq(req);
            case CREATE_IO_SQ:
                return createSq(req);
            case DELETE_IO_SQ:
                return deleteSq(cmd);
            case DELETE_IO_CQ:
                return deleteCq(req);
            default:
                return NvmeStatus.withDnr(NvmeStatus.INVALID_OPCODE);
        }
    }

    /** A queue ID the host may create now: 1..granted queues (Set Features, Number of Queues). */
    private boolean creatableId(int qid) {
        return qid >= 1 && qid <= Math.min(c.controller().grantedIoQueues(), c.params().maxIoQueues());
    }

    /** A queue size (0's based, as the command gives it) of 2..CAP.MQES + 1 entries. */
    private boolean validSize(int zeroBasedSize) {
        return zeroBasedSize >= 1 && zeroBasedSize <= c.params().maxQueueEntries() - 1;
    }

    /**
     * Checks the base address of a physically contiguous queue: page aligned (a PRP entry with
     * an offset otherwise) and inside host memory (a Data Transfer Error otherwise: the
     * controller would fault on its first access).
     */
    private int checkBase(long base, long bytes) {
        if ((base & PAGE_MASK) != 0) {
            return NvmeStatus.withDnr(PcieStatus.PRP_OFFSET_INVALID);
        }
        if (!c.memory().contains(base, bytes)) {
            return NvmeStatus.withDnr(NvmeStatus.DATA_TRANSFER_ERROR);
        }
        return NvmeStatus.SUCCESS;
    }

    private int createCq(NvmeRequest req) {
        int qid = req.cdw(10) & 0xFFFF;
        int qsize = req.cdw(10) >>> 16;
        int flags = req.cdw(11);
        int vector = flags >>> 16;
        long base = req.sqe().getLongLE(24);
        if (!creatableId(qid) || c.cqs[qid] != null) {
            return NvmeStatus.withDnr(NvmeStatus.INVALID_QUEUE_ID);
        }
        if (!validSize(qsize)) {
            return NvmeStatus.withDnr(NvmeStatus.INVALID_QUEUE_SIZE);
        }
        if (vector >= c.params().interruptVectors()) {
            return NvmeStatus.withDnr(PcieStatus.INVALID_INTERRUPT_VECTOR);
        }
        if ((flags & CQ_PC) == 0) {
            // Only physically contiguous queues (CAP.CQR = 1): no PRP list for a queue.
            return NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD);
        }
        int entries = qsize + 1;
        int status = checkBase(base, (long) entries * CompletionQueue.ENTRY_SIZE);
        if (status != NvmeStatus.SUCCESS) {
            return status;
        }
        c.cqs[qid] = new CompletionQueue(qid, base, entries, vector, (flags & CQ_IEN) != 0);
        return NvmeStatus.SUCCESS;
    }

    private int createSq(NvmeRequest req) {
        int qid = req.cdw(10) & 0xFFFF;
        int qsize = req.cdw(10) >>> 16;
        int flags = req.cdw(11);
        int cqid = flags >>> 16;
        long base = req.sqe().getLongLE(24);
        if (!creatableId(qid) || c.sqs[qid] != null) {
            return NvmeStatus.withDnr(NvmeStatus.INVALID_QUEUE_ID);
        }
        CompletionQueue cq = cqid == 0 || cqid >= c.cqs.length ? null : c.cqs[cqid];
        if (cq == null) {
            return NvmeStatus.withDnr(PcieStatus.COMPLETION_QUEUE_INVALID);
        }
        if (!validSize(qsize)) {
            return NvmeStatus.withDnr(NvmeStatus.INVALID_QUEUE_SIZE);
        }
        if ((flags & SQ_PC) == 0) {
            return NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD);
        }
        int entries = qsize + 1;
        int status = checkBase(base, (long) entries * SubmissionQueue.ENTRY_SIZE);
        if (status != NvmeStatus.SUCCESS) {
            return status;
        }
        c.sqs[qid] = c.newSq(qid, base, entries, cq);
        return NvmeStatus.SUCCESS;
    }

    /**
     * Stops fetching from the queue at once; the queue goes, and the command completes, when the
     * commands already fetched have posted their completions (they run to the end: the bdevs
     * below cannot abort an I/O halfway).
     */
    private int deleteSq(PcieCommand cmd) {
        int qid = cmd.request.cdw(10) & 0xFFFF;
        SubmissionQueue sq = qid == 0 || qid >= c.sqs.length ? null : c.sqs[qid];
        if (sq == null || sq.deleting) {
            return NvmeStatus.withDnr(NvmeStatus.INVALID_QUEUE_ID);
        }
        sq.deleting = true;
        if (sq.inFlight == 0) {
            c.removeSq(sq);
            return NvmeStatus.SUCCESS;
        }
        sq.deleteCommand = cmd;
        return DEFERRED;
    }

    private int deleteCq(NvmeRequest req) {
        int qid = req.cdw(10) & 0xFFFF;
        CompletionQueue cq = qid == 0 || qid >= c.cqs.length ? null : c.cqs[qid];
        if (cq == null) {
            return NvmeStatus.withDnr(NvmeStatus.INVALID_QUEUE_ID);
        }
        if (cq.attachedSqs > 0) {
            return NvmeStatus.withDnr(PcieStatus.INVALID_QUEUE_DELETION);
        }
        c.cqs[qid] = null;
        cq.live = false;
        return NvmeStatus.SUCCESS;
    }
}
