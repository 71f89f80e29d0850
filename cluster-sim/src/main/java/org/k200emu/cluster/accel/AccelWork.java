package org.k200emu.cluster.accel;

/**
 * What a service gives the accelerator with each {@link AccelJob}: the computation, and what to
 * do once the modelled engine has finished it. Implemented by a service's pooled per-I/O object,
 * so submitting allocates nothing; {@link AccelJob#step()} tells which of its computations a job is.
 */
public interface AccelWork {

    /** Runs the job's computation, on the submitting core, during {@link Accelerators#submit}. */
    void accelCompute(AccelJob job);

    /**
     * The job is done: at once (not paced), or when the modelled engine would have finished it
     * (paced, from the core's timer). Runs on the submitting core.
     */
    void accelDone(AccelJob job);
}
