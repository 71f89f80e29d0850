package org.k200emu.bdev.pi;

import io.netty.buffer.ByteBuf;

/**
 * The guard of T10 protection information: CRC-16 with polynomial 0x8BB7, initial value 0, not
 * reflected, no final XOR (its check value, the CRC of the ASCII digits "123456789", is 0xD0DB).
 * Table driven, eight bytes per step (slicing by 8), so a 4 KiB block costs about 512 steps and
 * no object; the tables are built once per JVM.
 */
public final class Crc16T10Dif {

    static final int POLYNOMIAL = 0x8BB7;

    /** TABLES[k][b]: the CRC of byte b followed by k zero bytes, from a zero register. */
    private static final char[][] TABLES = new char[8][256];

    static {
        for (int b = 0; b < 256; b++) {
            int crc = b << 8;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ POLYNOMIAL : crc << 1;
            }
            TABLES[0][b] = (char) (crc & 0xFFFF);
        }
        for (int k = 1; k < 8; k++) {
            for (int b = 0; b < 256; b++) {
                int prev = TABLES[k - 1][b];
                TABLES[k][b] = (char) (((prev << 8) ^ TABLES[0][prev >>> 8]) & 0xFFFF);
            }
        }
    }

    private Crc16T10Dif() {
    }

    /** The CRC of {@code length} bytes of {@code buf} from {@code index}; indices are not moved. */
    public static int compute(ByteBuf buf, int index, int length) {
        return update(0, buf, index, length);
    }

    /** Continues {@code crc} over {@code length} more bytes of {@code buf} from {@code index}. */
    public static int update(int crc, ByteBuf buf, int index, int length) {
        char[] t0 = TABLES[0];
        int i = index;
        int end = index + length;
        if (length >= 8) {
            char[] t1 = TABLES[1];
            char[] t2 = TABLES[2];
            char[] t3 = TABLES[3];
            char[] t4 = TABLES[4];
            char[] t5 = TABLES[5];
            char[] t6 = TABLES[6];
            char[] t7 = TABLES[7];
            for (; i + 8 <= end; i += 8) {
                // getLong is big-endian: the first byte in the top bits, as the CRC consumes them.
                long v = buf.getLong(i) ^ ((long) crc << 48);
                crc = t7[(int) (v >>> 56)] ^ t6[(int) (v >>> 48) & 0xFF] ^ t5[(int) (v >>> 40) & 0xFF]
                        ^ t4[(int) (v >>> 32) & 0xFF] ^ t3[(int) (v >>> 24) & 0xFF] ^ t2[(int) (v >>> 16) & 0xFF]
                        ^ t1[(int) (v >>> 8) & 0xFF] ^ t0[(int) v & 0xFF];
            }
        }
        for (; i < end; i++) {
            crc = ((crc << 8) ^ t0[((crc >>> 8) ^ buf.getByte(i)) & 0xFF]) & 0xFFFF;
        }
        return crc;
    }

    /** The CRC of {@code length} bytes of {@code data} from {@code offset}. */
    public static int compute(byte[] data, int offset, int length) {
        char[] t0 = TABLES[0];
        int crc = 0;
        for (int i = offset; i < offset + length; i++) {
            crc = ((crc << 8) ^ t0[((crc >>> 8) ^ data[i]) & 0xFF]) & 0xFFFF;
        }
        return crc;
    }
}
