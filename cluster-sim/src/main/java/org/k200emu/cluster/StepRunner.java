package org.k200emu.cluster;

import java.util.List;
import java.util.Objects;

/**
 * Deterministic step mode: every core of an {@link Mppa} runs on the caller's thread, in flat
 * order, with a {@link VirtualClock} that only moves when told. For tests of ordering, timeouts
 * and faults; owned by the test. All methods must be called from one thread, which becomes the
 * host thread of every core.
 */
public final class StepRunner {

    /** Default cap on steps for {@link #runUntilIdle()}: a livelocked test fails instead of hanging. */
    public static final int DEFAULT_MAX_STEPS = 100_000;

    private final Mppa mppa;
    private final VirtualClock clock;
    private final List<SimCore> cores;
    private Thread bound;

    /** Step mode over {@code mppa}, whose clock must be {@code clock}. */
    public StepRunner(Mppa mppa, VirtualClock clock) {
        this.mppa = Objects.requireNonNull(mppa, "mppa");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (mppa.clock() != clock) {
            throw new IllegalArgumentException("the chip must run on the step runner's virtual clock");
        }
        this.cores = mppa.all();
        bindToCaller();
    }

    /** A chip of {@code layout} on a fresh virtual clock at 0 ns, in step mode. */
    public static StepRunner create(MppaLayout layout) {
        VirtualClock clock = new VirtualClock();
        return new StepRunner(Mppa.create(layout, clock), clock);
    }

    private void bindToCaller() {
        Thread me = Thread.currentThread();
        if (bound != me) {
            for (SimCore core : cores) {
                // Nothing ever blocks in step mode, so no doorbell.
                core.bindHost(me, Doorbell.NONE);
            }
            bound = me;
        }
    }

    /** The chip. */
    public Mppa mppa() {
        return mppa;
    }

    /** The virtual clock. */
    public VirtualClock clock() {
        return clock;
    }

    /** One duty cycle of every core, in flat order, at the clock's current time; returns the total work. */
    public int step() {
        bindToCaller();
        long now = clock.nanoTime();
        int work = 0;
        for (SimCore core : cores) {
            work += core.doWork(now);
        }
        return work;
    }

    /**
     * Steps until a step does no work (messages, pollers and due timers all quiet), without moving
     * the clock. Pollers that always report work keep it busy: it stops after
     * {@link #DEFAULT_MAX_STEPS} steps.
     *
     * @return the number of steps that did work
     * @throws IllegalStateException if still busy after the cap
     */
    public int runUntilIdle() {
        return runUntilIdle(DEFAULT_MAX_STEPS);
    }

    /** {@link #runUntilIdle()} with an explicit cap on steps. */
    public int runUntilIdle(int maxSteps) {
        for (int i = 0; i < maxSteps; i++) {
            if (step() == 0) {
                return i;
            }
        }
        throw new IllegalStateException("cores still busy after " + maxSteps + " steps");
    }

    /** Earliest timer deadline over all cores, {@link Long#MAX_VALUE} if none. */
    public long nextTimerDeadline() {
        bindToCaller();
        long next = Long.MAX_VALUE;
        for (SimCore core : cores) {
            next = Math.min(next, core.nextTimerDeadline());
        }
        return next;
    }

    /**
     * Moves virtual time forward by {@code nanos}, stopping at each timer deadline on the way (in
     * deadline order across all cores) and running the cores until idle there, so timers fire at
     * their own time and see the effects of earlier ones. Ends idle at the target time.
     */
    public void advance(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("virtual time cannot go backwards: " + nanos);
        }
        long target = clock.nanoTime() + nanos;
        runUntilIdle();
        long next;
        while ((next = nextTimerDeadline()) <= target) {
            if (next > clock.nanoTime()) {
                clock.set(next);
            }
            runUntilIdle();
        }
        clock.set(target);
        runUntilIdle();
    }
}
