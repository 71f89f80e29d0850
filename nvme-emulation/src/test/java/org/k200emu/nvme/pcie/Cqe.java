package org.k200emu.nvme.pcie;

import org.k200emu.nvme.NvmeStatus;

/**
 * A completion queue entry as the test host read it (NVMe Base 1.4, figure 124), with the status
 * field decoded into {@link NvmeStatus}'s encoding ({@code SCT << 8 | SC}, DNR at bit 14).
 */
record Cqe(int dw0, int dw1, int sqhd, int sqid, int cid, boolean phase, int status) {

    static Cqe decode(int dw0, int dw1, int dw2, int dw3) {
        int field = dw3 >>> 17;
        int status = field & (0x7FF | NvmeStatus.DNR);
        return new Cqe(dw0, dw1, dw2 & 0xFFFF, dw2 >>> 16, dw3 & 0xFFFF, (dw3 >>> 16 & 1) != 0, status);
    }

    boolean ok() {
        return status == NvmeStatus.SUCCESS;
    }

    @Override
    public String toString() {
        return "Cqe[cid=" + cid + " sqid=" + sqid + " sqhd=" + sqhd + " p=" + (phase ? 1 : 0) + " "
                + NvmeStatus.name(status) + " dw0=0x" + Integer.toHexString(dw0) + "]";
    }
}
