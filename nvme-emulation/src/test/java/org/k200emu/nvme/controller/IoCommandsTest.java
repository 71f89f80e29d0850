package org.k200emu.nvme.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.nullbdev.NullBdev;
import org.k200emu.bdev.testing.FaultyBdev;
import org.k200emu.bdev.testing.StubBdev;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.testing.Bytes;

/** The NVM command set's I/O commands (NVMe Base 1.4, section 6) against a malloc bdev. */
class IoCommandsTest {

    private static final int FLUSH = 0x00;
    private static final int WRITE = 0x01;
    private static final int READ = 0x02;
    private static final int COMPARE = 0x05;
    private static final int WRITE_ZEROES = 0x08;
    private static final long BLOCKS = 2048;

    private final TestTransport t = TestTransport.nvm(BLOCKS);

    @BeforeEach
    void enable() {
        t.connectAndEnable();
    }

    @AfterEach
    void close() {
        t.close();
    }

    private void write(long slba, byte[] data) {
        t.io(Sqe.rw(WRITE, 1, slba, data.length / 512), 1, data.length, t.buffer(data)).ok();
    }

    private byte[] read(long slba, int blocks) {
        Completion c = t.io(Sqe.rw(READ, 1, slba, blocks), blocks * 512).ok();
        assertThat(c.data).hasSize(blocks * 512);
        return c.data;
    }

    @Test
    void writeThenReadBack() {
        byte[] data = Bytes.random(11, 8 * 512);
        write(16, data);
        assertThat(read(16, 8)).isEqualTo(data);
        assertThat(read(15, 1)).as("block before").containsOnly(0);
        assertThat(read(24, 1)).as("block after").containsOnly(0);
        assertThat(Arrays.copyOfRange(read(12, 8), 4 * 512, 8 * 512)).isEqualTo(Arrays.copyOf(data, 4 * 512));
    }

    @Test
    void unpooledAllocatorAndLastBlock() {
        t.allocator = UnpooledByteBufAllocator.DEFAULT;
        byte[] data = Bytes.random(12, 512);
        write(BLOCKS - 1, data);
        assertThat(read(BLOCKS - 1, 1)).isEqualTo(data);
    }

    @Test
    void largestTransferWithinMdts() {
        byte[] data = Bytes.random(13, 128 * 1024); // MDTS 5: 4 KiB << 5
        write(100, data);
        assertThat(read(100, 256)).isEqualTo(data);
    }

    @Test
    void onlyTheCommandsBlocksAreWrittenFromALongerBuffer() {
        byte[] data = Bytes.random(14, 4096);
        t.io(Sqe.rw(WRITE, 1, 40, 2), 1, 4096, t.buffer(data)).ok();
        assertThat(read(40, 2)).isEqualTo(Arrays.copyOf(data, 1024));
        assertThat(read(42, 1)).containsOnly(0);
    }

    @Test
    void compareMatchAndMismatch() {
        byte[] data = Bytes.random(15, 4 * 512);
        write(8, data);
        t.io(Sqe.rw(COMPARE, 1, 8, 4), 1, data.length, t.buffer(data)).ok();
        byte[] other = data.clone();
        other[1000] ^= 1;
        Completion c = t.io(Sqe.rw(COMPARE, 1, 8, 4), 1, other.length, t.buffer(other));
        c.expect(NvmeStatus.withDnr(NvmeStatus.COMPARE_FAILURE));
        assertThat(NvmeStatus.sct(c.status)).isEqualTo(2);
        assertThat(NvmeStatus.sc(c.status)).isEqualTo(0x85);
        assertThat(read(8, 4)).as("compare changes nothing").isEqualTo(data);
    }

