package org.k200emu.bench.run;

import java.util.SplittableRandom;
import org.k200emu.bench.job.ReadWrite;

/**
 * Where one worker's next I/O goes and whether it reads or writes: uniform random or sequential
 * offsets, aligned to the I/O size, within the job's region, and the read/write mix. One per
 * worker, confined to its thread; no allocation.
 */
final class IoPattern {

    private final ReadWrite rw;
    private final int readPercent;
    private final long firstBlock;
    private final long ioCount;
    private final int ioBlocks;
    private final SplittableRandom random;
    private long cursor;

    /**
     * @param firstBlock first block of the region (target blocks)
     * @param regionBlocks blocks in the region
     * @param ioBlocks blocks per I/O
     * @param startFraction where a sequential worker starts, 0..1 of the region (spreads workers)
     */
    IoPattern(ReadWrite rw, int rwmixread, long firstBlock, long regionBlocks, int ioBlocks, long seed,
              double startFraction) {
        this.rw = rw;
        this.readPercent = rw == ReadWrite.READ || rw == ReadWrite.RANDREAD ? 100
                : rw == ReadWrite.WRITE || rw == ReadWrite.RANDWRITE ? 0 : rwmixread;
        this.firstBlock = firstBlock;
        this.ioBlocks = ioBlocks;
        this.ioCount = regionBlocks / ioBlocks;
        if (ioCount <= 0) {
            throw new IllegalArgumentException("the region holds no whole I/O of " + ioBlocks + " blocks");
        }
        this.random = new SplittableRandom(seed);
        this.cursor = (long) (startFraction * ioCount) % ioCount;
    }

    int ioBlocks() {
        return ioBlocks;
    }

    /** Number of distinct I/O positions in the region. */
    long positions() {
        return ioCount;
    }

    /** The block address of the I/O at position {@code index}. */
    long lbaOf(long index) {
        return firstBlock + index * ioBlocks;
    }

    boolean nextIsRead() {
        return readPercent == 100 || (readPercent > 0 && random.nextInt(100) < readPercent);
    }

    /** The next I/O's position index (0 .. positions-1). */
    long nextIndex() {
        if (rw.random()) {
            return random.nextLong(ioCount);
        }
        long i = cursor;
        cursor = cursor + 1 == ioCount ? 0 : cursor + 1;
        return i;
    }
}
