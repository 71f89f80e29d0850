package org.k200emu.cluster;

import java.util.List;

/**
 * The simulated cores one host thread runs, with that thread's parked flag. Used by the runners
 * ({@link HostThreads}, the Netty {@code CoreIoHandler}); owned by the runner of that thread.
 *
 * <p>Parking handshake (Dekker style, both sides volatile): the host thread raises
 * {@link #markParked()} and then checks {@link #hasPendingMessages()} before it blocks; a producer
 * publishes its message and then reads {@link #isParked()} to decide whether to wake the thread.
 * At least one of the two sees the other, so no message sleeps in a ring.
 */
public final class CoreGroup {

    /** Every this many turns, idle cores get their skipped cycles counted, so counters stay fresh. */
    private static final int COUNTER_SYNC_TURNS = CoreCounters.WINDOW_CYCLES;

    private final int host;
    private final SimCore[] cores;
    private volatile boolean parked;

    // Activity tracking, so a turn costs nothing for cores with nothing to do. Producers raise
    // the core's signal and then anySignalled (both volatile); the host thread clears
    // anySignalled before it scans the signals, so a message is seen this turn or the next.
    private volatile boolean anySignalled = true;
    private volatile boolean pollersChanged = true;
    /** Host thread only. */
    private long nextDeadline = Long.MIN_VALUE;
    private SimCore[] pollerCores = new SimCore[0];
    private long turn;
    private final long[] lastRun;

    /** The group of host thread {@code host} running {@code cores}. */
    public CoreGroup(int host, List<SimCore> cores) {
        this.host = host;
        this.cores = cores.toArray(new SimCore[0]);
        this.lastRun = new long[this.cores.length];
    }

    /** Host-thread index in the placement. */
    public int host() {
        return host;
    }

    /** The cores, in the order they run. */
    public List<SimCore> cores() {
        return List.of(cores);
    }

    /** Binds every core of the group to {@code thread} and its doorbell. */
    public void bind(Thread thread, Doorbell bell) {
        for (SimCore core : cores) {
            core.bindHost(thread, bell);
            core.bindGroup(this);
        }
        pollersChanged = true;
        nextDeadline = Long.MIN_VALUE;
    }

    /** Unbinds every core (the thread is gone). */
    public void unbind() {
        for (SimCore core : cores) {
            core.unbindHost();
        }
    }

    void coreSignalled() {
        anySignalled = true;
    }

    void pollersChanged() {
        pollersChanged = true;
    }

    /** A timer was armed on one of the cores; host thread only. */
    void timerArmed(long deadline) {
        if (deadline < nextDeadline) {
            nextDeadline = deadline;
        }
    }

    /**
     * One turn at time {@code nowNanos}: a duty cycle of every core that has a message, a due
     * timer or a poller; the others are skipped and counted idle. Returns the total work.
     */
    public int runDutyCycles(long nowNanos) {
        long t = ++turn;
        if (pollersChanged) {
            pollersChanged = false;
            pollerCores = java.util.Arrays.stream(cores).filter(c -> c.pollerCount() > 0).toArray(SimCore[]::new);
        }
        boolean messages = anySignalled;
        if (messages) {
            anySignalled = false;
        }
        boolean timersDue = nowNanos >= nextDeadline;
        int work = 0;
        if (messages || timersDue || pollerCores.length > 0) {
            for (int i = 0; i < cores.length; i++) {
                SimCore c = cores[i];
                boolean run = messages && c.takeSignal();
                run |= timersDue && c.nextTimerDeadline() <= nowNanos;
                run |= c.pollerCount() > 0;
                if (run) {
                    c.counters().skipped(t - lastRun[i] - 1);
                    lastRun[i] = t;
                    work += c.doWork(nowNanos);
                }
            }
            if (timersDue) {
                long next = Long.MAX_VALUE;
                for (SimCore c : cores) {
                    next = Math.min(next, c.nextTimerDeadline());
                }
                nextDeadline = next;
            }
        }
        if (t % COUNTER_SYNC_TURNS == 0) {
            for (int i = 0; i < cores.length; i++) {
                cores[i].counters().skipped(t - lastRun[i]);
                lastRun[i] = t;
            }
        }
        return work;
    }

    /** True if any core has a queued message; any thread. */
    public boolean hasPendingMessages() {
        if (anySignalled) {
            return true;
        }
        for (SimCore core : cores) {
            if (core.hasPendingMessages()) {
                return true;
            }
        }
        return false;
    }

    /** Earliest timer deadline over the group, {@link Long#MAX_VALUE} if none; host thread only. */
    public long nextTimerDeadline() {
        if (nextDeadline == Long.MIN_VALUE) {
            long next = Long.MAX_VALUE;
            for (SimCore core : cores) {
                next = Math.min(next, core.nextTimerDeadline());
            }
            nextDeadline = next;
        }
        return nextDeadline;
    }

    /** The host thread is about to block: producers must wake it. */
    public void markParked() {
        parked = true;
    }

    /** The host thread is running again. */
    public void markAwake() {
        parked = false;
    }

    /** True while the host thread may be blocked. */
    public boolean isParked() {
        return parked;
    }
}
