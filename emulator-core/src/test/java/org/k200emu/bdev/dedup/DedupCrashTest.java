package org.k200emu.bdev.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.k200emu.bdev.dedup.DedupTesting.assertBlock;
import static org.k200emu.bdev.dedup.DedupTesting.op;
import static org.k200emu.bdev.dedup.DedupTesting.pattern;
import static org.k200emu.bdev.dedup.DedupTesting.read;
import static org.k200emu.bdev.dedup.DedupTesting.write;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.testing.FaultyBdev;

/** Crashes (an abandoned instance, I/Os that never landed or were never acknowledged) and reopening. */
class DedupCrashTest {

    private static boolean isJournalWrite(DedupBdev d, BdevIo io) {
        DedupLayout l = d.layout();
        return io.op() == BdevOp.WRITE && io.offsetBlocks() >= l.journalStart()
                && io.offsetBlocks() < l.journalStart() + l.journalSlots();
    }

    /** Submits a write that will never complete (its member I/O is dropped); the buffer is the caller's. */
    private static void submitForever(DedupBdev d, long lba, ByteBuf buf) {
        BdevIo io = new BdevIo();
        AtomicInteger completed = new AtomicInteger();
        io.prepare(BdevOp.WRITE, lba, 1, buf, Runnable::run, x -> completed.incrementAndGet(), null);
        d.submit(io);
        assertThat(completed.get()).as("the unacknowledged write completed").isZero();
    }

    @Test
    void journalReplayAfterCrashRestoresAcknowledgedWrites() {
        try (MallocBdev m = new MallocBdev("m0", 4096, 4096)) {
            DedupBdev d = DedupBdev.create("dd0", m, 0, 256);
            long before = d.stats().checkpoints();
            for (int i = 0; i < 100; i++) {
                write(d, i, pattern(i % 10));
            }
            op(d, BdevOp.UNMAP, 5, 2);
            op(d, BdevOp.WRITE_ZEROES, 50, 1);
            assertThat(d.stats().checkpoints()).as("all of it still in the journal").isEqualTo(before);
            d.crash();
            try (DedupBdev r = DedupBdev.create("dd0", m)) {
                for (int i = 0; i < 100; i++) {
                    assertBlock(r, i, i == 5 || i == 6 || i == 50 ? null : pattern(i % 10));
                }
                assertThat(r.stats().physicalBlocksUsed()).isEqualTo(10);
                assertThat(r.stats().zeroBlocks()).isEqualTo(1);
                assertThat(r.stats().logicalBlocksWritten()).isEqualTo(97);
            }
        }
    }

    @Test
    void crashBetweenDataAndJournalKeepsTheOldData() {
        try (MallocBdev m = new MallocBdev("m0", 4096, 4096)) {
            FaultyBdev c = new FaultyBdev(m).keepInnerOpen();
            DedupBdev d = DedupBdev.create("dd0", c, 0, 256);
            write(d, 7, pattern(1));
            write(d, 8, pattern(2));
            c.dropWhen(io -> isJournalWrite(d, io)); // the data lands, the record never does
            ByteBuf buf = Unpooled.wrappedBuffer(pattern(3));
            try {
                submitForever(d, 7, buf);
            } finally {
                buf.release();
            }
            assertThat(c.dropped()).isEqualTo(1);
            d.crash();
            try (DedupBdev r = DedupBdev.create("dd0", m)) {
                assertBlock(r, 7, pattern(1));
                assertBlock(r, 8, pattern(2));
                assertThat(r.stats().physicalBlocksUsed()).as("the orphan data block is free again").isEqualTo(2);
                write(r, 9, pattern(4));
                assertBlock(r, 7, pattern(1));
                assertBlock(r, 9, pattern(4));
            }
        }
    }

    @Test
    void recordLandedButUnacknowledgedReadsTheNewData() {
        try (MallocBdev m = new MallocBdev("m0", 4096, 4096)) {
            FaultyBdev c = new FaultyBdev(m).keepInnerOpen();
            DedupBdev d = DedupBdev.create("dd0", c, 0, 256);
            write(d, 7, pattern(1));
            c.loseCompletionWhen(io -> isJournalWrite(d, io));
            ByteBuf buf = Unpooled.wrappedBuffer(pattern(3));
            try {
                submitForever(d, 7, buf);
            } finally {
                buf.release();
            }
            d.crash();
            try (DedupBdev r = DedupBdev.create("dd0", m)) {
                assertBlock(r, 7, pattern(3));
                assertThat(r.stats().physicalBlocksUsed()).isEqualTo(1);
            }
        }
    }

