package org.k200emu.bench.run;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.HdrHistogram.Histogram;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.nullbdev.NullBdev;
import org.k200emu.bench.job.JobSpec;
import org.k200emu.bench.job.TargetSpec;
import org.k200emu.bench.result.IntervalSample;
import org.k200emu.bench.result.IoStats;
import org.k200emu.bench.result.JobResult;
import org.k200emu.nvmeof.host.HostOptions;
import org.k200emu.nvmeof.host.HostTransport;
import org.k200emu.nvmeof.host.RemoteController;

/**
 * Runs one job: opens its target (an NVMe/TCP controller with one I/O queue per worker, or a
 * local bdev), starts {@code numjobs} workers, samples their progress once a second, waits for
 * them, and folds what they measured into a {@link JobResult}.
 */
public final class JobRunner {

    private static final long SAMPLE_NANOS = 1_000_000_000L;

    private final HostTransport transport;
    private final ProgressListener progress;

    public JobRunner(HostTransport transport, ProgressListener progress) {
        this.transport = transport;
        this.progress = progress;
    }

    /** Runs the job to the end; throws if the target cannot be opened or the job does not fit it. */
    public JobResult run(JobSpec job) throws IOException {
        if (job.target() instanceof TargetSpec.Remote) {
            return runRemote(job, (TargetSpec.Remote) job.target());
        }
        return runLocal(job, (TargetSpec.Local) job.target());
    }

