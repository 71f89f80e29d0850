package org.k200emu.bench.result;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.junit.jupiter.api.Test;

class IoStatsTest {

    /** 1, 2, ..., 1000 microseconds, 4 KiB each. */
    private static IoStats uniform() {
        IoStats s = new IoStats();
        for (int us = 1; us <= 1000; us++) {
            s.record(us * 1000L, 4096);
        }
        return s;
    }

    @Test
    void percentilesOfAUniformDistribution() {
        IoStats s = uniform();
        assertThat(s.ios()).isEqualTo(1000);
        assertThat(s.bytes()).isEqualTo(4096L * 1000);
        LatencySummary l = s.summary();
        // 3 significant digits: every value within 0.1%
        assertThat(l.minUs()).isCloseTo(1, within(0.001));
        assertThat(l.meanUs()).isCloseTo(500.5, within(0.5));
        assertThat(l.p50Us()).isCloseTo(500, within(0.6));
        assertThat(l.p90Us()).isCloseTo(900, within(1.0));
        assertThat(l.p99Us()).isCloseTo(990, within(1.0));
        assertThat(l.p999Us()).isCloseTo(999, within(1.0));
        assertThat(l.p9999Us()).isCloseTo(1000, within(1.0));
        assertThat(l.maxUs()).isCloseTo(1000, within(1.0));
    }

    @Test
    void mergingGivesTheSameAsRecordingEverythingInOne() {
        IoStats low = new IoStats();
        IoStats high = new IoStats();
        for (int us = 1; us <= 1000; us++) {
            (us <= 500 ? low : high).record(us * 1000L, 4096);
        }
        IoStats merged = new IoStats();
        merged.add(low);
        merged.add(high);
        merged.add(null);
        IoStats whole = uniform();
        assertThat(merged.ios()).isEqualTo(1000);
        assertThat(merged.bytes()).isEqualTo(whole.bytes());
        assertThat(merged.summary()).isEqualTo(whole.summary());
        assertThat(merged.histogram()).isEqualTo(whole.histogram());
        assertThat(low.ios()).as("the merged-in stats are unchanged").isEqualTo(500);
        assertThat(whole.copy().summary()).isEqualTo(whole.summary());
    }

    @Test
    void outOfRangeLatenciesAreClampedNotThrown() {
        IoStats s = new IoStats();
        s.record(3_600_000_000_000L, 512);   // an hour
        s.record(Long.MAX_VALUE, 512);
        s.record(-5, 512);
        s.record(0, 512);
        assertThat(s.ios()).isEqualTo(4);
        LatencySummary l = s.summary();
        assertThat(l.maxUs()).isCloseTo(60_000_000, within(60_000.0));
        assertThat(l.minUs()).isZero();
    }

    @Test
    void emptyStatsSummariseToZeros() {
        IoStats s = new IoStats();
        assertThat(s.summary()).isEqualTo(LatencySummary.ZERO);
        assertThat(LatencySummary.of(null)).isEqualTo(LatencySummary.ZERO);
        assertThat(s.summary().p99Us()).isZero();
        assertThat(IoStats.distribution(s.histogram())).isEmpty();
        assertThat(IoStats.distribution(null)).isEmpty();
    }

    @Test
    void resetForgetsEverything() {
        IoStats s = uniform();
        s.reset();
        assertThat(s.ios()).isZero();
        assertThat(s.bytes()).isZero();
        assertThat(s.histogram().getTotalCount()).isZero();
        assertThat(s.summary()).isEqualTo(LatencySummary.ZERO);
    }

    @Test
    void distributionHasTwoLogBucketsPerPowerOfTwo() {
        assertThat(IoStats.distributionBoundsUs()).startsWith(1, 2, 3, 4, 6, 8, 11, 16, 23, 32, 45, 64, 91, 128);
        IoStats s = new IoStats();
        s.record(500, 1);        // 0.5 us -> <= 1
        s.record(1_500, 1);      // 1.5 us -> (1, 2]
        s.record(2_000, 1);      // 2 us   -> (1, 2]
        s.record(10_000, 1);     // 10 us  -> (8, 11]
        s.record(10_000, 1);
        long[] d = s.distribution();
        assertThat(d).containsExactly(1, 1, 2, 2, 3, 0, 4, 0, 6, 0, 8, 0, 11, 2);
        long total = 0;
        for (int i = 1; i < d.length; i += 2) {
            total += d[i];
        }
        assertThat(total).isEqualTo(s.ios());
    }

    @Test
    void distributionOfUniformCoversUpToTheMaximum() {
        long[] d = IoStats.distribution(uniform().histogram());
        assertThat(d.length % 2).isZero();
        assertThat(d[d.length - 2]).as("last bound").isEqualTo(1024);
        long sum = 0;
        for (int i = 1; i < d.length; i += 2) {
            sum += d[i];
        }
        assertThat(sum).isEqualTo(1000);
        // (724, 1024] holds 725..1000
        assertThat(d[d.length - 1]).isEqualTo(276);
    }

    @Test
    void intervalSampleFromStats() {
        IntervalSample p = IntervalSample.of(3.0, 0.5, uniform());
        assertThat(p.elapsedSeconds()).isEqualTo(3.0);
        assertThat(p.iops()).isEqualTo(2000);
        assertThat(p.mbps()).isCloseTo(4096.0 * 1000 / 1e6 / 0.5, within(1e-9));
        assertThat(p.p50Us()).isCloseTo(500, within(0.6));
        assertThat(p.p99Us()).isCloseTo(990, within(1.0));
        assertThat(IntervalSample.of(1, 1, new IoStats())).isEqualTo(new IntervalSample(1, 0, 0, 0, 0));
        assertThat(IntervalSample.of(1, 0, 10, 10, null)).isEqualTo(new IntervalSample(1, 0, 0, 0, 0));
    }

    @Test
    void recordDoesNotAllocate() {
        ThreadMXBean std = ManagementFactory.getThreadMXBean();
        assumeThat(std).isInstanceOf(com.sun.management.ThreadMXBean.class);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) std;
        assumeThat(mx.isThreadAllocatedMemorySupported()).isTrue();
        if (!mx.isThreadAllocatedMemoryEnabled()) {
            mx.setThreadAllocatedMemoryEnabled(true);
        }
        long tid = Thread.currentThread().getId();
        IoStats s = new IoStats();
        recordMany(s, 1_000_000, 12345);   // warm up: let the JIT compile record()
        long before = mx.getThreadAllocatedBytes(tid);
        recordMany(s, 1_000_000, 67890);
        long after = mx.getThreadAllocatedBytes(tid);
        assumeThat(before).isNotNegative();
        assertThat(s.ios()).isEqualTo(2_000_000);
        assertThat(after - before).as("bytes allocated by 1e6 record() calls").isLessThan(4096);
    }

    /** Latencies spread over 1 ns .. ~70 s (some clamped), from a xorshift generator. */
    private static void recordMany(IoStats s, int n, long seed) {
        long x = seed;
        for (int i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            long latency = (x & Long.MAX_VALUE) >>> (27 + (int) ((x >>> 3) & 31));
            s.record(latency, 4096);
        }
    }
}
