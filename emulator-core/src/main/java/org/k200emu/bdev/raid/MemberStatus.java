package org.k200emu.bdev.raid;

/**
 * A snapshot of one member of a {@link RaidBdev} for the control plane: its position, the bdev in
 * that position, its state and, while {@link MemberState#REBUILDING}, how many rows of the
 * member are done ({@code rowsDone == rows} for a healthy member, 0 for a failed one).
 */
public record MemberStatus(int index, String bdev, MemberState state, long rowsDone, long rows) {

    /** Fraction of the member that holds current data, 0 to 1. */
    public double progress() {
        return rows == 0 ? 1.0 : (double) rowsDone / rows;
    }
}
