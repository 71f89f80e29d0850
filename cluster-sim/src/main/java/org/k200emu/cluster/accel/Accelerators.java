package org.k200emu.cluster.accel;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.k200emu.cluster.Clock;
import org.k200emu.cluster.SimCore;
import org.k200emu.cluster.SystemClock;

/**
 * The card's co-processors as a service: the storage services submit their crypto, hash and
 * erasure-code work here, to the {@link ClusterAccelerator} of the cluster whose core runs the
 * I/O, instead of calling the math directly. Owned by the card (its bdev registry); shared by
 * every core.
 *
 * <p>The computation itself runs on the calling core, at once: there is no thread hop and no
 * allocation per job. What the accelerator adds is the card's view of it: each job is placed on a
 * modelled engine of its kind ({@link AcceleratorModel}), which counts jobs, bytes and engine
 * time and tells when the card would have finished it. With {@link AcceleratorModel#pace()} on,
 * a job's continuation waits on the submitting core's timer until then, so the emulator's
 * latency and throughput follow the card's accelerators; this needs the submitter to run on its
 * {@link SimCore}'s thread. Work submitted from elsewhere (a test's or a benchmark's plain
 * executor) is counted under cluster -1 and never paced.
 */
public final class Accelerators {

    /** Clusters the card can have (the layout's upper bound). */
    private static final int MAX_CLUSTERS = 64;
    /** Flat core indexes the card can have. */
    private static final int MAX_CORES = 64 * 64;

    private final AcceleratorModel model;
    private final Clock clock;
    private final long createdNanos;
    private final AtomicReferenceArray<ClusterAccelerator> clusters = new AtomicReferenceArray<>(MAX_CLUSTERS);
    private final ClusterAccelerator outside;
    /** Per core, its pacing queue; each slot is written and read by its core's thread only. */
    private final PaceQueue[] paceQueues = new PaceQueue[MAX_CORES];

    /** The card's accelerators under {@code model}; utilisation is measured on {@code clock} from now. */
    public Accelerators(AcceleratorModel model, Clock clock) {
        this.model = Objects.requireNonNull(model, "model");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.createdNanos = clock.nanoTime();
        this.outside = new ClusterAccelerator(-1, model, createdNanos);
    }

    /** The K200-LP's accelerators on the host clock, not paced. */
    public static Accelerators k200() {
        return new Accelerators(AcceleratorModel.k200(), SystemClock.INSTANCE);
    }

    /** The throughput model. */
    public AcceleratorModel model() {
        return model;
    }

    /**
     * Submits {@code job} from the I/O whose home core is {@code core}: counts it on that cluster's
     * engines, runs its computation now and continues with {@link AccelWork#accelDone} now or,
     * paced, once the modelled engine has finished. Call on the core's thread.
     */
    public void submit(Executor core, AccelJob job) {
        SimCore sim = core instanceof SimCore ? (SimCore) core : null;
        boolean onCore = sim != null && sim.inCoreThread();
        long now = onCore ? sim.now() : clock.nanoTime();
        long ready = accelerator(sim).reserve(job.kind(), job.bytes(), now);
        job.readyAtNanos(ready);
        AccelWork work = job.work();
        work.accelCompute(job);
        if (model.pace() && onCore && ready > now) {
            paceQueue(sim).add(job);
        } else {
            work.accelDone(job);
        }
    }

    /**
     * Counts a job of {@code bytes} of {@code kind} whose computation the caller runs itself,
     * without pacing (for work whose continuation cannot wait, such as a check inside a decision).
     *
     * @return when the modelled engine would have finished it, in the clock's ns
     */
    public long charge(Executor core, AccelKind kind, long bytes) {
        SimCore sim = core instanceof SimCore ? (SimCore) core : null;
        long now = sim != null && sim.inCoreThread() ? sim.now() : clock.nanoTime();
        return accelerator(sim).reserve(kind, bytes, now);
    }

    /** The accelerator of {@code cluster}, made on first use. */
    public ClusterAccelerator cluster(int cluster) {
        if (cluster < 0 || cluster >= MAX_CLUSTERS) {
            throw new IllegalArgumentException("cluster out of range [0, " + MAX_CLUSTERS + "): " + cluster);
        }
        ClusterAccelerator a = clusters.get(cluster);
        if (a == null) {
            clusters.compareAndSet(cluster, null, new ClusterAccelerator(cluster, model, createdNanos));
            a = clusters.get(cluster);
        }
        return a;
    }

    private ClusterAccelerator accelerator(SimCore core) {
        return core == null ? outside : cluster(core.id().cluster());
    }

    private PaceQueue paceQueue(SimCore core) {
        int flat = core.id().flat();
        PaceQueue q = paceQueues[flat];
        if (q == null) {
            q = new PaceQueue(core);
            paceQueues[flat] = q;
        }
        return q;
    }

    /**
     * Every kind of every cluster that has run a job, in cluster order (cluster -1, work from
     * outside the cores, last); any thread.
     */
    public List<AcceleratorStats> stats() {
        long now = clock.nanoTime();
        List<AcceleratorStats> out = new ArrayList<>();
        for (int c = 0; c < MAX_CLUSTERS; c++) {
            ClusterAccelerator a = clusters.get(c);
            if (a != null) {
                add(out, a, now);
            }
        }
        add(out, outside, now);
        return out;
    }

    private static void add(List<AcceleratorStats> out, ClusterAccelerator a, long now) {
        List<AcceleratorStats> mine = new ArrayList<>();
        long jobs = 0;
        for (AccelKind kind : AccelKind.all()) {
            AcceleratorStats s = a.stats(kind, now);
            jobs += s.jobs();
            mine.add(s);
        }
        if (jobs > 0) {
            out.addAll(mine);
        }
    }

    @Override
    public String toString() {
        return "Accelerators[" + model + "]";
    }
}
