package org.k200emu.bdev.malloc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.k200emu.bdev.TestIo.allZero;
import static org.k200emu.bdev.TestIo.assertSameBytes;
import static org.k200emu.bdev.TestIo.bytes;
import static org.k200emu.bdev.TestIo.inline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.testing.Bytes;

class MallocBdevTest {

    private static final int MIB = 1 << 20;
    /** 4 MiB: four chunks. */
    private static final long BYTES = 4L * MIB;

    private final List<MallocBdev> opened = new ArrayList<>();

    @AfterEach
    void closeBdevs() {
        opened.forEach(MallocBdev::close);
    }

    private MallocBdev bdev(int blockSize) {
        MallocBdev b = new MallocBdev("malloc0", blockSize, BYTES / blockSize);
        opened.add(b);
        return b;
    }

    /** Writes {@code data} at {@code lba}; asserts success. */
    private static void write(MallocBdev b, long lba, byte[] data) {
        ByteBuf src = Unpooled.wrappedBuffer(data);
        try {
            assertThat(inline(b, BdevOp.WRITE, lba, data.length / b.blockSize(), src))
                    .as("write at %d", lba).isEqualTo(BdevStatus.SUCCESS);
            assertThat(src.readerIndex()).as("source reader index untouched").isZero();
        } finally {
            src.release();
        }
    }

    /** Reads {@code blocks} at {@code lba} into a fresh direct buffer; asserts success. */
    private static byte[] read(MallocBdev b, long lba, long blocks) {
        ByteBuf dst = Unpooled.directBuffer((int) (blocks * b.blockSize()));
        try {
            assertThat(inline(b, BdevOp.READ, lba, blocks, dst)).as("read at %d", lba).isEqualTo(BdevStatus.SUCCESS);
            assertThat(dst.readableBytes()).isEqualTo(blocks * b.blockSize());
            return bytes(dst);
        } finally {
            dst.release();
        }
    }

    private static int status(MallocBdev b, BdevOp op, long lba, long blocks) {
        return inline(b, op, lba, blocks, null);
    }

    @Test
    void describesItself() {
        MallocBdev b = bdev(512);
        assertThat(b.name()).isEqualTo("malloc0");
        assertThat(b.module()).isEqualTo("malloc");
        assertThat(b.blockSize()).isEqualTo(512);
        assertThat(b.blockCount()).isEqualTo(8192);
        assertThat(b.hasVolatileWriteCache()).isFalse();
        for (BdevOp op : BdevOp.values()) {
            assertThat(b.supports(op)).as(op.name()).isTrue();
        }
    }

