package org.k200emu.cluster;

import java.util.concurrent.locks.LockSupport;

/**
 * {@link IdleStrategy} that parks the host thread until a producer wakes it or the next core timer
 * is due: no CPU use when idle, a wake-up latency of a futex call. One per host thread.
 */
public final class BlockingIdle implements IdleStrategy {

    @Override
    public void idle(int workCount) {
        idle(workCount, Long.MAX_VALUE);
    }

    @Override
    public void idle(int workCount, long maxBlockNanos) {
        if (workCount > 0) {
            return;
        }
        if (maxBlockNanos == Long.MAX_VALUE) {
            LockSupport.park(this);
        } else {
            LockSupport.parkNanos(this, Math.max(1, maxBlockNanos));
        }
    }

    @Override
    public void reset() {
    }

    @Override
    public boolean blocks() {
        return true;
    }

    @Override
    public String toString() {
        return "block";
    }
}
