package org.k200emu.bdev.qos;

import java.util.PriorityQueue;

/**
 * A {@link QosClock} that stands still until the test advances it; timer tasks run on the
 * advancing thread, each at its deadline, in deadline order. Test code, so a monitor guards the
 * task queue (QoS bdevs may arm timers from several submitting threads).
 */
final class FakeClock implements QosClock {

    private record Task(long deadline, long seq, Runnable run) {
    }

    private final PriorityQueue<Task> tasks = new PriorityQueue<>(
            (a, b) -> a.deadline != b.deadline ? Long.compare(a.deadline, b.deadline) : Long.compare(a.seq, b.seq));
    private volatile long now = 1_000_000_000L;
    private long seq;

    @Override
    public long nanoTime() {
        return now;
    }

    @Override
    public synchronized void schedule(long deadlineNanos, Runnable task) {
        tasks.add(new Task(deadlineNanos, seq++, task));
    }

    /** Moves time forward by {@code nanos}, running due timer tasks at their deadlines. */
    void advance(long nanos) {
        advanceTo(now + nanos);
    }

    void advanceMillis(long millis) {
        advance(millis * 1_000_000L);
    }

    void advanceTo(long target) {
        for (;;) {
            Task t;
            synchronized (this) {
                t = tasks.peek();
                if (t == null || t.deadline > target) {
                    break;
                }
                tasks.poll();
                if (t.deadline > now) {
                    now = t.deadline;
                }
            }
            t.run.run();
        }
        synchronized (this) {
            if (target > now) {
                now = target;
            }
        }
    }

    synchronized int pendingTasks() {
        return tasks.size();
    }
}