    private JobResult runRemote(JobSpec job, TargetSpec.Remote t) throws IOException {
        HostOptions options = new HostOptions(t.address(), t.port(), t.subnqn(), t.hostNqn(),
                UUID.nameUUIDFromBytes(t.hostNqn().getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                job.numjobs(), job.iodepth() + 1, 5000, t.headerDigest(), t.dataDigest(), 30_000, false);
        try (RemoteController rc = RemoteController.connectNow(options, transport)) {
            RemoteController.RemoteNamespace ns = rc.namespace(t.nsid());
            if (ns == null) {
                throw new IOException(t.describe() + ": the controller has no namespace " + t.nsid()
                        + " (it has " + rc.namespaces() + ")");
            }
            if (ns.metadataSize() != 0 && !(ns.metadataSize() == 8 && ns.piType() >= 1 && ns.piType() <= 3)) {
                throw new IOException(t.describe() + ": namespace " + t.nsid() + " is formatted with "
                        + ns.metadataSize() + " bytes of metadata per block; bench drives namespaces without"
                        + " metadata or with exactly 8 bytes of protection information (sent with PRACT)");
            }
            if (rc.ioQueues().size() < job.numjobs()) {
                throw new IOException(t.describe() + ": the controller granted " + rc.ioQueues().size()
                        + " I/O queues, the job needs numjobs=" + job.numjobs());
            }
            if (job.blockSize() > rc.identity().maxTransferBytes()) {
                throw new IOException("bs=" + job.blockSize() + " exceeds the controller's maximum transfer of "
                        + rc.identity().maxTransferBytes() + " bytes");
            }
            if (rc.ioQueues().get(0).depth() < job.iodepth()) {
                throw new IOException("iodepth=" + job.iodepth() + " exceeds the controller's queue size ("
                        + rc.ioQueues().get(0).depth() + " commands)");
            }
            Region region = region(job, ns.blockSize(), ns.blocks(), t.describe());
            List<Worker> workers = new ArrayList<>();
            for (int i = 0; i < job.numjobs(); i++) {
                workers.add(new RemoteWorker(job, pattern(job, region, i), ns.blockSize(), seed(job, i),
                        rc.ioQueues().get(i), t.nsid(), ns.metadataSize() == 8 ? ns.piType() : 0));
            }
            return measure(job, workers, t.describe());
        }
    }

    private JobResult runLocal(JobSpec job, TargetSpec.Local t) throws IOException {
        long blocks = t.sizeBytes() / t.blockSize();
        try (Bdev bdev = "malloc".equals(t.bdevType()) ? new MallocBdev("bench-malloc", t.blockSize(), blocks)
                : new NullBdev("bench-null", t.blockSize(), blocks)) {
            Region region = region(job, t.blockSize(), blocks, t.describe());
            List<Worker> workers = new ArrayList<>();
            for (int i = 0; i < job.numjobs(); i++) {
                workers.add(new LocalWorker(job, pattern(job, region, i), seed(job, i), bdev));
            }
            return measure(job, workers, t.describe());
        }
    }

    private record Region(long firstBlock, long blocks, int ioBlocks) {
    }

    private static Region region(JobSpec job, int blockSize, long targetBlocks, String target) throws IOException {
        if (job.blockSize() % blockSize != 0) {
            throw new IOException("bs=" + job.blockSize() + " is not a multiple of the block size " + blockSize
                    + " of " + target);
        }
        if (job.offset() % blockSize != 0) {
            throw new IOException("offset=" + job.offset() + " is not a multiple of the block size " + blockSize);
        }
        long first = job.offset() / blockSize;
        long blocks = job.size() > 0 ? job.size() / blockSize : targetBlocks - first;
        if (first + blocks > targetBlocks || blocks <= 0) {
            throw new IOException("offset=" + job.offset() + " size=" + job.size() + " does not fit " + target
                    + " (" + targetBlocks * blockSize + " bytes)");
        }
        int ioBlocks = job.blockSize() / blockSize;
        if (blocks < ioBlocks) {
            throw new IOException("size=" + job.size() + " is smaller than bs=" + job.blockSize());
        }
        return new Region(first, blocks, ioBlocks);
    }

    private static IoPattern pattern(JobSpec job, Region r, int worker) {
        return new IoPattern(job.rw(), job.rwmixread(), r.firstBlock(), r.blocks(), r.ioBlocks(), seed(job, worker),
                (double) worker / job.numjobs());
    }

    private static long seed(JobSpec job, int worker) {
        return job.name().hashCode() * 31L + worker * 0x9E3779B97F4A7C15L;
    }

    /** Starts the workers, samples them once a second, and builds the result. */
    private JobResult measure(JobSpec job, List<Worker> workers, String target) throws IOException {
        Instant startedAt = Instant.now();
        long start = System.nanoTime();
        long measureFrom = start + job.rampTime().toNanos();
        long stopAt = measureFrom + job.runtime().toNanos();
        for (Worker w : workers) {
            w.start(measureFrom, stopAt);
        }
        CompletableFuture<Void> all = CompletableFuture.allOf(workers.stream().map(w -> w.done)
                .toArray(CompletableFuture<?>[]::new));
        List<IntervalSample> timeline = new ArrayList<>();
        Histogram merged = new Histogram(1, WorkerStats.MAX_LATENCY_NANOS, 3);
        long lastIos = 0;
        long lastBytes = 0;
        long lastSample = measureFrom;
        long allocAtMeasureStart = -1;
        long allocAtStop = -1;
        long nextSample = Math.min(start + SAMPLE_NANOS, measureFrom);
        while (!all.isDone()) {
            long now = System.nanoTime();
            if (now < nextSample) {
                waitFor(all, nextSample - now);
                continue;
            }
            if (now >= measureFrom && allocAtMeasureStart < 0) {
                allocAtMeasureStart = allocatedBytes();
                for (Worker w : workers) {
                    w.stats.intervalHistogram(); // drop what the ramp recorded
                }
                nextSample = measureFrom + SAMPLE_NANOS;
                continue;
            }
            if (now >= stopAt && allocAtStop < 0 && allocAtMeasureStart >= 0) {
                allocAtStop = allocatedBytes();
            }
            long ios = 0;
            long bytes = 0;
            merged.reset();
            for (Worker w : workers) {
                ios += w.stats.progressIos();
                bytes += w.stats.progressBytes();
                merged.add(w.stats.intervalHistogram());
            }
            double seconds = (now - lastSample) / 1e9;
            if (now >= measureFrom && now <= stopAt + SAMPLE_NANOS / 2) {
                IntervalSample s = new IntervalSample((now - measureFrom) / 1e9, (ios - lastIos) / seconds,
                        (bytes - lastBytes) / seconds / 1e6, merged.getValueAtPercentile(50) / 1e3,
                        merged.getValueAtPercentile(99) / 1e3);
                timeline.add(s);
                progress.sample(job, s, Math.max(0, (stopAt - now) / 1e9), errors(workers));
            } else {
                progress.rampOrVerify(job, now < measureFrom ? "ramp" : "verify", errors(workers));
            }
            lastIos = ios;
            lastBytes = bytes;
            lastSample = now;
            nextSample = now + SAMPLE_NANOS;
        }
        if (allocAtStop < 0 && allocAtMeasureStart >= 0) {
            allocAtStop = allocatedBytes();
        }
        long allocated = allocAtMeasureStart >= 0 ? allocAtStop - allocAtMeasureStart : -1;
        try {
            all.get(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("a worker failed: " + e.getCause(), e);
        }
        return result(job, target, startedAt, workers, timeline, allocated);
    }

    private static long errors(List<Worker> workers) {
        long n = 0;
        for (Worker w : workers) {
            n += w.stats.errors + w.stats.verifyErrors;
        }
        return n;
    }

    private static void waitFor(CompletableFuture<Void> all, long nanos) {
        try {
            all.get(nanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // sample again, or the outcome is examined after the loop
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static JobResult result(JobSpec job, String target, Instant startedAt, List<Worker> workers,
                                    List<IntervalSample> timeline, long allocated) {
        IoStats all = new IoStats();
        IoStats reads = new IoStats();
        IoStats writes = new IoStats();
        long errors = 0;
        long verifyErrors = 0;
        long verified = 0;
        for (Worker w : workers) {
            all.add(w.stats.all);
            reads.add(w.stats.reads);
            writes.add(w.stats.writes);
            errors += w.stats.errors;
            verifyErrors += w.stats.verifyErrors;
            verified += w.stats.verifiedBlocks;
        }
        double seconds = job.runtime().toNanos() / 1e9;
        double perIo = allocated >= 0 && all.ios() > 0 ? (double) allocated / all.ios() : -1;
        return JobResult.of(job.name(), job.options(), target, startedAt, seconds, all, reads, writes, errors,
                verifyErrors, verified, timeline, perIo);
    }

    /**
     * Bytes allocated so far by the live threads of this JVM that run the I/O: all but the calling
     * one, which only samples progress (its interval histograms are not per-I/O work). -1 where
     * the JVM cannot tell.
     */
    static long allocatedBytes() {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (!(mx instanceof com.sun.management.ThreadMXBean)) {
            return -1;
        }
        com.sun.management.ThreadMXBean sun = (com.sun.management.ThreadMXBean) mx;
        if (!sun.isThreadAllocatedMemorySupported() || !sun.isThreadAllocatedMemoryEnabled()) {
            return -1;
        }
        long self = Thread.currentThread().getId();
        long[] ids = java.util.Arrays.stream(sun.getAllThreadIds()).filter(id -> id != self).toArray();
        long sum = 0;
        for (long b : sun.getThreadAllocatedBytes(ids)) {
            if (b > 0) {
                sum += b;
            }
        }
        return sum;
    }
}
