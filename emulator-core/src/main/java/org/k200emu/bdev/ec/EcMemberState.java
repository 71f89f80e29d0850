package org.k200emu.bdev.ec;

/** The state of one member of an {@link EcBdev}, as its status reports it. */
public enum EcMemberState {
    /** Holds current data: read and written. */
    HEALTHY,
    /** An I/O to it failed: neither read nor written until it is replaced. */
    FAILED,
    /** A replacement being rebuilt: written by every update, read only once rebuilt. */
    REBUILDING;

    static EcMemberState of(int code) {
        return values()[code];
    }
}
