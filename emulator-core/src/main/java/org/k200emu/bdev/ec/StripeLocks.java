package org.k200emu.bdev.ec;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;

/**
 * The per-stripe in-flight table of an {@link EcBdev}: serializes the operations on one stripe
 * (updates, degraded reads, rebuild) without a lock and without blocking a thread.
 *
 * <p>Stripes hash to slots; a slot holds the tail of a queue of operations, like an MCS lock
 * whose waiters park a continuation instead of spinning. {@link #acquire} swaps itself in as
 * tail: with no predecessor it owns the slot at once; otherwise it links behind the predecessor
 * and returns, to be resumed on its own core's executor when the predecessor releases. Linking
 * and releasing race on the predecessor's {@code lockNext} with one compare-and-set each: if the
 * release wins it leaves a RELEASED mark, and the late successor owns the slot straight away.
 * Stripes sharing a slot merely wait for each other; no operation holds two slots, so there is
 * no cycle.
 *
 * <p>Pooled operations make reuse the hazard: an operation may not be recycled while a successor
 * may still touch it. So whoever touches it last recycles it: the releaser, unless it left the
 * RELEASED mark, in which case the successor that finds the mark does.
 */
final class StripeLocks {

    static final Object RELEASED = new Object();
    private static final AtomicReferenceFieldUpdater<StripeOp, Object> NEXT =
            AtomicReferenceFieldUpdater.newUpdater(StripeOp.class, Object.class, "lockNext");

    private final AtomicReferenceArray<StripeOp> tails;
    private final int mask;

    StripeLocks(long stripes) {
        int size = 1;
        while (size < stripes && size < 4096) {
            size <<= 1;
        }
        this.tails = new AtomicReferenceArray<>(size);
        this.mask = size - 1;
    }

    /** True if {@code op} owns its stripe now; false if it will be resumed when it does. */
    boolean acquire(StripeOp op) {
        int slot = (int) (op.stripe & mask);
        NEXT.set(op, null);
        StripeOp prev = tails.getAndSet(slot, op);
        if (prev == null) {
            return true;
        }
        if (NEXT.compareAndSet(prev, null, op)) {
            return false;
        }
        prev.recycle(); // prev released before we linked, and left its recycling to us
        return true;
    }

    /**
     * Releases {@code op}'s stripe, resuming its successor if any. Returns whether the caller may
     * recycle {@code op}; when false a successor will, and the caller must not touch it again.
     */
    boolean release(StripeOp op) {
        int slot = (int) (op.stripe & mask);
        if (tails.compareAndSet(slot, op, null)) {
            return true;
        }
        if (NEXT.compareAndSet(op, null, RELEASED)) {
            return false;
        }
        ((StripeOp) NEXT.get(op)).resume();
        return true;
    }
}
