package org.k200emu.bdev.lvol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.k200emu.bdev.lvol.LvolTesting.KIB;
import static org.k200emu.bdev.lvol.LvolTesting.assertReads;
import static org.k200emu.bdev.lvol.LvolTesting.mustWrite;
import static org.k200emu.bdev.lvol.LvolTesting.pattern;
import static org.k200emu.bdev.lvol.LvolTesting.write;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.TestIo;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.testing.FaultyBdev;

/** Several cores on one volume, and a full store. */
class LvolConcurrencyTest {

    static final int CLUSTER = 64 * KIB;
    static final int BPC = CLUSTER / 512;

    private final MallocBdev member = new MallocBdev("m0", 512, 32 * 1024);
    private final List<ExecutorService> cores = new ArrayList<>();
    private final List<ByteBuf> bufs = new ArrayList<>();
    private LvolStore store;

    @AfterEach
    void tearDown() throws Exception {
        for (ExecutorService c : cores) {
            c.shutdown();
            assertThat(c.awaitTermination(TestIo.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        }
        bufs.forEach(ByteBuf::release);
        if (store != null) {
            store.close();
        }
        member.close();
    }

    private ExecutorService core(String name) {
        ExecutorService c = Executors.newSingleThreadExecutor(r -> new Thread(r, name));
        cores.add(c);
        return c;
    }

    /** What one write's completion saw. */
    private record Done(int status, String thread) {
    }

    /** Submits a write from {@code core}'s thread with {@code core} as home; returns once submit returned. */
    private CompletableFuture<Done> submitFrom(ExecutorService core, Lvol v, long lba, byte[] data) throws Exception {
        ByteBuf buf = Unpooled.wrappedBuffer(data);
        bufs.add(buf);
        CompletableFuture<Done> done = new CompletableFuture<>();
        core.submit(() -> {
            BdevIo io = new BdevIo();
            io.prepare(BdevOp.WRITE, lba, data.length / 512, buf, core,
                    d -> done.complete(new Done(d.status(), Thread.currentThread().getName())), null);
            v.submit(io);
        }).get(TestIo.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        return done;
    }

    private void concurrentFirstWrites(boolean shared) throws Exception {
        FaultyBdev faulty = new FaultyBdev(member).keepInnerOpen();
        store = LvolStore.create("lvs0", faulty, CLUSTER);
        Lvol v = store.createVolume("v", 4L * CLUSTER, true);
        byte[] base = pattern(40, CLUSTER);
        if (shared) {
            mustWrite(v, 0, base);
            store.snapshot("v", "s");
        }
        long free = store.freeClusters();
        CountDownLatch heldOne = new CountDownLatch(1);
        // Hold the whole-cluster write of the first writer until the second has queued behind it.
        faulty.hold(io -> {
            boolean whole = io.op() == BdevOp.WRITE && io.numBlocks() == BPC;
            if (whole) {
                heldOne.countDown();
            }
            return whole;
        });
        long before = faulty.writes();
        byte[] a = pattern(41, 4096);
        byte[] b = pattern(42, 4096);
        CompletableFuture<Done> first = submitFrom(core("core0"), v, 8, a);
        assertThat(heldOne.await(TestIo.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Done> second = submitFrom(core("core1"), v, 64, b);
        assertThat(second).as("the second writer waits for the first").isNotDone();
        assertThat(faulty.heldCount()).isEqualTo(1);
        faulty.releaseHeld();
        Done d1 = first.get(TestIo.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        Done d2 = second.get(TestIo.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(d1.status()).isEqualTo(BdevStatus.SUCCESS);
        assertThat(d2.status()).isEqualTo(BdevStatus.SUCCESS);
        assertThat(d1.thread()).isEqualTo("core0");
        assertThat(d2.thread()).as("resumed on its own core").isEqualTo("core1");
        assertThat(store.freeClusters()).as("one cluster allocated").isEqualTo(free - 1);
        // One whole-cluster write, one journal record, one in-place write of the second.
        assertThat(faulty.writes() - before).isEqualTo(3);
        byte[] expected = shared ? base.clone() : new byte[CLUSTER];
        System.arraycopy(a, 0, expected, 8 * 512, a.length);
        System.arraycopy(b, 0, expected, 64 * 512, b.length);
        assertReads(v, 0, expected, "both writes");
        if (shared) {
            assertReads(store.volume("s"), 0, base, "snapshot");
        }
        assertThat(store.inFlight).isEmpty();
    }

    @Test
    void twoWritersOfOneUnallocatedClusterAllocateItOnce() throws Exception {
        concurrentFirstWrites(false);
    }

    @Test
    void twoWritersOfOneSharedClusterCopyItOnce() throws Exception {
        concurrentFirstWrites(true);
    }

    @Test
    void manyCoresWritingInterleavedBlocksLoseNothing() throws Exception {
        store = LvolStore.create("lvs0", member, CLUSTER, 16);
        Lvol v = store.createVolume("v", 32L * CLUSTER, true);
        int writers = 4;
        int perWriter = 400;
        List<ExecutorService> cs = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            cs.add(core("core" + w));
        }
        byte[][] model = new byte[(int) v.blockCount()][];
        List<CompletableFuture<Integer>> all = new ArrayList<>();
        AtomicInteger failures = new AtomicInteger();
        for (int w = 0; w < writers; w++) {
            // Writer w owns blocks with block % writers == w, so clusters are shared between writers;
            // each block is written once, since outstanding writes of one block have no order.
            List<Integer> mine = new ArrayList<>();
            for (int b = w; b < v.blockCount(); b += writers) {
                mine.add(b);
            }
            Collections.shuffle(mine, new Random(50 + w));
            for (int k = 0; k < perWriter; k++) {
                int block = mine.get(k);
                byte[] data = pattern(1000L * w + k, 512);
                model[block] = data;
                ByteBuf buf = Unpooled.wrappedBuffer(data);
                bufs.add(buf);
                CompletableFuture<Integer> done = new CompletableFuture<>();
                all.add(done);
                ExecutorService c = cs.get(w);
                c.execute(() -> {
                    BdevIo io = new BdevIo();
                    io.prepare(BdevOp.WRITE, block, 1, buf, c, d -> {
                        if (d.status() != BdevStatus.SUCCESS) {
                            failures.incrementAndGet();
                        }
                        done.complete(d.status());
                    }, null);
                    v.submit(io);
                });
            }
        }
        CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).get(2 * TestIo.TIMEOUT_SECONDS,
                TimeUnit.SECONDS);
        assertThat(failures.get()).isZero();
        byte[] image = LvolTesting.read(v, 0, (int) v.blockCount());
        long touched = 0;
        for (int c = 0; c < 32; c++) {
            boolean any = false;
            for (int b = c * BPC; b < (c + 1) * BPC; b++) {
                byte[] want = model[b] == null ? new byte[512] : model[b];
                byte[] got = java.util.Arrays.copyOfRange(image, b * 512, (b + 1) * 512);
                TestIo.assertSameBytes(got, want, "block " + b);
                any |= model[b] != null;
            }
            if (any) {
                touched++;
            }
        }
        assertThat(store.freeClusters()).isEqualTo(store.clusterCount() - touched);
        assertThat(store.inFlight).isEmpty();
    }

    @Test
    void aFullStoreFailsThinWritesWithMediaErrorAndOthersKeepWorking() throws Exception {
        store = LvolStore.create("lvs0", member, CLUSTER);
        int total = store.clusterCount();
        Lvol thick = store.createVolume("thick", (long) (total - 3) * CLUSTER, false);
        assertThatThrownBy(() -> store.createVolume("big", 4L * CLUSTER, false))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no room");
        Lvol thin = store.createVolume("thin", 10L * CLUSTER, true);
        byte[] t = pattern(60, 4096);
        mustWrite(thick, 0, t);
        for (int c = 0; c < 3; c++) {
            mustWrite(thin, (long) c * BPC, pattern(61 + c, 512));
        }
        assertThat(store.freeClusters()).isZero();
        assertThat(write(thin, 5L * BPC, pattern(70, 512))).isEqualTo(BdevStatus.MEDIA_ERROR);
        assertThat(write(thin, 3L * BPC - 1, pattern(71, 1024))).as("spanning into a new cluster")
                .isEqualTo(BdevStatus.MEDIA_ERROR);
        assertThat(store.freeClusters()).isZero();
        // Everything already allocated keeps working.
        for (int c = 0; c < 3; c++) {
            assertReads(thin, (long) c * BPC, pattern(61 + c, 512), "thin cluster " + c);
        }
        byte[] t2 = pattern(72, 8192);
        mustWrite(thick, 100L * 1, t2);
        assertReads(thick, 100, t2, "thick after the thin one ran out");
        mustWrite(thin, 1, pattern(73, 512));
        assertReads(thin, 1, pattern(73, 512), "thin in an allocated cluster");
        assertThat(LvolTesting.read(thin, 5L * BPC, 1)).containsOnly(0);
        store.delete("thin");
        assertThat(store.freeClusters()).isEqualTo(3);
        assertReads(thick, 0, t, "thick untouched");
    }
}
