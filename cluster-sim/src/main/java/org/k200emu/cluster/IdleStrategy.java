package org.k200emu.cluster;

import java.util.Locale;

/**
 * What a host thread does when its cores did no work in a duty cycle (Agrona style). One instance
 * per host thread (implementations keep backoff state), owned by the runner of that thread.
 *
 * <p>Strategies that {@link #blocks() block} are only ever asked to block after the runner has
 * raised its parked flag and re-checked the message rings, and never longer than the time to the
 * next core timer, so a foreign message or a due timer always wakes the thread.
 */
public interface IdleStrategy {

    /**
     * Called after each duty cycle that did no work ({@code workCount == 0}); may spin, yield or park.
     *
     * @param workCount work done by the last duty cycle (runners call it with 0)
     */
    void idle(int workCount);

    /**
     * Like {@link #idle(int)} but never blocks longer than {@code maxBlockNanos}
     * ({@link Long#MAX_VALUE}: until woken). Blocking strategies override it.
     */
    default void idle(int workCount, long maxBlockNanos) {
        idle(workCount);
    }

    /** Forgets the backoff state: called after a duty cycle that did work. */
    void reset();

    /**
     * True if the strategy may park the thread (so producers must wake it, and a Netty loop may
     * block in epoll_wait); false for strategies that keep the thread running.
     */
    default boolean blocks() {
        return false;
    }

    /** Spins: lowest latency, one host CPU per thread at 100%. */
    static IdleStrategy busySpin() {
        return new BusySpinIdle();
    }

    /** Yields the CPU to other threads on each idle cycle, never blocks. */
    static IdleStrategy yielding() {
        return new YieldingIdle();
    }

    /** Spins, then yields, then parks from 1 us up to 1 ms (capped by the next timer). */
    static IdleStrategy backoff() {
        return new BackoffIdle(100, 10, 1_000, 1_000_000);
    }

    /** Parks until a message arrives or the next timer is due. */
    static IdleStrategy blocking() {
        return new BlockingIdle();
    }

    /**
     * A fresh strategy by name, as given in configuration: {@code spin}, {@code yield},
     * {@code backoff} or {@code block}.
     */
    static IdleStrategy named(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "spin":
            case "busy-spin":
                return busySpin();
            case "yield":
            case "yielding":
                return yielding();
            case "backoff":
                return backoff();
            case "block":
            case "blocking":
            case "sleep":
                return blocking();
            default:
                throw new IllegalArgumentException("unknown idle strategy '" + name
                        + "' (expected spin, yield, backoff or block)");
        }
    }
}
