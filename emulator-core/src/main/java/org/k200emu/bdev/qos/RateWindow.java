package org.k200emu.bdev.qos;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counts of I/Os and bytes released by one QoS class in 100 ms slots, so that the rate over the
 * last complete second can be read at any time. Lock-free and approximate: the core that first
 * records into a new slot clears it, and a count racing that clear may be lost.
 */
final class RateWindow {

    static final long SLOT_NANOS = 100_000_000L;
    /** Ten complete slots make the second; one more is the slot being filled. */
    private static final int SLOTS = 11;

    private final AtomicLongArray epochs = new AtomicLongArray(SLOTS);
    private final AtomicLongArray ios = new AtomicLongArray(SLOTS);
    private final AtomicLongArray bytes = new AtomicLongArray(SLOTS);

    void record(long nowNanos, long byteCount) {
        long epoch = nowNanos / SLOT_NANOS;
        int i = (int) (epoch % SLOTS);
        long seen = epochs.get(i);
        if (seen < epoch && epochs.compareAndSet(i, seen, epoch)) {
            ios.set(i, 0);
            bytes.set(i, 0);
        }
        ios.incrementAndGet(i);
        bytes.addAndGet(i, byteCount);
    }

    /** {I/Os, bytes} released in the second that ended at the start of the current slot. */
    long[] lastSecond(long nowNanos) {
        long current = nowNanos / SLOT_NANOS;
        long n = 0;
        long b = 0;
        for (int i = 0; i < SLOTS; i++) {
            long e = epochs.get(i);
            if (e < current && e >= current - (SLOTS - 1)) {
                n += ios.get(i);
                b += bytes.get(i);
            }
        }
        return new long[] {n, b};
    }
}
