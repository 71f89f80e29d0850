package org.k200emu.cluster;

/** The host's monotonic clock ({@link System#nanoTime()}); the clock of a running emulator. */
public final class SystemClock implements Clock {

    /** Shared instance: the clock has no state. */
    public static final SystemClock INSTANCE = new SystemClock();

    private SystemClock() {
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public String toString() {
        return "SystemClock";
    }
}
