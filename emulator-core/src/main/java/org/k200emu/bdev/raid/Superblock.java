package org.k200emu.bdev.raid;

import io.netty.buffer.ByteBuf;
import java.util.zip.CRC32C;

/**
 * The metadata a member carries in its first {@link RaidLayout#META_BYTES}: which array it belongs
 * to and where, the member states at the last metadata update, and the write-intent bitmap (one
 * bit per region of rows whose parity or mirrors may be out of step). Encoded little-endian with
 * a CRC32C over the header and the bitmap, so a torn metadata write is recognized and the copy on
 * another member is used. Written by {@link MetadataWriter}; read when an array is opened.
 *
 * <p>{@code events} grows with every metadata write; on open the valid copy with the most events
 * is authoritative for the member states (a member that missed updates was already failed).
 */
record Superblock(int level, int members, int memberIndex, int stripBlocks, int blockSize, long arrayId,
                  long events, long failedMask, long rows, int regionRows, int regionCount, long[] bitmap) {

    /** "K200RAID" read as a little-endian long. */
    static final long MAGIC = 0x44494152_3030324BL;
    static final int VERSION = 1;
    private static final int HEADER = 80;
    private static final int CRC_AT = 80;

    /** Writes the whole metadata area ({@link RaidLayout#META_BYTES}) at the writer index of {@code out}. */
    static void encode(ByteBuf out, RaidLayout layout, int memberIndex, long arrayId, long events,
                       long failedMask, long[] bitmap) {
        int base = out.writerIndex();
        out.ensureWritable(RaidLayout.META_BYTES);
        out.setZero(base, RaidLayout.META_BYTES);
        out.setLongLE(base, MAGIC);
        out.setIntLE(base + 8, VERSION);
        out.setIntLE(base + 12, layout.level);
        out.setIntLE(base + 16, layout.members);
        out.setIntLE(base + 20, memberIndex);
        out.setIntLE(base + 24, layout.stripBlocks);
        out.setIntLE(base + 28, layout.blockSize);
        out.setLongLE(base + 32, arrayId);
        out.setLongLE(base + 40, events);
        out.setLongLE(base + 48, failedMask);
        out.setLongLE(base + 56, layout.rows);
        out.setIntLE(base + 64, layout.regionRows);
        out.setIntLE(base + 68, layout.regionCount);
        int bits = base + RaidLayout.SUPERBLOCK_BYTES;
        for (int i = 0; i < bitmap.length; i++) {
            out.setLongLE(bits + 8 * i, bitmap[i]);
        }
        out.setIntLE(base + CRC_AT, crc(out, base));
        out.writerIndex(base + RaidLayout.META_BYTES);
    }

    /** The superblock in the readable bytes of {@code in}, or null if there is none or it is torn. */
    static Superblock decode(ByteBuf in) {
        int base = in.readerIndex();
        if (in.readableBytes() < RaidLayout.META_BYTES || in.getLongLE(base) != MAGIC
                || in.getIntLE(base + 8) != VERSION || in.getIntLE(base + CRC_AT) != crc(in, base)) {
            return null;
        }
        int regionCount = in.getIntLE(base + 68);
        if (regionCount < 0 || regionCount > RaidLayout.MAX_REGIONS) {
            return null;
        }
        long[] bitmap = new long[(regionCount + 63) / 64];
        int bits = base + RaidLayout.SUPERBLOCK_BYTES;
        for (int i = 0; i < bitmap.length; i++) {
            bitmap[i] = in.getLongLE(bits + 8 * i);
        }
        return new Superblock(in.getIntLE(base + 12), in.getIntLE(base + 16), in.getIntLE(base + 20),
                in.getIntLE(base + 24), in.getIntLE(base + 28), in.getLongLE(base + 32), in.getLongLE(base + 40),
                in.getLongLE(base + 48), in.getLongLE(base + 56), in.getIntLE(base + 64), regionCount, bitmap);
    }

    private static int crc(ByteBuf buf, int base) {
        CRC32C crc = new CRC32C();
        crc.update(buf.nioBuffer(base, HEADER));
        crc.update(buf.nioBuffer(base + RaidLayout.SUPERBLOCK_BYTES, RaidLayout.BITMAP_BYTES));
        return (int) crc.getValue();
    }

    boolean regionDirty(int region) {
        return (bitmap[region >>> 6] & (1L << region)) != 0;
    }

    /** Regions marked dirty. */
    int dirtyRegions() {
        int n = 0;
        for (long w : bitmap) {
            n += Long.bitCount(w);
        }
        return n;
    }
}
