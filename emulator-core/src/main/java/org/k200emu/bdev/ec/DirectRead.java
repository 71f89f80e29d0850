package org.k200emu.bdev.ec;

import io.netty.buffer.ByteBuf;
import io.netty.util.Recycler;
import java.util.concurrent.Executor;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevCompletion;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;

/**
 * A read of part of one data strip straight from its healthy member into the parent's buffer
 * (through a slice at the right place), without the stripe lock: a read that overlaps an update
 * may see either version of each block, as with any disk. If the member fails the read, it is
 * marked failed and the same range is read again degraded, under the stripe lock. Pooled.
 */
final class DirectRead implements BdevCompletion {

    private final Recycler.Handle<DirectRead> handle;
    private final EcBdev ec;
    private final BdevIo io = new BdevIo();

    private ParentIo owner;
    private long stripe;
    private int shard;
    private int colFrom;
    private int colTo;
    private int member;
    private Bdev bdev;
    private ByteBuf parent;
    private long parentBase;
    private ByteBuf view;

    DirectRead(Recycler.Handle<DirectRead> handle, EcBdev ec) {
        this.handle = handle;
        this.ec = ec;
    }

    void start(ParentIo owner, long stripe, int shard, int colFrom, int colTo, int member, ByteBuf parent,
               long parentBase, Executor core) {
        EcLayout layout = ec.layout();
        this.owner = owner;
        this.stripe = stripe;
        this.shard = shard;
        this.colFrom = colFrom;
        this.colTo = colTo;
        this.member = member;
        this.parent = parent;
        this.parentBase = parentBase;
        this.bdev = ec.member(member);
        int len = colTo - colFrom;
        view = parent.retainedSlice((int) (parentBase + (long) shard * layout.stripBytes + colFrom), len);
        view.clear();
        io.prepare(BdevOp.READ, layout.memberBlock(stripe, colFrom), len / layout.blockSize, view, core, this, null);
        bdev.submit(io);
    }

    @Override
    public void bdevIoDone(BdevIo done) {
        view.release();
        view = null;
        ParentIo o = owner;
        owner = null;
        if (done.status() == BdevStatus.SUCCESS) {
            parent = null;
            bdev = null;
            handle.recycle(this);
            o.pieceDone(BdevStatus.SUCCESS);
            return;
        }
        ec.markFailed(member, bdev, done.status());
        StripeOp retry = ec.newOp().init(StripeOp.Kind.READ, stripe, colFrom, colTo, shard, shard, o, done.core(),
                parent, parentBase);
        parent = null;
        bdev = null;
        handle.recycle(this);
        retry.start(); // the piece passes to the degraded read
    }
}
