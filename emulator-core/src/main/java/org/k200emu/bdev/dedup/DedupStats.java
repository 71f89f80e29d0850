package org.k200emu.bdev.dedup;

/**
 * A snapshot of a {@link DedupBdev}'s space use, taken by {@link DedupBdev#stats()} for the
 * management plane. The counters are read one by one without a lock, so under concurrent writes
 * they may disagree by the writes in flight.
 *
 * @param logicalBlocksWritten logical blocks that now hold (non-zero) data
 * @param physicalBlocksUsed   physical blocks of the member holding that data (and writes in flight)
 * @param zeroBlocks           logical blocks written as all zeroes (or Write Zeroes): no physical block
 * @param physicalBlocks       the physical blocks the member has room for
 * @param blockWrites          4 KiB blocks written since open (data, zeroes and deallocations)
 * @param dedupHits            written blocks whose content was already stored, since open
 * @param checkpoints          checkpoints of the tables taken since open
 */
public record DedupStats(long logicalBlocksWritten, long physicalBlocksUsed, long zeroBlocks, long physicalBlocks,
                         long blockWrites, long dedupHits, long checkpoints) {

    /** Logical data blocks per physical block (1000.0 for one block shared 1000 times); 0 when empty. */
    public double ratio() {
        return physicalBlocksUsed == 0 ? 0.0 : (double) logicalBlocksWritten / physicalBlocksUsed;
    }
}
