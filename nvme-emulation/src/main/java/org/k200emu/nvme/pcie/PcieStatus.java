package org.k200emu.nvme.pcie;

/**
 * Status codes only the PCIe front end returns, in {@link org.k200emu.nvme.NvmeStatus}'s
 * {@code (SCT << 8) | SC} encoding (NVMe Base 1.4, figures 126 and 128). They live here rather
 * than in the shared table because no other front end produces them.
 */
final class PcieStatus {
    /** Generic: an SGL's number of descriptors is invalid (we bound it against looping lists). */
    static final int INVALID_NUMBER_OF_SGL_DESCRIPTORS = 0x00E;
    /** Generic: a PRP entry other than the first has an offset, or an offset is not dword aligned. */
    static final int PRP_OFFSET_INVALID = 0x013;
    /** Create I/O Submission Queue: the completion queue named does not exist. */
    static final int COMPLETION_QUEUE_INVALID = 0x100;
    /** Create I/O Completion Queue: the interrupt vector is not one the controller has. */
    static final int INVALID_INTERRUPT_VECTOR = 0x108;
    /** Delete I/O Completion Queue: submission queues are still attached to it. */
    static final int INVALID_QUEUE_DELETION = 0x10C;

    private PcieStatus() {
    }
}
