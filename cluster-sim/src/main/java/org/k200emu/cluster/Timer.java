package org.k200emu.cluster;

/**
 * A one-shot or periodic timer of one {@link SimCore}, returned by {@link SimCore#schedule} and
 * {@link SimCore#schedulePeriodic}. Owned by the core: create, fire and cancel all happen on the
 * core's thread.
 */
public final class Timer {

    final TimerQueue queue;
    final Runnable task;
    final long periodNanos;
    long deadlineNanos;
    /** Tie-breaker so timers with the same deadline fire in the order they were scheduled. */
    long sequence;
    /** Position in the queue's heap, -1 when not queued. */
    int heapIndex = -1;
    private boolean cancelled;

    Timer(TimerQueue queue, Runnable task, long deadlineNanos, long periodNanos) {
        this.queue = queue;
        this.task = task;
        this.deadlineNanos = deadlineNanos;
        this.periodNanos = periodNanos;
    }

    /**
     * Cancels the timer: it will not fire again. Core thread only; cancelling twice, or a one-shot
     * timer that already fired, does nothing.
     *
     * @return true if this call stopped a pending timer
     */
    public boolean cancel() {
        queue.checkThread();
        if (cancelled) {
            return false;
        }
        cancelled = true;
        return queue.remove(this);
    }

    /** True once {@link #cancel()} was called. */
    public boolean isCancelled() {
        return cancelled;
    }

    /** True while the timer waits to fire. */
    public boolean isPending() {
        return heapIndex >= 0;
    }

    /** The (next) deadline in the core clock's nanoseconds. */
    public long deadlineNanos() {
        return deadlineNanos;
    }

    /** The period for a periodic timer, 0 for a one-shot timer. */
    public long periodNanos() {
        return periodNanos;
    }

    @Override
    public String toString() {
        return "Timer[deadline=" + deadlineNanos + ", period=" + periodNanos
                + (cancelled ? ", cancelled" : "") + "]";
    }
}
