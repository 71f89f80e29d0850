package org.k200emu.bdev.ec;

import java.util.List;
import java.util.Optional;

/**
 * A snapshot of an {@link EcBdev}'s health, for the control plane: the state of every member
 * slot, the rebuild under way (or last run) if any, how many write-intent regions are dirty
 * right now, and how many stripes were resynced when the volume was opened.
 */
public record EcStatus(List<EcMemberState> members, int failedMembers, Optional<EcRebuild> rebuild,
                       int dirtyRegions, long resyncedStripes) {

    /** True if every member is HEALTHY: the full m-member redundancy is there. */
    public boolean fullyRedundant() {
        return members.stream().allMatch(s -> s == EcMemberState.HEALTHY);
    }
}
