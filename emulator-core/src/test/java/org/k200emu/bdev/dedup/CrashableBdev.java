package org.k200emu.bdev.dedup;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevCompletion;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;

/**
 * A test member wrapped around another that can fail I/Os or simulate a crash: I/Os matching
 * {@link #dropWhen} never reach the wrapped bdev and never complete (the power went before they
 * landed); I/Os matching {@link #loseCompletionWhen} reach it but their completion is lost (landed,
 * but the crash came before the acknowledgement). Closing it leaves the wrapped bdev open.
 */
final class CrashableBdev implements Bdev {

    private final Bdev delegate;
    private final AtomicInteger countdown = new AtomicInteger(-1);
    private volatile Predicate<BdevIo> dropWhen = io -> false;
    private volatile Predicate<BdevIo> loseCompletionWhen = io -> false;
    private volatile Predicate<BdevIo> failWhen = io -> false;
    final AtomicInteger dropped = new AtomicInteger();

    CrashableBdev(Bdev delegate) {
        this.delegate = delegate;
    }

    CrashableBdev dropWhen(Predicate<BdevIo> which) {
        dropWhen = which;
        return this;
    }

    CrashableBdev loseCompletionWhen(Predicate<BdevIo> which) {
        loseCompletionWhen = which;
        return this;
    }

    /** I/Os matching {@code which} fail with MEDIA_ERROR from now on. */
    CrashableBdev failWhen(Predicate<BdevIo> which) {
        failWhen = which;
        return this;
    }

    /** The {@code n}th I/O from now fails with MEDIA_ERROR. */
    CrashableBdev failNth(int n) {
        countdown.set(n);
        return this;
    }

    @Override
    public String name() {
        return "crashable-" + delegate.name();
    }

    @Override
    public int blockSize() {
        return delegate.blockSize();
    }

    @Override
    public long blockCount() {
        return delegate.blockCount();
    }

    @Override
    public String module() {
        return "test";
    }

    @Override
    public boolean supports(BdevOp op) {
        return delegate.supports(op);
    }

    @Override
    public boolean hasVolatileWriteCache() {
        return delegate.hasVolatileWriteCache();
    }

    @Override
    public void submit(BdevIo io) {
        if (dropWhen.test(io)) {
            dropped.incrementAndGet();
            freeOwnBuffer(io);
            return;
        }
        if (failWhen.test(io) || countdown.get() > 0 && countdown.decrementAndGet() == 0) {
            io.complete(BdevStatus.MEDIA_ERROR);
            return;
        }
        if (loseCompletionWhen.test(io)) {
            dropped.incrementAndGet();
            BdevIo inner = new BdevIo();
            BdevCompletion ignore = d -> freeOwnBuffer(io);
            inner.prepare(io.op(), io.offsetBlocks(), io.numBlocks(), io.buffer(), io.core(), ignore, null);
            delegate.submit(inner);
            return;
        }
        delegate.submit(io);
    }

    /**
     * The dead instance will never release a buffer it allocated itself (a journal record, the
     * only direct buffers here: the tests' data buffers are on the heap): free it, as the
     * process's death would.
     */
    private static void freeOwnBuffer(BdevIo io) {
        if (io.buffer() != null && io.buffer().isDirect() && io.buffer().refCnt() > 0) {
            io.buffer().release();
        }
    }

    @Override
    public void close() {
    }
}
