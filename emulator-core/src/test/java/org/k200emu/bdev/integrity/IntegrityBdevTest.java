package org.k200emu.bdev.integrity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.k200emu.bdev.TestIo.allZero;
import static org.k200emu.bdev.TestIo.assertSameBytes;
import static org.k200emu.bdev.TestIo.bytes;
import static org.k200emu.bdev.TestIo.inline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.TestIo;
import org.k200emu.bdev.file.FileBdev;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.testing.FaultyBdev;
import org.k200emu.testing.Bytes;

class IntegrityBdevTest {

    private static final int MIB = 1 << 20;

    private final List<AutoCloseable> opened = new ArrayList<>();
    private ExecutorService core;

    @AfterEach
    void closeAll() throws Exception {
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).close();
        }
        if (core != null) {
            core.shutdownNow();
        }
    }

    private <T extends AutoCloseable> T keep(T c) {
        opened.add(c);
        return c;
    }

    private MallocBdev malloc(int blockSize, long bytes) {
        return keep(new MallocBdev("malloc0", blockSize, bytes / blockSize));
    }

    private IntegrityBdev integrity(Bdev member, String algorithm) {
        return keep(IntegrityBdev.create("integ0", member, algorithm));
    }

    static void write(Bdev b, long lba, byte[] data) {
        assertThat(writeStatus(b, lba, data)).as("write at %d", lba).isEqualTo(BdevStatus.SUCCESS);
    }

    static int writeStatus(Bdev b, long lba, byte[] data) {
        ByteBuf src = Unpooled.directBuffer(data.length + 8).writeZero(8).writeBytes(data);
        src.readerIndex(8);
        try {
            int status = inline(b, BdevOp.WRITE, lba, data.length / b.blockSize(), src);
            assertThat(src.readerIndex()).isEqualTo(8);
            assertSameBytes(bytes(src), data, "the host's buffer after the write");
            return status;
        } finally {
            src.release();
        }
    }

    static byte[] read(Bdev b, long lba, long blocks) {
        ByteBuf dst = Unpooled.directBuffer((int) (blocks * b.blockSize()));
        try {
            assertThat(inline(b, BdevOp.READ, lba, blocks, dst)).as("read at %d", lba).isEqualTo(BdevStatus.SUCCESS);
            return bytes(dst);
        } finally {
            dst.release();
        }
    }

    /** A read that must fail: returns its status after checking that nothing was handed up. */
    static int failedRead(Bdev b, long lba, long blocks) {
        int length = (int) (blocks * b.blockSize());
        ByteBuf dst = Unpooled.buffer(5 + length).writeBytes(new byte[] {9, 9, 9, 9, 9});
        try {
            int status = inline(b, BdevOp.READ, lba, blocks, dst);
            assertThat(status).isNotEqualTo(BdevStatus.SUCCESS);
            assertThat(dst.writerIndex()).as("nothing appended").isEqualTo(5);
            assertThat(allZero(Arrays.copyOfRange(dst.array(), dst.arrayOffset() + 5, dst.arrayOffset() + 5 + length)))
                    .as("no bad data left in the buffer either").isTrue();
            return status;
        } finally {
            dst.release();
        }
    }

    @ParameterizedTest(name = "bs={0} member={1} blocks")
    @CsvSource({
        "512, 3", "512, 4", "512, 18", "512, 19", "512, 20", "512, 2048", "512, 1000003",
        "4096, 3", "4096, 130", "4096, 131", "4096, 132", "4096, 256", "4096, 262144",
    })
    void theLayoutUsesEveryBlockItCan(int blockSize, long memberBlocks) {
        IntegrityBdev.Layout l = IntegrityBdev.Layout.of("x", blockSize, memberBlocks);
        int per = blockSize / 32;
        assertThat(l.tableBlocks()).isEqualTo((l.dataBlocks() + per - 1) / per);
        assertThat(l.dataBlocks() + l.tableBlocks() + 1).as("fits").isLessThanOrEqualTo(memberBlocks);
        long more = l.dataBlocks() + 1;
        assertThat(more + (more + per - 1) / per + 1).as("one more data block would not fit").isGreaterThan(memberBlocks);
        assertThat(l.tableStart()).isEqualTo(l.dataBlocks());
        assertThat(l.headerLba()).isEqualTo(memberBlocks - 1);
    }

    @Test
    void describesItselfWithTheReducedCapacity() {
        MallocBdev m = malloc(512, MIB); // 2048 blocks: 1926 data, 121 table, 1 header
        IntegrityBdev b = integrity(m, "SHA-256");
        assertThat(b.name()).isEqualTo("integ0");
        assertThat(b.module()).isEqualTo("integrity");
        assertThat(b.blockSize()).isEqualTo(512);
        assertThat(b.blockCount()).isEqualTo(1926);
        assertThat(b.algorithm()).isEqualTo("SHA-256");
        assertThat(b.member()).isSameAs(m);
        assertThat(b.hasVolatileWriteCache()).isFalse();
        assertThat(b.mismatches()).isZero();
        for (BdevOp op : BdevOp.values()) {
            assertThat(b.supports(op)).as(op.name()).isTrue();
        }
        assertThat(b.toString()).isEqualTo("IntegrityBdev[integ0 on malloc0, SHA-256, 1926 x 512 B]");
    }

    @Test
    void rejectsBadParameters() {
        MallocBdev m = malloc(512, 8 * 512);
        assertThatThrownBy(() -> IntegrityBdev.create("i", m, "CRC32")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bdev i: unknown digest algorithm 'CRC32' (SHA-256 or SHA3-256)");
        MallocBdev tiny = malloc(512, 2 * 512);
        assertThatThrownBy(() -> IntegrityBdev.create("i", tiny, "SHA-256")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too small");
        assertThatThrownBy(() -> IntegrityBdev.create("malloc0", m, "SHA-256")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("its own name");
    }

    @ParameterizedTest(name = "{0} bs={1} lba={2} n={3}")
    @CsvSource({
        "SHA-256, 512, 0, 1",
        "SHA-256, 512, 10, 40",    // across three table blocks
        "SHA-256, 512, 1925, 1",   // the last data block
        "SHA3-256, 512, 15, 2",    // across a table block boundary
        "SHA-256, 4096, 0, 200",   // two table blocks of 128 digests
        "SHA3-256, 4096, 127, 2",
    })
    void writtenDataReadsBackAndIsChecked(String algorithm, int blockSize, long lba, int blocks) {
        MallocBdev m = malloc(blockSize, blockSize == 512 ? MIB : 2 * MIB);
        IntegrityBdev b = integrity(m, algorithm);
        byte[] data = Bytes.random(lba + blocks, blocks * blockSize);
        write(b, lba, data);
        assertSameBytes(read(b, lba, blocks), data, "read back");
        assertSameBytes(read(m, lba, blocks), data, "the member holds the data as is");
        BlockHasher h = BlockHasher.of(algorithm);
        for (int i = 0; i < blocks; i++) {
            byte[] expected = new byte[32];
            h.digest(data, i * blockSize, blockSize, expected, 0);
            assertThat(b.digestOf(lba + i)).as("digest of %d", lba + i).isEqualTo(expected);
        }
        assertThat(b.mismatches()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"SHA-256", "SHA3-256"})
    void aBlockCorruptedOnTheMemberFailsWithMediaError(String algorithm) {
        MallocBdev m = malloc(4096, MIB);
        IntegrityBdev b = integrity(m, algorithm);
        byte[] data = Bytes.random(1, 8 * 4096);
        write(b, 40, data);

        byte[] bad = Arrays.copyOfRange(data, 3 * 4096, 4 * 4096);
        bad[1234] ^= 0x10; // one bit
        write(m, 43, bad);

        assertThat(failedRead(b, 43, 1)).isEqualTo(BdevStatus.MEDIA_ERROR);
        assertThat(b.mismatches()).isEqualTo(1);
        assertThat(failedRead(b, 40, 8)).as("a read that covers it").isEqualTo(BdevStatus.MEDIA_ERROR);
        assertThat(b.mismatches()).isEqualTo(2);
        assertSameBytes(read(b, 40, 3), Arrays.copyOfRange(data, 0, 3 * 4096), "the blocks before");
        assertSameBytes(read(b, 44, 4), Arrays.copyOfRange(data, 4 * 4096, 8 * 4096), "the blocks after");

        byte[] fresh = Bytes.random(2, 4096);
        write(b, 43, fresh);
        assertSameBytes(read(b, 43, 1), fresh, "rewritten through the bdev, the block is good again");
        assertThat(b.mismatches()).isEqualTo(2);
    }

    @Test
    void blocksNeverWrittenAreNotChecked() {
        MallocBdev m = malloc(512, MIB);
        IntegrityBdev b = integrity(m, "SHA-256");
        byte[] foreign = Bytes.random(3, 4 * 512);
        write(m, 500, foreign); // behind the bdev's back, where it never wrote
        assertThat(b.digestOf(500)).isNull();
        assertSameBytes(read(b, 500, 4), foreign, "unchecked");
        assertThat(allZero(read(b, 900, 16))).isTrue();
        assertThat(b.mismatches()).isZero();
    }

    @Test
    void theCapacityEndsBeforeTheMetadata() {
        MallocBdev m = malloc(512, MIB);
        IntegrityBdev b = integrity(m, "SHA-256");
        ByteBuf buf = Unpooled.buffer(1024).writeZero(1024);
        try {
            assertThat(inline(b, BdevOp.WRITE, 1925, 2, buf)).isEqualTo(BdevStatus.OUT_OF_RANGE);
            assertThat(inline(b, BdevOp.WRITE_ZEROES, 1926, 1, null)).isEqualTo(BdevStatus.OUT_OF_RANGE);
            assertThat(inline(b, BdevOp.WRITE, 0, 1, buf)).isEqualTo(BdevStatus.BAD_BUFFER);
        } finally {
            buf.release();
        }
        assertThat(inline(b, BdevOp.READ, 3, 0, Unpooled.EMPTY_BUFFER)).isEqualTo(BdevStatus.SUCCESS);
        assertThat(inline(b, BdevOp.FLUSH, 0, 0, null)).isEqualTo(BdevStatus.SUCCESS);
    }

    @Test
    void keepsCheckingAfterReopeningOverTheSameMember() {
        MallocBdev m = malloc(512, MIB);
        IntegrityBdev first = IntegrityBdev.create("integ0", m, "SHA3-256");
        byte[] data = Bytes.random(4, 64 * 512);
        write(first, 100, data);
        first.close();
        assertThat(inline(first, BdevOp.READ, 100, 1, Unpooled.EMPTY_BUFFER)).isEqualTo(BdevStatus.ABORTED);

        byte[] bad = Arrays.copyOfRange(data, 512, 1024);
        bad[0] ^= 1;
        write(m, 101, bad);
        write(m, 1000, Bytes.random(5, 512)); // never written through the bdev

        IntegrityBdev again = integrity(m, "SHA3-256");
        assertThat(again.blockCount()).isEqualTo(first.blockCount());
        assertThat(failedRead(again, 101, 1)).isEqualTo(BdevStatus.MEDIA_ERROR);
        assertSameBytes(read(again, 102, 62), Arrays.copyOfRange(data, 1024, data.length), "the other blocks");
        assertThat(read(again, 1000, 1)).as("still unchecked").hasSize(512);
        assertThat(again.mismatches()).isEqualTo(1);
    }

    @Test
    void refusesAMemberFormattedDifferently() {
        MallocBdev m = malloc(512, MIB);
        integrity(m, "SHA-256").close();
        assertThatThrownBy(() -> IntegrityBdev.create("integ1", m, "SHA3-256"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bdev integ1: malloc0 holds SHA-256 digests, not SHA3-256");

        // A damaged header is not silently reformatted (that would drop every digest).
        byte[] header = read(m, 2047, 1);
        header[30] ^= 1;
        write(m, 2047, header);
        assertThatThrownBy(() -> IntegrityBdev.create("integ1", m, "SHA-256"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("corrupt");
    }

    @Test
    void formatsOnlyABlankTailUnlessToldTo() {
        MallocBdev m = malloc(512, 64 * 512); // 59 data blocks, table 59..62, header 63
        byte[] old = Bytes.random(17, 59 * 512);
        write(m, 0, old);
        IntegrityBdev b = integrity(m, "SHA-256");
        assertThat(b.blockCount()).isEqualTo(59);
        for (long lba = 0; lba < 59; lba++) {
            assertThat(b.digestOf(lba)).isNull();
        }
        assertSameBytes(read(b, 0, 59), old, "the old data, unchecked");
        b.close();

        MallocBdev used = keep(new MallocBdev("malloc1", 512, 64));
        byte[] tail = Bytes.random(18, 512);
        write(used, 61, tail); // a volume's data where the table would go
        assertThatThrownBy(() -> IntegrityBdev.create("integ1", used, "SHA-256"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("refusing to format");
        assertSameBytes(read(used, 61, 1), tail, "left alone");

        IntegrityBdev formatted = keep(IntegrityBdev.format("integ1", used, "SHA-256"));
        assertThat(allZero(read(used, 59, 4))).as("the table was zeroed").isTrue();
        write(formatted, 7, tail);
        formatted.close();
        IntegrityBdev reopened = keep(IntegrityBdev.create("integ1", used, "SHA-256"));
        assertThat(reopened.digestOf(7)).isEqualTo(BlockHasher.sha256().digest(tail));
    }

    @Test
    void aTornWriteShowsUpAsAMismatchAfterARestart() {
        MallocBdev m = malloc(512, MIB);
        FaultyBdev f = new FaultyBdev(m).keepInnerOpen();
        IntegrityBdev b = integrity(f, "SHA-256");
        long tableStart = b.layout().tableStart();
        byte[] v1 = Bytes.random(6, 512);
        byte[] v2 = Bytes.random(7, 512);
        write(b, 33, v1);
        assertThat(f.log()).as("data first, then its table block").containsExactly(
                new FaultyBdev.Submitted(BdevOp.READ, 2047, 1),
                new FaultyBdev.Submitted(BdevOp.READ, tableStart, 121),
                new FaultyBdev.Submitted(BdevOp.WRITE, 2047, 1),
                new FaultyBdev.Submitted(BdevOp.FLUSH, 0, 0),
                new FaultyBdev.Submitted(BdevOp.WRITE, 33, 1),
                new FaultyBdev.Submitted(BdevOp.WRITE, tableStart + 2, 1));

        // The crash: the data reaches the member, its digest does not.
        f.failWhen(io -> io.op() == BdevOp.WRITE && io.offsetBlocks() >= tableStart);
        assertThat(writeStatus(b, 33, v2)).as("the host is told").isEqualTo(BdevStatus.MEDIA_ERROR);
        b.close();
        f.heal();

        IntegrityBdev restarted = integrity(m, "SHA-256");
        assertThat(failedRead(restarted, 33, 1)).isEqualTo(BdevStatus.MEDIA_ERROR);
        assertThat(restarted.mismatches()).isEqualTo(1);
    }

    @Test
    void aFailedDataWriteLeavesTheOldDigest() {
        MallocBdev m = malloc(512, MIB);
        FaultyBdev f = new FaultyBdev(m).keepInnerOpen();
        IntegrityBdev b = integrity(f, "SHA-256");
        byte[] v1 = Bytes.random(8, 512);
        write(b, 3, v1);
        byte[] digest = b.digestOf(3);
        f.failNth(1);
        f.log().clear();
        assertThat(writeStatus(b, 3, Bytes.random(9, 512))).isEqualTo(BdevStatus.MEDIA_ERROR);
        assertThat(f.log()).as("no table write").hasSize(1);
        assertThat(b.digestOf(3)).isEqualTo(digest);
        assertSameBytes(read(b, 3, 1), v1, "the old data, still good");

        f.failAll(BdevStatus.MEDIA_ERROR);
        assertThat(failedRead(b, 3, 1)).as("a failed member read").isEqualTo(BdevStatus.MEDIA_ERROR);
        assertThat(b.mismatches()).as("is not a mismatch").isZero();
    }

    @Test
    void writeZeroesIsCheckedAndDeallocateIsLikeNeverWritten() {
        MallocBdev m = malloc(512, MIB);
        IntegrityBdev b = integrity(m, "SHA-256");
        write(b, 0, Bytes.random(10, 64 * 512));
        assertThat(inline(b, BdevOp.WRITE_ZEROES, 0, 32, null)).isEqualTo(BdevStatus.SUCCESS);
        assertThat(inline(b, BdevOp.UNMAP, 32, 32, null)).isEqualTo(BdevStatus.SUCCESS);
        assertThat(allZero(read(b, 0, 64))).isTrue();
        assertThat(b.digestOf(5)).isEqualTo(BlockHasher.sha256().digest(new byte[512]));
        assertThat(b.digestOf(40)).isNull();

        write(m, 5, Bytes.random(11, 512));
        write(m, 40, Bytes.random(12, 512));
        assertThat(failedRead(b, 5, 1)).isEqualTo(BdevStatus.MEDIA_ERROR);
        assertThat(read(b, 40, 1)).hasSize(512);
    }

    /**
     * Two writers in one table block while its write is in flight: the second waits for a second
     * table write that carries its digest, and the member ends up with both.
     */
    @Test
    void writersOfOneTableBlockShareItsWrites() {
        MallocBdev m = malloc(512, MIB);
        FaultyBdev f = new FaultyBdev(m).keepInnerOpen();
        IntegrityBdev b = integrity(f, "SHA-256");
        long table = b.layout().tableStart();
        f.hold(true);
        f.log().clear();
        byte[] d1 = Bytes.random(13, 512);
        byte[] d2 = Bytes.random(14, 512);
        byte[] d3 = Bytes.random(15, 512);
        AtomicReference<Integer> s1 = new AtomicReference<>();
        AtomicReference<Integer> s2 = new AtomicReference<>();
        AtomicReference<Integer> s3 = new AtomicReference<>();
        ByteBuf b1 = Unpooled.wrappedBuffer(d1);
        ByteBuf b2 = Unpooled.wrappedBuffer(d2);
        ByteBuf b3 = Unpooled.wrappedBuffer(d3);
        try {
            submit(b, BdevOp.WRITE, 1, b1, s1);
            submit(b, BdevOp.WRITE, 2, b2, s2);
            submit(b, BdevOp.WRITE, 3, b3, s3);
            f.releaseNext(); // data 1 done: table write #1 goes out, held
            f.releaseNext(); // data 2 done: joins, the table block is busy
            f.releaseNext(); // data 3 done: joins too
            assertThat(f.log()).containsExactly(
                    new FaultyBdev.Submitted(BdevOp.WRITE, 1, 1),
                    new FaultyBdev.Submitted(BdevOp.WRITE, 2, 1),
                    new FaultyBdev.Submitted(BdevOp.WRITE, 3, 1),
                    new FaultyBdev.Submitted(BdevOp.WRITE, table, 1));
            assertThat(s1.get()).isNull();
            f.releaseNext(); // table write #1 done: write 1 completes, one more round for 2 and 3
            assertThat(s1.get()).isEqualTo(BdevStatus.SUCCESS);
            assertThat(s2.get()).isNull();
            assertThat(f.heldCount()).isEqualTo(1);
            f.releaseNext();
            assertThat(s2.get()).isEqualTo(BdevStatus.SUCCESS);
            assertThat(s3.get()).isEqualTo(BdevStatus.SUCCESS);
            assertThat(f.log()).hasSize(5).last().isEqualTo(new FaultyBdev.Submitted(BdevOp.WRITE, table, 1));
        } finally {
            b1.release();
            b2.release();
            b3.release();
        }
        f.hold(false);
        IntegrityBdev again = integrity(m, "SHA-256");
        assertThat(again.digestOf(1)).isEqualTo(BlockHasher.sha256().digest(d1));
        assertThat(again.digestOf(2)).isEqualTo(BlockHasher.sha256().digest(d2));
        assertThat(again.digestOf(3)).isEqualTo(BlockHasher.sha256().digest(d3));
    }

    /** A write whose completion may come on any thread; waits for it (bounded). */
    private static int awaitWrite(Bdev b, long lba, byte[] data) throws Exception {
        ByteBuf src = Unpooled.wrappedBuffer(data);
        try {
            return TestIo.await(b, new BdevIo(), BdevOp.WRITE, lba, 1, src, Runnable::run).status();
        } finally {
            src.release();
        }
    }

    private static void submit(Bdev b, BdevOp op, long lba, ByteBuf buf, AtomicReference<Integer> status) {
        BdevIo io = new BdevIo();
        io.prepare(op, lba, 1, buf, Runnable::run, d -> status.set(d.status()), null);
        b.submit(io);
    }

    @Test
    void coresOnSeveralThreadsWritingNeighbouringBlocks() throws Exception {
        MallocBdev m = malloc(512, MIB);
        IntegrityBdev b = integrity(m, "SHA-256");
        int threads = 4;
        byte[][] last = new byte[64][];
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> jobs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                jobs.add(pool.submit(() -> {
                    SplittableRandom random = new SplittableRandom(thread);
                    for (int i = 0; i < 400; i++) {
                        // Blocks t, t+4, t+8...: every thread in every table block of the first four.
                        int lba = thread + 4 * random.nextInt(16);
                        byte[] data = Bytes.random(thread * 100_000L + i, 512);
                        // Not inline: another core's table write may complete this one.
                        assertThat(awaitWrite(b, lba, data)).isEqualTo(BdevStatus.SUCCESS);
                        last[lba] = data;
                        assertSameBytes(read(b, lba, 1), data, "thread " + thread);
                    }
                    return null;
                }));
            }
            for (Future<?> j : jobs) {
                j.get(20, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        b.close();
        IntegrityBdev again = integrity(m, "SHA-256");
        for (int lba = 0; lba < 64; lba++) {
            if (last[lba] != null) {
                assertSameBytes(read(again, lba, 1), last[lba], "LBA " + lba + " after reopening");
            }
        }
        assertThat(again.mismatches()).isZero();
    }

    /**
     * Four cores (single-thread executors) each chain writes from their completions, all into the
     * same few table blocks of an asynchronous (file) member: every completion must come back on
     * its own core, and after a restart every last write must verify.
     */
    @Test
    void coresChainingWritesOverAnAsynchronousMember(@TempDir Path dir) throws Exception {
        int cores = 4;
        int writesPerCore = 150;
        FileBdev fb = keep(FileBdev.open("file0", dir.resolve("disk.img"), 2 * MIB, 512, true, 2));
        IntegrityBdev b = IntegrityBdev.create("integ0", fb, "SHA-256");
        ExecutorService[] executors = new ExecutorService[cores];
        byte[][] last = new byte[64][];
        AtomicReference<String> problem = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(cores);
        try {
            for (int c = 0; c < cores; c++) {
                int id = c;
                executors[c] = Executors.newSingleThreadExecutor(r -> new Thread(r, "core" + id));
                Thread coreThread = executors[c].submit(Thread::currentThread).get(5, TimeUnit.SECONDS);
                ExecutorService home = executors[c];
                BdevIo io = new BdevIo();
                SplittableRandom random = new SplittableRandom(id);
                ByteBuf buf = Unpooled.directBuffer(512);
                int[] count = {0};
                Runnable[] next = new Runnable[1];
                next[0] = () -> {
                    int lba = id + 4 * random.nextInt(16);
                    byte[] data = Bytes.random(id * 10_000L + count[0], 512);
                    buf.clear().writeBytes(data);
                    io.prepare(BdevOp.WRITE, lba, 1, buf, home, d -> {
                        if (Thread.currentThread() != coreThread) {
                            problem.compareAndSet(null, "core " + id + " completed on " + Thread.currentThread().getName());
                        }
                        if (d.status() != BdevStatus.SUCCESS) {
                            problem.compareAndSet(null, "write failed: " + BdevStatus.name(d.status()));
                        }
                        last[lba] = data; // each core has LBAs of its own; the latch publishes them
                        if (++count[0] < writesPerCore) {
                            next[0].run();
                        } else {
                            buf.release();
                            done.countDown();
                        }
                    }, null);
                    b.submit(io);
                };
                home.execute(next[0]);
            }
            assertThat(done.await(20, TimeUnit.SECONDS)).as("all writes completed").isTrue();
        } finally {
            for (ExecutorService e : executors) {
                if (e != null) {
                    e.shutdownNow();
                }
            }
        }
        assertThat(problem.get()).isNull();
        b.close();
        IntegrityBdev again = keep(IntegrityBdev.create("integ0", fb, "SHA-256"));
        ExecutorService reader = Executors.newSingleThreadExecutor();
        try {
            ByteBuf dst = Unpooled.directBuffer(512);
            try {
                for (int lba = 0; lba < 64; lba++) {
                    dst.clear();
                    assertThat(TestIo.await(again, new BdevIo(), BdevOp.READ, lba, 1, dst, reader).status())
                            .as("LBA %d after reopening", lba).isEqualTo(BdevStatus.SUCCESS);
                    assertSameBytes(bytes(dst), last[lba], "LBA " + lba);
                }
            } finally {
                dst.release();
            }
        } finally {
            reader.shutdownNow();
        }
        assertThat(again.mismatches()).isZero();
    }

    @Test
    void overAFileBdevAcrossARestart(@TempDir Path dir) throws Exception {
        core = Executors.newSingleThreadExecutor(r -> new Thread(r, "core0"));
        Thread coreThread = core.submit(Thread::currentThread).get(5, TimeUnit.SECONDS);
        Path file = dir.resolve("disk.img");
        byte[] data = Bytes.random(16, 16 * 4096);

        FileBdev fb = FileBdev.open("file0", file, 8 * MIB, 4096, true, 2);
        IntegrityBdev b = IntegrityBdev.create("integ0", fb, "SHA-256");
        assertThat(b.blockCount()).isEqualTo(2031); // 2048 blocks: 16 table blocks and a header
        assertThat(b.hasVolatileWriteCache()).isTrue();
        BdevIo io = new BdevIo();
        ByteBuf src = Unpooled.wrappedBuffer(data);
        try {
            TestIo.Done d = TestIo.await(b, io, BdevOp.WRITE, 120, 16, src, core); // two table blocks
            assertThat(d.status()).isEqualTo(BdevStatus.SUCCESS);
            assertThat(d.thread()).as("completion on the home core").isSameAs(coreThread);
        } finally {
            src.release();
        }
        assertThat(TestIo.await(b, io, BdevOp.FLUSH, 0, 0, null, core).status()).isEqualTo(BdevStatus.SUCCESS);
        b.close();
        fb.close();

        // Damage block 125 in the file itself while "powered off".
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {0x42}), 125L * 4096 + 17);
        }

        FileBdev fb2 = keep(FileBdev.open("file0", file, -1, 4096, false, 2));
        IntegrityBdev again = keep(IntegrityBdev.create("integ0", fb2, "SHA-256"));
        ByteBuf dst = Unpooled.directBuffer(16 * 4096);
        try {
            TestIo.Done d = TestIo.await(again, io, BdevOp.READ, 120, 5, dst, core);
            assertThat(d.status()).isEqualTo(BdevStatus.SUCCESS);
            assertThat(d.thread()).isSameAs(coreThread);
            assertSameBytes(bytes(dst), Arrays.copyOf(data, 5 * 4096), "the good blocks");
            dst.clear();
            d = TestIo.await(again, io, BdevOp.READ, 120, 16, dst, core);
            assertThat(d.status()).isEqualTo(BdevStatus.MEDIA_ERROR);
            assertThat(d.thread()).isSameAs(coreThread);
            assertThat(dst.writerIndex()).isZero();
            assertThat(again.mismatches()).isEqualTo(1);
        } finally {
            dst.release();
        }

    }

    @Test
    void aMemberThatShrankIsRefusedAndOneThatGrewStartsAfresh() {
        MallocBdev m = malloc(512, MIB);
        IntegrityBdev b = integrity(m, "SHA-256");
        byte[] data = Bytes.random(19, 1926 * 512);
        write(b, 0, data);
        b.close();

        // The same contents seen through a smaller member: its tail is the old volume's data.
        MallocBdev smaller = keep(new MallocBdev("malloc1", 512, 1500));
        write(smaller, 0, Arrays.copyOf(data, 1500 * 512));
        assertThatThrownBy(() -> IntegrityBdev.create("integ1", smaller, "SHA-256"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("not blank");

        // And through a larger one: the new tail is blank, so it is formatted; the data stays.
        MallocBdev larger = keep(new MallocBdev("malloc2", 512, 4096));
        write(larger, 0, read(m, 0, 2048));
        IntegrityBdev grown = keep(IntegrityBdev.create("integ2", larger, "SHA-256"));
        assertThat(grown.blockCount()).isGreaterThan(1926);
        assertThat(grown.digestOf(0)).isNull();
        assertSameBytes(read(grown, 0, 1926), data, "the data, now unchecked");
    }

    @Test
    void aHeaderForAnotherGeometryIsRefused() {
        MallocBdev m = malloc(512, MIB);
        integrity(m, "SHA-256").close();
        byte[] header = read(m, 2047, 1);
        MallocBdev other = keep(new MallocBdev("malloc1", 512, 4096));
        write(other, 4095, header); // a header copied to the end of a bigger member
        assertThatThrownBy(() -> IntegrityBdev.create("integ1", other, "SHA-256"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bdev integ1: malloc1 was formatted for 2048 blocks of 512 B, it now has 4096 of 512 B");
    }
}
