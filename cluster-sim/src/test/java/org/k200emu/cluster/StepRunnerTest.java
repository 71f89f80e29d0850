package org.k200emu.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class StepRunnerTest {

    private final StepRunner runner = StepRunner.create(MppaLayout.DEFAULT);
    private final SimCore core = runner.mppa().core(CoreId.of(1, 3));

    @Test
    void messagesRunInOrderOnTheCoreInBoundedBatches() {
        List<Integer> ran = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            int n = i;
            assertThat(core.offer(() -> ran.add(n))).isTrue();
        }
        assertThat(core.pendingMessages()).isEqualTo(100);
        assertThat(runner.step()).isEqualTo(SimCore.MESSAGE_BATCH);
        assertThat(ran).hasSize(SimCore.MESSAGE_BATCH);
        assertThat(runner.step()).isEqualTo(100 - SimCore.MESSAGE_BATCH);
        assertThat(runner.step()).isZero();
        assertThat(ran).isSortedAccordingTo(Integer::compare).hasSize(100);
        assertThat(core.counters().messagesProcessed()).isEqualTo(100);
    }

    @Test
    void messagesSentBetweenCoresFollowTheChain() {
        SimCore other = runner.mppa().core(CoreId.of(0, 0));
        List<String> trace = new ArrayList<>();
        core.execute(() -> {
            trace.add("on " + core.id() + " inCore=" + core.inCoreThread());
            other.execute(() -> trace.add("on " + other.id()));
        });
        runner.runUntilIdle();
        assertThat(trace).containsExactly("on c1.3 inCore=true", "on c0.0");
    }

    @Test
    void fullRingRefusesOfferAndExecuteThrows() {
        StepRunner small = StepRunner.create(MppaLayout.of(1, 1, 0).withRingCapacity(4));
        SimCore only = small.mppa().core(0);
        int[] ran = {0};
        for (int i = 0; i < 4; i++) {
            assertThat(only.offer(() -> ran[0]++)).isTrue();
        }
        assertThat(only.offer(() -> ran[0]++)).isFalse();
        assertThatThrownBy(() -> only.execute(() -> ran[0]++)).isInstanceOf(RejectedExecutionException.class)
                .hasMessageContaining("c0.0");
        small.runUntilIdle();
        assertThat(ran[0]).isEqualTo(4);
        only.execute(() -> ran[0]++);
        small.runUntilIdle();
        assertThat(ran[0]).isEqualTo(5);
    }

    @Test
    void timersFireInDeadlineOrderAcrossCores() {
        SimCore other = runner.mppa().core(CoreId.of(4, 15));
        List<String> fired = new ArrayList<>();
        core.schedule(300, () -> fired.add("c1.3@" + runner.clock().nanoTime()));
        other.schedule(100, () -> fired.add("c4.15@" + runner.clock().nanoTime()));
        core.schedule(200, () -> fired.add("c1.3b@" + runner.clock().nanoTime()));
        other.schedule(200, () -> fired.add("c4.15b@" + runner.clock().nanoTime()));
        assertThat(runner.nextTimerDeadline()).isEqualTo(100);
        runner.advance(99);
        assertThat(fired).isEmpty();
        runner.advance(1_000);
        // Same deadline: cores run in flat order, so c1.3 before c4.15.
        assertThat(fired).containsExactly("c4.15@100", "c1.3b@200", "c4.15b@200", "c1.3@300");
        assertThat(runner.clock().nanoTime()).isEqualTo(1_099);
        assertThat(core.counters().timersFired()).isEqualTo(2);
        assertThat(runner.nextTimerDeadline()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void cancelledTimerDoesNotFire() {
        List<String> fired = new ArrayList<>();
        Timer a = core.schedule(100, () -> fired.add("a"));
        core.schedule(100, () -> fired.add("b"));
        Timer c = core.schedule(50, () -> fired.add("c"));
        assertThat(a.cancel()).isTrue();
        assertThat(a.cancel()).isFalse();
        assertThat(a.isCancelled()).isTrue();
        assertThat(core.pendingTimers()).isEqualTo(2);
        runner.advance(200);
        assertThat(fired).containsExactly("c", "b");
        assertThat(c.isPending()).isFalse();
        assertThat(c.cancel()).as("already fired").isFalse();
    }

    @Test
    void periodicTimerFiresEachPeriodUntilCancelled() {
        List<Long> at = new ArrayList<>();
        AtomicReference<Timer> timer = new AtomicReference<>();
        timer.set(core.schedulePeriodic(10, () -> {
            at.add(runner.clock().nanoTime());
            if (at.size() == 5) {
                timer.get().cancel();
            }
        }));
        runner.advance(35);
        assertThat(at).containsExactly(10L, 20L, 30L);
        runner.advance(1_000);
        assertThat(at).containsExactly(10L, 20L, 30L, 40L, 50L);
        assertThat(timer.get().isPending()).isFalse();
        assertThatThrownBy(() -> core.schedulePeriodic(0, () -> { })).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void timerScheduledInsideATimerUsesTheCycleTime() {
        List<Long> at = new ArrayList<>();
        core.schedule(100, () -> core.schedule(5, () -> at.add(runner.clock().nanoTime())));
        runner.advance(1_000);
        assertThat(at).containsExactly(105L);
    }

    @Test
    void exceptionsAreCountedAndDoNotKillTheCore() {
        List<String> ran = new ArrayList<>();
        core.execute(() -> {
            throw new IllegalStateException("message boom (expected by the test)");
        });
        core.execute(() -> ran.add("after message"));
        core.addPoller(now -> {
            throw new IllegalStateException("poller boom (expected by the test)");
        });
        core.schedule(10, () -> {
            throw new IllegalStateException("timer boom (expected by the test)");
        });
        core.schedule(20, () -> ran.add("after timer"));
        runner.step();
        runner.advance(30);
        assertThat(ran).containsExactly("after message", "after timer");
        assertThat(core.counters().exceptions()).isGreaterThanOrEqualTo(3);
        long pollerFailures = core.counters().exceptions() - 2;
        assertThat(pollerFailures).isEqualTo(core.counters().polls());
    }

    @Test
    void pollersRunEachCycleAndCanRemoveThemselves() {
        int[] polls = {0, 0};
        Poller counting = now -> {
            polls[0]++;
            return 0;
        };
        Poller[] self = new Poller[1];
        self[0] = now -> {
            polls[1]++;
            if (polls[1] == 3) {
                core.removePoller(self[0]);
            }
            return 1;
        };
        core.addPoller(counting);
        core.addPoller(self[0]);
        assertThat(core.pollerCount()).isEqualTo(2);
        assertThat(runner.runUntilIdle()).isEqualTo(3);
        assertThat(polls[1]).isEqualTo(3);
        assertThat(polls[0]).isEqualTo(4);
        assertThat(core.removePoller(counting)).isTrue();
        assertThat(core.removePoller(counting)).isFalse();
        runner.step();
        assertThat(polls[0]).isEqualTo(4);
    }

    @Test
    void busyPollerMakesRunUntilIdleFailInsteadOfHanging() {
        core.addPoller(now -> 1);
        assertThatThrownBy(() -> runner.runUntilIdle(50)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void countersTrackCyclesAndBusyRatio() {
        core.execute(() -> { });
        runner.step();
        runner.step();
        runner.step();
        runner.step();
        CoreCounters c = core.counters();
        assertThat(c.polls()).isEqualTo(4);
        assertThat(c.busyCycles()).isEqualTo(1);
        assertThat(c.idleCycles()).isEqualTo(3);
        assertThat(c.busyRatio()).isEqualTo(0.25);
        assertThat(c.recentBusyRatio()).isEqualTo(0.25);
        // A full window of busy cycles makes the recent ratio 1 while the lifetime ratio lags.
        core.addPoller(now -> 1);
        for (int i = 0; i < 2 * CoreCounters.WINDOW_CYCLES; i++) {
            runner.step();
        }
        assertThat(c.recentBusyRatio()).isEqualTo(1.0);
        assertThat(c.busyRatio()).isLessThan(1.0).isGreaterThan(0.99);
        assertThat(c.toString()).contains("polls=" + c.polls());
        assertThat(runner.mppa().core(0).counters().busyCycles()).isZero();
    }

    @Test
    void timersAndPollersAreCoreThreadOnly() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread foreign = new Thread(() -> {
            try {
                core.schedule(1, () -> { });
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        foreign.start();
        foreign.join();
        assertThat(failure.get()).isInstanceOf(IllegalStateException.class);
        assertThat(core.inCoreThread()).isTrue();
    }

    @Test
    void aOneShotTimerCanBeArmedAgainAfterItFiredOrWhilePending() {
        List<Long> fired = new ArrayList<>();
        Timer t = core.schedule(100, () -> fired.add(runner.clock().nanoTime()));
        runner.advance(100);
        assertThat(fired).containsExactly(100L);
        core.rearm(t, 50);
        assertThat(t.isPending()).isTrue();
        assertThat(t.deadlineNanos()).isEqualTo(150);
        core.rearm(t, 500); // moves the pending deadline
        runner.advance(100);
        assertThat(fired).containsExactly(100L);
        runner.advance(400);
        assertThat(fired).containsExactly(100L, 600L);
        assertThat(core.pendingTimers()).isZero();
        Timer periodic = core.schedulePeriodic(10, () -> { });
        assertThatThrownBy(() -> core.rearm(periodic, 5)).isInstanceOf(IllegalArgumentException.class);
        Timer other = runner.mppa().core(CoreId.of(0, 0)).schedule(10, () -> { });
        assertThatThrownBy(() -> core.rearm(other, 5)).isInstanceOf(IllegalArgumentException.class);
        t.cancel();
        assertThatThrownBy(() -> core.rearm(t, 5)).isInstanceOf(IllegalStateException.class);
    }
}
