package org.k200emu.bdev.ec;

import io.netty.buffer.ByteBuf;
import io.netty.util.Recycler;
import java.util.concurrent.Executor;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;

/**
 * One READ, WRITE, WRITE_ZEROES or UNMAP submitted to an {@link EcBdev}, cut into pieces stripe
 * by stripe with a bounded number in flight (a huge UNMAP holds no more scratch memory than a
 * small write). Pooled per EcBdev.
 *
 * <p>A read of a data strip on a healthy member goes straight to it ({@link DirectRead}) into the
 * parent buffer; a strip on an unreadable member is read degraded under the stripe's lock. An
 * update of a stripe is cut into column ranges where the same data shards are fully covered
 * (at most three: the ragged head, the full middle, the ragged tail), each a {@link StripeOp};
 * a range that covers all k data shards needs no read at all.
 */
final class ParentIo extends PieceWindow {

    /** Pieces in flight per parent I/O. */
    static final int WINDOW = 32;

    private final Recycler.Handle<ParentIo> handle;
    private final EcBdev ec;
    private final EcLayout layout;

    private BdevIo io;
    private StripeOp.Kind kind;
    private ByteBuf buffer;
    private Executor core;
    /** Volume byte range of the I/O, and the next byte to dispatch. */
    private long start;
    private long end;
    private long cursor;
    /** Buffer index of the I/O's first byte: the reader index (updates) or writer index (reads). */
    private int base;

    ParentIo(Recycler.Handle<ParentIo> handle, EcBdev ec) {
        this.handle = handle;
        this.ec = ec;
        this.layout = ec.layout();
    }

    void start(BdevIo parent) {
        this.io = parent;
        this.core = parent.core();
        this.start = parent.offsetBlocks() * layout.blockSize;
        this.end = start + parent.numBlocks() * layout.blockSize;
        this.cursor = start;
        this.buffer = parent.buffer();
        BdevOp op = parent.op();
        if (op == BdevOp.READ) {
            kind = StripeOp.Kind.READ;
            buffer.ensureWritable((int) (end - start));
            base = buffer.writerIndex();
        } else if (op == BdevOp.WRITE) {
            kind = StripeOp.Kind.WRITE;
            base = buffer.readerIndex();
        } else {
            kind = StripeOp.Kind.ZERO;
            buffer = null;
            base = 0;
        }
        begin(WINDOW);
    }

    @Override
    boolean hasMore() {
        return cursor < end && status() == BdevStatus.SUCCESS;
    }

    @Override
    void dispatchNext() {
        long stripeBytes = layout.stripeBytes;
        int strip = layout.stripBytes;
        long stripe = cursor / stripeBytes;
        long stripeStart = stripe * stripeBytes;
        int from = (int) (cursor - stripeStart);
        int to = (int) (Math.min(end, stripeStart + stripeBytes) - stripeStart);
        cursor = stripeStart + to;
        long parentBase = base + (stripeStart - start);
        int j0 = from / strip;
        int j1 = (to - 1) / strip;
        int o0 = from % strip;
        int o1 = (to - 1) % strip + 1;
        if (kind == StripeOp.Kind.READ) {
            MemberStates st = ec.states();
            for (int j = j0; j <= j1; j++) {
                int c0 = j == j0 ? o0 : 0;
                int c1 = j == j1 ? o1 : strip;
                int member = layout.memberOf(j, stripe);
                piece();
                if (st.readable(member)) {
                    ec.newDirectRead().start(this, stripe, j, c0, c1, member, buffer, parentBase, core);
                } else {
                    ec.newOp().init(StripeOp.Kind.READ, stripe, c0, c1, j, j, this, core, buffer, parentBase).start();
                }
            }
            return;
        }
        if (j0 == j1) {
            update(stripe, o0, o1, j0, j0, parentBase);
            return;
        }
        // Column boundaries 0, o0, o1, strip, sorted: each range between two has one covered shard set.
        int lo = Math.min(o0, o1);
        int hi = Math.max(o0, o1);
        for (int c = 0; c < 3; c++) {
            int a = c == 0 ? 0 : c == 1 ? lo : hi;
            int b = c == 0 ? lo : c == 1 ? hi : strip;
            if (a == b) {
                continue;
            }
            int first = a >= o0 ? j0 : j0 + 1;
            int last = b <= o1 ? j1 : j1 - 1;
            if (first <= last) {
                update(stripe, a, b, first, last, parentBase);
            }
        }
    }

    private void update(long stripe, int from, int to, int first, int last, long parentBase) {
        piece();
        ec.newOp().init(kind, stripe, from, to, first, last, this, core, buffer, parentBase).start();
    }

    @Override
    void finish(int status) {
        BdevIo parent = io;
        if (kind == StripeOp.Kind.READ && status == BdevStatus.SUCCESS) {
            buffer.writerIndex(base + (int) (end - start));
        }
        io = null;
        buffer = null;
        core = null;
        handle.recycle(this);
        parent.complete(status);
    }
}
