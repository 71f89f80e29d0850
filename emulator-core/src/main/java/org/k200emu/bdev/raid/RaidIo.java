package org.k200emu.bdev.raid;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevStatus;

/**
 * A host I/O on a {@link RaidBdev} while it is in flight: split into one {@link StripeOp} per
 * row, at most {@value #WINDOW} of them in flight, completed once all rows are done. Pooled by
 * its RaidBdev.
 *
 * <p>Launching runs in a work-counter loop ({@link #pump}), so a row that completes inline
 * launches the next from the same loop instead of recursing. {@code remaining} counts the rows
 * not done plus one for the launcher; whoever brings it to zero completes the parent, and
 * nothing touches this object after that (a row calls {@code pump} before it gives up its count).
 */
final class RaidIo {

    /** Rows of one host I/O in flight at once. */
    static final int WINDOW = 8;

    private final RaidBdev raid;
    private final AtomicInteger pumpWork = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong remaining = new AtomicLong();
    private final AtomicInteger status = new AtomicInteger();

    private BdevIo io;
    private int kind;
    private int base;
    private long firstRow;
    private long rows;
    private long launched;
    private int rowBlocks;

    RaidIo(RaidBdev raid) {
        this.raid = raid;
    }

    /** Starts {@code io} as operation {@code kind} of {@link StripeOp}. */
    void start(BdevIo io, int kind) {
        this.io = io;
        this.kind = kind;
        this.rowBlocks = raid.layout().rowBlocks();
        this.launched = 0;
        this.status.set(BdevStatus.SUCCESS);
        this.pumpWork.set(0);
        this.inFlight.set(0);
        if (kind == StripeOp.FLUSH) {
            firstRow = -1;
            rows = 1;
        } else {
            firstRow = io.offsetBlocks() / rowBlocks;
            long lastRow = (io.offsetBlocks() + io.numBlocks() - 1) / rowBlocks;
            rows = lastRow - firstRow + 1;
        }
        if (kind == StripeOp.READ) {
            ByteBuf buf = io.buffer();
            buf.ensureWritable((int) (io.numBlocks() * raid.blockSize()));
            base = buf.writerIndex();
        }
        remaining.set(rows + 1);
        pump();
    }

    ByteBuf buffer() {
        return io.buffer();
    }

    /** Bytes of data the parent reads or writes. */
    long bytes() {
        return io.numBlocks() * raid.blockSize();
    }

    /** Index in the parent buffer where read data starts. */
    int base() {
        return base;
    }

    private void pump() {
        if (pumpWork.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        for (;;) {
            while (launched < rows && inFlight.get() < WINDOW) {
                inFlight.incrementAndGet();
                launch(launched++);
            }
            if (launched == rows) {
                // Everything is launched: drop the launcher's count. pumpWork stays non-zero,
                // so later pump() calls return at once.
                release();
                return;
            }
            missed = pumpWork.addAndGet(-missed);
            if (missed == 0) {
                return;
            }
        }
    }

    private void launch(long i) {
        StripeOp op = raid.stripeOp();
        if (kind == StripeOp.FLUSH) {
            op.init(kind, -1, 0, 0, 0, this, null, io.core()).start();
            return;
        }
        long row = firstRow + i;
        long rowStart = row * rowBlocks;
        long from = Math.max(io.offsetBlocks(), rowStart);
        long to = Math.min(io.offsetBlocks() + io.numBlocks(), rowStart + rowBlocks);
        long parentByte = (from - io.offsetBlocks()) * raid.blockSize();
        op.init(kind, row, (int) (from - rowStart), (int) (to - from), parentByte, this, null, io.core()).start();
    }

    /** Called by each row when it is done, on the parent's core. */
    void stripeDone(int rowStatus) {
        if (rowStatus != BdevStatus.SUCCESS) {
            status.compareAndSet(BdevStatus.SUCCESS, rowStatus);
        }
        inFlight.decrementAndGet();
        pump();
        release();
    }

    private void release() {
        if (remaining.decrementAndGet() != 0) {
            return;
        }
        BdevIo done = io;
        int result = status.get();
        if (kind == StripeOp.READ) {
            // A member that read straight into the buffer moved its writer index: set it either way.
            done.buffer().writerIndex(result == BdevStatus.SUCCESS ? base + (int) bytes() : base);
        }
        io = null;
        raid.recycle(this);
        done.complete(result);
    }
}
