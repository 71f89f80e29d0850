package org.k200emu.bdev.raid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.k200emu.bdev.raid.RaidTesting.assertVolume;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.TestIo.RecordingExecutor;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.testing.FaultyBdev;
import org.k200emu.testing.Bytes;

/**
 * Two cores writing the same rows at the same time, many I/Os in flight each: the row lock must
 * keep every row's parity (or mirror copies) consistent with its data.
 */
class RaidConcurrencyTest {

    private static final int STRIP = 4096;
    private static final int ROWS = 8;
    private static final long MEMBER_BLOCKS = 16 + ROWS * 8;
    private static final int ROUNDS = 60;

    private final List<MallocBdev> mallocs = new ArrayList<>();
    private final List<ExecutorService> threads = new ArrayList<>();
    private RaidBdev raid;

    @AfterEach
    void tearDown() throws Exception {
        if (raid != null) {
            raid.close();
        }
        for (ExecutorService t : threads) {
            t.shutdown();
            assertThat(t.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        }
        mallocs.forEach(MallocBdev::close);
    }

    private ExecutorService thread(String name) {
        ExecutorService t = Executors.newSingleThreadExecutor(r -> new Thread(r, name));
        threads.add(t);
        return t;
    }

    /**
     * Core {@code c} writes, round after round, a random part of data strip {@code strips[c]} of
     * every row, all rows in flight at once; the other core does the same on its strip. For
     * mirrors both cores write the same strip, so the copies would differ without the lock.
     */
    @ParameterizedTest(name = "RAID {0} over {1}, strips {2} and {3}")
    @CsvSource({
        "5, 4, 0, 1",
        "5, 3, 0, 1",
        "6, 5, 0, 2",
        "6, 4, 1, 0",
        "1, 2, 0, 0",
        "10, 4, 1, 1",
    })
    void concurrentWritesToTheSameRowsKeepTheRedundancyConsistent(int level, int n, int stripA, int stripB)
            throws Exception {
        mallocs.addAll(RaidTesting.mallocs("c", n, MEMBER_BLOCKS, 0));
        List<FaultyBdev> members = RaidTesting.wrap(mallocs);
        ExecutorService workers = Executors.newFixedThreadPool(3, r -> new Thread(r, "member-worker"));
        threads.add(workers);
        members.forEach(m -> m.async(workers).jitter(2_000));
        raid = RaidBdev.create("raid", level, List.copyOf(members), STRIP);
        int bs = raid.blockSize();
        int strip = raid.layout().stripBlocks;
        int rowBlocks = raid.layout().rowBlocks();
        byte[] model = new byte[(int) raid.blockCount() * bs];
        int[] strips = {stripA, stripB};

        ExecutorService[] cores = {thread("core-a"), thread("core-b")};
        CountDownLatch start = new CountDownLatch(1);
        List<CompletableFuture<Void>> runs = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
            int core = c;
            CompletableFuture<Void> run = new CompletableFuture<>();
            runs.add(run);
            SplittableRandom random = new SplittableRandom(level * 10L + core);
            cores[c].execute(() -> {
                try {
                    start.await();
                    round(core, 0, random, strips[core], strip, rowBlocks, bs, model, cores[core], run);
                } catch (InterruptedException e) {
                    run.completeExceptionally(e);
                }
            });
        }
        start.countDown();
        for (CompletableFuture<Void> run : runs) {
            run.get(30, TimeUnit.SECONDS);
        }

        RaidTesting.assertRedundancyConsistent(raid.layout(), mallocs);
        if (stripA != stripB) {
            assertVolume(raid, model, "after the concurrent writes");
            int victim = raid.layout().hasParity() ? raid.layout().dataMember(0, stripB, 0) : 0;
            members.get(victim).failAll();
            assertVolume(raid, model, "reconstructed after the concurrent writes");
        }
    }

