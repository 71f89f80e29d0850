package org.k200emu.bdev.ec;

import io.netty.util.Recycler;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevCompletion;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;

/**
 * A FLUSH of an {@link EcBdev}: flushes every writable member and succeeds while at least k
 * members are healthy afterwards. Then lets the write-intent log clear the bits of idle regions,
 * since what they covered is now on stable storage. Pooled.
 */
final class FlushIo {

    private final Recycler.Handle<FlushIo> handle;
    private final EcBdev ec;
    private final BdevIo[] ios;
    private final Bdev[] used;
    private final BdevCompletion[] slots;
    private final AtomicInteger pending = new AtomicInteger();
    private BdevIo parent;

    FlushIo(Recycler.Handle<FlushIo> handle, EcBdev ec) {
        this.handle = handle;
        this.ec = ec;
        int n = ec.layout().n;
        this.ios = new BdevIo[n];
        this.used = new Bdev[n];
        this.slots = new BdevCompletion[n];
        for (int d = 0; d < n; d++) {
            int member = d;
            ios[d] = new BdevIo();
            slots[d] = io -> memberDone(member, io.status());
        }
    }

    void start(BdevIo io) {
        this.parent = io;
        MemberStates st = ec.states();
        int n = ios.length;
        pending.set(1);
        for (int d = 0; d < n; d++) {
            if (st.writable(d)) {
                pending.incrementAndGet();
                used[d] = st.bdev(d);
                ios[d].prepare(BdevOp.FLUSH, 0, 0, null, io.core(), slots[d], null);
                used[d].submit(ios[d]);
            }
        }
        if (pending.decrementAndGet() == 0) {
            finish();
        }
    }

    private void memberDone(int member, int status) {
        if (status != BdevStatus.SUCCESS) {
            ec.markFailed(member, used[member], status);
        }
        if (pending.decrementAndGet() == 0) {
            finish();
        }
    }

    private void finish() {
        BdevIo io = parent;
        parent = null;
        Arrays.fill(used, null);
        int status = ec.states().count(MemberStates.HEALTHY) >= ec.layout().k ? BdevStatus.SUCCESS : BdevStatus.MEDIA_ERROR;
        ec.metadata().clearIdle();
        handle.recycle(this);
        io.complete(status);
    }
}
