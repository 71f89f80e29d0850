package org.k200emu.nvmeof.tcp.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * CRC32C (Castagnoli), the NVMe/TCP header and data digest, computed straight over Netty buffers
 * (heap, direct or composite) without copying. Built on {@link CRC32C}, which the JVM turns into
 * the CPU's crc32 instructions.
 *
 * <p>An instance accumulates a digest over several buffers ({@link #reset()}, {@link #update},
 * {@link #value()}): the connection that streams a data PDU from several buffers owns one and
 * reuses it. {@link #compute} is the one-shot form; it uses a per-thread instance, so neither
 * form allocates in steady state. An instance is not thread-safe.
 */
public final class Crc32c {

    private static final FastThreadLocal<Crc32c> PER_THREAD = new FastThreadLocal<>() {
        @Override
        protected Crc32c initialValue() {
            return new Crc32c();
        }
    };

    private final CRC32C crc = new CRC32C();

    /** A digest at its initial state. */
    public Crc32c() {
    }

    /** CRC32C of {@code length} bytes of {@code buf} from absolute {@code index}; indices untouched. */
    public static int compute(ByteBuf buf, int index, int length) {
        Crc32c c = PER_THREAD.get();
        c.reset();
        c.update(buf, index, length);
        return c.value();
    }

    /** CRC32C of a byte array range (tests, cold paths). */
    public static int compute(byte[] bytes, int offset, int length) {
        Crc32c c = PER_THREAD.get();
        c.reset();
        c.crc.update(bytes, offset, length);
        return c.value();
    }

    /** Starts a new digest. */
    public Crc32c reset() {
        crc.reset();
        return this;
    }

    /**
     * Adds {@code length} bytes of {@code buf} from absolute {@code index} to the digest; the
     * buffer's reader and writer indices are not moved.
     */
    public Crc32c update(ByteBuf buf, int index, int length) {
        if (length == 0) {
            return this;
        }
        if (buf.hasArray()) {
            crc.update(buf.array(), buf.arrayOffset() + index, length);
            return this;
        }
        int count = buf.nioBufferCount();
        if (count == 1) {
            ByteBuffer nio;
            try {
                // The buffer's own reusable view: no allocation on pooled direct buffers.
                nio = buf.internalNioBuffer(index, length);
            } catch (UnsupportedOperationException e) {
                nio = buf.nioBuffer(index, length);
            }
            crc.update(nio);
        } else if (count > 1) {
            // Composite: one view per component; allocates an array, composites are rare here.
            for (ByteBuffer part : buf.nioBuffers(index, length)) {
                crc.update(part);
            }
        } else {
            // Not backed by NIO memory at all: byte by byte, the slow fallback.
            for (int i = 0; i < length; i++) {
                crc.update(buf.getByte(index + i));
            }
        }
        return this;
    }

    /** Adds the readable bytes of {@code buf} to the digest without moving its indices. */
    public Crc32c update(ByteBuf buf) {
        return update(buf, buf.readerIndex(), buf.readableBytes());
    }

    /** The digest of everything added since the last {@link #reset()}, as sent on the wire (LE). */
    public int value() {
        return (int) crc.getValue();
    }
}
