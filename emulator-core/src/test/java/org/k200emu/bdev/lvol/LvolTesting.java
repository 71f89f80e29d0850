package org.k200emu.bdev.lvol;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.TestIo;

/** Shared helpers of the lvol tests: blocking reads and writes through any bdev. */
final class LvolTesting {

    static final int KIB = 1024;

    private LvolTesting() {
    }

    /** Bytes from a fixed seed, so every run writes the same data. */
    static byte[] pattern(long seed, int length) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Submits {@code op} with {@code core} as home core and waits for its status. */
    static int io(Bdev bdev, BdevOp op, long lba, long blocks, ByteBuf buf, Executor core) throws Exception {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        BdevIo io = new BdevIo();
        io.prepare(op, lba, blocks, buf, core, d -> done.complete(d.status()), null);
        bdev.submit(io);
        return done.get(TestIo.TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    static int write(Bdev bdev, long lba, byte[] data) throws Exception {
        ByteBuf buf = Unpooled.wrappedBuffer(data);
        try {
            return io(bdev, BdevOp.WRITE, lba, data.length / bdev.blockSize(), buf, Runnable::run);
        } finally {
            buf.release();
        }
    }

    static void mustWrite(Bdev bdev, long lba, byte[] data) throws Exception {
        assertThat(BdevStatus.name(write(bdev, lba, data))).as("write %s lba %d", bdev.name(), lba)
                .isEqualTo("SUCCESS");
    }

    static byte[] read(Bdev bdev, long lba, int blocks) throws Exception {
        ByteBuf buf = Unpooled.buffer(blocks * bdev.blockSize());
        try {
            int status = io(bdev, BdevOp.READ, lba, blocks, buf, Runnable::run);
            assertThat(BdevStatus.name(status)).as("read %s lba %d", bdev.name(), lba).isEqualTo("SUCCESS");
            assertThat(buf.readableBytes()).isEqualTo(blocks * bdev.blockSize());
            return TestIo.bytes(buf);
        } finally {
            buf.release();
        }
    }

    static void assertReads(Bdev bdev, long lba, byte[] expected, String what) throws Exception {
        TestIo.assertSameBytes(read(bdev, lba, expected.length / bdev.blockSize()), expected, what);
    }

    static void assertZeroes(Bdev bdev, long lba, int blocks, String what) throws Exception {
        assertThat(TestIo.allZero(read(bdev, lba, blocks))).as("%s reads zeroes", what).isTrue();
    }
}
