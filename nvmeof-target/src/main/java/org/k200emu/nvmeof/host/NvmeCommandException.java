package org.k200emu.nvmeof.host;

import java.io.IOException;
import org.k200emu.nvme.NvmeStatus;

/** A command the remote controller completed with an error status, during set-up or on request. */
public final class NvmeCommandException extends IOException {

    private static final long serialVersionUID = 1L;

    private final int status;

    public NvmeCommandException(String what, int status) {
        super(what + ": " + NvmeStatus.name(status));
        this.status = status;
    }

    /** The NVMe status (SCT, SC, DNR). */
    public int status() {
        return status;
    }
}