    @Test
    void writeZeroes() {
        byte[] data = Bytes.random(16, 8 * 512);
        write(0, data);
        t.io(Sqe.rw(WRITE_ZEROES, 1, 2, 4), 0).ok();
        byte[] after = read(0, 8);
        assertThat(Arrays.copyOfRange(after, 0, 1024)).isEqualTo(Arrays.copyOfRange(data, 0, 1024));
        assertThat(Arrays.copyOfRange(after, 1024, 3072)).containsOnly(0);
        assertThat(Arrays.copyOfRange(after, 3072, 4096)).isEqualTo(Arrays.copyOfRange(data, 3072, 4096));
        t.io(Sqe.rw(WRITE_ZEROES, 1, BLOCKS - 2, 3), 0).expect(NvmeStatus.withDnr(NvmeStatus.LBA_OUT_OF_RANGE));
    }

    /** DSM range list: context attributes, length in blocks, starting LBA (16 bytes each). */
    private ByteBuf ranges(long[][] ranges, int extraBytes) {
        ByteBuffer b = ByteBuffer.allocate(ranges.length * 16 + extraBytes).order(ByteOrder.LITTLE_ENDIAN);
        for (long[] r : ranges) {
            b.putInt(0).putInt((int) r[1]).putLong(r[0]);
        }
        return t.buffer(b.array());
    }

    @Test
    void datasetManagementDeallocate() {
        byte[] data = Bytes.random(17, 32 * 512);
        write(0, data);
        ByteBuf list = ranges(new long[][] {{2, 3}, {20, 4}, {30, 0}}, 0);
        t.io(Sqe.dsm(1, 3, true), 1, 48, list).ok();
        byte[] after = read(0, 32);
        for (int lba = 0; lba < 32; lba++) {
            byte[] block = Arrays.copyOfRange(after, lba * 512, lba * 512 + 512);
            boolean deallocated = lba >= 2 && lba < 5 || lba >= 20 && lba < 24;
            if (deallocated) {
                assertThat(block).as("LBA %d", lba).containsOnly(0);
            } else {
                assertThat(block).as("LBA %d", lba).isEqualTo(Arrays.copyOfRange(data, lba * 512, lba * 512 + 512));
            }
        }
    }

    @Test
    void datasetManagementWithoutDeallocateIsAHint() {
        byte[] data = Bytes.random(18, 8 * 512);
        write(0, data);
        t.io(Sqe.dsm(1, 1, false), 1, 16, ranges(new long[][] {{0, 8}}, 0)).ok();
        assertThat(read(0, 8)).isEqualTo(data);
    }

    @Test
    void datasetManagementErrors() {
        t.io(Sqe.dsm(1, 2, true), 1, 32, ranges(new long[][] {{0, 1}, {BLOCKS - 1, 2}}, 0))
                .expect(NvmeStatus.withDnr(NvmeStatus.LBA_OUT_OF_RANGE));
        t.io(Sqe.dsm(1, 2, true), 1, 32, ranges(new long[][] {{0, 1}}, 0))
                .expect(NvmeStatus.withDnr(NvmeStatus.DATA_SGL_LENGTH_INVALID));
        t.io(Sqe.dsm(1, 2, true), 1, 16, ranges(new long[][] {{0, 1}, {2, 1}}, 0))
                .expect(NvmeStatus.withDnr(NvmeStatus.DATA_SGL_LENGTH_INVALID));
        t.io(Sqe.dsm(1, 1, true), 1, 16, ranges(new long[][] {{Long.MAX_VALUE, 1}}, 0))
                .expect(NvmeStatus.withDnr(NvmeStatus.LBA_OUT_OF_RANGE));
    }

    @Test
    void flush() {
        t.io(Sqe.op(FLUSH).nsid(1), 0).ok();
        FaultyBdev cached = FaultyBdev.overMalloc("cached", 512, 64).volatileWriteCache(true);
        t.addBdev(2, cached);
        t.io(Sqe.op(FLUSH).nsid(2), 0).ok();
        assertThat(cached.flushes()).isEqualTo(1);
    }

