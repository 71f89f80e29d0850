package org.k200emu.nvme.controller;

import java.nio.ByteBuffer;

/**
 * The test side's own model of T10 protection information, written from the definitions and
 * independent of the code under test: a bit-at-a-time CRC-16 (polynomial 0x8BB7) and the
 * big-endian 8-byte tuple, used to build extended blocks and the expected results.
 */
final class T10Model {

    private T10Model() {
    }

    static int crc(byte[] data, int offset, int length) {
        int crc = 0;
        for (int i = offset; i < offset + length; i++) {
            crc ^= (data[i] & 0xFF) << 8;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 0x8000) != 0 ? ((crc << 1) ^ 0x8BB7) & 0xFFFF : (crc << 1) & 0xFFFF;
            }
        }
        return crc;
    }

    /** Extended blocks: each block of {@code data} followed by guard, app tag, ref tag (refs[i] or ref0 + i). */
    static byte[] extend(byte[] data, int blockSize, int appTag, long ref0, boolean increment) {
        int blocks = data.length / blockSize;
        ByteBuffer b = ByteBuffer.allocate(blocks * (blockSize + 8));
        for (int i = 0; i < blocks; i++) {
            b.put(data, i * blockSize, blockSize);
            b.putShort((short) crc(data, i * blockSize, blockSize));
            b.putShort((short) appTag);
            b.putInt((int) (increment ? ref0 + i : ref0));
        }
        return b.array();
    }

    /** The data of extended blocks, without their protection information. */
    static byte[] strip(byte[] ext, int blockSize) {
        int blocks = ext.length / (blockSize + 8);
        byte[] out = new byte[blocks * blockSize];
        for (int i = 0; i < blocks; i++) {
            System.arraycopy(ext, i * (blockSize + 8), out, i * blockSize, blockSize);
        }
        return out;
    }

    /** Block {@code i}'s 8 bytes of protection information in extended blocks, as a big-endian long. */
    static long pi(byte[] ext, int blockSize, int i) {
        return ByteBuffer.wrap(ext).getLong(i * (blockSize + 8) + blockSize);
    }

    /** Overwrites block {@code i}'s protection information. */
    static void setPi(byte[] ext, int blockSize, int i, int guard, int app, int ref) {
        ByteBuffer.wrap(ext).putShort(i * (blockSize + 8) + blockSize, (short) guard)
                .putShort(i * (blockSize + 8) + blockSize + 2, (short) app)
                .putInt(i * (blockSize + 8) + blockSize + 4, ref);
    }

    static long tuple(int guard, int app, int ref) {
        return ((long) (guard & 0xFFFF) << 48) | ((long) (app & 0xFFFF) << 32) | (ref & 0xFFFF_FFFFL);
    }
}
