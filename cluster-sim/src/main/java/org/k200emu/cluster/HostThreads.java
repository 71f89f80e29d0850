package org.k200emu.cluster;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link CorePlacement}: one Java thread per host thread (named {@code k200-host-<n>}),
 * each looping over the duty cycles of its cores and idling with its own {@link IdleStrategy}.
 * A message offered from another thread wakes a parked host thread ({@link LockSupport#unpark}).
 * Owned by whoever started it; {@link #close()} stops and joins the threads.
 *
 * <p>Meant for the chip's real clock: with a {@link VirtualClock} a parked thread only notices a
 * due timer when something wakes it.
 */
public final class HostThreads implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HostThreads.class);

    private final CorePlacement placement;
    private final List<Thread> threads;
    private final List<CoreGroup> groups;
    private volatile boolean running = true;

    private HostThreads(CorePlacement placement, Supplier<IdleStrategy> idle) {
        this.placement = placement;
        Clock clock = placement.mppa().clock();
        List<Thread> ts = new ArrayList<>();
        List<CoreGroup> gs = new ArrayList<>();
        for (int host = 0; host < placement.hostThreads(); host++) {
            CoreGroup group = new CoreGroup(host, placement.coresOn(host));
            IdleStrategy strategy = Objects.requireNonNull(idle.get(), "idle strategy");
            Thread thread = new Thread(() -> loop(group, strategy, clock), "k200-host-" + host);
            group.bind(thread, () -> {
                if (group.isParked()) {
                    LockSupport.unpark(thread);
                }
            });
            ts.add(thread);
            gs.add(group);
        }
        this.threads = Collections.unmodifiableList(ts);
        this.groups = Collections.unmodifiableList(gs);
    }

    /**
     * Starts the host threads of {@code placement}.
     *
     * @param idle makes one idle strategy per host thread, e.g. {@code IdleStrategy::backoff}
     */
    public static HostThreads start(CorePlacement placement, Supplier<IdleStrategy> idle) {
        HostThreads host = new HostThreads(Objects.requireNonNull(placement, "placement"),
                Objects.requireNonNull(idle, "idle"));
        for (Thread t : host.threads) {
            t.start();
        }
        return host;
    }

    private void loop(CoreGroup group, IdleStrategy idle, Clock clock) {
        try {
            while (running) {
                int work = group.runDutyCycles(clock.nanoTime());
                if (work > 0) {
                    idle.reset();
                    continue;
                }
                if (!idle.blocks()) {
                    idle.idle(0);
                    continue;
                }
                group.markParked();
                try {
                    // Re-check after raising the flag: a producer that missed the flag left a message here.
                    if (!running || group.hasPendingMessages()) {
                        continue;
                    }
                    long deadline = group.nextTimerDeadline();
                    long maxBlock = deadline == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - clock.nanoTime();
                    if (maxBlock > 0) {
                        idle.idle(0, maxBlock);
                    }
                } finally {
                    group.markAwake();
                }
            }
        } catch (Throwable t) {
            LOG.error("host thread {} died", Thread.currentThread().getName(), t);
            throw t;
        }
    }

    /** The placement being run. */
    public CorePlacement placement() {
        return placement;
    }

    /** The host threads, index = host-thread index of the placement. */
    public List<Thread> threads() {
        return threads;
    }

    /** True until {@link #close()}. */
    public boolean isRunning() {
        return running;
    }

    /** Stops every host thread after its current duty cycle, waits for them, and unbinds the cores. */
    @Override
    public void close() {
        running = false;
        for (Thread t : threads) {
            LockSupport.unpark(t);
        }
        boolean interrupted = false;
        for (Thread t : threads) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        for (CoreGroup g : groups) {
            g.unbind();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
