package org.k200emu.cluster;

/** {@link IdleStrategy} that spins with {@link Thread#onSpinWait()}; never blocks. One per host thread. */
public final class BusySpinIdle implements IdleStrategy {

    @Override
    public void idle(int workCount) {
        if (workCount <= 0) {
            Thread.onSpinWait();
        }
    }

    @Override
    public void reset() {
    }

    @Override
    public String toString() {
        return "spin";
    }
}
