package org.k200emu.bdev.raid;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The row lock table on its own: mutual exclusion, FIFO hand-over, and the hand-over handshake. */
class StripeLocksTest {

    /** A waiter that records being granted the row and the end of its hand-over. */
    private static final class Waiter extends RowWaiter {
        volatile boolean granted;
        final AtomicInteger handshakes = new AtomicInteger();

        Waiter() {
            core = Runnable::run;
        }

        @Override
        public void run() {
            granted = true;
        }

        @Override
        void lockHandshakeDone() {
            handshakes.incrementAndGet();
        }
    }

    @Test
    void waitersGetTheRowInArrivalOrderOnTheirCore() {
        StripeLocks locks = new StripeLocks(4);
        Waiter a = new Waiter();
        Waiter b = new Waiter();
        Waiter c = new Waiter();
        Waiter other = new Waiter();
        assertThat(locks.acquire(a, 7)).isTrue();
        assertThat(locks.acquire(b, 7)).isFalse();
        assertThat(locks.acquire(c, 7)).isFalse();
        assertThat(locks.acquire(other, 8 + 16 * 1000)).as("another row, maybe the same slot").isIn(true, false);
        locks.release(a, 7);
        assertThat(b.granted).isTrue();
        assertThat(c.granted).isFalse();
        assertThat(a.handshakes.get()).isEqualTo(1);
        locks.release(b, 7);
        assertThat(c.granted).isTrue();
        locks.release(c, 7);
        assertThat(c.handshakes.get()).isEqualTo(1);
        if (!other.granted) {
            assertThat(other.handshakes.get()).isZero();
        }
    }

    @Test
    void concurrentThreadsNeverShareARowAndEveryHandOverEndsOnce() throws Exception {
        StripeLocks locks = new StripeLocks(2); // 4 slots for 6 rows: collisions too
        // More spinning threads than CPUs would make every hand-over wait for the scheduler:
        // waiting threads yield instead of spinning.
        int threads = 4;
        int rounds = 10_000;
        AtomicInteger[] inside = new AtomicInteger[6];
        for (int i = 0; i < inside.length; i++) {
            inside[i] = new AtomicInteger();
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> list = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread thread = new Thread(() -> {
                Waiter w = new Waiter();
                int expectedHandshakes = 0;
                for (int i = 0; i < rounds && failure.get() == null; i++) {
                    int row = (i * 7 + id) % inside.length;
                    w.granted = false;
                    if (!locks.acquire(w, row)) {
                        while (!w.granted) {
                            Thread.yield();
                        }
                    }
                    if (inside[row].incrementAndGet() != 1) {
                        failure.set(new AssertionError("two holders of row " + row));
                    }
                    inside[row].decrementAndGet();
                    locks.release(w, row);
                    expectedHandshakes++;
                    // A waiter is reused only once its hand-over is settled.
                    while (w.handshakes.get() != expectedHandshakes) {
                        Thread.yield();
                    }
                }
            }, "locker-" + t);
            list.add(thread);
            thread.start();
        }
        for (Thread thread : list) {
            thread.join(20_000);
            assertThat(thread.isAlive()).isFalse();
        }
        assertThat(failure.get()).isNull();
        assertThat(locks.idle()).isTrue();
    }
}
