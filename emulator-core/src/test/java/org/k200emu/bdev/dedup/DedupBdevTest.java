package org.k200emu.bdev.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.k200emu.bdev.dedup.DedupTesting.B;
import static org.k200emu.bdev.dedup.DedupTesting.assertBlock;
import static org.k200emu.bdev.dedup.DedupTesting.concat;
import static org.k200emu.bdev.dedup.DedupTesting.op;
import static org.k200emu.bdev.dedup.DedupTesting.pattern;
import static org.k200emu.bdev.dedup.DedupTesting.read;
import static org.k200emu.bdev.dedup.DedupTesting.write;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.TestIo;
import org.k200emu.bdev.file.FileBdev;
import org.k200emu.bdev.malloc.MallocBdev;

class DedupBdevTest {

    /** 16 MiB of 4 KiB member blocks. */
    private static MallocBdev member() {
        return new MallocBdev("m0", 4096, 4096);
    }

    @Test
    void sameBlockThousandTimesIsStoredOnce() {
        try (MallocBdev m = member(); DedupBdev d = DedupBdev.create("dd0", m)) {
            assertThat(d.module()).isEqualTo("dedup");
            assertThat(d.blockSize()).isEqualTo(4096);
            byte[] p = pattern(1);
            for (int lba = 0; lba < 1000; lba++) {
                write(d, lba, p);
            }
            DedupStats s = d.stats();
            System.out.println("dedup 1000 x same block: " + s + " ratio " + s.ratio());
            assertThat(s.logicalBlocksWritten()).isEqualTo(1000);
            assertThat(s.physicalBlocksUsed()).isEqualTo(1);
            assertThat(s.ratio()).isEqualTo(1000.0);
            assertThat(s.dedupHits()).isEqualTo(999);
            for (int lba = 0; lba < 1000; lba += 37) {
                assertBlock(d, lba, p);
            }
            TestIo.assertSameBytes(read(d, 990, 10), concat(p, p, p, p, p, p, p, p, p, p), "multi-block read");
        }
    }

    @Test
    void overwriteAndDeallocateFreePhysicalBlocks() {
        try (MallocBdev m = member(); DedupBdev d = DedupBdev.create("dd0", m)) {
            byte[] a = pattern(1);
            byte[] b = pattern(2);
            write(d, 0, a, a, b, b);
            assertThat(d.stats().physicalBlocksUsed()).isEqualTo(2);
            write(d, 2, a); // b still at 3
            assertThat(d.stats().physicalBlocksUsed()).isEqualTo(2);
            write(d, 3, a); // b gone
            assertThat(d.stats().physicalBlocksUsed()).isEqualTo(1);
            assertThat(d.stats().logicalBlocksWritten()).isEqualTo(4);
            op(d, BdevOp.UNMAP, 0, 3);
            assertThat(d.stats().physicalBlocksUsed()).isEqualTo(1);
            assertThat(d.stats().logicalBlocksWritten()).isEqualTo(1);
            op(d, BdevOp.UNMAP, 3, 1);
            assertThat(d.stats().physicalBlocksUsed()).isZero();
            assertThat(d.stats().logicalBlocksWritten()).isZero();
            assertBlock(d, 3, null);
            // The freed blocks are reused: writing 3 new contents takes 3 blocks, no more.
            write(d, 10, pattern(3), pattern(4), pattern(5));
            assertThat(d.stats().physicalBlocksUsed()).isEqualTo(3);
            assertBlock(d, 11, pattern(4));
        }
    }

    @Test
    void zeroBlocksUseNoSpace() {
        try (MallocBdev m = member(); DedupBdev d = DedupBdev.create("dd0", m)) {
            byte[] zero = new byte[B];
            write(d, 0, zero, zero, zero, pattern(9));
            op(d, BdevOp.WRITE_ZEROES, 4, 6);
            DedupStats s = d.stats();
            assertThat(s.zeroBlocks()).isEqualTo(9);
            assertThat(s.physicalBlocksUsed()).isEqualTo(1);
            assertThat(s.logicalBlocksWritten()).isEqualTo(1);
            assertBlock(d, 1, null);
            assertBlock(d, 7, null);
            assertBlock(d, 3, pattern(9));
            write(d, 3, zero); // data overwritten by zeroes frees the block
            assertThat(d.stats().physicalBlocksUsed()).isZero();
            assertBlock(d, 100, null); // never written
        }
    }

    @Test
    void restartOverMallocKeepsEverything() {
        try (MallocBdev m = member()) {
            try (DedupBdev d = DedupBdev.create("dd0", m)) {
                write(d, 0, pattern(1), pattern(2), pattern(1));
                op(d, BdevOp.WRITE_ZEROES, 3, 1);
                write(d, 4, pattern(3));
                op(d, BdevOp.UNMAP, 4, 1);
            }
            try (DedupBdev d = DedupBdev.create("dd0", m)) {
                assertBlock(d, 0, pattern(1));
                assertBlock(d, 1, pattern(2));
                assertBlock(d, 2, pattern(1));
                assertBlock(d, 3, null);
                assertBlock(d, 4, null);
                DedupStats s = d.stats();
                assertThat(s.physicalBlocksUsed()).isEqualTo(2);
                assertThat(s.logicalBlocksWritten()).isEqualTo(3);
                assertThat(s.zeroBlocks()).isEqualTo(1);
                // The rebuilt index still deduplicates.
                write(d, 5, pattern(2));
                assertThat(d.stats().physicalBlocksUsed()).isEqualTo(2);
            }
        }
    }

