package org.k200emu.bdev.qos;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One token bucket (I/Os or bytes per second) of a {@link QosBdev}, kept as a generic cell rate
 * algorithm: instead of a token count and a refill time, which would need two words updated
 * together, it holds one "theoretical arrival time" (TAT) in an {@link AtomicLong}. Taking
 * {@code n} tokens moves the TAT {@code n / rate} into the future; a bucket whose TAT lies in the
 * past is full; a take is allowed while the TAT is at most the burst tolerance ahead of now. So
 * the bucket refills from elapsed time by itself, and every core can take from it with one CAS.
 *
 * <p>An allowed take is charged in full even when it overdraws (a large I/O never waits for more
 * tokens than the bucket can hold): the debt delays the next takes, so the long-run rate is exact.
 *
 * <p>Time is in ticks of 1/16 ns since the owning bdev's origin, so that per-byte costs at tens of
 * GB/s keep their precision; a long of ticks lasts 18 years.
 */
final class TokenBucket {

    static final int TICK_SHIFT = 4;
    private static final double TICKS_PER_SECOND = 1e9 * (1 << TICK_SHIFT);
    private static final double MAX_COST = (double) (1L << 60);

    private final AtomicLong tat = new AtomicLong();
    /** Ticks one token costs; 0 when unlimited. Written with {@link #rate} by {@link #setRate}. */
    private volatile double ticksPerToken;
    private volatile long rate;

    /** Tokens per second; 0 for unlimited. */
    long rate() {
        return rate;
    }

    /**
     * Changes the rate. A bucket keeps its fill level (a half-full bucket stays half full, so an
     * empty one does not suddenly hold a new burst), but an overdraft beyond the burst tolerance,
     * which is tokens really owed, is converted at the new rate: a raised limit frees I/O queued
     * behind a large transfer at once rather than after the old debt has run out.
     */
    void setRate(long perSecond, long nowTicks, long toleranceTicks) {
        long old = rate;
        ticksPerToken = perSecond == 0 ? 0 : TICKS_PER_SECOND / perSecond;
        rate = perSecond;
        if (old == 0 || perSecond == 0 || old == perSecond) {
            return;
        }
        double scale = (double) old / perSecond;
        for (;;) {
            long t = tat.get();
            long owed = t - nowTicks - toleranceTicks;
            if (owed <= 0) {
                return;
            }
            if (tat.compareAndSet(t, nowTicks + toleranceTicks + (long) Math.ceil(owed * scale))) {
                return;
            }
        }
    }

    /** Ticks that {@code tokens} cost at the current rate; 0 if unlimited or free. */
    long cost(long tokens) {
        double per = ticksPerToken;
        // Clamped (about two years) so that an absurd I/O at an absurd limit cannot overflow the TAT.
        return per == 0 || tokens == 0 ? 0 : (long) Math.min(Math.ceil(tokens * per), MAX_COST);
    }

    /**
     * Charges {@code cost} ticks if the bucket allows a take now. Returns -1 if charged, else the
     * tick at which it will allow one (always later than {@code nowTicks}).
     */
    long tryTake(long nowTicks, long cost, long toleranceTicks) {
        for (;;) {
            long t = tat.get();
            if (t - nowTicks > toleranceTicks) {
                return t - toleranceTicks;
            }
            if (tat.compareAndSet(t, Math.max(t, nowTicks) + cost)) {
                return -1;
            }
        }
    }

    /**
     * Gives back a charge made by {@link #tryTake} when another bucket refused the same I/O. Exact:
     * a TAT pulled back into the past means a full bucket, the same as before the charge.
     */
    void refund(long cost) {
        tat.addAndGet(-cost);
    }
}
