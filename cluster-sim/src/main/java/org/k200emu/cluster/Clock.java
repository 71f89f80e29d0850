package org.k200emu.cluster;

/**
 * Source of monotonic time in nanoseconds for the simulated cores. Runners read it once per duty
 * cycle and pass the value into {@link SimCore#doWork(long)}; nothing reads it deeper inside.
 * Implementations: {@link SystemClock} (real time) and {@link VirtualClock} (tests, step mode).
 */
public interface Clock {

    /** Current time in nanoseconds; only differences between two readings are meaningful. */
    long nanoTime();
}
