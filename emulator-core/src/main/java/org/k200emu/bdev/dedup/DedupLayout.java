package org.k200emu.bdev.dedup;

/**
 * Where a {@link DedupBdev} keeps things on its member, in member blocks. Everything is counted in
 * 4 KiB pages ({@code perPage} member blocks each) so the data blocks stay page aligned:
 *
 * <pre>
 * page 0                      superblock (geometry, volume id)
 * journal                     journalSlots member blocks, one record each
 * checkpoint copy 0           header page, map pages (8 B per logical block), fingerprint pages (32 B per physical block)
 * checkpoint copy 1           the same
 * data                        physicalBlocks pages
 * </pre>
 *
 * Immutable; computed from the member's geometry at format time and from the superblock after.
 */
record DedupLayout(int memberBlockSize, long memberBlocks, long logicalBlocks, long physicalBlocks,
                   int journalSlots) {

    static final int PAGE = DedupBdev.BLOCK_SIZE;
    /** Physical block numbers and map codes share a long with the sequence number: see DedupBdev. */
    static final long MAX_PHYSICAL = (1L << DedupBdev.CODE_BITS) - 3;

    int perPage() {
        return PAGE / memberBlockSize;
    }

    long journalStart() {
        return perPage();
    }

    long journalPages() {
        return (journalSlots + perPage() - 1) / perPage();
    }

    static long mapPages(long logical) {
        return (logical * 8 + PAGE - 1) / PAGE;
    }

    static long fpPages(long physical) {
        return (physical * 32 + PAGE - 1) / PAGE;
    }

    long checkpointPages() {
        return 1 + mapPages(logicalBlocks) + fpPages(physicalBlocks);
    }

    /** First member block of checkpoint copy {@code copy} (0 or 1): its header. */
    long checkpointStart(int copy) {
        return (1 + journalPages() + copy * checkpointPages()) * perPage();
    }

    long dataStart() {
        return (1 + journalPages() + 2 * checkpointPages()) * perPage();
    }

    /**
     * The layout with as many physical blocks as fit; {@code logical} below 1 means "as many
     * logical blocks as physical ones". Throws IllegalArgumentException if nothing fits.
     */
    static DedupLayout of(String name, int memberBlockSize, long memberBlocks, long logical, int journalSlots) {
        if (journalSlots < 2) {
            throw new IllegalArgumentException("bdev " + name + ": the journal needs 2 slots at least");
        }
        int per = PAGE / memberBlockSize;
        long pages = memberBlocks / per;
        long journalPages = (journalSlots + per - 1) / per;
        long room = pages - 1 - journalPages - 2;
        // Each physical page costs itself plus 2 x 32 B of fingerprints (and 2 x 8 B of map when thick).
        long perPhysical = logical > 0 ? PAGE + 64 : PAGE + 80;
        long fixed = logical > 0 ? 2 * mapPages(logical) : 0;
        long phys = Math.max(0, (room - fixed) * PAGE / perPhysical);
        while (fits(pages, journalPages, logical, phys + 1)) {
            phys++;
        }
        while (phys > 0 && !fits(pages, journalPages, logical, phys)) {
            phys--;
        }
        phys = Math.min(phys, MAX_PHYSICAL);
        if (phys < 1) {
            throw new IllegalArgumentException("bdev " + name + ": a member of " + memberBlocks + " blocks of "
                    + memberBlockSize + " B is too small for a dedup bdev with a " + journalSlots + "-slot journal");
        }
        long l = logical > 0 ? logical : phys;
        if (l > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("bdev " + name + ": " + l + " logical blocks is too many");
        }
        return new DedupLayout(memberBlockSize, memberBlocks, l, phys, journalSlots);
    }

    private static boolean fits(long pages, long journalPages, long logical, long phys) {
        long l = logical > 0 ? logical : phys;
        return 1 + journalPages + 2 * (1 + mapPages(l) + fpPages(phys)) + phys <= pages;
    }
}
