package org.k200emu.cluster;

import java.util.concurrent.locks.LockSupport;

/**
 * {@link IdleStrategy} that spins for a few idle cycles, then yields, then parks for a time that
 * doubles from a minimum to a maximum (and never past the next core timer). One per host thread.
 */
public final class BackoffIdle implements IdleStrategy {

    private final long maxSpins;
    private final long maxYields;
    private final long minParkNanos;
    private final long maxParkNanos;
    private long spins;
    private long yields;
    private long parkNanos;

    /**
     * A backoff strategy.
     *
     * @param maxSpins idle cycles spent spinning before yielding
     * @param maxYields idle cycles spent yielding before parking
     * @param minParkNanos first park time
     * @param maxParkNanos longest park time
     */
    public BackoffIdle(long maxSpins, long maxYields, long minParkNanos, long maxParkNanos) {
        if (maxSpins < 0 || maxYields < 0 || minParkNanos < 1 || maxParkNanos < minParkNanos) {
            throw new IllegalArgumentException("bad backoff: spins=" + maxSpins + " yields=" + maxYields
                    + " park=" + minParkNanos + ".." + maxParkNanos);
        }
        this.maxSpins = maxSpins;
        this.maxYields = maxYields;
        this.minParkNanos = minParkNanos;
        this.maxParkNanos = maxParkNanos;
        this.parkNanos = minParkNanos;
    }

    @Override
    public void idle(int workCount) {
        idle(workCount, Long.MAX_VALUE);
    }

    @Override
    public void idle(int workCount, long maxBlockNanos) {
        if (workCount > 0) {
            reset();
        } else if (spins < maxSpins) {
            spins++;
            Thread.onSpinWait();
        } else if (yields < maxYields) {
            yields++;
            Thread.yield();
        } else {
            LockSupport.parkNanos(Math.max(1, Math.min(parkNanos, maxBlockNanos)));
            parkNanos = Math.min(parkNanos * 2, maxParkNanos);
        }
    }

    @Override
    public void reset() {
        spins = 0;
        yields = 0;
        parkNanos = minParkNanos;
    }

    @Override
    public boolean blocks() {
        return true;
    }

    @Override
    public String toString() {
        return "backoff(" + maxSpins + " spins, " + maxYields + " yields, park " + minParkNanos + ".." + maxParkNanos
                + " ns)";
    }
}
