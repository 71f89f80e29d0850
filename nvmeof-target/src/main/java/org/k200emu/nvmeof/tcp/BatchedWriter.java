package org.k200emu.nvmeof.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.IovArray;
import io.netty.channel.unix.Limits;
import io.netty.util.concurrent.FastThreadLocal;
import java.io.IOException;
import java.util.Arrays;

/**
 * The writes of one NVMe/TCP connection, gathered and flushed once per batch: at the end of a
 * read batch for what the PDUs just read caused, else once per event-loop turn for writes made
 * outside a read (completions from a bdev, say). Used by both sides of the connection; confined
 * to the channel's event loop.
 *
 * <p>What is queued is a list of byte ranges: buffers handed over whole ({@link #write}), ranges
 * of buffers the caller keeps ({@link #writeRegion}), and small PDUs (headers, responses,
 * digests) encoded in place into one scratch buffer of the writer's ({@link #beginSmall}), where
 * consecutive ones become one range. On an epoll channel whose Netty queue is empty, a flush
 * hands the ranges to one writev call straight on the socket: no per-PDU buffer allocation, no
 * entry in Netty's outbound queue, no pipeline traversal per PDU. Whatever the socket does not
 * take (it is full, or failed), and everything on other transports, goes through the channel
 * as usual, and while Netty holds unsent bytes every later flush goes through it as well, so
 * the byte order on the wire is always the queue's order.
 */
public final class BatchedWriter {

    /** Scratch for small PDUs; a flush that finds it full starts again at its beginning. */
    static final int SCRATCH_SIZE = 16 * 1024;

    /** One iovec array per event-loop thread: a flush fills and uses it before returning. */
    private static final FastThreadLocal<IovArray> IOV = new FastThreadLocal<>() {
        @Override
        protected IovArray initialValue() {
            return new IovArray(Limits.IOV_MAX);
        }

        @Override
        protected void onRemoval(IovArray iov) {
            iov.release();
        }
    };

    private final ChannelHandlerContext ctx;
    private final Channel channel;
    /** The socket, for direct writes; null on transports other than epoll. */
    private final FileDescriptor socket;
    private final Runnable flushTask = this::flushNow;

    private ByteBuf[] bufs = new ByteBuf[64];
    private int[] index = new int[64];
    private int[] length = new int[64];
    /** Whether range i is a buffer handed over (else a range of a buffer the caller keeps, or scratch). */
    private boolean[] owned = new boolean[64];
    private int count;
    private ByteBuf scratch;
    private int smallStart = -1;
    private ByteBuf smallAfterClose;

    private boolean inRead;
    private boolean flushPending;
    private boolean flushScheduled;
    private boolean closed;
    private boolean handingOver;
    private long directWrites;

