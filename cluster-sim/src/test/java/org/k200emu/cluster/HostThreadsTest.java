package org.k200emu.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class HostThreadsTest {

    private final Mppa mppa = Mppa.create(MppaLayout.DEFAULT);

    @Test
    void foreignMessagesRunOnTheCoresHostThread() throws Exception {
        CorePlacement placement = CorePlacement.interleaved(mppa, 2);
        try (HostThreads host = HostThreads.start(placement, IdleStrategy::backoff)) {
            List<CompletableFuture<String>> seen = new ArrayList<>();
            for (SimCore core : mppa.all()) {
                CompletableFuture<String> f = new CompletableFuture<>();
                core.execute(() -> f.complete(Thread.currentThread().getName() + " " + core.inCoreThread()));
                seen.add(f);
            }
            for (SimCore core : mppa.all()) {
                String expected = "k200-host-" + placement.hostOf(core) + " true";
                assertThat(seen.get(core.id().flat()).get(5, TimeUnit.SECONDS)).isEqualTo(expected);
            }
            assertThat(mppa.core(0).inCoreThread()).isFalse();
            assertThat(host.isRunning()).isTrue();
        }
    }

    @Test
    void parkedThreadIsWokenByAForeignOffer() throws Exception {
        runWakeUp(IdleStrategy::blocking);
    }

    @Test
    void backoffThreadIsWokenByAForeignOffer() throws Exception {
        runWakeUp(IdleStrategy::backoff);
    }

    private void runWakeUp(Supplier<IdleStrategy> idle) throws Exception {
        CorePlacement placement = CorePlacement.interleaved(mppa, 1);
        try (HostThreads host = HostThreads.start(placement, idle)) {
            Thread hostThread = host.threads().get(0);
            // Wait until the host thread is really parked, so the message must wake it.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (hostThread.getState() != Thread.State.WAITING && hostThread.getState() != Thread.State.TIMED_WAITING) {
                assertThat(System.nanoTime()).isLessThan(deadline);
                Thread.sleep(1);
            }
            for (int round = 0; round < 50; round++) {
                CountDownLatch ran = new CountDownLatch(1);
                mppa.core(round % 80).execute(ran::countDown);
                // A blocking host thread with no timers never wakes by itself: only the doorbell can.
                assertThat(ran.await(5, TimeUnit.SECONDS)).as("round %d", round).isTrue();
                LockSupport.parkNanos(200_000);
            }
        }
    }

    @Test
    void timersFireOnABlockingHostThread() throws Exception {
        CorePlacement placement = CorePlacement.interleaved(mppa, 2);
        try (HostThreads host = HostThreads.start(placement, IdleStrategy::blocking)) {
            SimCore core = mppa.core(CoreId.of(2, 5));
            CompletableFuture<Long> fired = new CompletableFuture<>();
            long start = System.nanoTime();
            core.execute(() -> core.schedule(TimeUnit.MILLISECONDS.toNanos(20),
                    () -> fired.complete(System.nanoTime())));
            long firedAt = fired.get(5, TimeUnit.SECONDS);
            assertThat(firedAt - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(20));
            assertThat(core.counters().timersFired()).isEqualTo(1);
            assertThat(host.placement().hostThreads()).isEqualTo(2);
        }
    }

    @Test
    void closeStopsAndJoinsTheThreads() throws Exception {
        CorePlacement placement = CorePlacement.interleaved(mppa, 2);
        HostThreads host = HostThreads.start(placement, IdleStrategy::yielding);
        assertThat(host.threads()).hasSize(2).allMatch(Thread::isAlive);
        assertThat(host.threads()).extracting(Thread::getName).containsExactly("k200-host-0", "k200-host-1");
        // A core is polled when it has work: give core 0 some, and close only once it has run.
        CompletableFuture<Void> ran = new CompletableFuture<>();
        assertThat(mppa.core(0).offer(() -> ran.complete(null))).isTrue();
        ran.get(5, TimeUnit.SECONDS);
        host.close();
        assertThat(host.isRunning()).isFalse();
        assertThat(host.threads()).noneMatch(Thread::isAlive);
        assertThat(mppa.core(0).counters().polls()).isPositive();
        // Unbound: the cores can now be driven by another runner.
        assertThat(mppa.core(0).offer(() -> { })).isTrue();
        assertThat(mppa.core(0).inCoreThread()).isFalse();
    }

    @Test
    void namedStrategies() {
        assertThat(IdleStrategy.named("spin")).isInstanceOf(BusySpinIdle.class);
        assertThat(IdleStrategy.named("yield")).isInstanceOf(YieldingIdle.class);
        assertThat(IdleStrategy.named("Backoff").blocks()).isTrue();
        assertThat(IdleStrategy.named("block")).isInstanceOf(BlockingIdle.class);
        assertThat(IdleStrategy.named("spin").blocks()).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> IdleStrategy.named("nap"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
