package org.k200emu.bdev.raid;

/** The state of one member of a {@link RaidBdev}, as reported by {@link RaidBdev#members()}. */
public enum MemberState {
    /** In service: read from and written to. */
    HEALTHY,
    /** Out of service after an I/O error or by request; waits for {@link RaidBdev#replace}. */
    FAILED,
    /** A replacement being rebuilt: used for the rows already rebuilt, written there too. */
    REBUILDING
}
