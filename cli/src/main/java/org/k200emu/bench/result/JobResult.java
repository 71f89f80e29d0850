package org.k200emu.bench.result;

import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The result of one job.
 *
 * <p>The canonical constructor normalises: a null name or target becomes "", null options an
 * empty map (the order of the given map is kept), a null latency {@link LatencySummary#ZERO}, a
 * null timeline or histogram an empty one; collections and the array are copied. Equality
 * compares the histogram array by content.
 *
 * @param name                the job's name
 * @param options             the job's options as given (fio-style keys: rw, bs, iodepth, numjobs, ...), in order
 * @param target              what was exercised (an address, an NQN/namespace, a file...)
 * @param start               when the measurement started
 * @param seconds             measured duration
 * @param ios                 completed I/Os
 * @param bytes               bytes moved
 * @param iops                ios / seconds
 * @param mbps                bytes / 10^6 / seconds
 * @param latency             latency of all I/Os
 * @param readLatency         latency of the reads, null when there were none
 * @param writeLatency        latency of the writes, null when there were none
 * @param readIos             completed reads
 * @param writeIos            completed writes
 * @param errors              failed I/Os
 * @param verifyErrors        blocks that did not read back what was written
 * @param verifiedBlocks      blocks checked
 * @param timeline            one sample per reporting interval, in time order (may be empty)
 * @param latencyHistogramUs  {@link IoStats#distribution(org.HdrHistogram.Histogram)} of all I/Os
 * @param allocatedBytesPerIo heap bytes allocated per I/O by the load generator, -1 when not measured
 */
public record JobResult(String name, Map<String, String> options, String target, Instant start,
                        double seconds, long ios, long bytes, double iops, double mbps,
                        LatencySummary latency, LatencySummary readLatency, LatencySummary writeLatency,
                        long readIos, long writeIos, long errors, long verifyErrors, long verifiedBlocks,
                        List<IntervalSample> timeline,
                        long[] latencyHistogramUs, double allocatedBytesPerIo) {

    public JobResult {
        name = name == null ? "" : name;
        target = target == null ? "" : target;
        options = options == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(options));
        latency = latency == null ? LatencySummary.ZERO : latency;
        timeline = timeline == null ? List.of() : List.copyOf(timeline);
        latencyHistogramUs = latencyHistogramUs == null ? new long[0] : latencyHistogramUs.clone();
    }

    /**
     * A result computed from measured statistics: IOPS and MB/s from {@code all} over {@code
     * seconds} (0 when {@code seconds} is not positive), the latency summaries and distribution
     * from the histograms. {@code reads} and {@code writes} may be null; a side without I/O gets
     * a null summary.
     */
    public static JobResult of(String name, Map<String, String> options, String target, Instant start,
                               double seconds, IoStats all, IoStats reads, IoStats writes,
                               long errors, long verifyErrors, long verifiedBlocks,
                               List<IntervalSample> timeline, double allocatedBytesPerIo) {
        IoStats a = all == null ? new IoStats() : all;
        long readIos = reads == null ? 0 : reads.ios();
        long writeIos = writes == null ? 0 : writes.ios();
        return new JobResult(name, options, target, start, seconds, a.ios(), a.bytes(),
                seconds > 0 ? a.ios() / seconds : 0,
                seconds > 0 ? a.bytes() / 1e6 / seconds : 0,
                a.summary(),
                readIos > 0 ? reads.summary() : null,
                writeIos > 0 ? writes.summary() : null,
                readIos, writeIos, errors, verifyErrors, verifiedBlocks, timeline,
                IoStats.distribution(a.histogram()), allocatedBytesPerIo);
    }

    /** The option {@code key}, or the first present of {@code aliases}, or null. */
    public String option(String key, String... aliases) {
        String v = options.get(key);
        for (int i = 0; v == null && i < aliases.length; i++) {
            v = options.get(aliases[i]);
        }
        return v;
    }

    /** The latency histogram array (a copy). */
    @Override
    public long[] latencyHistogramUs() {
        return latencyHistogramUs.clone();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof JobResult)) {
            return false;
        }
        JobResult j = (JobResult) o;
        return name.equals(j.name) && options.equals(j.options) && target.equals(j.target)
                && Objects.equals(start, j.start)
                && Double.compare(seconds, j.seconds) == 0 && ios == j.ios && bytes == j.bytes
                && Double.compare(iops, j.iops) == 0 && Double.compare(mbps, j.mbps) == 0
                && latency.equals(j.latency) && Objects.equals(readLatency, j.readLatency)
                && Objects.equals(writeLatency, j.writeLatency)
                && readIos == j.readIos && writeIos == j.writeIos && errors == j.errors
                && verifyErrors == j.verifyErrors && verifiedBlocks == j.verifiedBlocks
                && timeline.equals(j.timeline) && Arrays.equals(latencyHistogramUs, j.latencyHistogramUs)
                && Double.compare(allocatedBytesPerIo, j.allocatedBytesPerIo) == 0;
    }

    @Override
    public int hashCode() {
        int h = Objects.hash(name, options, target, start, seconds, ios, bytes, iops, mbps, latency,
                readLatency, writeLatency, readIos, writeIos, errors, verifyErrors, verifiedBlocks, timeline,
                allocatedBytesPerIo);
        return 31 * h + Arrays.hashCode(latencyHistogramUs);
    }

    @Override
    public String toString() {
        return "JobResult[name=" + name + ", options=" + options + ", target=" + target + ", start=" + start
                + ", seconds=" + seconds + ", ios=" + ios + ", bytes=" + bytes + ", iops=" + iops
                + ", mbps=" + mbps + ", latency=" + latency + ", readLatency=" + readLatency
                + ", writeLatency=" + writeLatency + ", readIos=" + readIos + ", writeIos=" + writeIos
                + ", errors=" + errors + ", verifyErrors=" + verifyErrors + ", verifiedBlocks=" + verifiedBlocks
                + ", timeline=" + timeline.size() + " samples, latencyHistogramUs="
                + Arrays.toString(latencyHistogramUs) + ", allocatedBytesPerIo=" + allocatedBytesPerIo + "]";
    }
}
