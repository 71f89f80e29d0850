package org.k200emu.bdev.raid;

/**
 * Where every block of a RAID volume lives: the parameters of an array (level, members, strip)
 * and the pure functions from a row (stripe) and data strip to members and member blocks.
 * Immutable; one per {@link RaidBdev}.
 *
 * <p>Each member starts with {@link #META_BYTES} of metadata (superblock and write-intent
 * bitmap); the data area follows. Row {@code r} is the {@code r}-th strip of every member's data
 * area. A row holds {@link #dataStrips()} data strips:
 * <ul>
 * <li>RAID 0: strip d on member d.</li>
 * <li>RAID 1: one strip, on every member.</li>
 * <li>RAID 10: strip d on the mirror pair (2d, 2d+1).</li>
 * <li>RAID 5: P on member {@code n-1 - r mod n}, data strip d on {@code (P+1+d) mod n}
 *     (left-symmetric rotation, the md default, so consecutive strips land on consecutive members).</li>
 * <li>RAID 6: P as RAID 5, Q right after it, data strip d on {@code (P+2+d) mod n}.</li>
 * </ul>
 */
final class RaidLayout {

    /** Metadata reserved at the start of every member: a 4 KiB superblock, a 4 KiB bitmap. */
    static final int META_BYTES = 8192;
    static final int SUPERBLOCK_BYTES = 4096;
    static final int BITMAP_BYTES = 4096;
    /** Bits of the write-intent bitmap: one per region of rows. */
    static final int MAX_REGIONS = BITMAP_BYTES * 8;
    static final int MAX_MEMBERS = 64;

    /** Role of a member in a row of a parity level (other values are data strip indexes). */
    static final int ROLE_P = -1;
    static final int ROLE_Q = -2;

    final int level;
    final int members;
    final int blockSize;
    final int stripBlocks;
    final int metaBlocks;
    final long rows;
    final int regionRows;
    final int regionCount;
    private final int dataStrips;
    private final int parities;

    RaidLayout(int level, int members, int blockSize, int stripBlocks, long rows) {
        this.level = level;
        this.members = members;
        this.blockSize = blockSize;
        this.stripBlocks = stripBlocks;
        this.metaBlocks = META_BYTES / blockSize;
        this.rows = rows;
        this.regionRows = (int) Math.max(1, (rows + MAX_REGIONS - 1) / MAX_REGIONS);
        this.regionCount = (int) ((rows + regionRows - 1) / regionRows);
        switch (level) {
            case 0:
                dataStrips = members;
                parities = 0;
                break;
            case 1:
                dataStrips = 1;
                parities = 0;
                break;
            case 10:
                dataStrips = members / 2;
                parities = 0;
                break;
            case 5:
                dataStrips = members - 1;
                parities = 1;
                break;
            case 6:
                dataStrips = members - 2;
                parities = 2;
                break;
            default:
                throw new IllegalArgumentException("RAID level must be 0, 1, 10, 5 or 6, not " + level);
        }
    }

    /**
     * Checks the parameters of a new array and returns why they are unusable, or null. The
     * capacity check needs the member sizes, see {@link #rowsFor}.
     */
    static String problem(int level, int members, int blockSize, int stripBytes) {
        switch (level) {
            case 0:
            case 1:
                if (members < 2) {
                    return "RAID " + level + " needs at least 2 members, not " + members;
                }
                break;
            case 10:
                if (members < 4 || members % 2 != 0) {
                    return "RAID 10 needs an even number of members, at least 4, not " + members;
                }
                break;
            case 5:
                if (members < 3) {
                    return "RAID 5 needs at least 3 members, not " + members;
                }
                break;
            case 6:
                if (members < 4) {
                    return "RAID 6 needs at least 4 members, not " + members;
                }
                break;
            default:
                return "RAID level must be 0, 1, 10, 5 or 6, not " + level;
        }
        if (members > MAX_MEMBERS) {
            return "at most " + MAX_MEMBERS + " members, not " + members;
        }
        if (stripBytes <= 0 || stripBytes % blockSize != 0 || stripBytes > (16 << 20)) {
            return "strip size must be a positive multiple of the block size (" + blockSize
                    + ") up to 16 MiB, not " + stripBytes;
        }
        return null;
    }

    /** Rows that fit on a member of {@code memberBlocks} blocks after the metadata. */
    static long rowsFor(long memberBlocks, int blockSize, int stripBlocks) {
        long data = memberBlocks - META_BYTES / blockSize;
        return data <= 0 ? 0 : data / stripBlocks;
    }

    boolean mirrored() {
        return level == 1 || level == 10;
    }

    boolean hasParity() {
        return parities > 0;
    }

    /** Data strips per row (1 for RAID 1). */
    int dataStrips() {
        return dataStrips;
    }

    /** Parity strips per row: 0, 1 (P) or 2 (P and Q). */
    int parities() {
        return parities;
    }

    /** Data blocks per row. */
    int rowBlocks() {
        return dataStrips * stripBlocks;
    }

    /** Logical capacity in blocks. */
    long capacity() {
        return rows * rowBlocks();
    }

    /** Copies of each data strip: 1, or the mirrors of RAID 1 and 10. */
    int copies() {
        switch (level) {
            case 1:
                return members;
            case 10:
                return 2;
            default:
                return 1;
        }
    }

    /**
     * Member failures the array survives in every row (RAID 10 survives more when they hit
     * different pairs).
     */
    int tolerance() {
        switch (level) {
            case 1:
                return members - 1;
            case 10:
                return 1;
            default:
                return parities;
        }
    }

    /** Member holding copy {@code copy} of data strip {@code d} in {@code row}. */
    int dataMember(long row, int d, int copy) {
        switch (level) {
            case 0:
                return d;
            case 1:
                return copy;
            case 10:
                return 2 * d + copy;
            case 5:
                return (pMember(row) + 1 + d) % members;
            default:
                return (pMember(row) + 2 + d) % members;
        }
    }

    /** Member holding P in {@code row}, or -1 without parity. */
    int pMember(long row) {
        return parities == 0 ? -1 : (int) (members - 1 - row % members);
    }

    /** Member holding Q in {@code row}, or -1 below RAID 6. */
    int qMember(long row) {
        return parities < 2 ? -1 : (pMember(row) + 1) % members;
    }

    /**
     * Role of {@code member} in {@code row} for the parity levels: its data strip index, or
     * {@link #ROLE_P} / {@link #ROLE_Q}.
     */
    int role(long row, int member) {
        int p = pMember(row);
        if (member == p) {
            return ROLE_P;
        }
        if (parities == 2) {
            if (member == (p + 1) % members) {
                return ROLE_Q;
            }
            return (member - p - 2 + 2 * members) % members;
        }
        return (member - p - 1 + members) % members;
    }

    /** The member block of {@code blockInStrip} in {@code row}. */
    long memberLba(long row, int blockInStrip) {
        return metaBlocks + row * stripBlocks + blockInStrip;
    }

    /** The bitmap region of a row. */
    int region(long row) {
        return (int) (row / regionRows);
    }
}