    @Test
    void crashWithTheDataWriteLostReadsOldDataNeverGarbage() {
        try (MallocBdev m = new MallocBdev("m0", 4096, 4096)) {
            FaultyBdev c = new FaultyBdev(m).keepInnerOpen();
            DedupBdev d = DedupBdev.create("dd0", c, 0, 256);
            write(d, 1, pattern(1));
            write(d, 2, pattern(2));
            c.dropWhen(io -> io.op() == BdevOp.WRITE); // nothing lands any more
            ByteBuf buf = Unpooled.wrappedBuffer(pattern(5));
            try {
                submitForever(d, 1, buf);
            } finally {
                buf.release();
            }
            d.crash();
            try (DedupBdev r = DedupBdev.create("dd0", m)) {
                assertBlock(r, 1, pattern(1));
                assertBlock(r, 2, pattern(2));
            }
        }
    }

    @Test
    void crashAfterManyCheckpointsWithASmallJournal() {
        try (MallocBdev m = new MallocBdev("m0", 512, 16384)) {
            DedupBdev d = DedupBdev.create("dd0", m, 0, 16);
            byte[][] expect = new byte[300][];
            for (int i = 0; i < 1000; i++) {
                int lba = (i * 7919) % 300;
                expect[lba] = pattern(i % 13);
                write(d, lba, expect[lba]);
            }
            assertThat(d.stats().checkpoints()).isGreaterThan(10);
            d.crash();
            try (DedupBdev r = DedupBdev.create("dd0", m)) {
                for (int lba = 0; lba < 300; lba++) {
                    assertBlock(r, lba, expect[lba]);
                }
                assertThat(r.stats().physicalBlocksUsed()).isEqualTo(13);
            }
        }
    }

    @Test
    void failedDataWriteFailsTheWriteAndFreesItsBlock() {
        try (MallocBdev m = new MallocBdev("m0", 4096, 4096)) {
            FaultyBdev c = new FaultyBdev(m).keepInnerOpen();
            try (DedupBdev d = DedupBdev.create("dd0", c, 0, 256)) {
                write(d, 0, pattern(1));
                c.failNth(1);
                ByteBuf buf = Unpooled.wrappedBuffer(pattern(2));
                try {
                    assertThat(DedupTesting.io(d, BdevOp.WRITE, 0, 1, buf, Runnable::run))
                            .isEqualTo(BdevStatus.MEDIA_ERROR);
                } finally {
                    buf.release();
                }
                assertBlock(d, 0, pattern(1));
                assertThat(d.stats().physicalBlocksUsed()).isEqualTo(1);
                write(d, 1, pattern(2)); // the failed content is not in the index
                assertBlock(d, 1, pattern(2));
            }
        }
    }

    @Test
    void corruptNewestCheckpointFallsBackToTheOlderOne() {
        try (MallocBdev m = new MallocBdev("m0", 4096, 4096)) {
            DedupBdev d = DedupBdev.create("dd0", m, 0, 256);
            write(d, 3, pattern(3));
            d.close(); // checkpoint holding block 3
            DedupLayout l = d.layout();
            // Reopening checkpoints into the other copy; break that copy's map, then crash.
            DedupBdev r = DedupBdev.create("dd0", m);
            r.crash();
            long[] gens = new long[2];
            for (int copy = 0; copy < 2; copy++) {
                byte[] h = read(m, l.checkpointStart(copy), 1);
                gens[copy] = java.nio.ByteBuffer.wrap(h).getLong(16);
            }
            int newest = gens[0] > gens[1] ? 0 : 1;
            byte[] junk = new byte[4096];
            Arrays.fill(junk, (byte) 0x5A);
            write(m, l.checkpointStart(newest) + 1, junk);
            try (DedupBdev again = DedupBdev.create("dd0", m)) {
                assertBlock(again, 3, pattern(3));
            }
        }
    }
}
