package org.k200emu.bdev.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.Executor;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.TestIo;

/** I/O helpers of the dedup tests: whole 4 KiB blocks in and out, waiting for each I/O. */
final class DedupTesting {

    static final int B = DedupBdev.BLOCK_SIZE;

    private DedupTesting() {
    }

    /** A block filled from {@code seed} (never all zeroes). */
    static byte[] pattern(long seed) {
        byte[] b = new byte[B];
        new Random(seed).nextBytes(b);
        b[0] = 1;
        return b;
    }

    static int io(Bdev bdev, BdevOp op, long lba, long blocks, ByteBuf buf, Executor core) {
        try {
            return TestIo.await(bdev, new BdevIo(), op, lba, blocks, buf, core).status();
        } catch (Exception e) {
            throw new AssertionError(op + " at " + lba + " did not complete", e);
        }
    }

    static void write(Bdev bdev, long lba, byte[]... blocks) {
        write(bdev, lba, Runnable::run, blocks);
    }

    static void write(Bdev bdev, long lba, Executor core, byte[]... blocks) {
        ByteBuf buf = Unpooled.buffer(blocks.length * B);
        try {
            for (byte[] b : blocks) {
                buf.writeBytes(b);
            }
            assertThat(BdevStatus.name(io(bdev, BdevOp.WRITE, lba, blocks.length, buf, core)))
                    .as("write at %d", lba).isEqualTo("SUCCESS");
            assertThat(buf.readerIndex()).isZero();
        } finally {
            buf.release();
        }
    }

    static void op(Bdev bdev, BdevOp op, long lba, long blocks) {
        assertThat(BdevStatus.name(io(bdev, op, lba, blocks, null, Runnable::run))).as("%s at %d", op, lba)
                .isEqualTo("SUCCESS");
    }

    static byte[] read(Bdev bdev, long lba, int blocks) {
        ByteBuf buf = Unpooled.buffer(blocks * B);
        try {
            buf.writeByte(7); // a read appends at the writer index
            assertThat(BdevStatus.name(io(bdev, BdevOp.READ, lba, blocks, buf, Runnable::run)))
                    .as("read at %d", lba).isEqualTo("SUCCESS");
            assertThat(buf.readableBytes()).isEqualTo(1 + blocks * B);
            byte[] out = new byte[blocks * B];
            buf.getBytes(1, out);
            return out;
        } finally {
            buf.release();
        }
    }

    static void assertBlock(Bdev bdev, long lba, byte[] expected) {
        TestIo.assertSameBytes(read(bdev, lba, 1), expected == null ? new byte[B] : expected, "block " + lba);
    }

    static byte[] concat(byte[]... blocks) {
        byte[] out = new byte[0];
        for (byte[] b : blocks) {
            int at = out.length;
            out = Arrays.copyOf(out, at + b.length);
            System.arraycopy(b, 0, out, at, b.length);
        }
        return out;
    }
}
