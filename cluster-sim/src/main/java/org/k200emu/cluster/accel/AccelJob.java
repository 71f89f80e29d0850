package org.k200emu.cluster.accel;

import java.util.Objects;

/**
 * One job for a cluster's co-processors: its kind, how many bytes it processes and the
 * {@link AccelWork} that computes it and continues afterwards. Reusable: a service keeps one per
 * pooled per-I/O object and {@linkplain #prepare prepares} it for each submission, so the data
 * path allocates nothing. One job is in at most one submission at a time.
 */
public final class AccelJob {

    private final AccelWork work;
    private AccelKind kind;
    private long bytes;
    private int step;
    private int result;
    private long readyAtNanos;
    /** Position in a pacing queue's heap, -1 when not queued. */
    int heapIndex = -1;

    /** A job slot whose computations and continuations are {@code work}'s. */
    public AccelJob(AccelWork work) {
        this.work = Objects.requireNonNull(work, "work");
    }

    /**
     * Fills the slot for a submission.
     *
     * @param kind  which engines run it
     * @param bytes bytes the engine processes (its input)
     * @param step  the work's own label for this computation, handed back in both callbacks
     */
    public AccelJob prepare(AccelKind kind, long bytes, int step) {
        if (heapIndex >= 0) {
            throw new IllegalStateException("accelerator job reused while it waits: " + this);
        }
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must not be negative: " + bytes);
        }
        this.kind = Objects.requireNonNull(kind, "kind");
        this.bytes = bytes;
        this.step = step;
        this.result = 0;
        return this;
    }

    public AccelWork work() {
        return work;
    }

    public AccelKind kind() {
        return kind;
    }

    public long bytes() {
        return bytes;
    }

    public int step() {
        return step;
    }

    /** Whatever the computation left for its continuation (a status, a count); 0 after prepare. */
    public int result() {
        return result;
    }

    /** Set by the computation for its continuation. */
    public void result(int value) {
        this.result = value;
    }

    /** When the modelled engine finishes the job and the core has reaped it, in the core clock's ns. */
    public long readyAtNanos() {
        return readyAtNanos;
    }

    void readyAtNanos(long t) {
        this.readyAtNanos = t;
    }

    @Override
    public String toString() {
        return "AccelJob[" + kind + " " + bytes + " B, step " + step + ", ready at " + readyAtNanos + "]";
    }
}
