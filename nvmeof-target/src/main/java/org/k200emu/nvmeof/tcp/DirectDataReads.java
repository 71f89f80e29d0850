package org.k200emu.nvmeof.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.UncheckedBooleanSupplier;
import org.k200emu.nvmeof.tcp.pdu.PduDecoder;

/**
 * The socket reads of one NVMe/TCP connection, sized and placed by its {@link PduDecoder}: while
 * a large data PDU's data is being placed, the read goes straight into the command's buffer (the
 * decoder's {@link PduDecoder#readWindow()}), so those bytes are copied once, by the kernel,
 * instead of into a read buffer and then again in Java; after a large data PDU a read takes only
 * up to the next PDU's data ({@link PduDecoder#readLimit()}); otherwise the channel's own
 * allocator sizes the read. Whether to read on is the channel allocator's, with one addition:
 * when a read ends inside a small PDU, the loop takes one more read for its rest
 * ({@link PduDecoder#awaitsSmallRest()}).
 *
 * <p>The decoder has its say only on transports that read synchronously, one buffer at a time,
 * and hand each read down the pipeline before allocating the next (epoll and NIO): its answer is
 * only right if nothing is read between the question and the read. io_uring submits reads ahead,
 * so there {@link #install} sets the reads' sizes alone.
 */
public final class DirectDataReads implements RecvByteBufAllocator {

    /**
     * The smallest buffer a connection's socket read goes into, on every transport. With Netty's
     * own minimum of 64 bytes, the initiator's adaptive guess shrank to about 400 bytes at 4k
     * randwrite QD32, where a batch of responses is 16-18 times 24 bytes: about one batch in
     * twenty then came with a response split, paid for with a second read, a buffer for the
     * split PDU and a copy.
     */
    public static final int MIN_READ = 4096;

    /** Netty's adaptive sizing of a connection's reads, from {@link #MIN_READ} to {@code maxRead}. */
    static AdaptiveRecvByteBufAllocator sized(int maxRead) {
        return new AdaptiveRecvByteBufAllocator(MIN_READ, MIN_READ, maxRead);
    }

    private final RecvByteBufAllocator base;
    private final Channel channel;
    private final PduDecoder decoder;

    private DirectDataReads(RecvByteBufAllocator base, Channel channel, PduDecoder decoder) {
        this.base = base;
        this.channel = channel;
        this.decoder = decoder;
    }

    /**
     * Sizes the connection's reads from {@link #MIN_READ} to {@code maxRead} bytes and, where the
     * transport allows it (epoll, NIO), puts them under its decoder.
     */
    public static void install(SocketChannel channel, PduDecoder decoder, int maxRead) {
        // As many reads per read loop as the transport gives a socket by default (16): a new
        // allocator allows one, and a channel adjusts only the allocator it made itself.
        int readsPerLoop = channel.metadata().defaultMaxMessagesPerRead();
        RecvByteBufAllocator base = sized(maxRead).maxMessagesPerRead(readsPerLoop);
        boolean direct = channel instanceof EpollSocketChannel || channel instanceof NioSocketChannel;
        channel.config().setRecvByteBufAllocator(direct ? new DirectDataReads(base, channel, decoder) : base);
    }

    @Override
    public ExtendedHandle newHandle() {
        return new DecoderHandle((ExtendedHandle) base.newHandle());
    }

    /** The channel allocator's handle, with the decoder's say over each read's buffer. */
    private final class DecoderHandle implements ExtendedHandle {

        private final ExtendedHandle handle;
        /** Whether this read loop has taken its one read for the rest of a split small PDU. */
        private boolean restRead;

        DecoderHandle(ExtendedHandle handle) {
            this.handle = handle;
        }

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            ByteBuf window = decoder.readWindow();
            if (window != null) {
                return window;
            }
            int limit = decoder.readLimit();
            return limit > 0 ? alloc.ioBuffer(limit, limit) : handle.allocate(alloc);
        }

        @Override
        public int guess() {
            return handle.guess();
        }

        @Override
        public void reset(ChannelConfig config) {
            restRead = false;
            handle.reset(config);
        }

        @Override
        public void incMessagesRead(int numMessages) {
            handle.incMessagesRead(numMessages);
        }

        @Override
        public void lastBytesRead(int bytes) {
            handle.lastBytesRead(bytes);
        }

        @Override
        public int lastBytesRead() {
            return handle.lastBytesRead();
        }

        @Override
        public void attemptedBytesRead(int bytes) {
            handle.attemptedBytesRead(bytes);
        }

        @Override
        public int attemptedBytesRead() {
            return handle.attemptedBytesRead();
        }

        @Override
        public boolean continueReading() {
            return handle.continueReading() || readRest();
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return handle.continueReading(maybeMoreDataSupplier) || readRest();
        }

        /**
         * Once per read loop, one more read when the last one ended inside a small PDU: a peer
         * that writes a batch of PDUs in one call sends it as segments of up to 64 KiB on
         * loopback, so a batch of sixteen 4 KiB writes comes as one segment and a tail, the tail
         * on its way while the first segment's PDUs are handled. Read with them, the tail's PDU is
         * answered in the same write as the rest; left for the next event-loop turn, it costs its
         * own read and write system calls on both sides. When the rest has not come, the read
         * finds nothing and the loop ends as it would have.
         */
        private boolean readRest() {
            if (restRead || !channel.config().isAutoRead() || handle.lastBytesRead() <= 0
                    || !decoder.awaitsSmallRest() || !channel.isActive()) {
                return false;
            }
            restRead = true;
            return true;
        }

        @Override
        public void readComplete() {
            handle.readComplete();
        }
    }
}
