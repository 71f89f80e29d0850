package org.k200emu.cluster.netty;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoRegistration;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ThreadAwareExecutor;
import io.netty.util.concurrent.Ticker;
import java.util.Objects;
import org.k200emu.cluster.Clock;
import org.k200emu.cluster.CoreGroup;
import org.k200emu.cluster.Doorbell;

/**
 * A Netty {@link IoHandler} that runs a host thread's simulated cores inside a Netty event loop,
 * SPDK poll-group style: each {@link #run} first runs one duty cycle of every core placed on the
 * loop, then lets the wrapped native handler (epoll, NIO, io_uring) poll the sockets. The native
 * handler may block only if the cores are idle (no work done, no queued message), and never past
 * the next core timer; a message offered from another thread wakes it through
 * {@link IoHandler#wakeup()} when the loop is (about to be) blocked. Created by
 * {@link CoreEventLoops}, one per event loop; everything except {@link #wakeup()} runs on the loop.
 */
public final class CoreIoHandler implements IoHandler {

    private final IoHandler inner;
    private final CoreGroup cores;
    private final Clock clock;
    private final boolean spin;
    private final Ticker ticker;
    /** Netty ticker time minus core clock time, so core deadlines convert to Netty deadlines. */
    private final long tickerOffset;
    private final CoreContext context = new CoreContext();
    private final Doorbell doorbell;

    CoreIoHandler(IoHandler inner, CoreGroup cores, Clock clock, boolean spin, ThreadAwareExecutor executor) {
        this.inner = Objects.requireNonNull(inner, "inner");
        this.cores = Objects.requireNonNull(cores, "cores");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.spin = spin;
        this.ticker = executor instanceof EventExecutor ? ((EventExecutor) executor).ticker() : Ticker.systemTicker();
        this.tickerOffset = ticker.nanoTime() - clock.nanoTime();
        this.doorbell = () -> {
            if (this.cores.isParked()) {
                this.inner.wakeup();
            }
        };
    }

    /** The cores this handler runs. */
    public CoreGroup cores() {
        return cores;
    }

    /** The wrapped native handler. */
    public IoHandler inner() {
        return inner;
    }

    @Override
    public void initialize() {
        // Called on the loop's own thread before it runs anything: from now on it hosts the cores.
        Thread.currentThread().setName("k200-host-" + cores.host());
        cores.bind(Thread.currentThread(), doorbell);
        inner.initialize();
    }

    @Override
    public int run(IoHandlerContext ctx) {
        int work = cores.runDutyCycles(clock.nanoTime());
        context.prepare(ctx, work > 0, cores.nextTimerDeadline());
        if (!spin && work == 0) {
            // Raised before the native handler decides to block; canBlock() re-checks the rings after.
            cores.markParked();
        }
        try {
            return work + inner.run(context);
        } finally {
            cores.markAwake();
        }
    }

    @Override
    public void prepareToDestroy() {
        inner.prepareToDestroy();
    }

    @Override
    public void destroy() {
        try {
            inner.destroy();
        } finally {
            cores.unbind();
        }
    }

    @Override
    public IoRegistration register(IoHandle handle) throws Exception {
        return inner.register(handle);
    }

    @Override
    public void wakeup() {
        inner.wakeup();
    }

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
        return inner.isCompatible(handleType);
    }

    /** The loop's context as the native handler sees it: no blocking while cores are busy, timers cap the wait. */
    private final class CoreContext implements IoHandlerContext {

        private IoHandlerContext outer;
        private boolean coresBusy;
        private long coreDeadline;

        void prepare(IoHandlerContext loopContext, boolean busy, long nextCoreDeadline) {
            this.outer = loopContext;
            this.coresBusy = busy;
            this.coreDeadline = nextCoreDeadline;
        }

        @Override
        public boolean canBlock() {
            // Read at the moment the native handler is about to block, after it armed its own wake-up.
            return !spin && !coresBusy && outer.canBlock() && !cores.hasPendingMessages()
                    && (coreDeadline == Long.MAX_VALUE || coreDeadline > clock.nanoTime());
        }

        @Override
        public long delayNanos(long currentTimeNanos) {
            long loopDelay = outer.delayNanos(currentTimeNanos);
            if (coreDeadline == Long.MAX_VALUE) {
                return loopDelay;
            }
            return Math.min(loopDelay, Math.max(0, coreDeadline - clock.nanoTime()));
        }

        @Override
        public long deadlineNanos() {
            long loopDeadline = outer.deadlineNanos();
            if (coreDeadline == Long.MAX_VALUE) {
                return loopDeadline;
            }
            long coreInTicker = coreDeadline + tickerOffset;
            if ((coreDeadline ^ coreInTicker) < 0 && (tickerOffset ^ coreInTicker) < 0) {
                coreInTicker = Long.MAX_VALUE; // overflow: as good as never
            }
            return loopDeadline == -1 ? coreInTicker : Math.min(loopDeadline, coreInTicker);
        }

        @Override
        public void reportActiveIoTime(long activeNanos) {
            outer.reportActiveIoTime(activeNanos);
        }

        @Override
        public boolean shouldReportActiveIoTime() {
            return outer.shouldReportActiveIoTime();
        }
    }
}
