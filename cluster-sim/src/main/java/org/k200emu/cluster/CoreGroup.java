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

    private final int host;
    private final SimCore[] cores;
    private volatile boolean parked;

    /** The group of host thread {@code host} running {@code cores}. */
    public CoreGroup(int host, List<SimCore> cores) {
        this.host = host;
        this.cores = cores.toArray(new SimCore[0]);
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
        }
    }

    /** Unbinds every core (the thread is gone). */
    public void unbind() {
        for (SimCore core : cores) {
            core.unbindHost();
        }
    }

    /** One duty cycle of every core at time {@code nowNanos}; returns the total work. */
    public int runDutyCycles(long nowNanos) {
        int work = 0;
        for (SimCore core : cores) {
            work += core.doWork(nowNanos);
        }
        return work;
    }

    /** True if any core has a queued message; any thread. */
    public boolean hasPendingMessages() {
        for (SimCore core : cores) {
            if (core.hasPendingMessages()) {
                return true;
            }
        }
        return false;
    }

    /** Earliest timer deadline over the group, {@link Long#MAX_VALUE} if none; host thread only. */
    public long nextTimerDeadline() {
        long next = Long.MAX_VALUE;
        for (SimCore core : cores) {
            next = Math.min(next, core.nextTimerDeadline());
        }
        return next;
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
