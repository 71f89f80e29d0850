package org.k200emu.cluster;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One simulated MPPA core: a run-to-completion agent with a bounded lock-free message ring (many
 * producers, this core as the only consumer), active pollers and timers. Created and owned by
 * {@link Mppa}; run by exactly one host thread at a time ({@link HostThreads}, the Netty
 * {@code CoreEventLoops}, or {@link StepRunner}), which calls {@link #doWork(long)} in a loop.
 *
 * <p>A duty cycle, SPDK-reactor style: run up to {@link #MESSAGE_BATCH} messages, every active
 * poller once, then up to {@link #TIMER_BATCH} due timers. Exceptions thrown by any of them are
 * caught, counted and logged; they never stop the core.
 *
 * <p>Threading: {@link #offer}, {@link #execute}, {@link #counters()} and {@link #inCoreThread()}
 * are safe from any thread; pollers and timers are changed only on the core's thread (or before
 * a runner binds the core).
 */
public final class SimCore implements Executor {

    private static final Logger LOG = LoggerFactory.getLogger(SimCore.class);

    /** Most messages taken from the ring in one duty cycle, so a busy ring cannot starve pollers. */
    public static final int MESSAGE_BATCH = 64;
    /** Most timers fired in one duty cycle, so a timer re-arming itself at 0 delay cannot spin forever. */
    public static final int TIMER_BATCH = 64;
    /** Default ring capacity in messages. */
    public static final int DEFAULT_RING_CAPACITY = 4096;

    private static final Poller[] NO_POLLERS = new Poller[0];

    private final CoreId id;
    private final Clock clock;
    private final MessageRing<Runnable> ring;
    private final TimerQueue timers = new TimerQueue(this);
    private final CoreCounters counters = new CoreCounters();
    /** Replaced (copy on write) on add/remove, so a poller may remove itself while polled. */
    private Poller[] pollers = NO_POLLERS;

    private volatile Thread hostThread;
    private volatile Doorbell doorbell = Doorbell.NONE;
    /** The group whose host thread runs this core, told when the core has something to do. */
    private volatile CoreGroup group;
    /** Set when a message was queued since the group last looked (see {@link CoreGroup}). */
    private volatile boolean signalled;

    /** The current duty cycle's time while one runs, so timers scheduled inside use it. */
    private long cycleNanos;
    private boolean inCycle;

    /**
     * A core; normally made by {@link Mppa#create}.
     *
     * @param id the core's address
     * @param clock the chip's clock, read only to schedule timers outside a duty cycle
     * @param ringCapacity message ring capacity (rounded up to a power of two)
     */
    public SimCore(CoreId id, Clock clock, int ringCapacity) {
        this.id = Objects.requireNonNull(id, "id");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.ring = new MessageRing<>(ringCapacity);
    }

    /** The core's address. */
    public CoreId id() {
        return id;
    }

    /** The clock of the chip this core belongs to. */
    public Clock clock() {
        return clock;
    }

    /** The core's counters, readable from any thread. */
    public CoreCounters counters() {
        return counters;
    }

    /**
     * Attaches the core to the host thread that will run it, and the doorbell that wakes that thread.
     * Called by runners only, before the thread starts calling {@link #doWork(long)}.
     */
    public void bindHost(Thread thread, Doorbell bell) {
        this.doorbell = Objects.requireNonNull(bell, "doorbell");
        this.hostThread = Objects.requireNonNull(thread, "thread");
    }

    /** Detaches the core from its host thread (runner shut down); later offers just queue. */
    public void unbindHost() {
        this.hostThread = null;
        this.doorbell = Doorbell.NONE;
        this.group = null;
    }

    /** The group that skips this core while it is idle; set by {@link CoreGroup#bind}. */
    void bindGroup(CoreGroup group) {
        this.group = group;
        signal();
    }

    /** Tells the group this core has a message to run. */
    private void signal() {
        signalled = true;
        CoreGroup g = group;
        if (g != null) {
            g.coreSignalled();
        }
    }

    /** Takes the message signal; the group's host thread only. */
    boolean takeSignal() {
        if (!signalled) {
            return false;
        }
        signalled = false;
        return true;
    }

    /** True if the caller is the host thread currently running this core. */
    public boolean inCoreThread() {
        return hostThread == Thread.currentThread();
    }

    void checkOwnerThread(String what) {
        Thread owner = hostThread;
        if (owner != null && owner != Thread.currentThread()) {
            throw new IllegalStateException(what + " of " + id + " may only be used on its thread " + owner.getName()
                    + ", not " + Thread.currentThread().getName());
        }
    }

    /**
     * Queues a message to run on this core; safe from any thread, lock-free. Wakes the core's host
     * thread if the caller is another thread.
     *
     * @return false if the ring is full (the message was not queued)
     */
    public boolean offer(Runnable message) {
        if (!ring.offer(message)) {
            return false;
        }
        signal();
        if (hostThread != Thread.currentThread()) {
            doorbell.ring();
        }
        return true;
    }

    /**
     * Like {@link #offer} but never drops a message silently.
     *
     * @throws RejectedExecutionException if the ring is full; the caller must retry later or fail
     *     the operation (backpressure), the message was not queued
     */
    @Override
    public void execute(Runnable message) {
        if (!offer(message)) {
            throw new RejectedExecutionException("message ring of core " + id + " is full (" + ring.capacity() + ")");
        }
    }

    /** Approximate number of queued messages; any thread. */
    public int pendingMessages() {
        return ring.size();
    }

    /** True if a message has been queued and not yet run; any thread (see {@link MessageRing#hasPending()}). */
    public boolean hasPendingMessages() {
        return ring.hasPending();
    }

    /** Registers an active poller, run once per duty cycle; core thread only (or before start). */
    public void addPoller(Poller poller) {
        Objects.requireNonNull(poller, "poller");
        checkOwnerThread("pollers");
        Poller[] next = Arrays.copyOf(pollers, pollers.length + 1);
        next[next.length - 1] = poller;
        pollers = next;
        CoreGroup g = group;
        if (g != null) {
            g.pollersChanged();
        }
    }

    /**
     * Unregisters a poller; core thread only.
     *
     * @return false if it was not registered
     */
    public boolean removePoller(Poller poller) {
        checkOwnerThread("pollers");
        Poller[] current = pollers;
        for (int i = 0; i < current.length; i++) {
            if (current[i] == poller) {
                Poller[] next = new Poller[current.length - 1];
                System.arraycopy(current, 0, next, 0, i);
                System.arraycopy(current, i + 1, next, i, current.length - i - 1);
                pollers = next;
                CoreGroup g = group;
                if (g != null) {
                    g.pollersChanged();
                }
                return true;
            }
        }
        return false;
    }

    /** Number of registered pollers. */
    public int pollerCount() {
        return pollers.length;
    }

    /**
     * Runs {@code task} once, {@code delayNanos} after now (the current duty cycle's time, or the
     * clock outside a duty cycle); core thread only.
     */
    public Timer schedule(long delayNanos, Runnable task) {
        return arm(delayNanos, 0, task);
    }

    /**
     * Runs {@code task} every {@code periodNanos}, first one period from now; core thread only. The
     * next deadline is the previous deadline plus the period; if the core fell more than a period
     * behind, missed expirations are skipped rather than fired in a burst.
     */
    public Timer schedulePeriodic(long periodNanos, Runnable task) {
        if (periodNanos <= 0) {
            throw new IllegalArgumentException("period must be positive: " + periodNanos);
        }
        return arm(periodNanos, periodNanos, task);
    }

    private Timer arm(long delayNanos, long periodNanos, Runnable task) {
        Objects.requireNonNull(task, "task");
        if (delayNanos < 0) {
            throw new IllegalArgumentException("delay must not be negative: " + delayNanos);
        }
        checkOwnerThread("timers");
        Timer timer = new Timer(timers, task, saturatedAdd(now(), delayNanos), periodNanos);
        timers.add(timer);
        CoreGroup g = group;
        if (g != null) {
            g.timerArmed(timer.deadlineNanos);
        }
        return timer;
    }

    /**
     * Arms a one-shot timer made by {@link #schedule} again, {@code delayNanos} after now, whether
     * it fired, is still pending (it moves) or was never run; core thread only. Lets an owner that
     * fires often keep one timer instead of allocating one per deadline.
     *
     * @throws IllegalArgumentException for a periodic timer, another core's timer or a negative delay
     * @throws IllegalStateException for a cancelled timer
     */
    public void rearm(Timer timer, long delayNanos) {
        Objects.requireNonNull(timer, "timer");
        if (timer.queue != timers || timer.periodNanos != 0) {
            throw new IllegalArgumentException("only a one-shot timer of this core can be re-armed: " + timer);
        }
        if (timer.isCancelled()) {
            throw new IllegalStateException("a cancelled timer cannot be re-armed");
        }
        if (delayNanos < 0) {
            throw new IllegalArgumentException("delay must not be negative: " + delayNanos);
        }
        checkOwnerThread("timers");
        if (timer.isPending()) {
            timers.remove(timer);
        }
        timer.deadlineNanos = saturatedAdd(now(), delayNanos);
        timers.add(timer);
        CoreGroup g = group;
        if (g != null) {
            g.timerArmed(timer.deadlineNanos);
        }
    }

    /**
     * The core's current time: the running duty cycle's time, or the clock between cycles. Core
     * thread only (another thread should read {@link #clock()}).
     */
    public long now() {
        return inCycle ? cycleNanos : clock.nanoTime();
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    /** Deadline of the earliest pending timer in clock nanoseconds, {@link Long#MAX_VALUE} if none; core thread. */
    public long nextTimerDeadline() {
        return timers.nextDeadline();
    }

    /** Number of pending timers; core thread. */
    public int pendingTimers() {
        return timers.size();
    }

    /**
     * One duty cycle; host thread only.
     *
     * @param nowNanos the time of this cycle, read once by the runner from the chip's clock
     * @return work done: messages run + poller work + timers fired (0 = idle)
     */
    public int doWork(long nowNanos) {
        cycleNanos = nowNanos;
        inCycle = true;
        int work = 0;
        try {
            work += runMessages();
            work += runPollers(nowNanos);
            work += runTimers(nowNanos);
        } finally {
            inCycle = false;
        }
        counters.dutyCycle(work);
        return work;
    }

    private int runMessages() {
        int n = 0;
        Runnable message;
        while (n < MESSAGE_BATCH && (message = ring.poll()) != null) {
            n++;
            try {
                message.run();
            } catch (Throwable t) {
                failed("message", message, t);
            }
        }
        if (n == MESSAGE_BATCH && ring.hasPending()) {
            signal(); // more than one batch: come back next turn
        }
        if (n > 0) {
            counters.messages(n);
        }
        return n;
    }

    private int runPollers(long nowNanos) {
        Poller[] current = pollers;
        int work = 0;
        for (Poller poller : current) {
            try {
                int w = poller.poll(nowNanos);
                if (w > 0) {
                    work += w;
                }
            } catch (Throwable t) {
                failed("poller", poller, t);
            }
        }
        return work;
    }

    private int runTimers(long nowNanos) {
        int fired = 0;
        Timer timer;
        while (fired < TIMER_BATCH && (timer = timers.peek()) != null && timer.deadlineNanos <= nowNanos) {
            timers.poll();
            if (timer.periodNanos > 0) {
                long next = timer.deadlineNanos + timer.periodNanos;
                timer.deadlineNanos = next > nowNanos ? next : nowNanos + timer.periodNanos;
                // Re-armed before running, so the task may cancel its own timer.
                timers.add(timer);
            }
            fired++;
            counters.timerFired();
            try {
                timer.task.run();
            } catch (Throwable t) {
                failed("timer", timer.task, t);
            }
        }
        return fired;
    }

    private void failed(String kind, Object what, Throwable t) {
        counters.exception();
        if (t instanceof VirtualMachineError) {
            // Out of memory or stack: the emulator cannot trust its state any more.
            throw (VirtualMachineError) t;
        }
        LOG.warn("core {}: {} {} threw; the core keeps running", id, kind, what, t);
    }

    @Override
    public String toString() {
        return "SimCore[" + id + "]";
    }
}
