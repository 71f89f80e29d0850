package org.k200emu.nvmeof.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;

/**
 * Writes of one NVMe/TCP connection, flushed once per batch: once at the end of a read batch
 * for what the PDUs just read caused, else once per event-loop turn for writes made outside a
 * read (completions from a bdev, say). Fewer flushes mean fewer writev calls per I/O. Used by
 * both sides of the connection; confined to the channel's event loop.
 */
public final class BatchedWriter {

    private final ChannelHandlerContext ctx;
    private final Runnable flushTask = this::flushNow;
    private boolean inRead;
    private boolean flushPending;
    private boolean flushScheduled;

    public BatchedWriter(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** A read batch starts (channelRead). */
    public void readStarted() {
        inRead = true;
    }

    /** The read batch ended (channelReadComplete): flush what it caused. */
    public void readComplete() {
        inRead = false;
        if (flushPending) {
            flushPending = false;
            ctx.flush();
        }
    }

    /** Queues {@code buf} (ownership passes to the channel) and arranges the flush. */
    public void write(ByteBuf buf) {
        ctx.write(buf, ctx.voidPromise());
        if (inRead) {
            flushPending = true;
        } else if (!flushScheduled) {
            flushScheduled = true;
            ctx.channel().eventLoop().execute(flushTask);
        }
    }

    private void flushNow() {
        flushScheduled = false;
        ctx.flush();
    }
}
