package org.k200emu.bdev.raid;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevStatus;

/**
 * A background pass over the rows of a {@link RaidBdev}, one {@link StripeOp} per row with at
 * most {@value #WINDOW} rows in flight, on one core, while host I/O goes on (each row is taken
 * with the row lock like any write). Two kinds:
 * <ul>
 * <li>rebuild of a replaced member: every row's strip of the member is recomputed from the
 *     survivors and written to the replacement. A row counts as rebuilt (and from then on host
 *     writes include the replacement, and reads may use it) when its rebuild is done, under the
 *     row lock; {@link #rebuilt} answers from a bitmap of rows.</li>
 * <li>resync of the rows of dirty bitmap regions (or of all rows, for a new array): parity (or
 *     the mirrors) recomputed from the data.</li>
 * </ul>
 * Created by its RaidBdev, which holds it while it runs; {@link #future()} completes at the end.
 */
final class RowSweep {

    /** Rows in flight at once: bounds the sweep's share of the members. */
    static final int WINDOW = 4;

    private final RaidBdev raid;
    private final int kind;
    private final int target;
    private final Bdev replacement;
    private final Executor core;
    private final long rows;
    /** Resync: the bitmap regions to visit; null for every row. */
    private final long[] regions;
    private final AtomicLongArray rebuiltRows;
    private final AtomicLong done = new AtomicLong();
    private final CompletableFuture<Void> future = new CompletableFuture<>();

    private final AtomicInteger pumpWork = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong remaining = new AtomicLong(1);
    private final AtomicInteger failure = new AtomicInteger(BdevStatus.SUCCESS);
    private volatile boolean cancelled;
    private long cursor;

    private RowSweep(RaidBdev raid, int kind, int target, Bdev replacement, Executor core, long[] regions) {
        this.raid = raid;
        this.kind = kind;
        this.target = target;
        this.replacement = replacement;
        this.core = core;
        this.rows = raid.layout().rows;
        this.regions = regions;
        this.rebuiltRows = kind == StripeOp.REBUILD ? new AtomicLongArray((int) ((rows + 63) / 64)) : null;
    }

    static RowSweep rebuild(RaidBdev raid, int target, Bdev replacement, Executor core) {
        return new RowSweep(raid, StripeOp.REBUILD, target, replacement, core, null);
    }

    /** Resync of the rows in the regions set in {@code regions}, or of all rows if it is null. */
    static RowSweep resync(RaidBdev raid, long[] regions, Executor core) {
        return new RowSweep(raid, StripeOp.RESYNC, -1, null, core, regions);
    }

    int target() {
        return target;
    }

    Bdev replacement() {
        return replacement;
    }

    CompletableFuture<Void> future() {
        return future;
    }

    /** Rows done so far. */
    long rowsDone() {
        return done.get();
    }

    long rows() {
        return rows;
    }

    /** Whether the replacement holds {@code row} (rebuild only). */
    boolean rebuilt(long row) {
        return (rebuiltRows.get((int) (row >>> 6)) & (1L << row)) != 0;
    }

    /** Called by the row's operation while it still holds the row. */
    void rowRebuilt(long row) {
        int word = (int) (row >>> 6);
        long bit = 1L << row;
        long old;
        do {
            old = rebuiltRows.get(word);
        } while (!rebuiltRows.compareAndSet(word, old, old | bit));
    }

    /** Stops launching rows; the future fails once the rows in flight are done. */
    void cancel() {
        cancelled = true;
    }

    /** Starts the pass on its core. A rebuild first waits until the replacement has the metadata. */
    void start() {
        if (kind == StripeOp.REBUILD) {
            raid.meta().await(new MetaCallback(raid.stateGen(), core, this::pump));
        } else {
            core.execute(this::pump);
        }
    }

    private boolean wanted(long row) {
        if (regions == null) {
            return true;
        }
        int region = raid.layout().region(row);
        return (regions[region >>> 6] & (1L << region)) != 0;
    }

    private void pump() {
        if (pumpWork.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        for (;;) {
            while (!stopped() && cursor < rows && inFlight.get() < WINDOW) {
                long row = cursor++;
                if (!wanted(row)) {
                    done.incrementAndGet();
                    continue;
                }
                inFlight.incrementAndGet();
                remaining.incrementAndGet();
                raid.stripeOp().init(kind, row, 0, 0, 0, null, this, core).start();
            }
            if (stopped() || cursor >= rows) {
                release(); // the launcher's count; pumpWork stays non-zero from here on
                return;
            }
            missed = pumpWork.addAndGet(-missed);
            if (missed == 0) {
                return;
            }
        }
    }

    private boolean stopped() {
        return cancelled || failure.get() != BdevStatus.SUCCESS;
    }

    /** Called by each row's operation when it is done. */
    void rowDone(long row, int status) {
        if (status == BdevStatus.SUCCESS) {
            done.incrementAndGet();
        } else {
            failure.compareAndSet(BdevStatus.SUCCESS, status);
        }
        inFlight.decrementAndGet();
        pump();
        release();
    }

    private void release() {
        if (remaining.decrementAndGet() != 0) {
            return;
        }
        boolean ok = failure.get() == BdevStatus.SUCCESS && !cancelled;
        if (kind == StripeOp.REBUILD) {
            raid.rebuildEnded(this, ok);
        } else if (ok) {
            future.complete(null);
        } else {
            future.completeExceptionally(new IllegalStateException("raid " + raid.name() + ": resync "
                    + (cancelled ? "cancelled" : "failed with " + BdevStatus.name(failure.get()))));
        }
    }

    /** A control-path waiter that runs an action once the metadata is persisted. */
    static final class MetaCallback extends RowWaiter {
        private final Runnable action;

        MetaCallback(long gen, Executor core, Runnable action) {
            this.needGen = gen;
            this.core = core;
            this.action = action;
        }

        @Override
        public void run() {
            action.run();
        }
    }
}