    public BatchedWriter(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.channel = ctx.channel();
        this.socket = channel instanceof EpollSocketChannel ? ((EpollSocketChannel) channel).fd() : null;
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
            flushNow();
        }
    }

    /** Queues the readable bytes of {@code buf}; ownership passes to the writer. */
    public void write(ByteBuf buf) {
        if (closed) {
            buf.release();
            return;
        }
        add(buf, buf.readerIndex(), buf.readableBytes(), true);
        arrangeFlush();
    }

    /**
     * Queues {@code length} bytes of {@code buf} from {@code index}; the writer takes a reference
     * of its own and the caller keeps its.
     */
    public void writeRegion(ByteBuf buf, int index, int length) {
        if (closed) {
            return;
        }
        add(buf.retain(), index, length, false);
        arrangeFlush();
    }

    /**
     * Room for one small PDU of at most {@code maxBytes} (at most 512): encode it at the returned
     * buffer's writer index, then call {@link #endSmall()}. Nothing else may be queued between
     * the two calls.
     */
    public ByteBuf beginSmall(int maxBytes) {
        if (smallStart >= 0 || maxBytes > 512) {
            throw new IllegalStateException(smallStart >= 0 ? "a small PDU is open" : "too large: " + maxBytes);
        }
        if (closed) {
            smallAfterClose = ctx.alloc().directBuffer(maxBytes);
            smallStart = 0;
            return smallAfterClose;
        }
        if (scratch == null) {
            scratch = ctx.alloc().directBuffer(SCRATCH_SIZE, SCRATCH_SIZE);
        } else if (scratch.writableBytes() < maxBytes) {
            flushNow();
            if (scratch == null) {
                scratch = ctx.alloc().directBuffer(SCRATCH_SIZE, SCRATCH_SIZE);
            }
        }
        smallStart = scratch.writerIndex();
        return scratch;
    }

    /** Queues the small PDU encoded since {@link #beginSmall(int)}. */
    public void endSmall() {
        int start = smallStart;
        if (start < 0) {
            throw new IllegalStateException("no small PDU is open");
        }
        smallStart = -1;
        if (smallAfterClose != null) {
            smallAfterClose.release();
            smallAfterClose = null;
            return;
        }
        int n = scratch.writerIndex() - start;
        int last = count - 1;
        if (last >= 0 && bufs[last] == scratch && index[last] + length[last] == start) {
            length[last] += n;
        } else {
            add(scratch, start, n, false);
        }
        arrangeFlush();
    }

    /** Queues a data digest (a CRC32C value, little-endian as on the wire). */
    public void writeDigest(int crc32c) {
        beginSmall(4).writeIntLE(crc32c);
        endSmall();
    }

    /**
     * Writes {@code buf} (ownership passes) through the channel at once, after everything queued:
     * for the last words of a connection (a TermReq, the flush before a close), whose future the
     * caller may wait on.
     */
    public ChannelFuture writeAndFlushNow(ByteBuf buf) {
        flushNow();
        return ctx.writeAndFlush(buf);
    }

    /** Writes everything queued now. */
    public void flushNow() {
        flushScheduled = false;
        flushPending = false;
        int n = count;
        int first = 0;
        long done = 0;
        if (n > 0 && socket != null && channel.isActive() && nettyQueueEmpty()) {
            done = writeDirect();
            // Ranges fully written are released; the rest, from the first unwritten byte, below.
            while (first < n && done >= length[first]) {
                done -= length[first];
                releaseRange(first);
                bufs[first++] = null;
            }
        }
        count = 0;
        if (first < n) {
            // The channel may fail a write at once and close, re-entering discard(): the queue is
            // emptied before the first write, and each range handed over leaves it.
            ByteBuf s = scratch;
            boolean scratchHandedOver = false;
            handingOver = true;
            for (int i = first; i < n; i++) {
                int skip = i == first ? (int) done : 0;
                ByteBuf b = bufs[i];
                bufs[i] = null;
                if (b == s) {
                    ctx.write(b.retainedSlice(index[i] + skip, length[i] - skip), ctx.voidPromise());
                    scratchHandedOver = true;
                } else if (owned[i] && skip == 0 && index[i] == b.readerIndex() && length[i] == b.readableBytes()) {
                    ctx.write(b, ctx.voidPromise());
                } else {
                    // A derived slice shares the buffer's count, so the channel releases our
                    // reference, and has indexes of its own, so the caller's buffer keeps its.
                    ctx.write(b.slice(index[i] + skip, length[i] - skip), ctx.voidPromise());
                }
            }
            handingOver = false;
            if (scratchHandedOver && scratch == s) {
                // The channel holds slices of it until they are sent: small PDUs go elsewhere.
                scratch.release();
                scratch = null;
            }
            ctx.flush();
        }
        if (scratch != null && count == 0) {
            scratch.clear();
        }
    }

    /** The connection closed: releases what is queued; later writes are dropped. */
    public void discard() {
        closed = true;
        for (int i = 0; i < count; i++) {
            releaseRange(i);
            bufs[i] = null;
        }
        count = 0;
        if (scratch != null) {
            scratch.release();
            scratch = null;
        }
    }

    /** Flushes that wrote straight to the socket (for tests). */
    long directWrites() {
        return directWrites;
    }

    private void arrangeFlush() {
        if (inRead) {
            flushPending = true;
        } else if (!flushScheduled) {
            flushScheduled = true;
            channel.eventLoop().execute(flushTask);
        }
    }

    private void add(ByteBuf buf, int idx, int len, boolean handedOver) {
        if (handingOver) {
            // Only a channel that failed a write at once (it is closed) calls back into its
            // writer while the queue is handed over: what it writes then goes nowhere.
            if (buf != scratch) {
                buf.release();
            }
            return;
        }
        if (count == bufs.length) {
            bufs = Arrays.copyOf(bufs, count * 2);
            index = Arrays.copyOf(index, count * 2);
            length = Arrays.copyOf(length, count * 2);
            owned = Arrays.copyOf(owned, count * 2);
        }
        bufs[count] = buf;
        index[count] = idx;
        length[count] = len;
        owned[count] = handedOver;
        count++;
    }

    private void releaseRange(int i) {
        if (bufs[i] != scratch) {
            bufs[i].release();
        }
    }

    private boolean nettyQueueEmpty() {
        ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
        return out != null && out.totalPendingWriteBytes() == 0;
    }

    /**
     * Writes queued ranges with writev until the socket takes less than offered, a range cannot
     * go by address (a heap or composite buffer: the channel converts those), or all are out.
     * Returns the bytes written from the start of the queue.
     */
    private long writeDirect() {
        IovArray iov = IOV.get();
        long written = 0;
        int next = 0;
        while (next < count) {
            iov.clear();
            int i = next;
            while (i < count && bufs[i].isDirect() && bufs[i].nioBufferCount() == 1
                    && iov.add(bufs[i], index[i], length[i])) {
                i++;
            }
            if (i == next) {
                break;
            }
            long offered = iov.size();
            long n;
            try {
                n = socket.writevAddresses(iov.memoryAddress(0), iov.count());
            } catch (IOException e) {
                // The channel meets the same error on the rest and closes as it always does.
                break;
            }
            directWrites++;
            written += n;
            if (n < offered) {
                break;
            }
            next = i;
        }
        return written;
    }
}
