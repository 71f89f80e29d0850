package org.k200emu.bdev.ec;

import java.util.concurrent.atomic.AtomicInteger;
import org.k200emu.bdev.BdevStatus;

/**
 * Drives a long operation as pieces with a bounded number in flight: a parent I/O cut into stripe
 * pieces, or a rebuild cut into stripes. Pieces may finish inline (malloc members) or later on
 * any thread; the dispatcher runs on one thread at a time (a work-in-progress counter rather than
 * a lock), and a piece that finishes while it runs only leaves it one more turn, so that inline
 * completions never recurse into the dispatcher. {@link #finish} runs exactly once, when the
 * last piece is done and nothing more is to be dispatched.
 *
 * <p>Counting: {@code pending} holds one count per piece in flight plus one held by the
 * dispatcher until it has dispatched everything, so it cannot reach zero while pieces may still
 * be added; whoever brings it to zero finishes.
 */
abstract class PieceWindow {

    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger wip = new AtomicInteger();
    private final AtomicInteger firstError = new AtomicInteger();
    private volatile boolean dispatched;
    private int window;

    /** Starts dispatching with at most {@code maxInFlight} pieces at once. */
    final void begin(int maxInFlight) {
        this.window = maxInFlight;
        firstError.set(BdevStatus.SUCCESS);
        inFlight.set(0);
        wip.set(0);
        dispatched = false;
        pending.set(1);
        pump();
    }

    /** Whether more pieces are to be dispatched; called by the dispatcher only. */
    abstract boolean hasMore();

    /** Dispatches the next piece or pieces, calling {@link #piece()} before starting each. */
    abstract void dispatchNext();

    /** Everything done; the status is the first error of a piece, or SUCCESS. */
    abstract void finish(int status);

    /** Called once per finished piece before the window moves on. */
    void onPieceDone(int status) {
    }

    /** Counts a piece about to be started. */
    final void piece() {
        pending.incrementAndGet();
        inFlight.incrementAndGet();
    }

    /** The first error so far, or SUCCESS. */
    final int status() {
        return firstError.get();
    }

    /** A piece is done, on whatever thread it finished. */
    final void pieceDone(int status) {
        if (status != BdevStatus.SUCCESS) {
            firstError.compareAndSet(BdevStatus.SUCCESS, status);
        }
        onPieceDone(status);
        inFlight.decrementAndGet();
        if (!dispatched) {
            pump(); // our own count keeps pending above zero meanwhile
        }
        if (pending.decrementAndGet() == 0) {
            finish(firstError.get());
        }
    }

    private void pump() {
        if (wip.getAndIncrement() != 0) {
            return; // the thread dispatching will take another turn
        }
        boolean dropGuard = false;
        do {
            while (!dispatched && hasMore() && inFlight.get() < window) {
                dispatchNext();
            }
            if (!dispatched && !hasMore()) {
                dispatched = true;
                dropGuard = true;
            }
        } while (wip.decrementAndGet() != 0);
        if (dropGuard && pending.decrementAndGet() == 0) {
            finish(firstError.get());
        }
    }
}
