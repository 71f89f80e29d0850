package org.k200emu.bdev.ec;

/**
 * Where everything of an {@link EcBdev} lives on its members: the geometry computed once from
 * k, m, the strip size and the smallest member.
 *
 * <p>Each member starts with a reserved metadata area (block 0: the {@link EcSuperblock}; then
 * the write-intent bitmap, one bit per region of {@link #regionStripes} stripes, 16 MiB of volume
 * data by default), rounded up to
 * whole strips so that data strips stay strip-aligned. Stripe s is strip s of the data area of
 * every member. Shard i of stripe s (0..k-1 data, k..n-1 parity) lives on member
 * {@code (i + s) mod n}, so parity rotates across the members from stripe to stripe. The volume
 * maps block by block onto the data shards: stripe after stripe, shard after shard.
 */
final class EcLayout {

    /** The bitmap never takes more than this many bytes: regions grow with the volume instead. */
    static final int MAX_BITMAP_BYTES = 4096;

    final int k;
    final int m;
    final int n;
    final int blockSize;
    final int stripBytes;
    final int stripBlocks;
    /** Blocks reserved at the start of every member. */
    final long metaBlocks;
    final long stripes;
    final int regionStripes;
    final int regions;
    final int bitmapBlocks;
    /** Data bytes of one stripe: k strips. */
    final long stripeBytes;
    final long volumeBlocks;

    /** Volume bytes per write-intent region by default: at most 64 set regions resync 1 GiB. */
    static final long DEFAULT_REGION_BYTES = 16L << 20;

    /** A layout with regions of {@link #DEFAULT_REGION_BYTES}. */
    EcLayout(int k, int m, int blockSize, int stripBytes, long stripes) {
        this(k, m, blockSize, stripBytes, stripes, regionStripesFor(stripes, (long) k * stripBytes, DEFAULT_REGION_BYTES));
    }

    EcLayout(int k, int m, int blockSize, int stripBytes, long stripes, int regionStripes) {
        this.k = k;
        this.m = m;
        this.n = k + m;
        this.blockSize = blockSize;
        this.stripBytes = stripBytes;
        this.stripBlocks = stripBytes / blockSize;
        this.metaBlocks = metaBlocks(blockSize, stripBlocks);
        this.stripes = stripes;
        this.regionStripes = regionStripes;
        this.regions = (int) ((stripes + regionStripes - 1) / regionStripes);
        this.bitmapBlocks = (regions + blockSize * 8 - 1) / (blockSize * 8);
        this.stripeBytes = (long) k * stripBytes;
        this.volumeBlocks = stripes * k * stripBlocks;
    }

    /**
     * Stripes per region: about {@code regionBytes} of volume data, at least one stripe, and
     * enough that the bitmap fits its {@link #MAX_BITMAP_BYTES}.
     */
    static int regionStripesFor(long stripes, long stripeBytes, long regionBytes) {
        long maxRegions = MAX_BITMAP_BYTES * 8L;
        long byBitmap = (stripes + maxRegions - 1) / maxRegions;
        long bySize = regionBytes / stripeBytes;
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, Math.max(byBitmap, bySize)));
    }

    /** The layout for members of at least {@code memberBlocks} blocks; throws if not one stripe fits. */
    static EcLayout forMembers(int k, int m, int blockSize, int stripBytes, long memberBlocks, long regionBytes) {
        long meta = metaBlocks(blockSize, stripBytes / blockSize);
        long stripes = (memberBlocks - meta) / (stripBytes / blockSize);
        if (stripes < 1) {
            throw new IllegalArgumentException("members of " + memberBlocks + " blocks hold no stripe of "
                    + stripBytes + "-byte strips after " + meta + " metadata blocks");
        }
        return new EcLayout(k, m, blockSize, stripBytes, stripes,
                regionStripesFor(stripes, (long) k * stripBytes, regionBytes));
    }

    /** Superblock plus the largest bitmap, rounded up to whole strips. */
    private static long metaBlocks(int blockSize, int stripBlocks) {
        long needed = 1 + (MAX_BITMAP_BYTES + blockSize - 1) / blockSize;
        return (needed + stripBlocks - 1) / stripBlocks * stripBlocks;
    }

    /** The member holding shard {@code shard} of stripe {@code stripe}. */
    int memberOf(int shard, long stripe) {
        return (int) ((shard + stripe % n) % n);
    }

    /** The shard of stripe {@code stripe} held by member {@code member}. */
    int shardOn(int member, long stripe) {
        return (int) ((member - stripe % n + n) % n);
    }

    /** The member block holding column byte {@code column} of stripe {@code stripe}. */
    long memberBlock(long stripe, int column) {
        return metaBlocks + stripe * stripBlocks + column / blockSize;
    }

    int regionOf(long stripe) {
        return (int) (stripe / regionStripes);
    }

    /** Member blocks the layout uses: metadata and every stripe. */
    long memberBlocksUsed() {
        return metaBlocks + stripes * stripBlocks;
    }
}
