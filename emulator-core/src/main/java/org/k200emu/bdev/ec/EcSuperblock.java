package org.k200emu.bdev.ec;

import io.netty.buffer.ByteBuf;
import java.util.zip.CRC32;

/**
 * Block 0 of every member of an {@link EcBdev}: which set the member belongs to (a random id),
 * its slot, the geometry (write-intent region size included), and the member states as of {@link #epoch}. Every change of a member's
 * state (failed, rebuilding, rebuilt) is written to the writable members with a higher epoch, so
 * that when the volume is opened again the newest copy says which members hold current data: a
 * member that failed and came back is not trusted. Little-endian, CRC32 over the fields.
 */
record EcSuperblock(long setIdHigh, long setIdLow, long epoch, int k, int m, int stripBytes, int blockSize,
                    int memberIndex, long stripes, int regionStripes, byte[] states) {

    static final long MAGIC = 0x313043453030324BL; // "K200EC01" read little-endian
    static final int VERSION = 1;
    /** Fields before the state bytes. */
    private static final int HEADER = 8 + 4 + 8 + 8 + 8 + 4 * 5 + 8 + 4;

    /** Bytes needed for {@code n} members, CRC included. */
    static int size(int n) {
        return HEADER + n + 4;
    }

    /** Writes the superblock at the buffer's writer index, padded with zeroes to {@code blockSize}. */
    void writeTo(ByteBuf buf) {
        int start = buf.writerIndex();
        buf.writeLongLE(MAGIC);
        buf.writeIntLE(VERSION);
        buf.writeLongLE(setIdHigh);
        buf.writeLongLE(setIdLow);
        buf.writeLongLE(epoch);
        buf.writeIntLE(k);
        buf.writeIntLE(m);
        buf.writeIntLE(stripBytes);
        buf.writeIntLE(blockSize);
        buf.writeIntLE(memberIndex);
        buf.writeLongLE(stripes);
        buf.writeIntLE(regionStripes);
        buf.writeBytes(states);
        CRC32 crc = new CRC32();
        crc.update(buf.nioBuffer(start, buf.writerIndex() - start));
        buf.writeIntLE((int) crc.getValue());
        buf.writeZero(blockSize - (buf.writerIndex() - start));
    }

    /** The superblock in {@code buf} at its reader index, or null if there is none (no magic, bad CRC). */
    static EcSuperblock readFrom(ByteBuf buf) {
        int start = buf.readerIndex();
        if (buf.readableBytes() < HEADER + 4 || buf.getLongLE(start) != MAGIC || buf.getIntLE(start + 8) != VERSION) {
            return null;
        }
        int at = start + 12;
        long hi = buf.getLongLE(at);
        long lo = buf.getLongLE(at + 8);
        long epoch = buf.getLongLE(at + 16);
        int k = buf.getIntLE(at + 24);
        int m = buf.getIntLE(at + 28);
        int strip = buf.getIntLE(at + 32);
        int bs = buf.getIntLE(at + 36);
        int index = buf.getIntLE(at + 40);
        long stripes = buf.getLongLE(at + 44);
        int regionStripes = buf.getIntLE(at + 52);
        int n = k + m;
        if (k < 1 || m < 1 || n > 255 || regionStripes < 1 || buf.readableBytes() < size(n)) {
            return null;
        }
        byte[] states = new byte[n];
        buf.getBytes(start + HEADER, states);
        CRC32 crc = new CRC32();
        crc.update(buf.nioBuffer(start, HEADER + n));
        if ((int) crc.getValue() != buf.getIntLE(start + HEADER + n)) {
            return null;
        }
        return new EcSuperblock(hi, lo, epoch, k, m, strip, bs, index, stripes, regionStripes, states);
    }

    boolean sameSet(EcSuperblock other) {
        return setIdHigh == other.setIdHigh && setIdLow == other.setIdLow;
    }
}
