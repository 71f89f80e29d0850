package org.k200emu.bdev.qos;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.TestIo;
import org.k200emu.bdev.nullbdev.NullBdev;

/**
 * Several cores (threads) submitting to one QoS bdev while the fake clock runs: the limit holds
 * at every step, every I/O completes exactly once, on its own core, and none is lost.
 */
class QosConcurrencyTest {

    private static final long MS = 1_000_000L;
    private static final int CORES = 4;
    private static final int PER_CORE = 5_000;
    private static final long IOPS = 20_000;

    /** With {@code capA} > 0, class a also has its own limit of that many IOPS (its gate path). */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(longs = {0, 5_000})
    void concurrentSubmittersNeverExceedTheLimitAndLoseNothing(long capA) throws Exception {
        FakeClock clock = new FakeClock();
        RecordingBdev member = new RecordingBdev(new NullBdev("null0", 512, 1 << 20));
        QosBdev q = QosBdev.create("qos0", member, new QosLimits(IOPS, 0),
                List.of(new QosClass("a", 2, new QosLimits(capA, 0), List.of()), new QosClass("b", 1)), clock);
        q.setBurstWindow(Duration.ofMillis(10));
        List<ExecutorService> cores = new ArrayList<>();
        List<Thread> coreThreads = new ArrayList<>();
        AtomicInteger done = new AtomicInteger();
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger wrongThread = new AtomicInteger();
        CountDownLatch submitted = new CountDownLatch(CORES);
        try {
            for (int c = 0; c < CORES; c++) {
                ExecutorService core = Executors.newSingleThreadExecutor(r -> new Thread(r, "core"));
                cores.add(core);
                coreThreads.add(core.submit(Thread::currentThread).get());
            }
            for (int c = 0; c < CORES; c++) {
                final int id = c;
                ExecutorService core = cores.get(c);
                Thread home = coreThreads.get(c);
                Bdev view = q.classView(c % 2 == 0 ? "a" : "b");
                core.execute(() -> {
                    for (int i = 0; i < PER_CORE; i++) {
                        BdevIo io = new BdevIo();
                        io.prepare(BdevOp.WRITE_ZEROES, i, 1, null, core, d -> {
                            if (Thread.currentThread() != home) {
                                wrongThread.incrementAndGet();
                            }
                            if (d.status() == BdevStatus.SUCCESS) {
                                ok.incrementAndGet();
                            }
                            done.incrementAndGet();
                        }, new Submitter.Tag("core" + id, i));
                        view.submit(io);
                    }
                    submitted.countDown();
                });
            }
            long total = (long) CORES * PER_CORE;
            long elapsed = 0;
            long maxBurst = 1 + 10 * IOPS / 1000;
            long realDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            // Step the clock 1 ms at a time while the cores submit; check the limit at each step.
            while (done.get() < total) {
                assertThat(System.nanoTime()).as("all I/O done in time").isLessThan(realDeadline);
                clock.advance(MS);
                elapsed += MS;
                long allowed = maxBurst + IOPS * elapsed / (1000 * MS);
                assertThat(member.count()).as("released by %d ms", elapsed / MS).isLessThanOrEqualTo(allowed);
                if (capA > 0 && elapsed % (50 * MS) == 0) {
                    long classA = member.log().stream()
                            .filter(s -> ((Submitter.Tag) s.context()).cls().matches("core[02]")).count();
                    assertThat(classA).as("class a released by %d ms", elapsed / MS)
                            .isLessThanOrEqualTo(1 + 10 * capA / 1000 + capA * elapsed / (1000 * MS));
                }
            }
            assertThat(submitted.await(TestIo.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
            assertThat(done.get()).isEqualTo((int) total);
            assertThat(ok.get()).isEqualTo((int) total);
            assertThat(wrongThread.get()).as("completions off their core").isZero();
            assertThat(elapsed).as("no faster than the limit").isGreaterThanOrEqualTo(
                    (total - maxBurst) * 1000 * MS / IOPS);
            Set<Submitter.Tag> seen = new HashSet<>();
            for (RecordingBdev.Seen s : member.log()) {
                assertThat(seen.add((Submitter.Tag) s.context())).as("submitted to the member once: %s", s).isTrue();
            }
            assertThat(seen).hasSize((int) total);
            assertThat(q.snapshot().queued()).isZero();
        } finally {
            q.close();
            for (ExecutorService core : cores) {
                core.shutdown();
                assertThat(core.awaitTermination(TestIo.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
            }
        }
    }
}
