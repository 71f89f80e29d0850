package org.k200emu.cluster.accel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.k200emu.cluster.CoreId;
import org.k200emu.cluster.MppaLayout;
import org.k200emu.cluster.SimCore;
import org.k200emu.cluster.StepRunner;

/**
 * The accelerators' throughput model and pacing, in step mode on the virtual clock. The model used
 * here has round numbers: 2 engines per kind, 2 GB/s per cluster for crypto (1 byte/ns per engine),
 * 1,200 submit cycles at 1.2 GHz (1,000 ns), so every expected time is worked out by hand.
 */
class AcceleratorsTest {

    private static final AcceleratorModel MODEL = new AcceleratorModel(2, 2e9, 4e9, 8e9, 1_200, 1.2e9, false);

    private final StepRunner runner = StepRunner.create(MppaLayout.DEFAULT);
    private final SimCore core = runner.mppa().core(CoreId.of(1, 0));
    private final SimCore sameCluster = runner.mppa().core(CoreId.of(1, 5));
    private final SimCore otherCluster = runner.mppa().core(CoreId.of(2, 0));

    @Test
    void modelArithmetic() {
        assertThat(MODEL.engineBytesPerSecond(AccelKind.CRYPTO)).isEqualTo(1e9);
        assertThat(MODEL.serviceNanos(AccelKind.CRYPTO, 4096)).isEqualTo(4096);
        assertThat(MODEL.serviceNanos(AccelKind.HASH, 4096)).isEqualTo(2048);
        assertThat(MODEL.serviceNanos(AccelKind.ERASURE_CODE, 4096)).isEqualTo(1024);
        assertThat(MODEL.serviceNanos(AccelKind.ERASURE_CODE, 4095)).isEqualTo(1024); // rounded up
        assertThat(MODEL.serviceNanos(AccelKind.CRYPTO, 0)).isZero();
        assertThat(MODEL.submitNanos()).isEqualTo(1_000);
        // The card's defaults: 16 engines sharing 5 GB/s, 1,500 cycles at 1.2 GHz.
        AcceleratorModel k200 = AcceleratorModel.k200();
        assertThat(k200.engines()).isEqualTo(16);
        assertThat(k200.serviceNanos(AccelKind.CRYPTO, 4096)).isEqualTo(13_108); // 4096 / 312.5 MB/s = 13,107.2 ns
        assertThat(k200.submitNanos()).isEqualTo(1_250);
        assertThat(k200.pace()).isFalse();
        assertThatThrownBy(() -> new AcceleratorModel(0, 1, 1, 1, 0, 1, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("engines");
        assertThatThrownBy(() -> MODEL.withThroughput(0, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void jobsQueueWhenEveryEngineIsBusy() {
        ClusterAccelerator a = new Accelerators(MODEL, runner.clock()).cluster(1);
        // Two engines: two jobs start at once, the third waits for the first engine to free.
        assertThat(a.reserve(AccelKind.CRYPTO, 1000, 0)).isEqualTo(2_000);
        assertThat(a.reserve(AccelKind.CRYPTO, 1000, 0)).isEqualTo(2_000);
        assertThat(a.reserve(AccelKind.CRYPTO, 1000, 0)).isEqualTo(3_000);
        // At 500 ns the engine that frees first (1,000) takes the next one: it waits 500 ns.
        assertThat(a.reserve(AccelKind.CRYPTO, 3000, 500)).isEqualTo(1_000 + 3_000 + 1_000);
        // Other kinds have their own engines: no wait.
        assertThat(a.reserve(AccelKind.HASH, 4000, 0)).isEqualTo(2_000 + 1_000);
        // Long after, an idle engine starts at once.
        assertThat(a.reserve(AccelKind.CRYPTO, 10, 100_000)).isEqualTo(100_000 + 10 + 1_000);

        AcceleratorStats s = a.stats(AccelKind.CRYPTO, 4_000);
        assertThat(s.jobs()).isEqualTo(5);
        assertThat(s.bytes()).isEqualTo(6_010);
        assertThat(s.busyNanos()).isEqualTo(6_010);
        assertThat(s.waitNanos()).isEqualTo(1_000 + 500);
        // Busy until 100,010 on one engine (the last job), 4,000 on the other.
        assertThat(s.backlogNanos()).isEqualTo(96_010);
        assertThat(s.utilisation()).isEqualTo(6_010 / (2.0 * 4_000));
        assertThat(a.stats(AccelKind.ERASURE_CODE, 4_000).jobs()).isZero();
        assertThat(a.stats(AccelKind.ERASURE_CODE, 4_000).backlogNanos()).isZero();
        assertThat(a.stats(AccelKind.HASH, 4_000).backlogNanos()).isZero(); // its one job ended at 2,000
    }

    @Test
    void eachClusterHasItsOwnEngines() {
        Accelerators accel = new Accelerators(MODEL, runner.clock());
        Recorder r = new Recorder();
        core.execute(() -> {
            for (int i = 0; i < 2; i++) {
                accel.submit(core, r.job(AccelKind.CRYPTO, 1000));
            }
            accel.submit(sameCluster, r.job(AccelKind.CRYPTO, 1000)); // another core of cluster 1: same engines
            accel.submit(otherCluster, r.job(AccelKind.CRYPTO, 1000));
        });
        runner.runUntilIdle();
        // Not paced: every job finished inline; their modelled ready times show the queueing.
        assertThat(r.readyAt).containsExactly(2_000L, 2_000L, 3_000L, 2_000L);
        assertThat(r.computed).hasSize(4);
        List<AcceleratorStats> stats = accel.stats();
        assertThat(stats).extracting(AcceleratorStats::cluster).containsExactly(1, 1, 1, 2, 2, 2);
        assertThat(stats.get(0).jobs()).isEqualTo(3);
        assertThat(stats.get(0).bytes()).isEqualTo(3000);
        assertThat(stats.get(3).jobs()).isEqualTo(1);
    }

    @Test
    void pacedJobsContinueWhenTheModelledEngineFinishes() {
        Accelerators accel = new Accelerators(MODEL.withPace(true), runner.clock());
        Recorder r = new Recorder();
        runner.clock().set(10_000);
        core.execute(() -> {
            for (int i = 0; i < 3; i++) {
                accel.submit(core, r.job(AccelKind.CRYPTO, 1000));
            }
            accel.submit(core, r.job(AccelKind.HASH, 2000)); // 1,000 ns on a hash engine
        });
        runner.runUntilIdle();
        // The computations ran at once, on the core; nothing has continued yet.
        assertThat(r.computed).containsExactly(10_000L, 10_000L, 10_000L, 10_000L);
        assertThat(r.done).isEmpty();
        runner.advance(1_999);
        assertThat(r.done).isEmpty();
        runner.advance(1);
        assertThat(r.done).containsExactly(12_000L, 12_000L, 12_000L);
        assertThat(r.doneSteps).containsExactlyInAnyOrder(0, 1, 3);
        runner.advance(999);
        assertThat(r.done).hasSize(3);
        runner.advance(1);
        assertThat(r.done).containsExactly(12_000L, 12_000L, 12_000L, 13_000L);
        assertThat(r.doneSteps).last().isEqualTo(2);
        // The queue reuses its timer: more rounds behave the same.
        core.execute(() -> accel.submit(core, r.job(AccelKind.ERASURE_CODE, 8000))); // 2,000 + 1,000
        runner.advance(2_999);
        assertThat(r.done).hasSize(4);
        runner.advance(1);
        assertThat(r.done).last().isEqualTo(16_000L);
    }

    @Test
    void workFromOutsideTheCoresIsCountedButNotPaced() {
        Accelerators accel = new Accelerators(MODEL.withPace(true), runner.clock());
        Recorder r = new Recorder();
        accel.submit(Runnable::run, r.job(AccelKind.HASH, 4000));
        assertThat(r.done).hasSize(1);
        List<AcceleratorStats> stats = accel.stats();
        assertThat(stats).extracting(AcceleratorStats::cluster).containsExactly(-1, -1, -1);
        assertThat(stats).filteredOn(s -> s.kind() == AccelKind.HASH).singleElement()
                .satisfies(s -> assertThat(s.bytes()).isEqualTo(4000));
    }

    @Test
    void chargeCountsWithoutRunningAnything() {
        Accelerators accel = new Accelerators(MODEL, runner.clock());
        assertThat(accel.charge(core, AccelKind.ERASURE_CODE, 8000)).isEqualTo(2_000 + 1_000);
        assertThat(accel.cluster(1).stats(AccelKind.ERASURE_CODE, 0).bytes()).isEqualTo(8000);
    }

    @Test
    void submittingAllocatesNothingInSteadyState() {
        com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        Accelerators plain = new Accelerators(MODEL, runner.clock());
        Accelerators paced = new Accelerators(MODEL.withPace(true), runner.clock());
        Counter work = new Counter();
        AccelJob[] jobs = {new AccelJob(work), new AccelJob(work), new AccelJob(work)};
        Runnable round = () -> {
            plain.submit(core, jobs[0].prepare(AccelKind.CRYPTO, 4096, 0));
            paced.submit(core, jobs[1].prepare(AccelKind.HASH, 4096, 1));
            paced.submit(core, jobs[2].prepare(AccelKind.ERASURE_CODE, 16384, 2));
        };
        core.execute(round);
        runner.advance(10_000);
        // Warm up (the JIT, the pacing queue's heap and timer), then measure 20,000 more rounds.
        for (int i = 0; i < 20_000; i++) {
            round.run();
            runner.clock().advance(10_000);
            core.doWork(runner.clock().nanoTime());
        }
        long before = mx.getThreadAllocatedBytes(tid);
        for (int i = 0; i < 20_000; i++) {
            round.run();
            runner.clock().advance(10_000);
            core.doWork(runner.clock().nanoTime());
        }
        long after = mx.getThreadAllocatedBytes(tid);
        org.assertj.core.api.Assumptions.assumeThat(before).isNotNegative();
        assertThat(work.done).isEqualTo(3 * 40_001);
        assertThat(after - before).as("bytes allocated by 60,000 jobs").isLessThan(4096);
    }

    /** Work that counts its continuations. */
    private static final class Counter implements AccelWork {
        long done;

        @Override
        public void accelCompute(AccelJob job) {
        }

        @Override
        public void accelDone(AccelJob job) {
            done++;
        }
    }

    /** Work that records when it computed and continued, on the virtual clock. */
    private final class Recorder implements AccelWork {
        final List<Long> computed = new ArrayList<>();
        final List<Long> done = new ArrayList<>();
        final List<Integer> doneSteps = new ArrayList<>();
        final List<Long> readyAt = new ArrayList<>();
        private int next;

        AccelJob job(AccelKind kind, long bytes) {
            return new AccelJob(this).prepare(kind, bytes, next++);
        }

        @Override
        public void accelCompute(AccelJob job) {
            computed.add(runner.clock().nanoTime());
            readyAt.add(job.readyAtNanos());
        }

        @Override
        public void accelDone(AccelJob job) {
            done.add(runner.clock().nanoTime());
            doneSteps.add(job.step());
        }
    }
}