    @Test
    void forceUnitAccessFlushesAVolatileCache() {
        FaultyBdev cached = FaultyBdev.overMalloc("cached", 512, 64).volatileWriteCache(true);
        t.addBdev(2, cached);
        // The cache feature is decided when the controller is created.
        t.connectAndEnable();
        byte[] data = Bytes.random(19, 512);
        t.io(Sqe.rw(WRITE, 2, 0, 1).orCdw(12, 1 << 30), 1, 512, t.buffer(data)).ok();
        assertThat(cached.flushes()).isEqualTo(1);
        t.io(Sqe.rw(WRITE, 2, 1, 1), 1, 512, t.buffer(data)).ok();
        assertThat(cached.flushes()).as("no FUA, no flush").isEqualTo(1);
        Completion c = t.io(Sqe.rw(READ, 2, 0, 2), 1024);
        assertThat(c.ok().data).isEqualTo(concat(data, data));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void nullBdevReadsZeroes() {
        NullBdev nul = new NullBdev("null0", 512, 1 << 20);
        t.addBdev(3, nul);
        t.io(Sqe.rw(WRITE, 3, 7, 1), 1, 512, t.buffer(Bytes.random(20, 512))).ok();
        Completion c = t.io(Sqe.rw(READ, 3, 7, 4), 2048).ok();
        assertThat(c.data).hasSize(2048).containsOnly(0);
    }

    @Test
    void aReadOfABdevThatLendsTakesNoBufferOfItsOwn() {
        int[] directBuffers = {0};
        t.allocator = new AbstractByteBufAllocator() {
            @Override
            protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
                return UnpooledByteBufAllocator.DEFAULT.heapBuffer(initialCapacity, maxCapacity);
            }

            @Override
            protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
                directBuffers[0]++;
                return UnpooledByteBufAllocator.DEFAULT.directBuffer(initialCapacity, maxCapacity);
            }

            @Override
            public boolean isDirectBufferPooled() {
                return false;
            }
        };
        t.addBdev(3, new NullBdev("null0", 512, 1 << 20));
        assertThat(t.io(Sqe.rw(READ, 3, 7, 8), 4096).ok().data).hasSize(4096).containsOnly(0);
        assertThat(directBuffers[0]).as("the null bdev lends its zeroes").isZero();
        read(7, 8);
        assertThat(directBuffers[0]).as("a malloc bdev fills a buffer of the controller's").isEqualTo(1);
    }

    @Test
    void aBdevThatPromisesToLendButDoesNotFailsTheReadNotTheController() {
        t.addBdev(4, new StubBdev("liar") {
            @Override
            public boolean lendsReads() {
                return true;
            }

            @Override
            public void submit(BdevIo io) {
                io.complete(BdevStatus.SUCCESS); // neither lends nor fills
            }
        });
        t.io(Sqe.rw(READ, 4, 0, 1), 512).expect(NvmeStatus.INTERNAL);
        assertThat(read(0, 1)).as("the controller still serves other namespaces").hasSize(512);
    }

    @Test
    void unknownOpcodeAndFusedCommands() {
        t.io(Sqe.op(0x7E).nsid(1), 0).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_OPCODE));
        t.io(Sqe.op(0x04).nsid(1), 0).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_OPCODE));
        t.io(Sqe.rw(READ, 1, 0, 1).fuse(1), 512).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
    }

    @Test
    void badNamespace() {
        int invalid = NvmeStatus.withDnr(NvmeStatus.INVALID_NAMESPACE);
        t.io(Sqe.rw(READ, 0, 0, 1), 512).expect(invalid);
        t.io(Sqe.rw(READ, 9, 0, 1), 512).expect(invalid);
        t.io(Sqe.rw(READ, 0xFFFFFFFF, 0, 1), 512).expect(invalid);
        t.io(Sqe.op(FLUSH).nsid(0), 0).expect(invalid);
        t.io(Sqe.rw(WRITE, 0, 0, 1), 1, 512, t.buffer(new byte[512])).expect(invalid);
    }

    @Test
    void lbaOutOfRange() {
        int outOfRange = NvmeStatus.withDnr(NvmeStatus.LBA_OUT_OF_RANGE);
        t.io(Sqe.rw(READ, 1, BLOCKS - 1, 2), 1024).expect(outOfRange);
        t.io(Sqe.rw(READ, 1, BLOCKS, 1), 512).expect(outOfRange);
        t.io(Sqe.rw(READ, 1, Long.MAX_VALUE - 1, 4), 2048).expect(outOfRange);
        t.io(Sqe.rw(READ, 1, Long.MAX_VALUE, 1), 512).expect(outOfRange);
        t.io(Sqe.rw(READ, 1, -1L, 1), 512).expect(outOfRange);
        t.io(Sqe.rw(READ, 1, Long.MIN_VALUE, 1), 512).expect(outOfRange);
        t.io(Sqe.rw(WRITE, 1, BLOCKS - 1, 2), 1, 1024, t.buffer(new byte[1024])).expect(outOfRange);
        t.io(Sqe.rw(COMPARE, 1, -2L, 2), 1, 1024, t.buffer(new byte[1024])).expect(outOfRange);
        t.io(Sqe.rw(WRITE_ZEROES, 1, Long.MAX_VALUE - 1, 4), 0).expect(outOfRange);
    }

    @Test
    void transferLargerThanMdts() {
        try (TestTransport big = TestTransport.nvm(4096)) {
            big.connectAndEnable();
            big.io(Sqe.rw(READ, 1, 0, 257), 257 * 512).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
            big.io(Sqe.rw(WRITE, 1, 0, 257), 1, 257 * 512, big.buffer(new byte[257 * 512]))
                    .expect(NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
            // Write Zeroes moves no data: MDTS does not apply.
            big.io(Sqe.rw(WRITE_ZEROES, 1, 0, 1024), 0).ok();
        }
    }

    @Test
    void hostBufferTooShort() {
        int sgl = NvmeStatus.withDnr(NvmeStatus.DATA_SGL_LENGTH_INVALID);
        t.io(Sqe.rw(READ, 1, 0, 8), 2048).expect(sgl);
        t.io(Sqe.rw(WRITE, 1, 0, 8), 1, 2048, t.buffer(new byte[2048])).expect(sgl);
        // The descriptor claims enough, but the data that came is shorter.
        t.io(Sqe.rw(WRITE, 1, 0, 8), 1, 4096, t.buffer(new byte[2048])).expect(sgl);
        t.io(Sqe.rw(WRITE, 1, 0, 1), 1, 512, null).expect(sgl);
        t.io(Sqe.rw(COMPARE, 1, 0, 2), 1, 1024, t.buffer(new byte[512])).expect(sgl);
        assertThat(read(0, 8)).as("nothing written").containsOnly(0);
    }

    @Test
    void mediaErrorsMapToMediaStatus() {
        FaultyBdev bdev = FaultyBdev.overMalloc("faulty", 512, 64);
        t.addBdev(2, bdev);
        bdev.failNth(1, BdevStatus.MEDIA_ERROR);
        t.io(Sqe.rw(WRITE, 2, 0, 1), 1, 512, t.buffer(new byte[512])).expect(NvmeStatus.WRITE_FAULT);
        bdev.failNth(1, BdevStatus.MEDIA_ERROR);
        t.io(Sqe.rw(COMPARE, 2, 0, 1), 1, 512, t.buffer(new byte[512])).expect(NvmeStatus.UNRECOVERED_READ_ERROR);
        bdev.failNth(1, BdevStatus.ABORTED);
        t.io(Sqe.rw(READ, 2, 0, 1), 512).expect(NvmeStatus.ABORTED_SQ_DELETION);
    }
}
