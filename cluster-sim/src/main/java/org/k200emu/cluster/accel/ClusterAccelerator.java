package org.k200emu.cluster.accel;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The co-processors of one cluster: for each {@link AccelKind}, {@code engines} modelled engines,
 * each with the time (clock ns) until which it is busy. A job goes to the engine that frees first;
 * it starts when that engine is free (or now), occupies it for the model's service time, and is
 * ready once the submitting core has also paid the submit and reap cost. Shared by the cluster's
 * cores, which may run on different host threads: the engines are claimed with compare-and-set and
 * the counters are {@link LongAdder}s, so nothing locks and nothing is allocated per job.
 * Owned by {@link Accelerators}.
 */
public final class ClusterAccelerator {

    private final int cluster;
    private final AcceleratorModel model;
    private final long createdNanos;
    private final AtomicLongArray[] busyUntil;
    private final LongAdder[] jobs;
    private final LongAdder[] bytes;
    private final LongAdder[] busyNanos;
    private final LongAdder[] waitNanos;

    ClusterAccelerator(int cluster, AcceleratorModel model, long createdNanos) {
        this.cluster = cluster;
        this.model = model;
        this.createdNanos = createdNanos;
        int kinds = AccelKind.all().length;
        busyUntil = new AtomicLongArray[kinds];
        jobs = new LongAdder[kinds];
        bytes = new LongAdder[kinds];
        busyNanos = new LongAdder[kinds];
        waitNanos = new LongAdder[kinds];
        for (int i = 0; i < kinds; i++) {
            busyUntil[i] = new AtomicLongArray(model.engines());
            for (int e = 0; e < model.engines(); e++) {
                busyUntil[i].set(e, Long.MIN_VALUE);
            }
            jobs[i] = new LongAdder();
            bytes[i] = new LongAdder();
            busyNanos[i] = new LongAdder();
            waitNanos[i] = new LongAdder();
        }
    }

    /** The cluster's number; -1 for work submitted from outside the simulated cores. */
    public int cluster() {
        return cluster;
    }

    /**
     * Puts a job of {@code n} bytes of {@code kind}, submitted at {@code nowNanos}, on the engine
     * that frees first, and counts it.
     *
     * @return when the job is ready for its core: engine finish plus the submit and reap cost, ns
     */
    public long reserve(AccelKind kind, long n, long nowNanos) {
        int k = kind.ordinal();
        long service = model.serviceNanos(kind, n);
        AtomicLongArray engines = busyUntil[k];
        long start;
        while (true) {
            int best = 0;
            long free = engines.get(0);
            for (int e = 1; e < engines.length() && free > nowNanos; e++) {
                long v = engines.get(e);
                if (v < free) {
                    free = v;
                    best = e;
                }
            }
            start = Math.max(free, nowNanos);
            if (engines.compareAndSet(best, free, start + service)) {
                break;
            }
        }
        jobs[k].increment();
        bytes[k].add(n);
        busyNanos[k].add(service);
        waitNanos[k].add(start - nowNanos);
        return start + service + model.submitNanos();
    }

    /** What the cluster's {@code kind} engines did up to {@code nowNanos}. */
    public AcceleratorStats stats(AccelKind kind, long nowNanos) {
        int k = kind.ordinal();
        long backlog = 0;
        AtomicLongArray engines = busyUntil[k];
        for (int e = 0; e < engines.length(); e++) {
            long until = engines.get(e);
            if (until > nowNanos) { // an engine never used holds Long.MIN_VALUE
                backlog = Math.max(backlog, until - nowNanos);
            }
        }
        long busy = busyNanos[k].sum();
        long elapsed = Math.max(1, nowNanos - createdNanos);
        return new AcceleratorStats(cluster, kind, model.engines(), jobs[k].sum(), bytes[k].sum(), busy,
                waitNanos[k].sum(), (double) busy / ((double) elapsed * model.engines()), backlog);
    }
}
