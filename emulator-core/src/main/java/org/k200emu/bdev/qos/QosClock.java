package org.k200emu.bdev.qos;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Time source and wake-up timer of a {@link QosBdev}: the token buckets refill from
 * {@link #nanoTime()}, and queued I/O is looked at again when a {@link #schedule}d task fires.
 * The task only decides which I/O may go and hands each to its own core's executor, so the
 * timer thread never runs bdev I/O itself and nobody blocks. Tests inject a fake clock that they
 * advance by hand; the card uses {@link #system()}.
 */
public interface QosClock {

    /** Monotonic nanoseconds, like {@link System#nanoTime()}. */
    long nanoTime();

    /** Runs {@code task} once, soon after {@link #nanoTime()} reaches {@code deadlineNanos}. */
    void schedule(long deadlineNanos, Runnable task);

    /** The real clock with one shared daemon timer thread for all QoS bdevs of the process. */
    static QosClock system() {
        return SystemClock.INSTANCE;
    }

    /** {@link System#nanoTime()} and one lazily started daemon timer thread. */
    final class SystemClock implements QosClock {
        static final SystemClock INSTANCE = new SystemClock();

        private final ScheduledThreadPoolExecutor timer;

        private SystemClock() {
            timer = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "qos-timer");
                t.setDaemon(true);
                return t;
            });
            timer.setRemoveOnCancelPolicy(true);
        }

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void schedule(long deadlineNanos, Runnable task) {
            timer.schedule(task, Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
    }
}
