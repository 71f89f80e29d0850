package org.k200emu.bdev.nullbdev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.k200emu.bdev.TestIo.allZero;
import static org.k200emu.bdev.TestIo.bytes;
import static org.k200emu.bdev.TestIo.inline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.testing.Bytes;

class NullBdevTest {

    /** 1 TiB of 4 KiB blocks: costs nothing. */
    private final NullBdev bdev = new NullBdev("null0", 4096, 1L << 28);

    @AfterEach
    void close() {
        bdev.close();
    }

    @Test
    void describesItself() {
        assertThat(bdev.name()).isEqualTo("null0");
        assertThat(bdev.module()).isEqualTo("null");
        assertThat(bdev.blockSize()).isEqualTo(4096);
        assertThat(bdev.blockCount()).isEqualTo(1L << 28);
        assertThat(bdev.hasVolatileWriteCache()).isFalse();
        for (BdevOp op : BdevOp.values()) {
            assertThat(bdev.supports(op)).as(op.name()).isTrue();
        }
    }

    @Test
    void rejectsAnUnusableGeometry() {
        assertThatThrownBy(() -> new NullBdev("n", 520, 8)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bdev n: block size must be 512 or 4096, not 520");
        assertThatThrownBy(() -> new NullBdev("n", 512, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bdev n: capacity must be at least one block");
        assertThatThrownBy(() -> new NullBdev(null, 512, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bdev name must not be empty");
    }

    @Test
    void aReadThatAllowsLendingGetsZeroesByReferenceAndLeavesItsBufferAlone() {
        ByteBuf dst = Unpooled.buffer(8 * 4096);
        BdevIo io = new BdevIo();
        int[] status = {-1};
        try {
            for (int blocks : new int[] {1, 32, 8}) {
                io.prepare(BdevOp.READ, 100, blocks, dst, Runnable::run, d -> status[0] = d.status(), null)
                        .allowLending();
                bdev.submit(io);
                assertThat(status[0]).isEqualTo(BdevStatus.SUCCESS);
                ByteBuf lent = io.takeLent();
                assertThat(lent).isNotNull();
                assertThat(io.takeLent()).as("taken once").isNull();
                try {
                    assertThat(lent.readableBytes()).isEqualTo(blocks * 4096);
                    assertThat(allZero(ByteBufUtil.getBytes(lent))).isTrue();
                } finally {
                    lent.release();
                }
                assertThat(dst.writerIndex()).as("the caller's buffer untouched").isZero();
            }
            // Without the mark, the same bdev fills the caller's buffer.
            io.prepare(BdevOp.READ, 100, 2, dst, Runnable::run, d -> status[0] = d.status(), null);
            bdev.submit(io);
            assertThat(io.takeLent()).isNull();
            assertThat(dst.writerIndex()).isEqualTo(2 * 4096);
            assertThatThrownBy(() -> io.prepare(BdevOp.WRITE, 0, 1, dst, Runnable::run, d -> { }, null).allowLending())
                    .isInstanceOf(IllegalStateException.class);
        } finally {
            dst.release();
        }
    }

    @Test
    void aReadThatAllowsLendingMayComeWithoutABuffer() {
        assertThat(bdev.lendsReads()).isTrue();
        BdevIo io = new BdevIo();
        int[] status = {-1};
        io.prepare(BdevOp.READ, 5, 3, null, Runnable::run, d -> status[0] = d.status(), null).allowLending();
        bdev.submit(io);
        assertThat(status[0]).isEqualTo(BdevStatus.SUCCESS);
        ByteBuf lent = io.takeLent();
        try {
            assertThat(lent.readableBytes()).isEqualTo(3 * 4096);
            assertThat(allZero(ByteBufUtil.getBytes(lent))).isTrue();
        } finally {
            lent.release();
        }
        // Not marked, a read without a buffer has nowhere to go.
        io.prepare(BdevOp.READ, 5, 3, null, Runnable::run, d -> status[0] = d.status(), null);
        bdev.submit(io);
        assertThat(status[0]).isEqualTo(BdevStatus.BAD_BUFFER);
        assertThat(io.takeLent()).isNull();
    }

    @Test
    void readAppendsZeroesOverWhateverTheBufferHeld() {
        ByteBuf dst = Unpooled.buffer(3 + 2 * 4096);
        try {
            dst.writeBytes(new byte[] {7, 8, 9});
            dst.setBytes(3, Bytes.random(1, 2 * 4096)); // garbage past the writer index
            assertThat(inline(bdev, BdevOp.READ, (1L << 28) - 2, 2, dst)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(dst.writerIndex()).isEqualTo(3 + 2 * 4096);
            byte[] got = bytes(dst);
            assertThat(Arrays.copyOf(got, 3)).containsExactly(7, 8, 9);
            assertThat(allZero(Arrays.copyOfRange(got, 3, got.length))).isTrue();
        } finally {
            dst.release();
        }
    }

    @Test
    void writesAreDiscarded() {
        ByteBuf src = Unpooled.wrappedBuffer(Bytes.random(2, 4096));
        ByteBuf dst = Unpooled.buffer(4096);
        try {
            assertThat(inline(bdev, BdevOp.WRITE, 12, 1, src)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(src.readerIndex()).isZero();
            assertThat(inline(bdev, BdevOp.READ, 12, 1, dst)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(allZero(bytes(dst))).isTrue();
        } finally {
            src.release();
            dst.release();
        }
    }

    @ParameterizedTest
    @EnumSource(value = BdevOp.class, names = {"FLUSH", "WRITE_ZEROES", "UNMAP"})
    void operationsWithoutDataSucceed(BdevOp op) {
        assertThat(inline(bdev, op, 0, 1L << 28, null)).isEqualTo(BdevStatus.SUCCESS);
    }

    @ParameterizedTest(name = "{0} lba={1} n={2}")
    @CsvSource({
        "READ, 268435456, 1",
        "READ, 268435455, 2",
        "WRITE, -1, 1",
        "WRITE_ZEROES, 0, 268435457",
        "UNMAP, 9223372036854775807, 9223372036854775807",
    })
    void outOfRangeIsRefused(BdevOp op, long lba, long blocks) {
        ByteBuf buf = Unpooled.buffer(4096);
        try {
            assertThat(inline(bdev, op, lba, blocks, buf)).isEqualTo(BdevStatus.OUT_OF_RANGE);
            assertThat(buf.writerIndex()).isZero();
        } finally {
            buf.release();
        }
    }

    @Test
    void badBuffersAreRefused() {
        ByteBuf shortWrite = Unpooled.wrappedBuffer(new byte[4095]);
        ByteBuf tooSmallToRead = Unpooled.buffer(0, 8191);
        try {
            assertThat(inline(bdev, BdevOp.WRITE, 0, 1, shortWrite)).isEqualTo(BdevStatus.BAD_BUFFER);
            assertThat(inline(bdev, BdevOp.WRITE, 0, 1, null)).isEqualTo(BdevStatus.BAD_BUFFER);
            assertThat(inline(bdev, BdevOp.READ, 0, 2, tooSmallToRead)).isEqualTo(BdevStatus.BAD_BUFFER);
            assertThat(tooSmallToRead.writerIndex()).isZero();
            assertThat(inline(bdev, BdevOp.READ, 0, 1, null)).isEqualTo(BdevStatus.BAD_BUFFER);
        } finally {
            shortWrite.release();
            tooSmallToRead.release();
        }
    }
}
