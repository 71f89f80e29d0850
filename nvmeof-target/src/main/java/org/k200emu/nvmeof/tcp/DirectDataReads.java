package org.k200emu.nvmeof.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
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
 * allocator sizes the read. Everything else (how much was read, whether to read on) is the
 * channel allocator's.
 *
 * <p>Installed only on transports that read synchronously, one buffer at a time, and hand each
 * read down the pipeline before allocating the next (epoll and NIO): the decoder's answer is
 * only right if nothing is read between the question and the read. io_uring submits reads ahead
 * and keeps the channel's own allocator.
 */
public final class DirectDataReads implements RecvByteBufAllocator {

    private final RecvByteBufAllocator base;
    private final PduDecoder decoder;

    private DirectDataReads(RecvByteBufAllocator base, PduDecoder decoder) {
        this.base = base;
        this.decoder = decoder;
    }

    /** Puts the connection's reads under its decoder, where the transport allows it (epoll, NIO). */
    public static void install(SocketChannel channel, PduDecoder decoder) {
        if (channel instanceof EpollSocketChannel || channel instanceof NioSocketChannel) {
            ChannelConfig config = channel.config();
            config.setRecvByteBufAllocator(new DirectDataReads(config.getRecvByteBufAllocator(), decoder));
        }
    }

    @Override
    public ExtendedHandle newHandle() {
        return new DecoderHandle((ExtendedHandle) base.newHandle());
    }

    /** The channel allocator's handle, with the decoder's say over each read's buffer. */
    private final class DecoderHandle implements ExtendedHandle {

        private final ExtendedHandle handle;

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
            return handle.continueReading();
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return handle.continueReading(maybeMoreDataSupplier);
        }

        @Override
        public void readComplete() {
            handle.readComplete();
        }
    }
}
