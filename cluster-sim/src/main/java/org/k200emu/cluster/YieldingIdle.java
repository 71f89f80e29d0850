package org.k200emu.cluster;

/** {@link IdleStrategy} that yields the CPU on each idle cycle; never blocks. One per host thread. */
public final class YieldingIdle implements IdleStrategy {

    @Override
    public void idle(int workCount) {
        if (workCount <= 0) {
            Thread.yield();
        }
    }

    @Override
    public void reset() {
    }

    @Override
    public String toString() {
        return "yield";
    }
}
