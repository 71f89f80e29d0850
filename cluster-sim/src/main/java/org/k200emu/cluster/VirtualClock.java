package org.k200emu.cluster;

/**
 * A clock that only moves when told to, for deterministic tests; owned by a {@link StepRunner} or
 * a test. Readable from any thread (volatile), meant to be moved by one thread.
 */
public final class VirtualClock implements Clock {

    private volatile long now;

    /** A virtual clock starting at 0 ns. */
    public VirtualClock() {
        this(0);
    }

    /** A virtual clock starting at {@code startNanos}. */
    public VirtualClock(long startNanos) {
        this.now = startNanos;
    }

    @Override
    public long nanoTime() {
        return now;
    }

    /** Moves the clock forward by {@code nanos} (must not be negative). */
    public void advance(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("virtual time cannot go backwards: " + nanos);
        }
        now += nanos;
    }

    /** Sets the clock to {@code nanos}, which must not be before the current time. */
    public void set(long nanos) {
        if (nanos < now) {
            throw new IllegalArgumentException("virtual time cannot go backwards: " + nanos + " < " + now);
        }
        now = nanos;
    }

    @Override
    public String toString() {
        return "VirtualClock[" + now + " ns]";
    }
}
