package org.k200emu.bdev.lvol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.k200emu.bdev.lvol.LvolTesting.KIB;
import static org.k200emu.bdev.lvol.LvolTesting.assertReads;
import static org.k200emu.bdev.lvol.LvolTesting.assertZeroes;
import static org.k200emu.bdev.lvol.LvolTesting.mustWrite;
import static org.k200emu.bdev.lvol.LvolTesting.pattern;
import static org.k200emu.bdev.lvol.LvolTesting.write;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.TestIo;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.testing.FaultyBdev;

class LvolStoreTest {

    static final int CLUSTER = 64 * KIB;
    /** 512-byte blocks per cluster. */
    static final int BPC = CLUSTER / 512;

    private MallocBdev member;
    private LvolStore store;

    @BeforeEach
    void setUp() {
        member = new MallocBdev("m0", 512, 32 * 1024);
        store = LvolStore.create("lvs0", member, CLUSTER);
    }

    @AfterEach
    void tearDown() {
        store.close();
        member.close();
    }

    private LvolInfo info(String name) {
        return store.volumes().stream().filter(i -> i.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void formatsABlankMemberAndRefusesAForeignOne() {
        assertThat(store.clusterCount()).isGreaterThan(200);
        assertThat(store.freeClusters()).isEqualTo(store.clusterCount());
        MallocBdev other = new MallocBdev("m1", 512, 8192);
        try {
            TestIo.inline(other, BdevOp.WRITE, 0, 1, Unpooled.wrappedBuffer(pattern(1, 512)));
            assertThatThrownBy(() -> LvolStore.create("x", other, CLUSTER))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("neither blank");
            assertThatThrownBy(() -> LvolStore.create("x", new MallocBdev("m2", 512, 8192), 1000))
                    .isInstanceOf(IllegalArgumentException.class);
        } finally {
            other.close();
        }
    }

    @Test
    void thickVolumeReadsBackWhatWasWrittenAndZeroesElsewhere() throws Exception {
        long free = store.freeClusters();
        Lvol v = store.createVolume("thick", 10L * CLUSTER, false);
        assertThat(v.module()).isEqualTo("lvol");
        assertThat(v.name()).isEqualTo("lvs0/thick");
        assertThat(v.blockCount()).isEqualTo(10L * BPC);
        assertThat(store.freeClusters()).isEqualTo(free - 10);
        assertThat(info("thick").allocatedBytes()).isEqualTo(10L * CLUSTER);
        // Spans three clusters, starting mid-cluster.
        byte[] data = pattern(2, 2 * CLUSTER + 4 * KIB);
        mustWrite(v, BPC / 2, data);
        assertReads(v, BPC / 2, data, "thick");
        assertZeroes(v, 0, BPC / 2, "thick head");
        assertZeroes(v, 5L * BPC, BPC, "thick unwritten cluster");
        assertThat(store.freeClusters()).isEqualTo(free - 10);
    }

    @Test
    void aThickVolumeOnReusedClustersReadsZeroes() throws Exception {
        int all = store.clusterCount();
        Lvol thin = store.createVolume("old", (long) all * CLUSTER, true);
        for (int c = 0; c < all; c++) {
            mustWrite(thin, (long) c * BPC, pattern(c, CLUSTER));
        }
        assertThat(store.freeClusters()).isZero();
        store.delete("old");
        Lvol thick = store.createVolume("thick", (long) all * CLUSTER, false);
        assertZeroes(thick, 0, all * BPC, "thick over freed clusters");
    }

    @Test
    void thinVolumeAllocatesOnlyWrittenClusters() throws Exception {
        long free = store.freeClusters();
        Lvol v = store.createVolume("thin", 100L * CLUSTER, true);
        assertThat(store.freeClusters()).isEqualTo(free);
        assertThat(info("thin").allocatedBytes()).isZero();
        assertZeroes(v, 0, 4 * BPC, "fresh thin");
        byte[] a = pattern(3, 4 * KIB);
        mustWrite(v, 3L * BPC + 8, a);
        assertThat(info("thin").allocatedBytes()).isEqualTo(CLUSTER);
        mustWrite(v, 3L * BPC + 64, a);
        assertThat(info("thin").allocatedBytes()).as("same cluster again").isEqualTo(CLUSTER);
        byte[] b = pattern(4, CLUSTER);
        mustWrite(v, 50L * BPC + BPC / 2, b);
        assertThat(info("thin").allocatedBytes()).isEqualTo(3L * CLUSTER);
        assertThat(store.freeClusters()).isEqualTo(free - 3);
        assertReads(v, 3L * BPC + 8, a, "first");
        assertReads(v, 3L * BPC + 64, a, "second");
        assertReads(v, 50L * BPC + BPC / 2, b, "spanning");
        assertZeroes(v, 3L * BPC, 8, "rest of a fresh cluster");
        assertZeroes(v, 50L * BPC, BPC / 2, "head of a fresh cluster");
    }

    @Test
    void badRequestsCompleteWithTheRightStatus() throws Exception {
        Lvol v = store.createVolume("v", 2L * CLUSTER, true);
        ByteBuf buf = Unpooled.buffer(512);
        try {
            assertThat(TestIo.inline(v, BdevOp.READ, 2L * BPC, 1, buf)).isEqualTo(BdevStatus.OUT_OF_RANGE);
            assertThat(TestIo.inline(v, BdevOp.UNMAP, 0, 1, null)).isEqualTo(BdevStatus.UNSUPPORTED);
            buf.writeZero(100);
            assertThat(TestIo.inline(v, BdevOp.WRITE, 0, 1, buf)).isEqualTo(BdevStatus.BAD_BUFFER);
            assertThat(TestIo.inline(v, BdevOp.FLUSH, 0, 0, null)).isEqualTo(BdevStatus.SUCCESS);
        } finally {
            buf.release();
        }
        assertThatThrownBy(() -> store.createVolume("v", CLUSTER, true)).hasMessageContaining("exists");
        assertThatThrownBy(() -> store.createVolume("w", 100, true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.volume("nope")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void snapshotKeepsOldDataAndTheVolumeTakesNewWritesCopyOnWrite() throws Exception {
        Lvol v = store.createVolume("v", 4L * CLUSTER, false);
        byte[] old = pattern(5, 4 * CLUSTER);
        mustWrite(v, 0, old);
        long free = store.freeClusters();
        Lvol s = store.snapshot("v", "snap");
        assertThat(store.freeClusters()).as("a snapshot shares everything").isEqualTo(free);
        assertThat(s.readOnly()).isTrue();
        assertThat(s.supports(BdevOp.WRITE)).isFalse();
        assertThat(write(s, 0, pattern(6, 512))).isEqualTo(BdevStatus.UNSUPPORTED);
        byte[] fresh = pattern(7, 4 * KIB);
        mustWrite(v, BPC + 16, fresh);
        assertThat(store.freeClusters()).as("one cluster copied").isEqualTo(free - 1);
        assertReads(s, 0, old, "snapshot");
        byte[] expected = old.clone();
        System.arraycopy(fresh, 0, expected, CLUSTER + 16 * 512, fresh.length);
        assertReads(v, 0, expected, "volume");
        mustWrite(v, BPC + 100, fresh);
        assertThat(store.freeClusters()).as("the copy is the volume's own now").isEqualTo(free - 1);
        assertThat(info("v").parent()).isEqualTo("snap");
        assertThat(info("snap").allocatedBytes()).isEqualTo(4L * CLUSTER);
    }

    @Test
    void cloneReadsTheSnapshotAndDivergesOnWrite() throws Exception {
        Lvol v = store.createVolume("v", 3L * CLUSTER, true);
        byte[] base = pattern(8, 2 * CLUSTER);
        mustWrite(v, 0, base);
        store.snapshot("v", "snap");
        Lvol c = store.clone("snap", "clone");
        assertThat(info("clone").parent()).isEqualTo("snap");
        assertReads(c, 0, base, "clone before writes");
        assertZeroes(c, 2L * BPC, BPC, "clone of an unallocated cluster");
        byte[] mine = pattern(9, 512);
        mustWrite(c, 5, mine);
        mustWrite(c, 2L * BPC + 1, mine);
        assertReads(c, 5, mine, "clone after write");
        assertReads(c, 2L * BPC + 1, mine, "clone's own new cluster");
        assertReads(store.volume("snap"), 0, base, "snapshot untouched");
        assertReads(v, 0, base, "origin untouched");
        assertZeroes(v, 2L * BPC, BPC, "origin's third cluster");
        assertThatThrownBy(() -> store.clone("v", "bad")).hasMessageContaining("not a snapshot");
    }

    @Test
    void chainsOfClonesAndSnapshotsKeepEachGenerationApart() throws Exception {
        Lvol v = store.createVolume("v", 2L * CLUSTER, true);
        byte[] g0 = pattern(10, 2 * CLUSTER);
        mustWrite(v, 0, g0);
        store.snapshot("v", "s0");
        Lvol c1 = store.clone("s0", "c1");
        byte[] g1 = pattern(11, 1024);
        mustWrite(c1, 10, g1);
        store.snapshot("c1", "s1");
        Lvol c2 = store.clone("s1", "c2");
        byte[] g2 = pattern(12, 1024);
        mustWrite(c2, BPC + 3, g2);
        mustWrite(c1, 10, g2);

        byte[] e1 = g0.clone();
        System.arraycopy(g1, 0, e1, 10 * 512, g1.length);
        assertReads(store.volume("s1"), 0, e1, "s1");
        byte[] e2 = e1.clone();
        System.arraycopy(g2, 0, e2, (BPC + 3) * 512, g2.length);
        assertReads(c2, 0, e2, "c2");
        byte[] ec1 = g0.clone();
        System.arraycopy(g2, 0, ec1, 10 * 512, g2.length);
        assertReads(c1, 0, ec1, "c1");
        assertReads(store.volume("s0"), 0, g0, "s0");
        assertReads(v, 0, g0, "v");
        assertThat(info("c2").parent()).isEqualTo("s1");
        assertThat(info("s1").parent()).isEqualTo("s0");
        assertThat(info("c1").parent()).isEqualTo("s1");
    }

    @Test
    void resizeGrowsKeepingDataAndRefusesToShrink() throws Exception {
        Lvol thin = store.createVolume("thin", 2L * CLUSTER, true);
        Lvol thick = store.createVolume("thick", 2L * CLUSTER, false);
        byte[] a = pattern(13, 2 * CLUSTER);
        mustWrite(thin, 0, a);
        mustWrite(thick, 0, a);
        long free = store.freeClusters();
        store.resize("thin", 5L * CLUSTER);
        store.resize("thick", 5L * CLUSTER);
        assertThat(store.freeClusters()).as("only the thick volume allocates").isEqualTo(free - 3);
        assertThat(thin.blockCount()).isEqualTo(5L * BPC);
        assertReads(thin, 0, a, "thin after grow");
        assertReads(thick, 0, a, "thick after grow");
        assertZeroes(thin, 2L * BPC, 3 * BPC, "thin grown part");
        assertZeroes(thick, 2L * BPC, 3 * BPC, "thick grown part");
        byte[] b = pattern(14, 4096);
        mustWrite(thin, 4L * BPC, b);
        assertReads(thin, 4L * BPC, b, "write to grown part");
        assertThatThrownBy(() -> store.resize("thin", CLUSTER)).hasMessageContaining("shrinking");
    }

    @Test
    void deleteFreesClustersOnlyWhenNoOneSharesThem() throws Exception {
        long free0 = store.freeClusters();
        Lvol v = store.createVolume("v", 4L * CLUSTER, true);
        byte[] a = pattern(15, 4 * CLUSTER);
        mustWrite(v, 0, a);
        store.snapshot("v", "snap");
        Lvol c = store.clone("snap", "clone");
        mustWrite(c, 0, pattern(16, 512));
        assertThat(store.freeClusters()).isEqualTo(free0 - 5);
        store.delete("snap");
        assertThat(store.freeClusters()).as("v and the clone still hold the clusters").isEqualTo(free0 - 5);
        assertReads(v, 0, a, "v after deleting its snapshot");
        assertThat(info("clone").parent()).isNull();
        store.delete("v");
        assertThat(store.freeClusters()).as("the clone holds four").isEqualTo(free0 - 4);
        assertThat(write(v, 0, a)).isEqualTo(BdevStatus.ABORTED);
        store.delete("clone");
        assertThat(store.freeClusters()).isEqualTo(free0);
        assertThat(store.volumes()).isEmpty();
        Lvol thick = store.createVolume("thick", 7L * CLUSTER, false);
        assertThat(store.freeClusters()).isEqualTo(free0 - 7);
        store.delete(thick.volumeName());
        assertThat(store.freeClusters()).isEqualTo(free0);
    }

    @Test
    void aWriteOnAVolumeWhoseMemberFailsReportsMediaErrorAndLeaksNothing() throws Exception {
        store.close();
        member.close();
        member = new MallocBdev("m0", 512, 32 * 1024);
        FaultyBdev faulty = new FaultyBdev(member).keepInnerOpen();
        store = LvolStore.create("lvs0", faulty, CLUSTER);
        Lvol v = store.createVolume("v", 2L * CLUSTER, true);
        byte[] a = pattern(17, CLUSTER);
        mustWrite(v, 0, a);
        store.snapshot("v", "snap");
        long free = store.freeClusters();
        faulty.failWhen(io -> io.op() == BdevOp.WRITE);
        assertThat(write(v, 0, pattern(18, 512))).isEqualTo(BdevStatus.MEDIA_ERROR);
        assertThat(write(v, BPC, pattern(18, 512))).isEqualTo(BdevStatus.MEDIA_ERROR);
        faulty.failWhen(io -> false);
        assertThat(store.freeClusters()).isEqualTo(free);
        assertThat(store.inFlight).isEmpty();
        assertReads(v, 0, a, "old data after a failed copy");
        faulty.failWhen(io -> io.op() == BdevOp.READ);
        assertThat(LvolTesting.io(v, BdevOp.READ, 0, 1, Unpooled.buffer(512), Runnable::run))
                .isEqualTo(BdevStatus.MEDIA_ERROR);
        faulty.failWhen(io -> false);
    }
}
