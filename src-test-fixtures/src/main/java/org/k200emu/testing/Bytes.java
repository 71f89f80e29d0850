package org.k200emu.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.SplittableRandom;

/**
 * Test data: reproducible pseudo-random bytes from a fixed seed, and hex dumps for assertion
 * messages. Shared by every module's tests.
 */
public final class Bytes {

    private Bytes() {
    }

    /** {@code length} pseudo-random bytes, always the same for the same seed. */
    public static byte[] random(long seed, int length) {
        byte[] bytes = new byte[length];
        new SplittableRandom(seed).nextBytes(bytes);
        return bytes;
    }

    /** {@link #random} in a heap ByteBuf the caller releases. */
    public static ByteBuf randomBuf(long seed, int length) {
        return Unpooled.wrappedBuffer(random(seed, length));
    }

    /** A recognizable ramp: byte {@code i} is {@code (start + i) & 0xff}. */
    public static byte[] ramp(int start, int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (start + i);
        }
        return bytes;
    }

    /** Compact hex of all bytes, e.g. {@code "00ff10"}. */
    public static String hex(byte[] bytes) {
        return ByteBufUtil.hexDump(bytes);
    }

    /** Multi-line hex dump (offsets, hex, ASCII) of the readable bytes; indices untouched. */
    public static String dump(ByteBuf buf) {
        return ByteBufUtil.prettyHexDump(buf);
    }
}
