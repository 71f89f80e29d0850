package org.k200emu.bdev.raid;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Something that can wait, without a thread, for a row lock ({@link StripeLocks}) or for the
 * metadata to reach the members ({@link MetadataWriter}): a {@link StripeOp}, or a control-plane
 * caller waiting for a metadata write. When the wait is over it is run on its own {@link #core}.
 *
 * <p>The fields are the intrusive links of the two wait queues, so waiting allocates nothing.
 */
abstract class RowWaiter implements Runnable {

    /** Where the waiter continues: the home core of its I/O. */
    Executor core;

    /** Successor in the row lock's queue, or {@link StripeLocks#HANDED} once the lock moved on. */
    final AtomicReference<RowWaiter> lockNext = new AtomicReference<>();

    /** Link in the metadata writer's queues; owned by whoever holds the waiter in a queue. */
    RowWaiter metaNext;
    /** Bitmap region that must be dirty on every member before the waiter goes on, or -1. */
    int needRegion = -1;
    /** State generation the persisted metadata must have reached. */
    long needGen;

    /** Resumes the waiter (on its core). */
    @Override
    public abstract void run();

    /**
     * The lock hand-over no longer needs this waiter: after this the waiter may be reused. Only
     * waiters that take row locks implement it.
     */
    void lockHandshakeDone() {
    }
}
