package org.k200emu.bdev.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.k200emu.bdev.TestIo.allZero;
import static org.k200emu.bdev.TestIo.assertSameBytes;
import static org.k200emu.bdev.TestIo.bytes;
import static org.k200emu.bdev.TestIo.inline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.TestIo;
import org.k200emu.bdev.TestIo.Done;
import org.k200emu.bdev.TestIo.RecordingExecutor;
import org.k200emu.testing.Bytes;

class FileBdevTest {

    private static final int MIB = 1 << 20;
    private static final long SIZE = 4L * MIB;

    @TempDir
    Path dir;

    private Path file;
    private ExecutorService coreThread;
    private Thread core;
    private RecordingExecutor coreExecutor;
    private final List<FileBdev> opened = new ArrayList<>();

    @BeforeEach
    void startCore() throws Exception {
        file = dir.resolve("disk0.img");
        coreThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-core"));
        core = coreThread.submit(Thread::currentThread).get(5, TimeUnit.SECONDS);
        coreExecutor = new RecordingExecutor(coreThread);
    }

    @AfterEach
    void stop() throws InterruptedException {
        opened.forEach(FileBdev::close);
        coreThread.shutdown();
        assertThat(coreThread.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    }

    private FileBdev open(long sizeBytes, int blockSize, boolean create) throws IOException {
        FileBdev b = FileBdev.open("file0", file, sizeBytes, blockSize, create, 2);
        opened.add(b);
        return b;
    }

    /** Runs one I/O and checks it completed on the test's core, through the I/O's executor, once. */
    private Done run(FileBdev b, BdevIo io, BdevOp op, long lba, long blocks, ByteBuf buf) throws Exception {
        int before = coreExecutor.tasks();
        Done d = TestIo.await(b, io, op, lba, blocks, buf, coreExecutor);
        assertThat(d.thread()).as("%s completed on the I/O's home core", op).isSameAs(core);
        assertThat(coreExecutor.tasks() - before).as("completions handed to the core").isEqualTo(1);
        return d;
    }

    private void write(FileBdev b, long lba, byte[] data) throws Exception {
        ByteBuf src = Unpooled.wrappedBuffer(data);
        try {
            assertThat(run(b, new BdevIo(), BdevOp.WRITE, lba, data.length / b.blockSize(), src).status())
                    .as("write at %d", lba).isEqualTo(BdevStatus.SUCCESS);
            assertThat(src.readerIndex()).isZero();
        } finally {
            src.release();
        }
    }

    private byte[] read(FileBdev b, long lba, long blocks) throws Exception {
        ByteBuf dst = Unpooled.directBuffer((int) (blocks * b.blockSize()));
        try {
            assertThat(run(b, new BdevIo(), BdevOp.READ, lba, blocks, dst).status())
                    .as("read at %d", lba).isEqualTo(BdevStatus.SUCCESS);
            assertThat(dst.readableBytes()).isEqualTo(blocks * b.blockSize());
            return bytes(dst);
        } finally {
            dst.release();
        }
    }

    private int status(FileBdev b, BdevOp op, long lba, long blocks) throws Exception {
        return run(b, new BdevIo(), op, lba, blocks, null).status();
    }

    private byte[] fileBytes(long offset, int length) throws IOException {
        return Arrays.copyOfRange(Files.readAllBytes(file), (int) offset, (int) offset + length);
    }

    @Test
    void createMakesAFileOfTheConfiguredSize() throws Exception {
        FileBdev b = open(SIZE, 4096, true);
        assertThat(Files.size(file)).isEqualTo(SIZE);
        assertThat(b.name()).isEqualTo("file0");
        assertThat(b.module()).isEqualTo("file");
        assertThat(b.path()).isEqualTo(file);
        assertThat(b.blockSize()).isEqualTo(4096);
        assertThat(b.blockCount()).isEqualTo(1024);
        assertThat(b.hasVolatileWriteCache()).as("the page cache").isTrue();
        for (BdevOp op : BdevOp.values()) {
            assertThat(b.supports(op)).as(op.name()).isTrue();
        }
        assertThat(allZero(read(b, 0, 1024))).as("a new file reads zeroes").isTrue();
    }

    @Test
    void dataSurvivesFlushCloseAndReopen() throws Exception {
        long[] lbas = {0, 100, 2040, 8191};       // 2040..2055 crosses 1 MiB
        int[] blocks = {1, 37, 16, 1};
        byte[][] data = new byte[lbas.length][];
        FileBdev b = open(SIZE, 512, true);
        for (int i = 0; i < lbas.length; i++) {
            data[i] = Bytes.random(i + 1, blocks[i] * 512);
            write(b, lbas[i], data[i]);
        }
        for (int i = 0; i < lbas.length; i++) {
            assertSameBytes(read(b, lbas[i], blocks[i]), data[i], "before close, lba " + lbas[i]);
        }
        assertThat(status(b, BdevOp.FLUSH, 0, 0)).isEqualTo(BdevStatus.SUCCESS);
        b.close();
        opened.remove(b);

        for (int i = 0; i < lbas.length; i++) {
            assertSameBytes(fileBytes(lbas[i] * 512, data[i].length), data[i], "in the file, lba " + lbas[i]);
        }

        FileBdev again = open(-1, 512, false); // size: the file's
        assertThat(again.blockCount()).isEqualTo(SIZE / 512);
        for (int i = 0; i < lbas.length; i++) {
            assertSameBytes(read(again, lbas[i], blocks[i]), data[i], "after reopen, lba " + lbas[i]);
        }
        assertThat(allZero(read(again, 1, 99))).as("never written").isTrue();
        assertThat(allZero(read(again, 2056, 100))).as("never written").isTrue();
    }

    @Test
    void closeSyncsWhatWasWrittenWithoutAFlush() throws Exception {
        FileBdev b = open(SIZE, 4096, true);
        byte[] data = Bytes.random(77, 3 * 4096);
        write(b, 255, data);
        b.close();
        opened.remove(b);
        assertSameBytes(fileBytes(255L * 4096, data.length), data, "in the file");
    }

    @Test
    void largeIoAcrossSeveralMebibytesReadsBack() throws Exception {
        FileBdev b = open(SIZE, 512, true);
        byte[] data = Bytes.random(5, 3 * MIB + 512);
        write(b, 1023, data);
        assertSameBytes(read(b, 1023, data.length / 512), data, "3 MiB read back");
    }

    @Test
    void readAppendsAtTheWriterIndexAndWriteTakesFromTheReaderIndex() throws Exception {
        FileBdev b = open(SIZE, 512, true);
        byte[] data = Bytes.random(6, 1024);
        ByteBuf src = Unpooled.buffer().writeBytes(new byte[] {9, 9}).writeBytes(data).skipBytes(2);
        ByteBuf dst = Unpooled.buffer(0).writeBytes(new byte[] {1, 2, 3});
        try {
            assertThat(run(b, new BdevIo(), BdevOp.WRITE, 40, 2, src).status()).isEqualTo(BdevStatus.SUCCESS);
            assertThat(src.readerIndex()).isEqualTo(2);
            assertThat(run(b, new BdevIo(), BdevOp.READ, 40, 2, dst).status()).isEqualTo(BdevStatus.SUCCESS);
            byte[] got = bytes(dst);
            assertThat(got).hasSize(3 + 1024);
            assertThat(Arrays.copyOf(got, 3)).containsExactly(1, 2, 3);
            assertSameBytes(Arrays.copyOfRange(got, 3, got.length), data, "appended");
        } finally {
            src.release();
            dst.release();
        }
    }

    @ParameterizedTest
    @EnumSource(value = BdevOp.class, names = {"WRITE_ZEROES", "UNMAP"})
    void zeroingOpsReadBackZeroesAndKeepTheRest(BdevOp op) throws Exception {
        FileBdev b = open(SIZE, 512, true);
        byte[] data = Bytes.random(7, (int) SIZE);
        write(b, 0, data);

        // 2.5 MiB from LBA 1000: more than one 1 MiB zero chunk, ending mid-chunk.
        int from = 1000;
        int n = 5 * 1024;
        assertThat(status(b, op, from, n)).isEqualTo(BdevStatus.SUCCESS);

        byte[] expected = data.clone();
        Arrays.fill(expected, from * 512, (from + n) * 512, (byte) 0);
        assertSameBytes(read(b, 0, SIZE / 512), expected, "after " + op);
    }

    @Test
    void outOfRangeAndBadBuffersAreRefusedWithoutTouchingTheFile() throws Exception {
        FileBdev b = open(SIZE, 4096, true);
        byte[] data = Bytes.random(8, 4096);
        write(b, 1023, data);
        ByteBuf block = Unpooled.wrappedBuffer(Bytes.random(9, 4096));
        ByteBuf shortBlock = Unpooled.wrappedBuffer(new byte[4000]);
        ByteBuf noRoom = Unpooled.buffer(0, 4095);
        try {
            assertThat(inline(b, BdevOp.WRITE, 1024, 1, block)).isEqualTo(BdevStatus.OUT_OF_RANGE);
            assertThat(inline(b, BdevOp.READ, 1023, 2, noRoom)).isEqualTo(BdevStatus.OUT_OF_RANGE);
            assertThat(inline(b, BdevOp.WRITE_ZEROES, -1, 2, null)).isEqualTo(BdevStatus.OUT_OF_RANGE);
            assertThat(inline(b, BdevOp.UNMAP, 1, Long.MAX_VALUE, null)).isEqualTo(BdevStatus.OUT_OF_RANGE);
            assertThat(inline(b, BdevOp.WRITE, 1023, 1, shortBlock)).isEqualTo(BdevStatus.BAD_BUFFER);
            assertThat(inline(b, BdevOp.WRITE, 1023, 1, null)).isEqualTo(BdevStatus.BAD_BUFFER);
            assertThat(inline(b, BdevOp.READ, 1023, 1, noRoom)).isEqualTo(BdevStatus.BAD_BUFFER);
            assertThat(noRoom.writerIndex()).isZero();
        } finally {
            block.release();
            shortBlock.release();
            noRoom.release();
        }
        assertThat(Files.size(file)).isEqualTo(SIZE);
        assertSameBytes(read(b, 1023, 1), data, "last block unchanged");
    }

    @Test
    void manyIosInFlightAtOnceAllCompleteOnTheCore() throws Exception {
        FileBdev b = open(SIZE, 4096, true);
        int ios = 32;
        CountDownLatch done = new CountDownLatch(ios);
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        List<ByteBuf> buffers = new ArrayList<>();
        try {
            for (int i = 0; i < ios; i++) {
                ByteBuf src = Unpooled.wrappedBuffer(Bytes.random(1000 + i, 8 * 4096));
                buffers.add(src);
                BdevIo io = new BdevIo().prepare(BdevOp.WRITE, i * 32L, 8, src, coreExecutor, d -> {
                    if (d.status() != BdevStatus.SUCCESS || Thread.currentThread() != core) {
                        problems.add(d + " on " + Thread.currentThread().getName());
                    }
                    done.countDown();
                }, i);
                b.submit(io);
            }
            assertThat(done.await(5, TimeUnit.SECONDS)).as("all completed").isTrue();
        } finally {
            buffers.forEach(ByteBuf::release);
        }
        assertThat(problems).isEmpty();
        for (int i = 0; i < ios; i++) {
            assertSameBytes(read(b, i * 32L, 8), Bytes.random(1000 + i, 8 * 4096), "write " + i);
        }
    }

    @Test
    void ioAfterCloseIsAbortedCleanly() throws Exception {
        FileBdev b = open(SIZE, 512, true);
        write(b, 0, Bytes.random(10, 512));
        b.close();
        ByteBuf src = Unpooled.wrappedBuffer(new byte[512]);
        ByteBuf dst = Unpooled.buffer(512);
        try {
            assertThat(inline(b, BdevOp.WRITE, 0, 1, src)).isEqualTo(BdevStatus.ABORTED);
            assertThat(inline(b, BdevOp.READ, 0, 1, dst)).isEqualTo(BdevStatus.ABORTED);
            assertThat(dst.writerIndex()).isZero();
            for (BdevOp op : List.of(BdevOp.FLUSH, BdevOp.WRITE_ZEROES, BdevOp.UNMAP)) {
                assertThat(inline(b, op, 0, 1, null)).as(op.name()).isEqualTo(BdevStatus.ABORTED);
            }
        } finally {
            src.release();
            dst.release();
        }
        assertThat(coreExecutor.tasks()).as("only the write before close").isEqualTo(1);
        if (TestIo.canCountDescriptors()) {
            assertThat(TestIo.openDescriptors(file)).as("file closed").isZero();
        }
    }

    @Test
    void openWithoutCreateNeedsAnExistingFile() {
        assertThatThrownBy(() -> open(SIZE, 512, false)).isInstanceOf(NoSuchFileException.class);
        assertThat(file).doesNotExist();
    }

    @Test
    void openWithoutCreateRefusesAFileSmallerThanConfigured() throws IOException {
        Files.write(file, new byte[8192]);
        assertThatThrownBy(() -> open(16384, 512, false)).isInstanceOf(IOException.class)
                .hasMessage(file + " holds 8192 bytes, less than the configured 16384");
        assertThat(Files.size(file)).isEqualTo(8192);
    }

    @Test
    void createGrowsASmallerFileAndKeepsItsData() throws Exception {
        byte[] head = Bytes.random(11, 4096);
        Files.write(file, head);
        FileBdev b = open(SIZE, 4096, true);
        assertThat(Files.size(file)).isEqualTo(SIZE);
        assertSameBytes(read(b, 0, 1), head, "existing data");
        assertThat(allZero(read(b, 1, 1023))).isTrue();
    }

    @Test
    void aLargerFileIsUsedUpToTheConfiguredSize() throws Exception {
        Files.write(file, new byte[3 * 4096]);
        assertThat(open(8192, 4096, false).blockCount()).isEqualTo(2);
    }

    @Test
    void theFileSizeIsRoundedDownToWholeBlocks() throws Exception {
        Files.write(file, new byte[5000]);
        assertThat(open(-1, 512, false).blockCount()).isEqualTo(9);
    }

    @Test
    void anEmptyFileIsRefusedAndNotLeftOpen() throws IOException {
        assumeThat(TestIo.canCountDescriptors()).as("/proc/self/fd").isTrue();
        Files.createFile(file);
        assertThatThrownBy(() -> open(-1, 512, false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bdev file0: capacity must be at least one block");
        assertThat(TestIo.openDescriptors(file)).isZero();
    }
}