    @Test
    void rejectsAnUnusableGeometry() {
        assertThatThrownBy(() -> new MallocBdev("m", 1024, 8)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bdev m: block size must be 512 or 4096, not 1024");
        assertThatThrownBy(() -> new MallocBdev("m", 512, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bdev m: capacity must be at least one block");
        assertThatThrownBy(() -> new MallocBdev(" ", 512, 8)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bdev name must not be empty");
        assertThatThrownBy(() -> new MallocBdev("huge", 4096, Long.MAX_VALUE / 4096))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bdev huge: too large for a malloc bdev");
    }

    @Test
    void takesMemoryOnlyForWrittenChunksAndReadsZeroesElsewhere() {
        MallocBdev b = new MallocBdev("big", 512, (1L << 30) / 512); // 1 GiB, like the default card
        opened.add(b);
        assertThat(b.allocatedBytes()).isZero();
        assertThat(allZero(read(b, 1_000_000, 8))).isTrue();
        assertThat(b.allocatedBytes()).as("reads take no memory").isZero();

        write(b, 1_000_000, Bytes.random(1, 4096));
        assertThat(b.allocatedBytes()).isEqualTo(MIB);
    }

    @ParameterizedTest(name = "bs={0} lba={1} n={2}")
    @CsvSource({
        "512, 0, 1",
        "512, 7, 9",
        "512, 2040, 16",   // across the first 1 MiB chunk boundary (LBA 2048)
        "512, 2047, 2",
        "512, 1500, 3000", // across two boundaries
        "512, 8191, 1",    // the last block
        "512, 0, 8192",    // the whole device
        "4096, 0, 1",
        "4096, 255, 2",    // across LBA 256
        "4096, 200, 400",
        "4096, 1023, 1",
    })
    void writtenDataReadsBack(int blockSize, long lba, int blocks) {
        MallocBdev b = bdev(blockSize);
        byte[] data = Bytes.random(lba * 31 + blocks, blocks * blockSize);
        write(b, lba, data);

        assertSameBytes(read(b, lba, blocks), data, "read back");
        if (lba > 0) {
            assertThat(allZero(read(b, lba - 1, 1))).as("block before the write").isTrue();
        }
        if (lba + blocks < b.blockCount()) {
            assertThat(allZero(read(b, lba + blocks, 1))).as("block after the write").isTrue();
        }
        long first = lba * blockSize >> 20;
        long last = ((lba + blocks) * blockSize - 1) >> 20;
        assertThat(b.allocatedBytes()).as("chunks touched").isEqualTo((last - first + 1) * MIB);
    }

    @Test
    void readBackInPiecesDifferentFromTheWrite() {
        MallocBdev b = bdev(512);
        byte[] data = Bytes.random(42, 3 * MIB);
        write(b, 1024, data); // 0.5 MiB .. 3.5 MiB
        for (int lba = 1024; lba < 1024 + 6144; lba += 777) {
            int n = Math.min(777, 1024 + 6144 - lba);
            int from = (lba - 1024) * 512;
            assertSameBytes(read(b, lba, n), Arrays.copyOfRange(data, from, from + n * 512), "piece at " + lba);
        }
    }

    @Test
    void overwriteReplacesOnlyItsBlocks() {
        MallocBdev b = bdev(512);
        byte[] a = Bytes.random(1, 16 * 512);
        byte[] x = Bytes.random(2, 4 * 512);
        write(b, 2040, a);
        write(b, 2046, x); // straddles the chunk boundary inside a
        byte[] expected = a.clone();
        System.arraycopy(x, 0, expected, 6 * 512, x.length);
        assertSameBytes(read(b, 2040, 16), expected, "after overwrite");
    }

    @Test
    void writeTakesTheBytesAtTheReaderIndexAndReadAppendsAtTheWriterIndex() {
        MallocBdev b = bdev(512);
        byte[] data = Bytes.random(3, 1024);
        ByteBuf src = Unpooled.buffer(7 + 1024);
        ByteBuf dst = Unpooled.buffer(0); // grows as needed
        try {
            src.writeBytes(new byte[] {9, 9, 9, 9, 9, 9, 9}).writeBytes(data).skipBytes(7);
            assertThat(inline(b, BdevOp.WRITE, 10, 2, src)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(src.readerIndex()).isEqualTo(7);

            dst.writeBytes(new byte[] {1, 2, 3});
            assertThat(inline(b, BdevOp.READ, 10, 2, dst)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(dst.readerIndex()).isZero();
            assertThat(dst.writerIndex()).isEqualTo(3 + 1024);
            byte[] got = bytes(dst);
            assertThat(Arrays.copyOf(got, 3)).containsExactly(1, 2, 3);
            assertSameBytes(Arrays.copyOfRange(got, 3, got.length), data, "appended data");
        } finally {
            src.release();
            dst.release();
        }
    }

    @ParameterizedTest
    @EnumSource(value = BdevOp.class, names = {"WRITE_ZEROES", "UNMAP"})
    void zeroingOpsReadBackZeroesAndKeepTheRest(BdevOp op) {
        MallocBdev b = bdev(512);
        byte[] data = Bytes.random(4, 4096 * 512); // 2 MiB from LBA 1024: three chunks
        write(b, 1024, data);

        assertThat(status(b, op, 2000, 100)).isEqualTo(BdevStatus.SUCCESS); // across LBA 2048

        byte[] expected = data.clone();
        Arrays.fill(expected, (2000 - 1024) * 512, (2100 - 1024) * 512, (byte) 0);
        assertSameBytes(read(b, 1024, 4096), expected, "after " + op);
        assertThat(allZero(read(b, 2000, 100))).isTrue();
    }

    @ParameterizedTest
    @EnumSource(value = BdevOp.class, names = {"WRITE_ZEROES", "UNMAP"})
    void zeroingUnwrittenBlocksTakesNoMemory(BdevOp op) {
        MallocBdev b = bdev(4096);
        write(b, 0, Bytes.random(5, 4096));
        assertThat(status(b, op, 300, 700)).isEqualTo(BdevStatus.SUCCESS);
        assertThat(b.allocatedBytes()).isEqualTo(MIB);
        assertThat(allZero(read(b, 300, 700))).isTrue();
    }

    @Test
    void flushSucceedsAndChangesNothing() {
        MallocBdev b = bdev(512);
        byte[] data = Bytes.random(6, 512);
        write(b, 5, data);
        assertThat(status(b, BdevOp.FLUSH, 0, 0)).isEqualTo(BdevStatus.SUCCESS);
        assertSameBytes(read(b, 5, 1), data, "after flush");
        assertThat(b.allocatedBytes()).isEqualTo(MIB);
    }

    @ParameterizedTest(name = "{0} lba={1} n={2}")
    @CsvSource({
        "READ, 8192, 1",
        "READ, 8191, 2",
        "READ, 0, 8193",
        "READ, -1, 1",
        "READ, 1, -1",
        "WRITE, 8192, 1",
        "WRITE, 8185, 8",
        "WRITE, 9223372036854775807, 1",
        "WRITE, 1, 9223372036854775807",
        "WRITE_ZEROES, 8000, 193",
        "UNMAP, 8192, 1",
        "UNMAP, -8, 8",
    })
    void outOfRangeIsRefusedAndTouchesNothing(BdevOp op, long lba, long blocks) {
        MallocBdev b = bdev(512);
        ByteBuf buf = Unpooled.buffer(8 * 512);
        try {
            if (op == BdevOp.WRITE) {
                buf.writeBytes(Bytes.random(7, 8 * 512));
            }
            assertThat(inline(b, op, lba, blocks, buf)).isEqualTo(BdevStatus.OUT_OF_RANGE);
            assertThat(buf.writerIndex()).as("buffer untouched").isEqualTo(op == BdevOp.WRITE ? 8 * 512 : 0);
            assertThat(b.allocatedBytes()).isZero();
        } finally {
            buf.release();
        }
    }

    @Test
    void ioEndingExactlyAtTheLastBlockIsInRange() {
        MallocBdev b = bdev(512);
        byte[] data = Bytes.random(8, 8 * 512);
        write(b, 8184, data);
        assertSameBytes(read(b, 8184, 8), data, "last 8 blocks");
    }

    @Test
    void writeBufferMustHoldExactlyTheBlocks() {
        MallocBdev b = bdev(512);
        for (int size : new int[] {0, 511, 513, 1024}) {
            ByteBuf src = Unpooled.wrappedBuffer(Bytes.random(size, size));
            try {
                assertThat(inline(b, BdevOp.WRITE, 0, 1, src)).as("%d bytes for one block", size)
                        .isEqualTo(BdevStatus.BAD_BUFFER);
            } finally {
                src.release();
            }
        }
        assertThat(inline(b, BdevOp.WRITE, 0, 1, null)).as("no buffer").isEqualTo(BdevStatus.BAD_BUFFER);
        assertThat(b.allocatedBytes()).as("nothing written").isZero();
    }

    @Test
    void readBufferMustHaveRoomForTheBlocks() {
        MallocBdev b = bdev(512);
        write(b, 0, Bytes.random(9, 1024));
        ByteBuf small = Unpooled.buffer(512, 1023);
        ByteBuf almostFull = Unpooled.buffer(1024, 1024).writeZero(1);
        try {
            assertThat(inline(b, BdevOp.READ, 0, 2, small)).isEqualTo(BdevStatus.BAD_BUFFER);
            assertThat(small.writerIndex()).isZero();
            assertThat(inline(b, BdevOp.READ, 0, 2, almostFull)).isEqualTo(BdevStatus.BAD_BUFFER);
            assertThat(almostFull.writerIndex()).isEqualTo(1);
            assertThat(inline(b, BdevOp.READ, 0, 2, null)).isEqualTo(BdevStatus.BAD_BUFFER);
            // A malloc bdev does not lend: allowing it does not make a missing buffer acceptable.
            assertThat(b.lendsReads()).isFalse();
            BdevIo io = new BdevIo();
            int[] status = {-1};
            b.submit(io.prepare(BdevOp.READ, 0, 2, null, Runnable::run, d -> status[0] = d.status(), null)
                    .allowLending());
            assertThat(status[0]).isEqualTo(BdevStatus.BAD_BUFFER);
            assertThat(io.takeLent()).isNull();
        } finally {
            small.release();
            almostFull.release();
        }
    }

    @Test
    void oneBdevIoServesManyOperationsInTurn() {
        MallocBdev b = bdev(512);
        BdevIo io = new BdevIo();
        byte[] data = Bytes.random(10, 512);
        ByteBuf src = Unpooled.wrappedBuffer(data);
        ByteBuf dst = Unpooled.buffer(512);
        try {
            assertThat(inline(b, io, BdevOp.WRITE, 3, 1, src)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(inline(b, io, BdevOp.READ, 9000, 1, dst)).isEqualTo(BdevStatus.OUT_OF_RANGE);
            assertThat(inline(b, io, BdevOp.READ, 3, 1, dst)).isEqualTo(BdevStatus.SUCCESS);
            assertSameBytes(bytes(dst), data, "read through the reused BdevIo");
            assertThat(inline(b, io, BdevOp.FLUSH, 0, 0, null)).isEqualTo(BdevStatus.SUCCESS);
        } finally {
            src.release();
            dst.release();
        }
    }

    @Test
    void afterCloseMemoryIsFreedAndIoIsAborted() {
        MallocBdev b = bdev(512);
        write(b, 0, Bytes.random(11, 3 * MIB));
        assertThat(b.allocatedBytes()).isEqualTo(3L * MIB);

        b.close();
        assertThat(b.allocatedBytes()).isZero();
        ByteBuf buf = Unpooled.wrappedBuffer(new byte[512]);
        try {
            assertThat(inline(b, BdevOp.WRITE, 0, 1, buf)).isEqualTo(BdevStatus.ABORTED);
            assertThat(inline(b, BdevOp.READ, 0, 1, Unpooled.EMPTY_BUFFER)).isEqualTo(BdevStatus.ABORTED);
            for (BdevOp op : List.of(BdevOp.FLUSH, BdevOp.WRITE_ZEROES, BdevOp.UNMAP)) {
                assertThat(status(b, op, 0, 1)).as(op.name()).isEqualTo(BdevStatus.ABORTED);
            }
            assertThat(b.allocatedBytes()).as("nothing allocated after close").isZero();
        } finally {
            buf.release();
        }
    }

    @Test
    void concurrentFirstWritesToAFreshChunkLoseNothing() throws Exception {
        // Every round, writers released together race to install the same unallocated chunk;
        // allocating and zeroing 1 MiB is a wide window, so the compare-and-set is contended.
        int writers = 3;
        int blocksEach = 64;
        for (int round = 0; round < 40; round++) {
            MallocBdev b = new MallocBdev("race", 512, 2048); // exactly one chunk
            try {
                AtomicBoolean go = new AtomicBoolean();
                AtomicInteger ready = new AtomicInteger();
                int[] status = new int[writers];
                List<Thread> threads = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    int writer = w;
                    long lba = 300L + writer * 500L;
                    ByteBuf src = Unpooled.wrappedBuffer(Bytes.random(round * 10 + writer, blocksEach * 512));
                    BdevIo io = new BdevIo().prepare(BdevOp.WRITE, lba, blocksEach, src, Runnable::run,
                            d -> status[writer] = d.status(), null);
                    Thread t = new Thread(() -> {
                        try {
                            ready.incrementAndGet();
                            while (!go.get()) {
                                Thread.onSpinWait();
                            }
                            b.submit(io);
                        } finally {
                            src.release();
                        }
                    }, "writer-" + w);
                    t.start();
                    threads.add(t);
                }
                while (ready.get() < writers) {
                    Thread.onSpinWait();
                }
                go.set(true);
                for (Thread t : threads) {
                    t.join(5000);
                    assertThat(t.isAlive()).as("writer finished").isFalse();
                }
                assertThat(status).containsOnly(BdevStatus.SUCCESS);
                assertThat(b.allocatedBytes()).isEqualTo(MIB);
                for (int w = 0; w < writers; w++) {
                    assertSameBytes(read(b, 300L + w * 500L, blocksEach),
                            Bytes.random(round * 10 + w, blocksEach * 512), "round " + round + " writer " + w);
                }
            } finally {
                b.close();
            }
        }
    }
}
