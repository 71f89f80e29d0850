package org.k200emu.bdev.file;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.testing.Bytes;

/**
 * Reads into slices of one buffer run on several workers at once (a stacked bdev splits one
 * I/O that way): each must land in its own slice. Netty's own file-channel copy shares one NIO
 * view per parent buffer, which raced here before.
 */
class FileBdevSliceTest {

    @Test
    void concurrentReadsIntoSlicesOfOneBuffer(@TempDir Path dir) throws Exception {
        try (FileBdev bdev = FileBdev.open("f", dir.resolve("d.img"), 1 << 20, 512, true, 4)) {
            byte[] content = Bytes.random(5, 1 << 20);
            ByteBuf all = Unpooled.wrappedBuffer(content);
            CountDownLatch written = new CountDownLatch(1);
            bdev.submit(new BdevIo().prepare(BdevOp.WRITE, 0, 2048, all, Runnable::run, x -> written.countDown(), null));
            assertThat(written.await(10, TimeUnit.SECONDS)).isTrue();
            all.release();
            for (int round = 0; round < 50; round++) {
                ByteBuf parent = Unpooled.buffer(64 * 1024);
                int parts = 16;
                CountDownLatch done = new CountDownLatch(parts);
                AtomicInteger failed = new AtomicInteger();
                for (int p = 0; p < parts; p++) {
                    ByteBuf slice = parent.slice(p * 4096, 4096).clear();
                    bdev.submit(new BdevIo().prepare(BdevOp.READ, 8L * (p * 7 % 256), 8, slice, Runnable::run, x -> {
                        if (x.status() != BdevStatus.SUCCESS) {
                            failed.incrementAndGet();
                        }
                        done.countDown();
                    }, null));
                }
                assertThat(done.await(10, TimeUnit.SECONDS)).as("every read completes").isTrue();
                assertThat(failed.get()).isZero();
                for (int p = 0; p < parts; p++) {
                    byte[] got = new byte[4096];
                    parent.getBytes(p * 4096, got);
                    byte[] want = new byte[4096];
                    System.arraycopy(content, (p * 7 % 256) * 4096, want, 0, 4096);
                    assertThat(got).as("round %d part %d", round, p).isEqualTo(want);
                }
                parent.release();
            }
        }
    }
}
