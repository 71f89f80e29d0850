package org.k200emu.bench.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.k200emu.bench.job.JobOptions;
import org.k200emu.bench.job.JobSpec;
import org.k200emu.bench.result.JobResult;

/** Short jobs on local bdevs: counts, verify, and the region checks. */
class JobRunnerTest {

    private static JobResult run(Map<String, String> options) throws Exception {
        JobSpec job = JobOptions.build("t", options);
        return new JobRunner(null, ProgressListener.SILENT).run(job);
    }

    @Test
    void randomWritesWithVerifyOnMallocReadBackClean() throws Exception {
        JobResult r = run(Map.of("bdev", "malloc", "bdev_size", "16MiB", "rw", "randwrite", "bs", "4k",
                "iodepth", "8", "numjobs", "2", "runtime", "300ms", "verify", "crc32c"));
        assertThat(r.ios()).isPositive();
        assertThat(r.writeIos()).isEqualTo(r.ios());
        assertThat(r.errors()).isZero();
        assertThat(r.verifyErrors()).isZero();
        assertThat(r.verifiedBlocks()).as("every written position read back").isPositive();
        assertThat(r.latency().p50Us()).isPositive();
    }

    @Test
    void mixedJobSplitsReadsAndWrites() throws Exception {
        JobResult r = run(Map.of("bdev", "null", "rw", "randrw", "rwmixread", "70", "bs", "8k", "iodepth", "4",
                "runtime", "200ms"));
        assertThat(r.readIos() + r.writeIos()).isEqualTo(r.ios());
        assertThat((double) r.readIos() / r.ios()).isBetween(0.6, 0.8);
        assertThat(r.readLatency()).isNotNull();
        assertThat(r.writeLatency()).isNotNull();
        assertThat(r.bytes()).isEqualTo(r.ios() * 8192);
    }

    @Test
    void aRegionBeyondTheBdevIsRefused() {
        assertThatThrownBy(() -> run(Map.of("bdev", "null", "bdev_size", "1MiB", "offset", "1MiB", "size", "4k",
                "runtime", "100ms")))
                .isInstanceOfAny(IOException.class, org.k200emu.bench.job.JobException.class)
                .hasMessageContaining("offset");
    }
}
