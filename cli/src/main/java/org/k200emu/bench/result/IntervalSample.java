package org.k200emu.bench.result;

import org.HdrHistogram.Histogram;

/**
 * One point of the timeline: the interval that ended at {@code elapsedSeconds}.
 *
 * @param elapsedSeconds seconds since the job's measurement started, at the end of the interval
 * @param iops           I/Os per second during the interval
 * @param mbps           megabytes (10^6 bytes) per second during the interval
 * @param p50Us          median latency of the interval's I/Os, microseconds (0 without I/O)
 * @param p99Us          99th percentile latency of the interval's I/Os, microseconds (0 without I/O)
 */
public record IntervalSample(double elapsedSeconds, double iops, double mbps, double p50Us, double p99Us) {

    /**
     * The sample of an interval of {@code intervalSeconds} that ended at {@code elapsedSeconds},
     * during which {@code ios} I/Os moved {@code bytes} bytes with the latencies (nanoseconds) of
     * {@code latencies} (may be null or empty).
     */
    public static IntervalSample of(double elapsedSeconds, double intervalSeconds, long ios, long bytes,
                                    Histogram latencies) {
        double iops = intervalSeconds > 0 ? ios / intervalSeconds : 0;
        double mbps = intervalSeconds > 0 ? bytes / 1e6 / intervalSeconds : 0;
        boolean empty = latencies == null || latencies.getTotalCount() == 0;
        double p50 = empty ? 0 : latencies.getValueAtPercentile(50) / 1000.0;
        double p99 = empty ? 0 : latencies.getValueAtPercentile(99) / 1000.0;
        return new IntervalSample(elapsedSeconds, iops, mbps, p50, p99);
    }

    /** The sample of the I/Os of {@code interval} (IOPS and MB/s over {@code intervalSeconds}). */
    public static IntervalSample of(double elapsedSeconds, double intervalSeconds, IoStats interval) {
        return of(elapsedSeconds, intervalSeconds, interval.ios(), interval.bytes(), interval.histogram());
    }
}
