package org.k200emu.bench.run;

import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;
import org.k200emu.bench.result.IoStats;

/**
 * What one worker measured. The totals are written by the worker's thread only and read after
 * it finished; the interval recorder and the progress counters are read while it runs by the
 * thread that prints progress. Recording allocates nothing.
 */
final class WorkerStats {

    static final long MAX_LATENCY_NANOS = 60_000_000_000L;

    final IoStats all = new IoStats();
    final IoStats reads = new IoStats();
    final IoStats writes = new IoStats();
    private final SingleWriterRecorder interval = new SingleWriterRecorder(1, MAX_LATENCY_NANOS, 3);
    private final AtomicLong progressIos = new AtomicLong();
    private final AtomicLong progressBytes = new AtomicLong();
    private Histogram recycled;
    long errors;
    long verifyErrors;
    long verifiedBlocks;
    volatile String firstError;

    /** One measured I/O (after the ramp). */
    void record(boolean read, long latencyNanos, int bytes) {
        all.record(latencyNanos, bytes);
        (read ? reads : writes).record(latencyNanos, bytes);
        interval.recordValue(Math.min(Math.max(latencyNanos, 1), MAX_LATENCY_NANOS));
        progressIos.lazySet(progressIos.get() + 1);
        progressBytes.lazySet(progressBytes.get() + bytes);
    }

    void error(String what) {
        errors++;
        if (firstError == null) {
            firstError = what;
        }
    }

    long progressIos() {
        return progressIos.get();
    }

    long progressBytes() {
        return progressBytes.get();
    }

    /** The latencies recorded since the previous call; progress thread only. */
    Histogram intervalHistogram() {
        Histogram h = interval.getIntervalHistogram(recycled);
        recycled = h;
        return h;
    }
}
