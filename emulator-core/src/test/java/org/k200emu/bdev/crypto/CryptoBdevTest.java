package org.k200emu.bdev.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.k200emu.bdev.TestIo.allZero;
import static org.k200emu.bdev.TestIo.assertSameBytes;
import static org.k200emu.bdev.TestIo.bytes;
import static org.k200emu.bdev.TestIo.inline;
import static org.k200emu.bdev.crypto.AesXtsTest.assertNoKeyIn;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
import org.junit.jupiter.params.provider.EnumSource;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.TestIo;
import org.k200emu.bdev.file.FileBdev;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.testing.FaultyBdev;
import org.k200emu.testing.Bytes;

class CryptoBdevTest {

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

    private CryptoBdev crypt(Bdev member, byte[] key) {
        return keep(CryptoBdev.create("crypt0", member, key));
    }

    /** Writes {@code data} at {@code lba} (inline member); asserts success and an untouched host buffer. */
    static void write(Bdev b, long lba, byte[] data) {
        ByteBuf src = Unpooled.directBuffer(data.length + 64).writeZero(32).writeBytes(data).writeZero(32);
        src.readerIndex(32).writerIndex(32 + data.length);
        try {
            assertThat(inline(b, BdevOp.WRITE, lba, data.length / b.blockSize(), src)).as("write at %d", lba)
                    .isEqualTo(BdevStatus.SUCCESS);
            assertThat(src.readerIndex()).as("reader index").isEqualTo(32);
            assertThat(src.writerIndex()).as("writer index").isEqualTo(32 + data.length);
            assertSameBytes(bytes(src), data, "the host's buffer after the write");
        } finally {
            src.release();
        }
    }

    /** Reads {@code blocks} at {@code lba} (inline member) after 16 bytes already in the buffer. */
    static byte[] read(Bdev b, long lba, long blocks) {
        int length = (int) (blocks * b.blockSize());
        ByteBuf dst = Unpooled.directBuffer(16 + length).writeZero(16);
        try {
            assertThat(inline(b, BdevOp.READ, lba, blocks, dst)).as("read at %d", lba).isEqualTo(BdevStatus.SUCCESS);
            assertThat(dst.writerIndex()).isEqualTo(16 + length);
            return Arrays.copyOfRange(bytes(dst), 16, 16 + length);
        } finally {
            dst.release();
        }
    }

    @Test
    void describesItselfLikeItsMember() throws Exception {
        CryptoBdev c = crypt(malloc(4096, MIB), AesXtsTest.randomKey(1));
        assertThat(c.name()).isEqualTo("crypt0");
        assertThat(c.module()).isEqualTo("crypt");
        assertThat(c.blockSize()).isEqualTo(4096);
        assertThat(c.blockCount()).isEqualTo(256);
        assertThat(c.hasVolatileWriteCache()).isFalse();
        assertThat(c.member().name()).isEqualTo("malloc0");
        for (BdevOp op : BdevOp.values()) {
            assertThat(c.supports(op)).as(op.name()).isTrue();
        }
    }

    @ParameterizedTest(name = "bs={0} lba={1} n={2}")
    @CsvSource({
        "512, 0, 1",
        "512, 7, 9",
        "512, 2040, 16",
        "512, 4095, 1",
        "4096, 0, 1",
        "4096, 100, 32",
        "4096, 255, 1",
    })
    void writtenDataReadsBackThroughTheBdev(int blockSize, long lba, int blocks) {
        CryptoBdev c = crypt(malloc(blockSize, 2 * MIB), AesXtsTest.randomKey(2));
        byte[] data = Bytes.random(lba * 7 + blocks, blocks * blockSize);
        write(c, lba, data);
        assertSameBytes(read(c, lba, blocks), data, "read back");
        if (lba > 0) {
            assertThat(read(c, lba - 1, 1)).as("an unwritten block decrypts the member's zeroes, not to zeroes")
                    .isNotEqualTo(new byte[blockSize]);
        }
    }

