package org.k200emu.bench.run;

import org.k200emu.bench.job.JobSpec;
import org.k200emu.bench.result.IntervalSample;

/** What a running job reports once a second; called on the thread that runs the job. */
public interface ProgressListener {

    /** A measured second: the interval's figures, seconds left, errors so far. */
    void sample(JobSpec job, IntervalSample sample, double remainingSeconds, long errors);

    /** A second of ramp-up (not measured) or of the verify phase. */
    void rampOrVerify(JobSpec job, String phase, long errors);

    /** Says nothing. */
    ProgressListener SILENT = new ProgressListener() {
        @Override
        public void sample(JobSpec job, IntervalSample sample, double remainingSeconds, long errors) {
        }

        @Override
        public void rampOrVerify(JobSpec job, String phase, long errors) {
        }
    };
}
