package org.k200emu.bdev.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.k200emu.bdev.dedup.DedupTesting.B;
import static org.k200emu.bdev.dedup.DedupTesting.assertBlock;
import static org.k200emu.bdev.dedup.DedupTesting.pattern;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.file.FileBdev;
import org.k200emu.bdev.malloc.MallocBdev;

/** Two cores (executors) writing the same new content at once. */
class DedupConcurrencyTest {

    private static final int ROUNDS = 200;

    /** Each round: both cores write one new content (to different blocks) at the same moment. */
    private static void race(Bdev member) throws Exception {
        ExecutorService core0 = Executors.newSingleThreadExecutor();
        ExecutorService core1 = Executors.newSingleThreadExecutor();
        try (DedupBdev d = DedupBdev.create("dd0", member, 0, 64)) {
            for (int round = 0; round < ROUNDS; round++) {
                byte[] content = pattern(round);
                CountDownLatch go = new CountDownLatch(1);
                List<CompletableFuture<Integer>> done = new ArrayList<>();
                for (int side = 0; side < 2; side++) {
                    ExecutorService core = side == 0 ? core0 : core1;
                    long lba = 2L * round + side;
                    CompletableFuture<Integer> f = new CompletableFuture<>();
                    done.add(f);
                    core.execute(() -> {
                        ByteBuf buf = Unpooled.wrappedBuffer(content);
                        try {
                            go.await();
                        } catch (InterruptedException e) {
                            f.completeExceptionally(e);
                            return;
                        }
                        BdevIo io = new BdevIo();
                        io.prepare(BdevOp.WRITE, lba, 1, buf, core, x -> {
                            buf.release();
                            f.complete(x.status());
                        }, null);
                        d.submit(io);
                    });
                }
                go.countDown();
                for (CompletableFuture<Integer> f : done) {
                    assertThat(f.get(5, TimeUnit.SECONDS)).isEqualTo(BdevStatus.SUCCESS);
                }
                assertThat(d.stats().physicalBlocksUsed()).as("round %d", round).isEqualTo(round + 1);
            }
            DedupStats s = d.stats();
            assertThat(s.logicalBlocksWritten()).isEqualTo(2 * ROUNDS);
            assertThat(s.ratio()).isEqualTo(2.0);
            for (int round = 0; round < ROUNDS; round += 17) {
                assertBlock(d, 2L * round, pattern(round));
                assertBlock(d, 2L * round + 1, pattern(round));
            }
            // Overwriting both copies returns every block: nothing leaked.
            for (int round = 0; round < ROUNDS; round++) {
                DedupTesting.op(d, BdevOp.UNMAP, 2L * round, 2);
            }
            assertThat(d.stats().physicalBlocksUsed()).isZero();
        } finally {
            core0.shutdownNow();
            core1.shutdownNow();
        }
    }

    @Test
    void concurrentIdenticalWritesShareOneBlockOverMalloc() throws Exception {
        try (MallocBdev m = new MallocBdev("m0", 4096, 4096)) {
            race(m);
        }
    }

    @Test
    void concurrentIdenticalWritesShareOneBlockOverFile(@TempDir Path dir) throws Exception {
        try (FileBdev f = FileBdev.open("f0", dir.resolve("d.img"), 8L << 20, 4096, true, 2)) {
            race(f);
        }
    }

    /** Many writers of a few contents over the same blocks; afterwards the counts add up exactly. */
    @Test
    void mixedConcurrentOverwritesLeakNothing() throws Exception {
        int cores = 2;
        int perCore = 3000;
        ExecutorService[] pool = new ExecutorService[cores];
        try (MallocBdev m = new MallocBdev("m0", 4096, 4096); DedupBdev d = DedupBdev.create("dd0", m, 0, 32)) {
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (int c = 0; c < cores; c++) {
                pool[c] = Executors.newSingleThreadExecutor();
                ExecutorService core = pool[c];
                int seed = c;
                CompletableFuture<Void> f = new CompletableFuture<>();
                all.add(f);
                core.execute(() -> new Writer(d, core, seed, perCore, f).next());
            }
            for (CompletableFuture<Void> f : all) {
                f.get(20, TimeUnit.SECONDS);
            }
            // Settle: every block now holds content (lba % 5), so exactly the distinct contents remain.
            for (int lba = 0; lba < 64; lba++) {
                DedupTesting.write(d, lba, pattern(lba % 5));
            }
            assertThat(d.stats().physicalBlocksUsed()).isEqualTo(5);
            assertThat(d.stats().logicalBlocksWritten()).isEqualTo(64);
            for (int lba = 0; lba < 64; lba++) {
                assertBlock(d, lba, pattern(lba % 5));
            }
        } finally {
            for (ExecutorService e : pool) {
                if (e != null) {
                    e.shutdownNow();
                }
            }
        }
    }

    /** One core's chain of writes, each submitted from the previous one's completion. */
    private static final class Writer {
        private final DedupBdev d;
        private final ExecutorService core;
        private final java.util.Random random;
        private final CompletableFuture<Void> done;
        private final BdevIo io = new BdevIo();
        private int left;

        Writer(DedupBdev d, ExecutorService core, int seed, int count, CompletableFuture<Void> done) {
            this.d = d;
            this.core = core;
            this.random = new java.util.Random(seed);
            this.left = count;
            this.done = done;
        }

        void next() {
            if (left-- == 0) {
                done.complete(null);
                return;
            }
            long lba = random.nextInt(64);
            int kind = random.nextInt(10);
            if (kind == 0) {
                io.prepare(BdevOp.UNMAP, lba, 1, null, core, x -> after(x.status(), null), null);
            } else {
                ByteBuf buf = Unpooled.wrappedBuffer(kind == 1 ? new byte[B] : pattern(random.nextInt(8)));
                io.prepare(BdevOp.WRITE, lba, 1, buf, core, x -> after(x.status(), buf), null);
            }
            d.submit(io);
        }

        private void after(int status, ByteBuf buf) {
            if (buf != null) {
                buf.release();
            }
            if (status != BdevStatus.SUCCESS) {
                done.completeExceptionally(new AssertionError("status " + BdevStatus.name(status)));
                return;
            }
            core.execute(this::next); // not recursive: malloc completes inline
        }
    }
}
