package org.k200emu.bench.result;

import org.HdrHistogram.Histogram;

/**
 * Latency percentiles in microseconds.
 *
 * @param minUs     the smallest latency
 * @param meanUs    the mean latency
 * @param p50Us     the median
 * @param p90Us     the 90th percentile
 * @param p99Us     the 99th percentile
 * @param p999Us    the 99.9th percentile
 * @param p9999Us   the 99.99th percentile
 * @param maxUs     the largest latency
 */
public record LatencySummary(double minUs, double meanUs, double p50Us, double p90Us, double p99Us,
                             double p999Us, double p9999Us, double maxUs) {

    /** All zeros: the summary of no I/O. */
    public static final LatencySummary ZERO = new LatencySummary(0, 0, 0, 0, 0, 0, 0, 0);

    /**
     * The summary of a histogram of nanoseconds (as recorded by {@link IoStats}); {@link #ZERO}
     * for a null or empty histogram. Percentiles are HdrHistogram's (the highest value equivalent
     * to the percentile's bucket, so within the histogram's 0.1% precision).
     */
    public static LatencySummary of(Histogram h) {
        if (h == null || h.getTotalCount() == 0) {
            return ZERO;
        }
        return new LatencySummary(
                us(h.getMinValue()),
                h.getMean() / 1000.0,
                us(h.getValueAtPercentile(50)),
                us(h.getValueAtPercentile(90)),
                us(h.getValueAtPercentile(99)),
                us(h.getValueAtPercentile(99.9)),
                us(h.getValueAtPercentile(99.99)),
                us(h.getMaxValue()));
    }

    private static double us(long nanos) {
        return nanos / 1000.0;
    }
}
