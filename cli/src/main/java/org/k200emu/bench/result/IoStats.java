package org.k200emu.bench.result;

import java.util.Arrays;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * Latency and volume of a set of I/Os: an HdrHistogram of latencies in nanoseconds (1 ns to 60 s,
 * 3 significant digits) plus I/O and byte counters. Single-threaded (one writer, read after it
 * stopped), mergeable with {@link #add}; {@link #record} allocates nothing.
 *
 * <p>One instance holds about 220 KB of histogram counts.
 */
public final class IoStats {

    /** Largest recordable latency; larger values are clamped to it. */
    public static final long MAX_LATENCY_NANOS = 60_000_000_000L;

    /** Significant decimal digits of the histogram. */
    public static final int SIGNIFICANT_DIGITS = 3;

    /**
     * Upper bounds (microseconds, inclusive) of the buckets of {@link #distribution}: two per power
     * of two, 2^(k/2) rounded, duplicates removed: 1, 2, 3, 4, 6, 8, 11, 16, 23, 32, 45, 64, ...
     * up to past 60 s.
     */
    private static final long[] BUCKET_BOUNDS_US = bucketBounds();

    private final Histogram histogram = new Histogram(1, MAX_LATENCY_NANOS, SIGNIFICANT_DIGITS);
    private long ios;
    private long bytes;

    public IoStats() {
    }

    /** A histogram with the same range and precision as the one of an {@code IoStats}. */
    public static Histogram newHistogram() {
        return new Histogram(1, MAX_LATENCY_NANOS, SIGNIFICANT_DIGITS);
    }

    /**
     * One completed I/O. Latencies above {@link #MAX_LATENCY_NANOS} are clamped to it, negative
     * ones to 0; nothing is thrown and nothing allocated.
     */
    public void record(long latencyNanos, int bytes) {
        long v = latencyNanos < 0 ? 0 : Math.min(latencyNanos, MAX_LATENCY_NANOS);
        histogram.recordValue(v);
        ios++;
        this.bytes += bytes;
    }

    /** Adds the I/Os of {@code other} to these (a null {@code other} adds nothing). */
    public void add(IoStats other) {
        if (other == null) {
            return;
        }
        histogram.add(other.histogram);
        ios += other.ios;
        bytes += other.bytes;
    }

    /** Forgets every I/O. */
    public void reset() {
        histogram.reset();
        ios = 0;
        bytes = 0;
    }

    /** An independent copy. */
    public IoStats copy() {
        IoStats c = new IoStats();
        c.add(this);
        return c;
    }

    public long ios() {
        return ios;
    }

    public long bytes() {
        return bytes;
    }

    /** The live histogram of latencies in nanoseconds (not a copy). */
    public Histogram histogram() {
        return histogram;
    }

    /** Latency percentiles in microseconds; all zeros when no I/O was recorded. */
    public LatencySummary summary() {
        return LatencySummary.of(histogram);
    }

    /** {@link #distribution(Histogram)} of this histogram. */
    public long[] distribution() {
        return distribution(histogram);
    }

    /**
     * A compact latency distribution for plotting: pairs flattened as {@code [upperBoundUs0,
     * count0, upperBoundUs1, count1, ...]}. The buckets are logarithmic, two per power of two
     * (upper bounds 1, 2, 3, 4, 6, 8, 11, 16, 23, 32, 45, 64, ... microseconds, inclusive; the
     * first bucket holds everything up to 1 us, bucket i everything above bound i-1 up to bound
     * i). Every bucket from 1 us up to the one holding the maximum is listed, empty ones included.
     * A recorded value goes to the bucket of the lowest value equivalent to it in the histogram
     * (so within its precision). An empty or null histogram gives an empty array. The histogram
     * must hold nanoseconds; not for the hot path (it allocates).
     */
    public static long[] distribution(Histogram h) {
        if (h == null || h.getTotalCount() == 0) {
            return new long[0];
        }
        long[] counts = new long[BUCKET_BOUNDS_US.length];
        int last = 0;
        for (HistogramIterationValue v : h.recordedValues()) {
            double us = h.lowestEquivalentValue(v.getValueIteratedTo()) / 1000.0;
            int b = bucketOf(us);
            counts[b] += v.getCountAddedInThisIterationStep();
            last = Math.max(last, b);
        }
        long[] out = new long[2 * (last + 1)];
        for (int i = 0; i <= last; i++) {
            out[2 * i] = BUCKET_BOUNDS_US[i];
            out[2 * i + 1] = counts[i];
        }
        return out;
    }

    /** The upper bounds of the buckets of {@link #distribution}, in microseconds. */
    public static long[] distributionBoundsUs() {
        return BUCKET_BOUNDS_US.clone();
    }

    private static int bucketOf(double us) {
        int i = Arrays.binarySearch(BUCKET_BOUNDS_US, (long) Math.ceil(us));
        if (i < 0) {
            i = -i - 1;
        }
        return Math.min(i, BUCKET_BOUNDS_US.length - 1);
    }

    private static long[] bucketBounds() {
        long maxUs = MAX_LATENCY_NANOS / 1000;
        long[] tmp = new long[128];
        int n = 0;
        for (int k = 0; ; k++) {
            long b = Math.round(Math.pow(2, k / 2.0));
            if (n == 0 || b > tmp[n - 1]) {
                tmp[n++] = b;
            }
            if (b >= maxUs) {
                break;
            }
        }
        return Arrays.copyOf(tmp, n);
    }

    @Override
    public String toString() {
        return "IoStats[ios=" + ios + ", bytes=" + bytes + ", " + summary() + "]";
    }
}
