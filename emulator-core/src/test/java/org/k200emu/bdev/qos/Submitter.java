package org.k200emu.bdev.qos;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;

/**
 * Submits many I/Os (a fresh BdevIo each) and counts their completions by status; a second
 * completion of the same BdevIo throws from BdevIo itself, so "exactly once" is checked too.
 */
final class Submitter {

    /** What the member sees as the I/O's context: the class it was submitted to and its number. */
    record Tag(String cls, long seq) {
    }

    private final AtomicIntegerArray byStatus = new AtomicIntegerArray(16);
    private final AtomicLong submitted = new AtomicLong();
    private final AtomicLong done = new AtomicLong();

    BdevIo submit(Bdev target, BdevOp op, long lba, long blocks, ByteBuf buffer, Executor core, Object context) {
        BdevIo io = new BdevIo();
        io.prepare(op, lba, blocks, buffer, core, d -> {
            byStatus.incrementAndGet(d.status());
            done.incrementAndGet();
        }, context);
        submitted.incrementAndGet();
        target.submit(io);
        return io;
    }

    /** A one-block write-zeroes tagged with {@code cls} and {@code seq}, completing inline. */
    BdevIo zeroes(Bdev target, String cls, long seq) {
        return submit(target, BdevOp.WRITE_ZEROES, seq % target.blockCount(), 1, null, Runnable::run, new Tag(cls, seq));
    }

    long submitted() {
        return submitted.get();
    }

    long done() {
        return done.get();
    }

    int withStatus(int status) {
        return byStatus.get(status);
    }
}
