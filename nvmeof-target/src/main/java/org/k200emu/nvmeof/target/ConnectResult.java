package org.k200emu.nvmeof.target;

import org.k200emu.cluster.SimCore;
import org.k200emu.nvme.NvmeStatus;

/**
 * The outcome of a Fabrics Connect: on success the session joined and the core the queue runs
 * on; on failure the NVMe status, the CQE dword 0 that goes with it (for Connect Invalid
 * Parameters: IATTR and IPO), and a reason for the log.
 */
record ConnectResult(int status, int dw0, ControllerSession session, SimCore core, String reason) {

    static ConnectResult accepted(ControllerSession session, SimCore core) {
        return new ConnectResult(NvmeStatus.SUCCESS, session.controller().cntlid(), session, core, null);
    }

    static ConnectResult refused(int status, String reason) {
        return new ConnectResult(NvmeStatus.withDnr(status), 0, null, null, reason);
    }

    /** Connect Invalid Parameters, pointing at the offending field of the SQE or of the data. */
    static ConnectResult invalidParameter(boolean inData, int offset, String reason) {
        int dw0 = (inData ? 1 << 16 : 0) | offset;
        return new ConnectResult(NvmeStatus.withDnr(NvmeStatus.CONNECT_INVALID_PARAMETERS), dw0, null, null, reason);
    }
}