    @Test
    void restartOverFileKeepsEverything(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("dedup.img");
        ExecutorService core = Executors.newSingleThreadExecutor();
        try {
            try (FileBdev f = FileBdev.open("f0", file, 8L << 20, 512, true, 2);
                 DedupBdev d = DedupBdev.create("dd0", f, 0, 64)) {
                assertThat(d.blockCount()).isEqualTo(d.physicalBlocks());
                for (int i = 0; i < 200; i++) {
                    write(d, i, core, pattern(i % 7));
                }
                assertThat(d.stats().physicalBlocksUsed()).isEqualTo(7);
                assertThat(d.stats().checkpoints()).isGreaterThan(1); // 200 records through a 64-slot journal
            }
            try (FileBdev f = FileBdev.open("f0", file, -1, 512, false, 2);
                 DedupBdev d = DedupBdev.create("dd0", f)) {
                for (int i = 0; i < 200; i++) {
                    assertBlock(d, i, pattern(i % 7));
                }
                assertThat(d.stats().physicalBlocksUsed()).isEqualTo(7);
                assertThat(d.stats().logicalBlocksWritten()).isEqualTo(200);
            }
        } finally {
            core.shutdownNow();
        }
    }

    @Test
    void thinVolumeIsLargerThanItsMember() {
        try (MallocBdev m = member(); DedupBdev d = DedupBdev.create("dd0", m, 300_000, 128)) {
            assertThat(d.blockCount()).isEqualTo(300_000);
            assertThat(d.physicalBlocks()).isLessThan(4096);
            write(d, 299_999, pattern(1));
            write(d, 0, pattern(1));
            assertBlock(d, 299_999, pattern(1));
            assertThat(d.stats().physicalBlocksUsed()).isEqualTo(1);
        }
    }

    @Test
    void fullMemberFailsNewContentButKeepsDuplicates() {
        try (MallocBdev m = new MallocBdev("m0", 4096, 64); DedupBdev d = DedupBdev.create("dd0", m, 1000, 16)) {
            long phys = d.physicalBlocks();
            for (int i = 0; i < phys; i++) {
                write(d, i, pattern(i));
            }
            ByteBuf buf = Unpooled.wrappedBuffer(pattern(10_000));
            try {
                assertThat(DedupTesting.io(d, BdevOp.WRITE, 500, 1, buf, Runnable::run))
                        .isEqualTo(BdevStatus.MEDIA_ERROR);
            } finally {
                buf.release();
            }
            write(d, 600, pattern(0)); // a duplicate needs no space
            assertBlock(d, 600, pattern(0));
            assertBlock(d, 500, null);
        }
    }

    @Test
    void badRequestsCompleteWithStatus() {
        try (MallocBdev m = member()) {
            DedupBdev d = DedupBdev.create("dd0", m);
            ByteBuf small = Unpooled.buffer(100).writeZero(100);
            try {
                assertThat(TestIo.inline(d, BdevOp.WRITE, 0, 1, small)).isEqualTo(BdevStatus.BAD_BUFFER);
                assertThat(TestIo.inline(d, BdevOp.READ, d.blockCount(), 1, Unpooled.EMPTY_BUFFER))
                        .isEqualTo(BdevStatus.OUT_OF_RANGE);
                assertThat(TestIo.inline(d, BdevOp.FLUSH, 0, 0, null)).isEqualTo(BdevStatus.SUCCESS);
            } finally {
                small.release();
            }
            d.close();
            assertThat(TestIo.inline(d, BdevOp.FLUSH, 0, 0, null)).isEqualTo(BdevStatus.ABORTED);
        }
    }

    @Test
    void refusesAMemberHoldingOtherData() {
        try (MallocBdev m = member()) {
            write(m, 0, pattern(1));
            assertThatThrownBy(() -> DedupBdev.create("dd0", m)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("no dedup superblock");
            assertThatThrownBy(() -> DedupBdev.create("m0", m)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> DedupBdev.create("dd0", new MallocBdev("tiny", 4096, 4)))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void worksOver512ByteMemberBlocks() {
        try (MallocBdev m = new MallocBdev("m0", 512, 8192)) {
            try (DedupBdev d = DedupBdev.create("dd0", m)) {
                write(d, 3, pattern(1), pattern(2), pattern(1));
            }
            try (DedupBdev d = DedupBdev.create("dd0", m)) {
                TestIo.assertSameBytes(read(d, 3, 3), concat(pattern(1), pattern(2), pattern(1)), "blocks");
                assertThat(d.stats().physicalBlocksUsed()).isEqualTo(2);
            }
        }
    }
}
