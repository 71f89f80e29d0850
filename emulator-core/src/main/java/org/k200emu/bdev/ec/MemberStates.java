package org.k200emu.bdev.ec;

import org.k200emu.bdev.Bdev;

/**
 * An immutable snapshot of the members of an {@link EcBdev}: which bdev fills each slot and in
 * what state, with a version that grows with every change. Swapped whole with a compare-and-set,
 * so that a state, the bdev it is about and the version that introduced it are always seen
 * together: marking a member failed cannot hit the replacement that took its slot meanwhile, and
 * a degraded write can wait until the superblocks hold at least the version it saw, so that a
 * member it skipped is known as failed after a crash.
 */
final class MemberStates {

    static final byte HEALTHY = 0;
    static final byte FAILED = 1;
    static final byte REBUILDING = 2;

    final long version;
    private final byte[] states;
    private final Bdev[] bdevs;

    MemberStates(long version, byte[] states, Bdev[] bdevs) {
        this.version = version;
        this.states = states;
        this.bdevs = bdevs;
    }

    int get(int member) {
        return states[member];
    }

    Bdev bdev(int member) {
        return bdevs[member];
    }

    boolean readable(int member) {
        return states[member] == HEALTHY;
    }

    boolean writable(int member) {
        return states[member] != FAILED;
    }

    int count(byte state) {
        int c = 0;
        for (byte s : states) {
            if (s == state) {
                c++;
            }
        }
        return c;
    }

    /** A copy with {@code member} in {@code state} and the next version. */
    MemberStates with(int member, byte state) {
        byte[] next = states.clone();
        next[member] = state;
        return new MemberStates(version + 1, next, bdevs);
    }

    /** A copy with {@code bdev} in slot {@code member}, in {@code state}, and the next version. */
    MemberStates replaced(int member, Bdev bdev, byte state) {
        byte[] next = states.clone();
        next[member] = state;
        Bdev[] nextBdevs = bdevs.clone();
        nextBdevs[member] = bdev;
        return new MemberStates(version + 1, next, nextBdevs);
    }

    byte[] toBytes() {
        return states.clone();
    }
}
