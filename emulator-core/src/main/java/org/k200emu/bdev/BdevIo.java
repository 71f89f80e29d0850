package org.k200emu.bdev;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.Executor;

/**
 * One block I/O, reused: the NVMe layer keeps one per queue slot and refills it for each command,
 * so the data path allocates nothing per I/O.
 *
 * <p>Data: for {@link BdevOp#WRITE} the bdev reads {@code numBlocks * blockSize} readable bytes
 * from {@link #buffer()} (without moving its reader index); for {@link BdevOp#READ} it writes that
 * many bytes into the buffer at its writer index (advancing it). The caller keeps ownership of
 * the buffer and its reference count. Other operations carry no buffer.
 *
 * <p>Lending: a caller that can take them marks a READ with {@link #allowLending()}; a bdev whose
 * answer needs no copy (the null bdev's zeroes) may then {@link #lend} a buffer of its own instead
 * of writing into {@link #buffer()}, which it leaves untouched. Stacked bdevs do not mark the
 * reads they send their members, so a member fills their buffers as before. A caller that knows
 * the bdev lends every such read ({@link Bdev#lendsReads()}) may prepare it with no buffer.
 */
public final class BdevIo {

    private BdevOp op;
    private long offsetBlocks;
    private long numBlocks;
    private ByteBuf buffer;
    private Executor core;
    private BdevCompletion completion;
    private Object context;
    private int status;
    private boolean inFlight;
    private boolean lendingAllowed;
    private ByteBuf lent;

    /** Fills this I/O for a new operation. {@code core} is where the completion must run. */
    public BdevIo prepare(BdevOp op, long offsetBlocks, long numBlocks, ByteBuf buffer,
                          Executor core, BdevCompletion completion, Object context) {
        if (inFlight) {
            throw new IllegalStateException("BdevIo reused while in flight: " + this);
        }
        this.op = op;
        this.offsetBlocks = offsetBlocks;
        this.numBlocks = numBlocks;
        this.buffer = buffer;
        this.core = core;
        this.completion = completion;
        this.context = context;
        this.status = -1;
        this.inFlight = true;
        this.lendingAllowed = false;
        this.lent = null;
        return this;
    }

    /** After {@link #prepare}, for a READ: the caller takes a buffer the bdev lends (see {@link #lend}). */
    public BdevIo allowLending() {
        if (op != BdevOp.READ) {
            throw new IllegalStateException("only reads may be answered with a lent buffer: " + this);
        }
        this.lendingAllowed = true;
        return this;
    }

    /** Whether the caller takes a lent buffer for this READ. */
    public boolean lendingAllowed() {
        return lendingAllowed;
    }

    /**
     * Answers this READ with {@code data} (exactly the read's bytes readable, not to be written by
     * anyone; its reference passes to the caller) instead of filling {@link #buffer()}. Only when
     * {@link #lendingAllowed()}; call before {@link #complete}.
     */
    public void lend(ByteBuf data) {
        if (!lendingAllowed || !inFlight) {
            data.release();
            throw new IllegalStateException("lending not allowed for " + this);
        }
        this.lent = data;
    }

    /** The buffer the bdev lent, now the caller's (null if it filled {@link #buffer()}); once. */
    public ByteBuf takeLent() {
        ByteBuf data = lent;
        lent = null;
        return data;
    }

    /** Called once by the bdev; runs the caller's completion on the current thread. */
    public void complete(int status) {
        if (!inFlight) {
            throw new IllegalStateException("BdevIo completed twice: " + this);
        }
        this.status = status;
        this.inFlight = false;
        completion.bdevIoDone(this);
    }

    public BdevOp op() {
        return op;
    }

    public long offsetBlocks() {
        return offsetBlocks;
    }

    public long numBlocks() {
        return numBlocks;
    }

    public ByteBuf buffer() {
        return buffer;
    }

    /**
     * The home core of the I/O: a bdev that finishes on another thread hands the completion to
     * it ({@code core().execute(...)}), so completions always run where the I/O was submitted.
     * A simulated core is such an executor; tests may pass {@code Runnable::run}.
     */
    public Executor core() {
        return core;
    }

    /** Whatever the submitter attached (its request object), handed back at completion. */
    public Object context() {
        return context;
    }

    /** A {@link BdevStatus} code once completed; -1 while in flight. */
    public int status() {
        return status;
    }

    public boolean inFlight() {
        return inFlight;
    }

    /** True if [offset, offset+numBlocks) lies within a device of {@code blockCount} blocks. */
    public boolean withinCapacity(long blockCount) {
        return offsetBlocks >= 0 && numBlocks >= 0 && offsetBlocks <= blockCount
                && numBlocks <= blockCount - offsetBlocks;
    }

    @Override
    public String toString() {
        return "BdevIo[" + op + " lba=" + offsetBlocks + " n=" + numBlocks + " status=" + status + "]";
    }
}
