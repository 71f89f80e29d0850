package org.k200emu.bdev.table;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.k200emu.bdev.BdevStatus;

/**
 * One I/O's wait for its changed entries to reach the member: a write of every table block its
 * range touches, each started after the change (see {@link MemberTable}). Reusable: a pooled
 * per-I/O object keeps one and {@linkplain #start starts} it once per I/O; it is told the outcome
 * on the I/O's own core. Keeps the waiters it needed up to a bound, so steady-state I/O allocates
 * nothing here.
 */
public final class TableCommit implements Runnable {

    /** Who waits for the commit: told once per {@link #start}, on the core it named there. */
    public interface Owner {
        /** The commit is over: {@link BdevStatus#SUCCESS}, or the status of a failed table write. */
        void tableCommitted(int status);
    }

    /** A commit that needed more waiters than this (a huge Write Zeroes) does not keep them. */
    private static final int KEPT_WAITERS = 64;
    private static final MemberTable.Waiter[] NO_WAITERS = new MemberTable.Waiter[0];

    private final Owner owner;
    /** Table writes still awaited, plus one while they are being registered. */
    private final AtomicInteger pending = new AtomicInteger();
    private MemberTable.Waiter[] waiters = NO_WAITERS;
    private Executor home;
    private volatile int status;

    public TableCommit(Owner owner) {
        this.owner = owner;
    }

    /**
     * Waits for the table writes that carry entries {@code [first, first + count)}, already
     * changed in memory ({@code count} at least 1); then tells the owner on {@code home}, the
     * I/O's core, from which this is called.
     */
    public void start(MemberTable table, long first, long count, Executor home) {
        int per = table.entriesPerBlock();
        long firstBlock = first / per;
        long lastBlock = (first + count - 1) / per;
        int blocks = (int) (lastBlock - firstBlock + 1);
        if (waiters.length < blocks) {
            waiters = new MemberTable.Waiter[blocks];
            for (int i = 0; i < blocks; i++) {
                waiters[i] = new MemberTable.Waiter(this);
            }
        }
        this.home = home;
        status = BdevStatus.SUCCESS;
        pending.set(blocks + 1);
        for (int i = 0; i < blocks; i++) {
            table.enqueue((int) (firstBlock + i), waiters[i], home);
        }
        arrive(home);
    }

    void fail(int s) {
        status = s;
    }

    /** One awaited table write done, on the thread of {@code current}; the last one tells the owner on its core. */
    void arrive(Executor current) {
        if (pending.decrementAndGet() == 0) {
            if (current == home) {
                committed();
            } else {
                home.execute(this);
            }
        }
    }

    /** The owner told on its own core, handed over from another. */
    @Override
    public void run() {
        committed();
    }

    private void committed() {
        if (waiters.length > KEPT_WAITERS) {
            waiters = NO_WAITERS;
        }
        home = null;
        owner.tableCommitted(status);
    }
}
