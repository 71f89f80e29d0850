package org.k200emu.bdev.ec;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevStatus;

/**
 * The rebuild of one replaced member of an {@link EcBdev}, returned by
 * {@link EcBdev#replace(int, Bdev, Executor)}: progress and a completion future. It runs in the
 * background on the executor it was given, stripe by stripe with a few stripes in flight, each
 * under its stripe's lock so that I/O continues around it; writes that arrive meanwhile update
 * the new member too. The future completes when every strip is rebuilt and the member is
 * HEALTHY in the superblocks, or exceptionally if the rebuild had to stop (the replacement
 * failed, fewer than k members were readable, or the volume was closed). Owned by the EcBdev.
 */
public final class EcRebuild {

    /** Stripes rebuilt at once. */
    static final int IN_FLIGHT = 4;

    private final EcBdev ec;
    private final int member;
    private final Bdev target;
    private final Executor core;
    private final long total;
    private final AtomicLong done = new AtomicLong();
    private final CompletableFuture<Void> completion = new CompletableFuture<>();
    private final Window window = new Window();

    EcRebuild(EcBdev ec, int member, Bdev target, Executor core) {
        this.ec = ec;
        this.member = member;
        this.target = target;
        this.core = core;
        this.total = ec.layout().stripes;
    }

    /** The member slot being rebuilt. */
    public int member() {
        return member;
    }

    public long stripesTotal() {
        return total;
    }

    public long stripesDone() {
        return done.get();
    }

    /** Fraction of stripes rebuilt, 0 to 1. */
    public double progress() {
        return total == 0 ? 1 : (double) done.get() / total;
    }

    /** Completes when the member is rebuilt; exceptionally if the rebuild stopped. */
    public CompletableFuture<Void> completion() {
        return completion;
    }

    public boolean isDone() {
        return completion.isDone();
    }

    Bdev target() {
        return target;
    }

    void start() {
        core.execute(() -> window.begin(IN_FLIGHT));
    }

    /** The stripes as pieces of a window. */
    private final class Window extends PieceWindow {
        private long cursor;

        @Override
        boolean hasMore() {
            return cursor < total && status() == BdevStatus.SUCCESS && !ec.isClosed();
        }

        @Override
        void dispatchNext() {
            piece();
            ec.newOp().initRebuild(cursor++, member, target, this, core).start();
        }

        @Override
        void onPieceDone(int status) {
            if (status == BdevStatus.SUCCESS) {
                done.incrementAndGet();
            }
        }

        @Override
        void finish(int status) {
            if (status == BdevStatus.SUCCESS && cursor >= total && !ec.isClosed()) {
                ec.rebuildFinished(EcRebuild.this, completion);
            } else {
                ec.rebuildStopped(EcRebuild.this);
                completion.completeExceptionally(new IOException("rebuild of member " + member + " of " + ec.name()
                        + " stopped after " + done.get() + " of " + total + " stripes: "
                        + (ec.isClosed() ? "closed" : BdevStatus.name(status))));
            }
        }
    }
}
