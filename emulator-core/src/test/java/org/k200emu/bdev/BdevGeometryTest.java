package org.k200emu.bdev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.malloc.MallocBdev;

class BdevGeometryTest {

    private static BdevIo io(BdevOp op, long lba, long blocks, ByteBuf buf) {
        return new BdevIo().prepare(op, lba, blocks, buf, Runnable::run, d -> { }, null);
    }

    @Test
    void checkAcceptsTheTwoBlockSizesAndAnyPositiveCapacity() {
        assertThatCode(() -> BdevGeometry.check("a", 512, 1)).doesNotThrowAnyException();
        assertThatCode(() -> BdevGeometry.check("a", 4096, Long.MAX_VALUE)).doesNotThrowAnyException();
        assertThatThrownBy(() -> BdevGeometry.check("", 512, 1)).hasMessage("bdev name must not be empty");
        assertThatThrownBy(() -> BdevGeometry.check("a", 0, 1))
                .hasMessage("bdev a: block size must be 512 or 4096, not 0");
        assertThatThrownBy(() -> BdevGeometry.check("a", 2048, 1))
                .hasMessage("bdev a: block size must be 512 or 4096, not 2048");
        assertThatThrownBy(() -> BdevGeometry.check("a", 512, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bdev a: capacity must be at least one block");
    }

    @Test
    void validateChecksRangeBeforeBuffer() {
        assertThat(BdevGeometry.validate(io(BdevOp.WRITE, 8, 1, null), 512, 8)).isEqualTo(BdevStatus.OUT_OF_RANGE);
        assertThat(BdevGeometry.validate(io(BdevOp.WRITE, 7, 1, null), 512, 8)).isEqualTo(BdevStatus.BAD_BUFFER);
    }

    @Test
    void flushIsNeverOutOfRangeAndZeroingOpsNeedNoBuffer() {
        assertThat(BdevGeometry.validate(io(BdevOp.FLUSH, -5, 99, null), 512, 8)).isEqualTo(BdevStatus.SUCCESS);
        assertThat(BdevGeometry.validate(io(BdevOp.UNMAP, 0, 8, null), 512, 8)).isEqualTo(BdevStatus.SUCCESS);
        assertThat(BdevGeometry.validate(io(BdevOp.WRITE_ZEROES, 0, 8, null), 512, 8)).isEqualTo(BdevStatus.SUCCESS);
        assertThat(BdevGeometry.validate(io(BdevOp.WRITE_ZEROES, 0, 9, null), 512, 8))
                .isEqualTo(BdevStatus.OUT_OF_RANGE);
    }

    @Test
    void writeNeedsExactlyTheBytesAndReadNeedsRoomForThem() {
        ByteBuf exact = Unpooled.buffer(1024).writeZero(1024);
        ByteBuf more = Unpooled.buffer(1025).writeZero(1025);
        ByteBuf growable = Unpooled.buffer(0);
        ByteBuf capped = Unpooled.buffer(0, 1023);
        try {
            assertThat(BdevGeometry.validate(io(BdevOp.WRITE, 0, 2, exact), 512, 8)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(BdevGeometry.validate(io(BdevOp.WRITE, 0, 2, more), 512, 8)).isEqualTo(BdevStatus.BAD_BUFFER);
            assertThat(BdevGeometry.validate(io(BdevOp.READ, 0, 2, growable), 512, 8)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(BdevGeometry.validate(io(BdevOp.READ, 0, 2, capped), 512, 8)).isEqualTo(BdevStatus.BAD_BUFFER);
            assertThat(BdevGeometry.validate(io(BdevOp.READ, 0, 1, capped), 512, 8)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(BdevGeometry.validate(io(BdevOp.READ, 0, 2, exact), 4096, 8))
                    .as("a full buffer that may still grow").isEqualTo(BdevStatus.SUCCESS);
        } finally {
            exact.release();
            more.release();
            growable.release();
            capped.release();
        }
    }

    @Test
    void admitCompletesClosedInvalidAndEmptyIoAndLetsTheRestThrough() {
        int[] told = {-1};
        BdevIo write = new BdevIo().prepare(BdevOp.WRITE, 0, 1, null, Runnable::run, d -> told[0] = d.status(), null);
        assertThat(BdevGeometry.admit(write, true, BdevStatus.SUCCESS)).isFalse();
        assertThat(told[0]).isEqualTo(BdevStatus.ABORTED);
        write.prepare(BdevOp.WRITE, 0, 1, null, Runnable::run, d -> told[0] = d.status(), null);
        assertThat(BdevGeometry.admit(write, false, BdevStatus.BAD_BUFFER)).isFalse();
        assertThat(told[0]).isEqualTo(BdevStatus.BAD_BUFFER);
        write.prepare(BdevOp.WRITE, 0, 0, null, Runnable::run, d -> told[0] = d.status(), null);
        assertThat(BdevGeometry.admit(write, false, BdevStatus.SUCCESS)).as("no block to move").isFalse();
        assertThat(told[0]).isEqualTo(BdevStatus.SUCCESS);
        told[0] = -1;
        assertThat(BdevGeometry.admit(io(BdevOp.FLUSH, 0, 0, null), false, BdevStatus.SUCCESS)).isTrue();
        assertThat(BdevGeometry.admit(io(BdevOp.UNMAP, 0, 1, null), false, BdevStatus.SUCCESS)).isTrue();
        assertThat(told[0]).isEqualTo(-1);
    }

    @Test
    void checkMemberWantsAMemberAndANameOfItsOwn() {
        MallocBdev m = new MallocBdev("m0", 512, 8);
        try {
            assertThatCode(() -> BdevGeometry.checkMember("s0", m, "a test bdev")).doesNotThrowAnyException();
            assertThatThrownBy(() -> BdevGeometry.checkMember("m0", m, "a test bdev"))
                    .hasMessage("bdev m0: a test bdev needs its own name, not its member's");
            assertThatThrownBy(() -> BdevGeometry.checkMember("s0", null, "a test bdev"))
                    .isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> BdevGeometry.checkMember("", m, "a test bdev"))
                    .hasMessage("bdev name must not be empty");
        } finally {
            m.close();
        }
    }
}