    @Test
    void theMemberHoldsOnlyCiphertextAndItIsXtsPlain64() {
        MallocBdev m = malloc(512, MIB);
        byte[] key = AesXtsTest.randomKey(3);
        CryptoBdev c = crypt(m, key.clone());
        byte[] plain = Bytes.ramp(0, 64 * 512); // recognizable, repetitive data
        write(c, 100, plain);

        byte[] onMember = read(m, 100, 64);
        for (int off = 0; off < plain.length; off += 16) {
            byte[] block = Arrays.copyOfRange(plain, off, off + 16);
            assertThat(indexOf(onMember, block)).as("plaintext block at %d found on the member", off).isEqualTo(-1);
        }
        // Exactly what dm-crypt's aes-xts-plain64 would store: each sector encrypted with its LBA.
        try (AesXts xts = new AesXts(key)) {
            byte[] expected = plain.clone();
            for (int i = 0; i < 64; i++) {
                xts.encrypt(expected, i * 512, 512, 100 + i);
            }
            assertSameBytes(onMember, expected, "member contents");
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void theSamePlaintextAtTwoLbasGivesTwoCiphertexts() {
        MallocBdev m = malloc(4096, MIB);
        CryptoBdev c = crypt(m, AesXtsTest.randomKey(4));
        byte[] plain = Bytes.random(4, 4096);
        write(c, 10, plain);
        write(c, 11, plain);
        byte[] a = read(m, 10, 1);
        byte[] b = read(m, 11, 1);
        assertThat(Arrays.equals(a, b)).isFalse();
        assertSameBytes(read(c, 10, 1), plain, "LBA 10");
        assertSameBytes(read(c, 11, 1), plain, "LBA 11");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = BdevOp.class, names = {"WRITE_ZEROES", "UNMAP"})
    void zeroingWritesEncryptedZeroesInChunks(BdevOp op) {
        MallocBdev m = malloc(512, 4 * MIB);
        FaultyBdev f = new FaultyBdev(m).keepInnerOpen();
        CryptoBdev c = crypt(f, AesXtsTest.randomKey(5));
        int blocks = 1500; // 750 KiB: three chunks of 256 KiB, the last one partial
        write(c, 20, Bytes.random(5, blocks * 512));
        f.log().clear();

        assertThat(inline(c, op, 20, blocks, null)).isEqualTo(BdevStatus.SUCCESS);
        assertThat(f.log()).containsExactly(
                new FaultyBdev.Submitted(BdevOp.WRITE, 20, 512),
                new FaultyBdev.Submitted(BdevOp.WRITE, 532, 512),
                new FaultyBdev.Submitted(BdevOp.WRITE, 1044, 476));
        assertThat(allZero(read(c, 20, blocks))).as("reads as zeroes through the crypt bdev").isTrue();
        assertThat(allZero(read(m, 20, 1))).as("the member holds encrypted zeroes").isFalse();
    }

    @Test
    void aFailedWriteIsReportedAndStopsAZeroing() {
        MallocBdev m = malloc(512, 4 * MIB);
        FaultyBdev f = new FaultyBdev(m).keepInnerOpen();
        CryptoBdev c = crypt(f, AesXtsTest.randomKey(6));

        f.failNth(1);
        ByteBuf src = Bytes.randomBuf(6, 1024);
        try {
            assertThat(inline(c, BdevOp.WRITE, 0, 2, src)).isEqualTo(BdevStatus.MEDIA_ERROR);
        } finally {
            src.release();
        }

        f.failNth(2);
        f.log().clear();
        assertThat(inline(c, BdevOp.WRITE_ZEROES, 0, 2000, null)).isEqualTo(BdevStatus.MEDIA_ERROR);
        assertThat(f.log()).as("no chunk after the failed one").hasSize(2);
    }

    @Test
    void aFailedReadHandsNothingUp() {
        MallocBdev m = malloc(512, MIB);
        FaultyBdev f = new FaultyBdev(m).keepInnerOpen();
        CryptoBdev c = crypt(f, AesXtsTest.randomKey(7));
        write(c, 0, Bytes.random(7, 512));
        f.failAll(BdevStatus.MEDIA_ERROR);
        ByteBuf dst = Unpooled.buffer(1024).writeZero(3);
        try {
            assertThat(inline(c, BdevOp.READ, 0, 1, dst)).isEqualTo(BdevStatus.MEDIA_ERROR);
            assertThat(dst.writerIndex()).isEqualTo(3);
        } finally {
            dst.release();
        }
        f.heal();
        f.failAll(BdevStatus.ABORTED);
        assertThat(inline(c, BdevOp.FLUSH, 0, 0, null)).as("the member's status, whatever it is").isEqualTo(BdevStatus.ABORTED);
    }

    @Test
    void badRequestsNeverReachTheMember() {
        MallocBdev m = malloc(512, MIB);
        FaultyBdev f = new FaultyBdev(m).keepInnerOpen();
        CryptoBdev c = crypt(f, AesXtsTest.randomKey(8));
        assertThat(inline(c, BdevOp.READ, 2048, 1, Unpooled.EMPTY_BUFFER)).isEqualTo(BdevStatus.OUT_OF_RANGE);
        assertThat(inline(c, BdevOp.WRITE_ZEROES, 2047, 2, null)).isEqualTo(BdevStatus.OUT_OF_RANGE);
        ByteBuf small = Unpooled.buffer(100).writeZero(100);
        try {
            assertThat(inline(c, BdevOp.WRITE, 0, 1, small)).isEqualTo(BdevStatus.BAD_BUFFER);
        } finally {
            small.release();
        }
        assertThat(inline(c, BdevOp.WRITE, 0, 1, null)).isEqualTo(BdevStatus.BAD_BUFFER);
        assertThat(inline(c, BdevOp.READ, 5, 0, Unpooled.EMPTY_BUFFER)).isEqualTo(BdevStatus.SUCCESS);
        assertThat(f.log()).isEmpty();
        assertThat(inline(c, BdevOp.FLUSH, 0, 0, null)).isEqualTo(BdevStatus.SUCCESS);
        assertThat(f.log()).containsExactly(new FaultyBdev.Submitted(BdevOp.FLUSH, 0, 0));
    }

    @Test
    void closeWipesTheKeyAbortsLaterIoAndLeavesTheMemberOpen() {
        MallocBdev m = malloc(512, MIB);
        CryptoBdev c = CryptoBdev.create("crypt0", m, AesXtsTest.randomKey(9));
        write(c, 0, Bytes.random(9, 512));
        c.close();
        assertThat(c.keyWiped()).isTrue();
        ByteBuf dst = Unpooled.buffer(512);
        try {
            assertThat(inline(c, BdevOp.READ, 0, 1, dst)).isEqualTo(BdevStatus.ABORTED);
            assertThat(dst.writerIndex()).isZero();
        } finally {
            dst.release();
        }
        assertThat(read(m, 0, 1)).as("the member still works").hasSize(512);
    }

    @Test
    void theKeyIsNeverPrinted() {
        MallocBdev m = malloc(512, MIB);
        byte[] key = AesXtsTest.vectorKey();
        CryptoBdev c = crypt(m, key);
        assertNoKeyIn(c.toString(), key);
        assertThat(c.toString()).contains("crypt0").contains("malloc0").contains("AES-256-XTS");

        byte[] equal = new byte[64];
        System.arraycopy(key, 32, equal, 0, 32);
        System.arraycopy(key, 32, equal, 32, 32);
        assertThatThrownBy(() -> CryptoBdev.create("crypt1", m, equal))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("bdev crypt1: ")
                .satisfies(e -> assertNoKeyIn(e.getMessage(), equal));
        byte[] longKey = Arrays.copyOf(key, 96);
        assertThatThrownBy(() -> CryptoBdev.create("crypt1", m, longKey))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertNoKeyIn(e.getMessage(), longKey));
        assertThatThrownBy(() -> CryptoBdev.create("malloc0", m, key)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("its own name");
    }

    @Test
    void overAFileBdevWithAnAsynchronousCore(@TempDir Path dir) throws Exception {
        core = Executors.newSingleThreadExecutor(r -> new Thread(r, "core0"));
        Thread coreThread = core.submit(Thread::currentThread).get(5, TimeUnit.SECONDS);
        Path file = dir.resolve("disk.img");
        byte[] key = AesXtsTest.randomKey(10);
        byte[] data = Bytes.random(10, 32 * 4096);

        FileBdev fb = FileBdev.open("file0", file, 4 * MIB, 4096, true, 2);
        CryptoBdev c = CryptoBdev.create("crypt0", fb, key);
        assertThat(c.hasVolatileWriteCache()).isTrue();
        BdevIo io = new BdevIo();
        ByteBuf src = Unpooled.wrappedBuffer(data);
        try {
            TestIo.Done d = TestIo.await(c, io, BdevOp.WRITE, 64, 32, src, core);
            assertThat(d.status()).isEqualTo(BdevStatus.SUCCESS);
            assertThat(d.thread()).as("completion on the home core").isSameAs(coreThread);
            assertSameBytes(bytes(src), data, "host buffer after the write");
        } finally {
            src.release();
        }
        assertThat(TestIo.await(c, io, BdevOp.WRITE_ZEROES, 80, 300, null, core).status()).isEqualTo(BdevStatus.SUCCESS);
        assertThat(TestIo.await(c, io, BdevOp.FLUSH, 0, 0, null, core).status()).isEqualTo(BdevStatus.SUCCESS);
        c.close();
        fb.close();

        // Reopened with the same key: the data (and the zeroes) are there; the file holds ciphertext.
        FileBdev again = keep(FileBdev.open("file0", file, -1, 4096, false, 2));
        CryptoBdev c2 = keep(CryptoBdev.create("crypt0", again, key));
        byte[] expected = data.clone();
        Arrays.fill(expected, 16 * 4096, expected.length, (byte) 0);
        ByteBuf dst = Unpooled.directBuffer(32 * 4096);
        try {
            TestIo.Done d = TestIo.await(c2, io, BdevOp.READ, 64, 32, dst, core);
            assertThat(d.status()).isEqualTo(BdevStatus.SUCCESS);
            assertThat(d.thread()).isSameAs(coreThread);
            assertSameBytes(bytes(dst), expected, "read back after reopening");
            dst.clear();
            assertThat(TestIo.await(again, io, BdevOp.READ, 64, 32, dst, core).status()).isEqualTo(BdevStatus.SUCCESS);
            assertThat(Arrays.equals(bytes(dst), data)).as("the file holds no plaintext").isFalse();
            assertThat(allZero(Arrays.copyOfRange(bytes(dst), 16 * 4096, 32 * 4096))).as("nor plain zeroes").isFalse();
        } finally {
            dst.release();
        }

        // Another key reads noise, not the data.
        CryptoBdev wrong = keep(CryptoBdev.create("crypt1", again, AesXtsTest.randomKey(11)));
        ByteBuf other = Unpooled.directBuffer(4096);
        try {
            assertThat(TestIo.await(wrong, io, BdevOp.READ, 64, 1, other, core).status()).isEqualTo(BdevStatus.SUCCESS);
            assertThat(Arrays.equals(bytes(other), Arrays.copyOf(data, 4096))).isFalse();
        } finally {
            other.release();
        }
    }

    @Test
    void aMemberThatCompletesLaterOnAnotherThread() throws Exception {
        MallocBdev m = malloc(512, 4 * MIB);
        FaultyBdev f = new FaultyBdev(m).keepInnerOpen().hold(true);
        CryptoBdev c = crypt(f, AesXtsTest.randomKey(12));
        AtomicReference<Integer> status = new AtomicReference<>();
        BdevIo io = new BdevIo();
        io.prepare(BdevOp.UNMAP, 0, 1500, null, Runnable::run, d -> status.set(d.status()), null);
        c.submit(io);
        assertThat(status.get()).isNull();
        // Release each chunk from another thread, as a file bdev's worker would.
        ExecutorService worker = Executors.newSingleThreadExecutor();
        try {
            for (int i = 0; i < 3; i++) {
                assertThat(f.heldCount()).isEqualTo(1);
                worker.submit(f::releaseNext).get(5, TimeUnit.SECONDS);
            }
        } finally {
            worker.shutdownNow();
        }
        assertThat(status.get()).isEqualTo(BdevStatus.SUCCESS);
        assertThat(f.heldCount()).isZero();
        f.hold(false);
        assertThat(allZero(read(c, 0, 1500))).isTrue();
    }

    @Test
    void coresOnSeveralThreadsShareOneBdev() throws Exception {
        MallocBdev m = malloc(4096, 4 * MIB);
        CryptoBdev c = crypt(m, AesXtsTest.randomKey(13));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> jobs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                jobs.add(pool.submit(() -> {
                    for (int i = 0; i < 50; i++) {
                        long lba = thread * 256 + (i % 64) * 4;
                        byte[] data = Bytes.random(thread * 1000 + i, 4 * 4096);
                        write(c, lba, data);
                        assertSameBytes(read(c, lba, 4), data, "thread " + thread + " round " + i);
                    }
                }));
            }
            for (Future<?> j : jobs) {
                j.get(20, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
