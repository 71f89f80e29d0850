package org.k200emu.cluster;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Run-time counters of one {@link SimCore}: duty cycles, messages, timers, busy and idle cycles,
 * exceptions, and the busy ratio over the core's life and over the last completed window of
 * {@link #WINDOW_CYCLES} duty cycles. Written only by the core's thread (opaque stores, no fences
 * on the hot path), readable from any thread without locks; a reader may see counters from
 * slightly different instants.
 */
public final class CoreCounters {

    /** Length of the recent window, in duty cycles. */
    public static final int WINDOW_CYCLES = 1024;

    private static final VarHandle POLLS;
    private static final VarHandle MESSAGES;
    private static final VarHandle TIMERS;
    private static final VarHandle BUSY;
    private static final VarHandle IDLE;
    private static final VarHandle EXCEPTIONS;
    private static final VarHandle RECENT_BUSY;
    private static final VarHandle RECENT_CYCLES;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            POLLS = l.findVarHandle(CoreCounters.class, "polls", long.class);
            MESSAGES = l.findVarHandle(CoreCounters.class, "messages", long.class);
            TIMERS = l.findVarHandle(CoreCounters.class, "timersFired", long.class);
            BUSY = l.findVarHandle(CoreCounters.class, "busyCycles", long.class);
            IDLE = l.findVarHandle(CoreCounters.class, "idleCycles", long.class);
            EXCEPTIONS = l.findVarHandle(CoreCounters.class, "exceptions", long.class);
            RECENT_BUSY = l.findVarHandle(CoreCounters.class, "recentBusy", int.class);
            RECENT_CYCLES = l.findVarHandle(CoreCounters.class, "recentCycles", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private long polls;
    private long messages;
    private long timersFired;
    private long busyCycles;
    private long idleCycles;
    private long exceptions;
    /** Busy cycles and cycles of the last completed window (or of the first, partial one). */
    private int recentBusy;
    private int recentCycles;
    /** The window being filled; owner thread only. */
    private int windowBusy;
    private int windowCycles;

    CoreCounters() {
    }

    /** Records the end of one duty cycle that did {@code work} units of work. Owner thread only. */
    void dutyCycle(int work) {
        POLLS.setOpaque(this, polls + 1);
        if (work > 0) {
            BUSY.setOpaque(this, busyCycles + 1);
            windowBusy++;
        } else {
            IDLE.setOpaque(this, idleCycles + 1);
        }
        windowCycles++;
        if (windowCycles == WINDOW_CYCLES || recentCycles < WINDOW_CYCLES) {
            // Until a first window completes, publish the partial one so the ratio is meaningful early.
            RECENT_BUSY.setOpaque(this, windowBusy);
            RECENT_CYCLES.setOpaque(this, windowCycles);
        }
        if (windowCycles == WINDOW_CYCLES) {
            windowBusy = 0;
            windowCycles = 0;
        }
    }

    /**
     * Records {@code cycles} duty cycles that the core's group skipped because the core had
     * nothing to do: idle cycles, counted in bulk when the core next runs. Owner thread only.
     */
    void skipped(long cycles) {
        if (cycles <= 0) {
            return;
        }
        POLLS.setOpaque(this, polls + cycles);
        IDLE.setOpaque(this, idleCycles + cycles);
        long room = WINDOW_CYCLES - windowCycles;
        if (cycles < room) {
            windowCycles += (int) cycles;
            if (recentCycles < WINDOW_CYCLES) {
                RECENT_BUSY.setOpaque(this, windowBusy);
                RECENT_CYCLES.setOpaque(this, windowCycles);
            }
            return;
        }
        // The window closes inside the skipped stretch; a stretch longer than a window leaves a fully idle one.
        boolean whollyIdle = cycles - room >= WINDOW_CYCLES;
        RECENT_BUSY.setOpaque(this, whollyIdle ? 0 : windowBusy);
        RECENT_CYCLES.setOpaque(this, WINDOW_CYCLES);
        windowBusy = 0;
        windowCycles = (int) ((cycles - room) % WINDOW_CYCLES);
    }

    void messages(int n) {
        MESSAGES.setOpaque(this, messages + n);
    }

    void timerFired() {
        TIMERS.setOpaque(this, timersFired + 1);
    }

    void exception() {
        EXCEPTIONS.setOpaque(this, exceptions + 1);
    }

    /** Duty cycles run ({@link SimCore#doWork(long)} calls). */
    public long polls() {
        return (long) POLLS.getOpaque(this);
    }

    /** Messages taken from the ring and run. */
    public long messagesProcessed() {
        return (long) MESSAGES.getOpaque(this);
    }

    /** Timer expirations run. */
    public long timersFired() {
        return (long) TIMERS.getOpaque(this);
    }

    /** Duty cycles that did some work. */
    public long busyCycles() {
        return (long) BUSY.getOpaque(this);
    }

    /** Duty cycles that found nothing to do. */
    public long idleCycles() {
        return (long) IDLE.getOpaque(this);
    }

    /** Exceptions thrown by messages, pollers and timers (caught by the core). */
    public long exceptions() {
        return (long) EXCEPTIONS.getOpaque(this);
    }

    /** busy / (busy + idle) over the core's life; 0 before the first duty cycle. */
    public double busyRatio() {
        long busy = busyCycles();
        long total = busy + idleCycles();
        return total == 0 ? 0.0 : (double) busy / total;
    }

    /** busy / cycles over the last completed window of {@link #WINDOW_CYCLES} duty cycles. */
    public double recentBusyRatio() {
        int cycles = (int) RECENT_CYCLES.getOpaque(this);
        int busy = (int) RECENT_BUSY.getOpaque(this);
        return cycles == 0 ? 0.0 : Math.min(1.0, (double) busy / cycles);
    }

    @Override
    public String toString() {
        return String.format("polls=%d messages=%d timers=%d busy=%d idle=%d exceptions=%d busyRatio=%.3f recent=%.3f",
                polls(), messagesProcessed(), timersFired(), busyCycles(), idleCycles(), exceptions(),
                busyRatio(), recentBusyRatio());
    }
}