    @ParameterizedTest(name = "RAID {0} over {1}")
    @CsvSource({"1, 2", "5, 4", "6, 4", "10, 4"})
    void aSecondWriterOfARowWaitsForTheFirstAndIsResumedOnItsOwnCore(int level, int n) {
        mallocs.addAll(RaidTesting.mallocs("q", n, MEMBER_BLOCKS, 0));
        List<FaultyBdev> members = RaidTesting.wrap(mallocs);
        raid = RaidBdev.create("raid", level, List.copyOf(members), STRIP);
        RaidLayout layout = raid.layout();
        // The first writer's last member write is parked, so it holds row 0.
        int parked = layout.hasParity() ? layout.pMember(0) : 1;
        members.get(parked).hold(io -> io.op() == BdevOp.WRITE && io.offsetBlocks() >= layout.metaBlocks);
        byte[] first = Bytes.random(1, 6 * 512);
        byte[] second = Bytes.random(2, 5 * 512); // inside row 0 even for RAID 1
        ByteBuf a = Unpooled.wrappedBuffer(first);
        ByteBuf b = Unpooled.wrappedBuffer(second);
        List<Integer> done = new ArrayList<>();
        RecordingExecutor coreA = new RecordingExecutor(RaidTesting.INLINE);
        RecordingExecutor coreB = new RecordingExecutor(RaidTesting.INLINE);
        try {
            raid.submit(new BdevIo().prepare(BdevOp.WRITE, 1, 6, a, coreA, io -> done.add(1), null));
            assertThat(members.get(parked).heldCount()).isEqualTo(1);
            long ios = members.stream().mapToLong(FaultyBdev::ios).sum();

            raid.submit(new BdevIo().prepare(BdevOp.WRITE, 2, 5, b, coreB, io -> done.add(2), null));
            assertThat(done).as("both wait").isEmpty();
            assertThat(members.stream().mapToLong(FaultyBdev::ios).sum()).as("the second writer touched no member")
                    .isEqualTo(ios);
            assertThat(coreB.tasks()).isZero();

            members.get(parked).forwardHeld();
            // The first releases the row before it completes, so with inline cores the second
            // may even complete first; what matters is that it waited for the first's writes.
            assertThat(done).as("both complete").containsExactlyInAnyOrder(1, 2);
            assertThat(coreB.tasks()).as("the second was resumed through its core").isPositive();
        } finally {
            a.release();
            b.release();
        }
        byte[] model = new byte[(int) raid.blockCount() * 512];
        System.arraycopy(first, 0, model, 512, first.length);
        System.arraycopy(second, 0, model, 2 * 512, second.length);
        assertVolume(raid, model, "after the two writers");
        RaidTesting.assertRedundancyConsistent(layout, mallocs);
        assertThat(raid.locks().idle()).isTrue();
    }

    /**
     * One round on core {@code c}: a write of a random part of strip {@code d} in every row, all
     * in flight; when all are done the next round starts (from the last completion, on the core).
     */
    private void round(int c, int round, SplittableRandom random, int d, int strip, int rowBlocks, int bs,
                       byte[] model, ExecutorService core, CompletableFuture<Void> run) {
        if (round == ROUNDS) {
            run.complete(null);
            return;
        }
        AtomicInteger left = new AtomicInteger(ROWS);
        for (int row = 0; row < ROWS; row++) {
            int a = random.nextInt(strip);
            int b = a + 1 + random.nextInt(strip - a);
            long lba = (long) row * rowBlocks + (long) d * strip + a;
            byte[] data = Bytes.random(((long) c << 40) + ((long) round << 20) + row, (b - a) * bs);
            ByteBuf src = Unpooled.wrappedBuffer(data);
            BdevIo io = new BdevIo();
            io.prepare(BdevOp.WRITE, lba, b - a, src, core, done -> {
                src.release();
                if (done.status() != BdevStatus.SUCCESS) {
                    run.completeExceptionally(new AssertionError("write at " + lba + ": "
                            + BdevStatus.name(done.status())));
                    return;
                }
                System.arraycopy(data, 0, model, (int) lba * bs, data.length);
                if (left.decrementAndGet() == 0) {
                    round(c, round + 1, random, d, strip, rowBlocks, bs, model, core, run);
                }
            }, null);
            raid.submit(io);
        }
    }
}
