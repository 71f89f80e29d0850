package org.k200emu.bdev.lvol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.k200emu.bdev.lvol.LvolTesting.KIB;
import static org.k200emu.bdev.lvol.LvolTesting.assertReads;
import static org.k200emu.bdev.lvol.LvolTesting.assertZeroes;
import static org.k200emu.bdev.lvol.LvolTesting.mustWrite;
import static org.k200emu.bdev.lvol.LvolTesting.pattern;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.TestIo;
import org.k200emu.bdev.file.FileBdev;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.testing.FaultyBdev;

/** Restarts and crashes: what was acknowledged survives, what was not leaves no trace or leak. */
class LvolPersistenceTest {

    static final int CLUSTER = 64 * KIB;
    static final int BPC = CLUSTER / 512;

    private final MallocBdev member = new MallocBdev("m0", 512, 32 * 1024);
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        member.close();
    }

    private LvolStore open(org.k200emu.bdev.Bdev m, int cluster) {
        LvolStore s = LvolStore.create("lvs0", m, cluster);
        toClose.add(s);
        return s;
    }

    /** Writes a family of volumes: v (thin) with snapshot s and clone c, and a thick t. */
    private static byte[][] populate(LvolStore store, int cluster, int bpc) throws Exception {
        Lvol v = store.createVolume("v", 4L * cluster, true);
        Lvol t = store.createVolume("t", 3L * cluster, false);
        byte[] a = pattern(20, 2 * cluster);
        byte[] b = pattern(21, 4096);
        byte[] c = pattern(22, 4096);
        byte[] d = pattern(23, 4096);
        mustWrite(v, 0, a);
        mustWrite(t, bpc, a);
        store.snapshot("v", "s");
        Lvol clone = store.clone("s", "c");
        mustWrite(v, 0, b);
        mustWrite(clone, (long) bpc + 8, c);
        mustWrite(clone, 3L * bpc, d);
        return new byte[][] {a, b, c, d};
    }

    private static void verify(LvolStore store, byte[][] data, int cluster, int bpc) throws Exception {
        byte[] a = data[0];
        assertThat(store.volumes()).extracting(LvolInfo::name).containsExactly("c", "s", "t", "v");
        assertThat(store.volumes().stream().filter(i -> i.name().equals("c")).findFirst().orElseThrow().parent())
                .isEqualTo("s");
        assertReads(store.volume("s"), 0, a, "snapshot");
        byte[] v = a.clone();
        System.arraycopy(data[1], 0, v, 0, data[1].length);
        assertReads(store.volume("v"), 0, v, "volume");
        byte[] c = a.clone();
        System.arraycopy(data[2], 0, c, (bpc + 8) * store.volume("c").blockSize(), data[2].length);
        assertReads(store.volume("c"), 0, c, "clone");
        assertReads(store.volume("c"), 3L * bpc, data[3], "clone's own cluster");
        assertZeroes(store.volume("v"), 2L * bpc, 2 * bpc, "volume's unwritten clusters");
        assertReads(store.volume("t"), bpc, a, "thick");
        assertThat(store.volume("s").readOnly()).isTrue();
        assertThat(store.volume("t").thin()).isFalse();
    }

    @Test
    void reopenOverTheSameMallocMemberKeepsEverything() throws Exception {
        LvolStore store = open(member, CLUSTER);
        byte[][] data = populate(store, CLUSTER, BPC);
        long free = store.freeClusters();
        store.close();
        LvolStore again = open(member, 4 * CLUSTER);
        assertThat(again.clusterBytes()).as("the member's own cluster size").isEqualTo(CLUSTER);
        assertThat(again.freeClusters()).isEqualTo(free);
        verify(again, data, CLUSTER, BPC);
        mustWrite(again.volume("v"), 2L * BPC, pattern(24, 512));
        assertThat(again.freeClusters()).isEqualTo(free - 1);
    }

    @Test
    void aCrashKeepsAcknowledgedWritesThroughTheJournal() throws Exception {
        LvolStore store = open(member, CLUSTER);
        byte[][] data = populate(store, CLUSTER, BPC);
        long free = store.freeClusters();
        store.crash();
        LvolStore again = open(member, CLUSTER);
        assertThat(again.freeClusters()).isEqualTo(free);
        verify(again, data, CLUSTER, BPC);
    }

    @Test
    void reopenOverAFileBdevKeepsEverything(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("lvs.img");
        int cluster = 1 << 20;
        int bpc = cluster / 4096;
        FileBdev f = FileBdev.open("f0", file, 32L << 20, 4096, true, 2);
        LvolStore store = LvolStore.create("lvs0", f, cluster);
        byte[][] data = populate(store, cluster, bpc);
        long free = store.freeClusters();
        store.close();
        f.close();

        f = FileBdev.open("f0", file, -1, 4096, false, 2);
        store = LvolStore.create("lvs0", f, cluster);
        assertThat(LvolTesting.io(store.volume("v"), BdevOp.FLUSH, 0, 0, null, Runnable::run))
                .isEqualTo(BdevStatus.SUCCESS);
        assertThat(store.freeClusters()).isEqualTo(free);
        verify(store, data, cluster, bpc);
        // Crash this time: writes after the last checkpoint live in the journal only.
        byte[] e = pattern(25, 8192);
        mustWrite(store.volume("c"), 2L * bpc, e);
        store.crash();
        f.close();

        f = FileBdev.open("f0", file, -1, 4096, false, 2);
        store = LvolStore.create("lvs0", f, cluster);
        try {
            verify(store, data, cluster, bpc);
            assertReads(store.volume("c"), 2L * bpc, e, "journalled write");
            assertThat(store.freeClusters()).isEqualTo(free - 1);
        } finally {
            store.close();
            f.close();
        }
    }

    /** Submits a write that will not complete; returns its future. */
    private static CompletableFuture<Integer> startWrite(Lvol v, long lba, byte[] bytes, List<ByteBuf> bufs) {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        bufs.add(buf);
        BdevIo io = new BdevIo();
        io.prepare(BdevOp.WRITE, lba, bytes.length / 512, buf, Runnable::run, d -> done.complete(d.status()), null);
        v.submit(io);
        return done;
    }

    @Test
    void aCrashBeforeTheMapSwitchLeavesOldDataAndLeaksNoCluster() throws Exception {
        FaultyBdev faulty = new FaultyBdev(member).keepInnerOpen();
        LvolStore store = open(faulty, CLUSTER);
        Lvol v = store.createVolume("v", 4L * CLUSTER, true);
        byte[] a = pattern(26, 2 * CLUSTER);
        mustWrite(v, 0, a);
        store.snapshot("v", "s");
        long free = store.freeClusters();
        // The cluster copies land, their journal records never do (journal: blocks 1..512).
        faulty.hold(io -> io.op() == BdevOp.WRITE && io.offsetBlocks() >= 1
                && io.offsetBlocks() <= LvolStore.DEFAULT_JOURNAL_SLOTS);
        List<ByteBuf> bufs = new ArrayList<>();
        CompletableFuture<Integer> cow = startWrite(v, 4, pattern(27, 4096), bufs);
        CompletableFuture<Integer> first = startWrite(v, 3L * BPC, pattern(28, 4096), bufs);
        assertThat(faulty.heldCount()).isEqualTo(2);
        assertThat(cow).isNotDone();
        assertThat(first).isNotDone();
        store.crash();
        // The power is gone: the records never land; their I/Os end so their scratch is freed.
        faulty.completeHeld(BdevStatus.MEDIA_ERROR);
        assertThat(cow.get(TestIo.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo(BdevStatus.MEDIA_ERROR);
        assertThat(first.get(TestIo.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo(BdevStatus.MEDIA_ERROR);
        bufs.forEach(ByteBuf::release);

        LvolStore again = open(member, CLUSTER);
        assertThat(again.freeClusters()).as("the copies' clusters are free again").isEqualTo(free);
        assertReads(again.volume("v"), 0, a, "old data of the copied cluster");
        assertZeroes(again.volume("v"), 3L * BPC, BPC, "the never-mapped cluster");
        assertReads(again.volume("s"), 0, a, "snapshot");
    }

    @Test
    void aRecordThatLandedIsReplayedEvenIfItsAcknowledgementWasLost() throws Exception {
        FaultyBdev faulty = new FaultyBdev(member).keepInnerOpen();
        LvolStore store = open(faulty, CLUSTER);
        Lvol v = store.createVolume("v", 2L * CLUSTER, true);
        byte[] a = pattern(29, CLUSTER);
        mustWrite(v, 0, a);
        store.snapshot("v", "s");
        faulty.hold(io -> io.op() == BdevOp.WRITE && io.offsetBlocks() >= 1
                && io.offsetBlocks() <= LvolStore.DEFAULT_JOURNAL_SLOTS);
        List<ByteBuf> bufs = new ArrayList<>();
        byte[] b = pattern(30, 4096);
        CompletableFuture<Integer> w = startWrite(v, 0, b, bufs);
        assertThat(faulty.heldCount()).isEqualTo(1);
        store.crash();
        faulty.releaseHeld();
        // The record reached the member; the write ends ABORTED or SUCCESS, never hangs.
        assertThat(w.get(TestIo.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isIn(BdevStatus.SUCCESS, BdevStatus.ABORTED);
        bufs.forEach(ByteBuf::release);

        LvolStore again = open(member, CLUSTER);
        byte[] expected = a.clone();
        System.arraycopy(b, 0, expected, 0, b.length);
        assertReads(again.volume("v"), 0, expected, "replayed copy-on-write");
        assertReads(again.volume("s"), 0, a, "snapshot");
        assertThat(again.freeClusters()).isEqualTo(again.clusterCount() - 2);
    }

    @Test
    void aFailedCheckpointFailsTheControlOperationAndTheOldStateSurvives() throws Exception {
        FaultyBdev faulty = new FaultyBdev(member).keepInnerOpen();
        LvolStore store = open(faulty, CLUSTER);
        Lvol v = store.createVolume("v", 2L * CLUSTER, true);
        byte[] a = pattern(31, CLUSTER);
        mustWrite(v, 0, a);
        long free = store.freeClusters();
        // Checkpoint headers lie past the journal: fail every metadata write beyond it.
        faulty.failWhen(io -> io.op() == BdevOp.WRITE && io.offsetBlocks() > LvolStore.DEFAULT_JOURNAL_SLOTS
                && io.offsetBlocks() < 2000 && io.numBlocks() == 1);
        assertThatThrownBy(() -> store.createVolume("w", CLUSTER, false)).isInstanceOf(IllegalStateException.class);
        store.crash();
        LvolStore again = open(member, CLUSTER);
        assertThat(again.volumes()).extracting(LvolInfo::name).containsExactly("v");
        assertThat(again.freeClusters()).isEqualTo(free);
        assertReads(again.volume("v"), 0, a, "data before the failed checkpoint");
    }

    @Test
    void aSmallJournalWrapsThroughCheckpointsAndStillReplays() throws Exception {
        LvolStore store = LvolStore.create("lvs0", member, CLUSTER, 8);
        toClose.add(store);
        Lvol v = store.createVolume("v", 120L * CLUSTER, true);
        ExecutorService core = Executors.newSingleThreadExecutor();
        List<ByteBuf> bufs = new ArrayList<>();
        try {
            List<CompletableFuture<Integer>> writes = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                ByteBuf buf = Unpooled.wrappedBuffer(pattern(100 + i, 512));
                bufs.add(buf);
                CompletableFuture<Integer> done = new CompletableFuture<>();
                writes.add(done);
                long lba = (long) i * BPC + i % BPC;
                core.execute(() -> {
                    BdevIo io = new BdevIo();
                    io.prepare(BdevOp.WRITE, lba, 1, buf, core, d -> done.complete(d.status()), null);
                    v.submit(io);
                });
            }
            for (CompletableFuture<Integer> w : writes) {
                assertThat(w.get(TestIo.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo(BdevStatus.SUCCESS);
            }
        } finally {
            core.shutdown();
            bufs.forEach(ByteBuf::release);
        }
        assertThat(store.generation()).as("checkpoints taken to free journal slots").isGreaterThan(10);
        store.crash();
        LvolStore again = open(member, CLUSTER);
        assertThat(again.freeClusters()).isEqualTo(again.clusterCount() - 100);
        for (int i = 0; i < 100; i++) {
            assertReads(again.volume("v"), (long) i * BPC + i % BPC, pattern(100 + i, 512), "write " + i);
        }
    }

    @Test
    void aFailedJournalWriteFailsTheWriteAndItsClusterComesBackAtReopen() throws Exception {
        FaultyBdev faulty = new FaultyBdev(member).keepInnerOpen();
        LvolStore store = open(faulty, CLUSTER);
        Lvol v = store.createVolume("v", 2L * CLUSTER, true);
        long free = store.freeClusters();
        faulty.failWhen(io -> io.op() == BdevOp.WRITE && io.offsetBlocks() >= 1
                && io.offsetBlocks() <= LvolStore.DEFAULT_JOURNAL_SLOTS);
        assertThat(LvolTesting.write(v, 0, pattern(32, 512))).isEqualTo(BdevStatus.MEDIA_ERROR);
        faulty.failWhen(io -> false);
        // The record may have landed, so the cluster stays taken until the next open decides.
        assertThat(store.freeClusters()).isEqualTo(free - 1);
        assertZeroes(v, 0, BPC, "the failed write is not mapped");
        store.crash();
        LvolStore again = open(member, CLUSTER);
        assertThat(again.freeClusters()).isEqualTo(free);
        assertZeroes(again.volume("v"), 0, BPC, "after reopen");
    }
}
