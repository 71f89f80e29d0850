package org.k200emu.bench.run;

import io.netty.buffer.ByteBuf;
import java.util.zip.CRC32C;

/**
 * Self-checking block contents, as fio's verify headers: every logical block written carries a
 * header (magic, its own address, a seed) and a CRC32C over the rest, so a read can tell a good
 * block from a corrupted one or one that landed at the wrong address, whatever the order of
 * concurrent writes. A block of zeroes was never written and is not checked.
 */
final class BlockVerifier {

    private static final long MAGIC = 0x4B32303056524659L; // "K200VRFY"
    private static final int CRC_AT = 24;
    private static final int PAYLOAD_AT = 28;

    private final int blockSize;
    private final CRC32C crc = new CRC32C();

    BlockVerifier(int blockSize) {
        this.blockSize = blockSize;
    }

    /** Fills {@code blocks} blocks for address {@code lba} into {@code buf} (writer index moves). */
    void fill(ByteBuf buf, long lba, int blocks, long seed) {
        buf.clear();
        for (int b = 0; b < blocks; b++) {
            int start = buf.writerIndex();
            buf.writeLong(MAGIC);
            buf.writeLong(lba + b);
            buf.writeLong(seed);
            buf.writeInt(0);
            long x = seed ^ (lba + b) * 0x9E3779B97F4A7C15L;
            int n = (blockSize - PAYLOAD_AT) / 8;
            for (int i = 0; i < n; i++) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                buf.writeLong(x);
            }
            buf.writeZero(blockSize - PAYLOAD_AT - 8 * n);
            buf.setInt(start + CRC_AT, checksum(buf, start));
        }
    }

    /**
     * Checks {@code blocks} blocks read from {@code lba}.
     *
     * @return the number of bad blocks in the low 32 bits and of verified (non-zero) blocks in the high 32
     */
    long check(ByteBuf buf, long lba, int blocks) {
        int bad = 0;
        int verified = 0;
        int base = buf.readerIndex();
        for (int b = 0; b < blocks; b++) {
            int start = base + b * blockSize;
            if (buf.getLong(start) == 0 && buf.getLong(start + 8) == 0 && isZero(buf, start)) {
                continue;
            }
            verified++;
            if (buf.getLong(start) != MAGIC || buf.getLong(start + 8) != lba + b
                    || buf.getInt(start + CRC_AT) != checksum(buf, start)) {
                bad++;
            }
        }
        return ((long) verified << 32) | bad;
    }

    private boolean isZero(ByteBuf buf, int start) {
        for (int i = 0; i < blockSize; i += 8) {
            if (buf.getLong(start + i) != 0) {
                return false;
            }
        }
        return true;
    }

    private int checksum(ByteBuf buf, int start) {
        crc.reset();
        crc.update(buf.nioBuffer(start, CRC_AT));
        crc.update(buf.nioBuffer(start + PAYLOAD_AT, blockSize - PAYLOAD_AT));
        return (int) crc.getValue();
    }
}
