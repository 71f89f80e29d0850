package org.k200emu.bdev.raid;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The per-row in-flight table that serializes the operations that change a row (writes, degraded
 * reads, rebuild and resync of the row), so that two writers of one stripe never interleave
 * their data and parity updates. No thread ever blocks: a second operation queues behind the
 * first and is resumed on its own core when the first releases the row.
 *
 * <p>Rows hash to a fixed table of queue tails (two rows sharing a slot are serialized too,
 * which costs a little concurrency, never correctness: an operation holds one row at a time).
 * Each slot is an MCS-style queue: {@code acquire} swaps itself in as the tail and links behind
 * the previous tail; {@code release} either clears the tail or passes the row to its successor.
 * The link between a releaser and a successor that has swapped itself in but not linked yet is
 * settled with one compare-and-set on the releaser's {@code lockNext} (a {@link #HANDED} marker
 * means "the row is yours"), so release never waits for the successor. Whichever side settles
 * the hand-over last calls {@link RowWaiter#lockHandshakeDone()}, so a pooled waiter is not
 * reused while the other side may still look at it.
 */
final class StripeLocks {

    /** Marks a released waiter whose successor had not linked yet. */
    static final RowWaiter HANDED = new RowWaiter() {
        @Override
        public void run() {
            throw new IllegalStateException("the hand-over marker is never run");
        }
    };

    private final AtomicReferenceArray<RowWaiter> tails;
    private final int shift;

    StripeLocks(int slotsLog2) {
        this.tails = new AtomicReferenceArray<>(1 << slotsLog2);
        this.shift = 64 - slotsLog2;
    }

    private int slot(long row) {
        return (int) ((row * 0x9E3779B97F4A7C15L) >>> shift);
    }

    /**
     * Takes {@code row} for {@code w}. True if taken now; false if {@code w} was queued and will be
     * {@linkplain RowWaiter#run() run} on its core once it holds the row.
     */
    boolean acquire(RowWaiter w, long row) {
        w.lockNext.set(null);
        int slot = slot(row);
        RowWaiter prev = tails.getAndSet(slot, w);
        if (prev == null) {
            return true;
        }
        if (prev.lockNext.compareAndSet(null, w)) {
            return false;
        }
        // prev released before we linked: the row is ours, and prev waited for us to see it.
        prev.lockHandshakeDone();
        return true;
    }

    /** Releases {@code row}, held by {@code w}, to the next waiter if there is one. */
    void release(RowWaiter w, long row) {
        int slot = slot(row);
        if (tails.compareAndSet(slot, w, null)) {
            w.lockHandshakeDone();
            return;
        }
        RowWaiter next = w.lockNext.getAndSet(HANDED);
        if (next != null) {
            w.lockHandshakeDone();
            next.core.execute(next);
        }
        // else: a successor is between its swap and its link; it finds HANDED and owns the row.
    }

    /** True if no row is held or awaited (for tests). */
    boolean idle() {
        for (int i = 0; i < tails.length(); i++) {
            if (tails.get(i) != null) {
                return false;
            }
        }
        return true;
    }
}
