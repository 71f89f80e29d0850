package org.k200emu.bdev.raid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.k200emu.bdev.raid.RaidTesting.assertVolume;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.TestIo;
import org.k200emu.bdev.TestIo.Done;
import org.k200emu.bdev.TestIo.RecordingExecutor;
import org.k200emu.bdev.file.FileBdev;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.raid.RaidTesting.Read;
import org.k200emu.bdev.testing.FaultyBdev;
import org.k200emu.testing.Bytes;

/** The RaidBdev as a bdev: geometry, configuration checks, the I/O contract, each operation. */
class RaidBdevTest {

    private final List<Bdev> opened = new ArrayList<>();
    private final List<RaidBdev> raids = new ArrayList<>();
    private ExecutorService coreThread;

    @TempDir
    Path dir;

    @AfterEach
    void tearDown() throws Exception {
        raids.forEach(RaidBdev::close);
        opened.forEach(Bdev::close);
        if (coreThread != null) {
            coreThread.shutdown();
            assertThat(coreThread.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        }
    }

    private List<Bdev> mallocs(int n, int blockSize, long blocks) {
        List<Bdev> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            MallocBdev m = new MallocBdev("m" + opened.size(), blockSize, blocks);
            opened.add(m);
            list.add(m);
        }
        return list;
    }

    private RaidBdev raid(int level, List<Bdev> members, int strip) {
        RaidBdev raid = RaidBdev.create("raid0", level, members, strip);
        raids.add(raid);
        return raid;
    }

    @ParameterizedTest(name = "RAID {0} over {1}")
    @CsvSource({
        "0, 3, 3", "1, 3, 1", "10, 4, 2", "10, 6, 3", "5, 3, 2", "5, 6, 5", "6, 4, 2", "6, 7, 5",
    })
    void capacityIsDataStripsTimesTheRowsOfTheSmallestMember(int level, int n, int dataStrips) {
        List<Bdev> members = mallocs(n - 1, 512, 2000);
        members.add(1, mallocs(1, 512, 16 + 10 * 128 + 100).get(0)); // the smallest: 10 strips and a bit
        RaidBdev raid = raid(level, members, 64 * 1024);
        assertThat(raid.name()).isEqualTo("raid0");
        assertThat(raid.module()).isEqualTo("raid");
        assertThat(raid.level()).isEqualTo(level);
        assertThat(raid.stripBytes()).isEqualTo(65536);
        assertThat(raid.memberCount()).isEqualTo(n);
        assertThat(raid.blockSize()).isEqualTo(512);
        assertThat(raid.blockCount()).isEqualTo(10L * 128 * dataStrips);
        assertThat(raid.hasVolatileWriteCache()).isFalse();
        for (BdevOp op : BdevOp.values()) {
            assertThat(raid.supports(op)).as(op.name()).isTrue();
        }
        assertThat(raid.members()).extracting(MemberStatus::state).containsOnly(MemberState.HEALTHY);
        assertThat(raid.members()).extracting(MemberStatus::bdev)
                .containsExactlyElementsOf(members.stream().map(Bdev::name).toList());
        assertThat(raid.member(0).progress()).isEqualTo(1.0);
    }

    @Test
    void rejectsConfigurationsThatDoNotMakeAnArray() {
        List<Bdev> three = mallocs(3, 512, 1000);
        assertThatThrownBy(() -> RaidBdev.create("r", 3, three, 4096)).hasMessageContaining("level must be");
        assertThatThrownBy(() -> RaidBdev.create("r", 5, three.subList(0, 2), 4096)).hasMessageContaining("at least 3");
        assertThatThrownBy(() -> RaidBdev.create("r", 6, three, 4096)).hasMessageContaining("at least 4");
        assertThatThrownBy(() -> RaidBdev.create("r", 10, three, 4096)).hasMessageContaining("even number");
        assertThatThrownBy(() -> RaidBdev.create("r", 0, three.subList(0, 1), 4096)).hasMessageContaining("at least 2");
        assertThatThrownBy(() -> RaidBdev.create("r", 5, three, 1000)).hasMessageContaining("multiple of the block");
        assertThatThrownBy(() -> RaidBdev.create("r", 5, three, 0)).hasMessageContaining("strip size");
        assertThatThrownBy(() -> RaidBdev.create("r", 5, three, 1 << 20)).hasMessageContaining("too small");
        assertThatThrownBy(() -> RaidBdev.create(" ", 5, three, 4096)).hasMessageContaining("name");
        assertThatThrownBy(() -> RaidBdev.create("r", 5, List.of(), 4096)).hasMessageContaining("needs members");
        assertThatThrownBy(() -> RaidBdev.create("r", 1, List.of(three.get(0), three.get(0)), 4096))
                .hasMessageContaining("given twice");
        List<Bdev> mixed = new ArrayList<>(three);
        mixed.add(mallocs(1, 4096, 1000).get(0));
        assertThatThrownBy(() -> RaidBdev.create("r", 5, mixed, 4096)).hasMessageContaining("one block size");
        for (Throwable t : List.of(catchIt(() -> RaidBdev.create("r", 3, three, 4096)))) {
            assertThat(t).isInstanceOf(IllegalArgumentException.class);
        }
    }

    private static Throwable catchIt(Runnable r) {
        try {
            r.run();
            return null;
        } catch (RuntimeException e) {
            return e;
        }
    }

    @ParameterizedTest(name = "{0} lba={1} n={2}")
    @CsvSource({
        "READ, 1536, 1", "READ, 1535, 2", "READ, -1, 1", "WRITE, 1536, 1", "WRITE, 1530, 8",
        "WRITE_ZEROES, 1000, 537", "UNMAP, 9223372036854775807, 1",
    })
    void outOfRangeIsRefusedInline(BdevOp op, long lba, long blocks) {
        RaidBdev raid = raid(5, mallocs(4, 512, 16 + 64 * 8), 4096);
        assertThat(raid.blockCount()).isEqualTo(1536);
        ByteBuf buf = Unpooled.buffer(8 * 512);
        try {
            if (op == BdevOp.WRITE) {
                buf.writeBytes(Bytes.random(1, 8 * 512));
            }
            assertThat(TestIo.inline(raid, op, lba, blocks, buf)).isEqualTo(BdevStatus.OUT_OF_RANGE);
        } finally {
            buf.release();
        }
    }

    @Test
    void buffersMustFitTheBlocks() {
        RaidBdev raid = raid(6, mallocs(4, 512, 16 + 64 * 8), 4096);
        ByteBuf small = Unpooled.wrappedBuffer(new byte[511]);
        ByteBuf bounded = Unpooled.buffer(0, 1023);
        try {
            assertThat(TestIo.inline(raid, BdevOp.WRITE, 0, 1, small)).isEqualTo(BdevStatus.BAD_BUFFER);
            assertThat(TestIo.inline(raid, BdevOp.WRITE, 0, 1, null)).isEqualTo(BdevStatus.BAD_BUFFER);
            assertThat(TestIo.inline(raid, BdevOp.READ, 0, 2, bounded)).isEqualTo(BdevStatus.BAD_BUFFER);
            assertThat(TestIo.inline(raid, BdevOp.READ, 0, 1, null)).isEqualTo(BdevStatus.BAD_BUFFER);
            assertThat(TestIo.inline(raid, BdevOp.READ, 5, 0, bounded)).as("no blocks").isEqualTo(BdevStatus.SUCCESS);
            assertThat(bounded.writerIndex()).isZero();
        } finally {
            small.release();
            bounded.release();
        }
    }

    @Test
    void readsAppendAtTheWriterIndexAndWritesLeaveTheSourceIndexesAlone() throws Exception {
        RaidBdev raid = raid(5, mallocs(3, 512, 16 + 64 * 8), 4096);
        byte[] data = Bytes.random(3, 20 * 512);
        ByteBuf src = Unpooled.buffer(5 + data.length).writeBytes(new byte[] {9, 9, 9, 9, 9}).writeBytes(data);
        src.skipBytes(5);
        ByteBuf dst = Unpooled.buffer(0).writeBytes(new byte[] {1, 2, 3});
        RecordingExecutor core = new RecordingExecutor(RaidTesting.INLINE);
        try {
            Done w = TestIo.await(raid, new BdevIo(), BdevOp.WRITE, 3, 20, src, core);
            assertThat(w.status()).isEqualTo(BdevStatus.SUCCESS);
            assertThat(src.readerIndex()).isEqualTo(5);
            assertThat(src.writerIndex()).isEqualTo(5 + data.length);
            // With healthy inline members a read completes inline, without the executor.
            assertThat(TestIo.inline(raid, BdevOp.READ, 3, 20, dst)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(dst.readerIndex()).isZero();
            byte[] got = ByteBufUtil.getBytes(dst);
            assertThat(Arrays.copyOf(got, 3)).containsExactly(1, 2, 3);
            TestIo.assertSameBytes(Arrays.copyOfRange(got, 3, got.length), data, "appended");
        } finally {
            src.release();
            dst.release();
        }
    }

    @ParameterizedTest
    @EnumSource(value = BdevOp.class, names = {"WRITE_ZEROES", "UNMAP"})
    void zeroingOpsWriteZeroesOverUnalignedRanges(BdevOp op) {
        RaidBdev raid = raid(6, mallocs(5, 512, 16 + 32 * 8), 4096);
        byte[] model = Bytes.random(4, (int) raid.blockCount() * 512);
        assertThat(RaidTesting.write(raid, 0, model)).isEqualTo(BdevStatus.SUCCESS);
        long[][] ranges = {{5, 3}, {20, 50}, {100, 200}, {raid.blockCount() - 7, 7}};
        for (long[] r : ranges) {
            assertThat(RaidTesting.op(raid, op, r[0], r[1])).isEqualTo(BdevStatus.SUCCESS);
            Arrays.fill(model, (int) r[0] * 512, (int) (r[0] + r[1]) * 512, (byte) 0);
        }
        assertVolume(raid, model, "after " + op);
        raid.failMember(1);
        raid.failMember(3);
        assertVolume(raid, model, "zeroes rebuilt from parity");
    }

    @Test
    void flushGoesToEveryMemberInService() {
        List<FaultyBdev> members = RaidTesting.wrap(mallocs(4, 512, 16 + 16 * 8));
        RaidBdev raid = raid(10, List.copyOf(members), 4096);
        members.get(2).failAll();
        raid.failMember(2);
        long[] before = members.stream().mapToLong(FaultyBdev::flushes).toArray();
        assertThat(RaidTesting.op(raid, BdevOp.FLUSH, 0, 0)).isEqualTo(BdevStatus.SUCCESS);
        for (int i = 0; i < 4; i++) {
            long flushes = members.get(i).flushes() - before[i];
            if (i == 2) {
                assertThat(flushes).as("failed member").isZero();
            } else {
                assertThat(flushes).as("member %d", i).isPositive();
            }
        }
        members.get(0).failAll(); // a flush error takes the member out, the array keeps its data
        assertThat(RaidTesting.op(raid, BdevOp.FLUSH, 0, 0)).isEqualTo(BdevStatus.SUCCESS);
        assertThat(raid.memberState(0)).isEqualTo(MemberState.FAILED);
    }

    @Test
    void largeIoOverManyRowsWith4kBlocks() {
        RaidBdev raid = raid(5, mallocs(4, 4096, 2 + 40 * 16), 64 * 1024);
        assertThat(raid.blockCount()).isEqualTo(40L * 3 * 16);
        byte[] model = new byte[(int) raid.blockCount() * 4096];
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < 6; i++) {
            long lba = random.nextLong(100);
            int blocks = (int) Math.min(300 + random.nextInt(600), raid.blockCount() - lba);
            byte[] data = Bytes.random(50 + i, blocks * 4096);
            assertThat(RaidTesting.write(raid, lba, data, RaidTesting.INLINE, i % 2 == 0))
                    .isEqualTo(BdevStatus.SUCCESS);
            System.arraycopy(data, 0, model, (int) lba * 4096, data.length);
        }
        assertVolume(raid, model, "large writes");
        raid.failMember(2);
        assertVolume(raid, model, "large degraded read");
    }

    @Test
    void afterCloseIoIsAborted() {
        RaidBdev raid = RaidBdev.create("r", 1, mallocs(2, 512, 16 + 8 * 8), 4096);
        raid.close();
        raid.close(); // idempotent
        ByteBuf buf = Unpooled.buffer(512);
        try {
            assertThat(TestIo.inline(raid, BdevOp.READ, 0, 1, buf)).isEqualTo(BdevStatus.ABORTED);
            assertThat(TestIo.inline(raid, BdevOp.FLUSH, 0, 0, null)).isEqualTo(BdevStatus.ABORTED);
        } finally {
            buf.release();
        }
        assertThatThrownBy(() -> raid.replace(0, mallocs(1, 512, 100).get(0), RaidTesting.INLINE))
                .isInstanceOf(IllegalStateException.class);
    }

    /** File members complete on worker threads: every completion must come back on the core. */
    @Test
    void overFileMembersCompletionsRunOnTheCoreAndTheArrayReopens() throws Exception {
        coreThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "raid-core"));
        Thread core = coreThread.submit(Thread::currentThread).get(5, TimeUnit.SECONDS);
        List<Bdev> files = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            files.add(FileBdev.open("f" + i, dir.resolve("d" + i), (16 + 32 * 8) * 512L, 512, true, 2));
        }
        opened.addAll(files);
        RaidBdev raid = RaidBdev.assemble("raid", 6, files, 4096);
        assertThat(raid.hasVolatileWriteCache()).isTrue();
        byte[] model = new byte[(int) raid.blockCount() * 512];
        SplittableRandom random = new SplittableRandom(6);
        for (int i = 0; i < 40; i++) {
            long lba = random.nextLong(raid.blockCount() - 60);
            int blocks = 1 + random.nextInt(60);
            byte[] data = Bytes.random(600 + i, blocks * 512);
            ByteBuf src = Unpooled.wrappedBuffer(data);
            try {
                // Submitted on the core, as the NVMe layer does: the completion comes back there.
                CompletableFuture<Done> done = new CompletableFuture<>();
                BdevIo io = new BdevIo();
                coreThread.execute(() -> raid.submit(io.prepare(BdevOp.WRITE, lba, blocks, src, coreThread,
                        d -> done.complete(new Done(d.status(), Thread.currentThread(), null)), null)));
                Done d = done.get(TestIo.TIMEOUT_SECONDS, TimeUnit.SECONDS);
                assertThat(d.status()).isEqualTo(BdevStatus.SUCCESS);
                assertThat(d.thread()).as("completion thread of write %d", i).isSameAs(core);
            } finally {
                src.release();
            }
            System.arraycopy(data, 0, model, (int) lba * 512, data.length);
            if (i % 10 == 9) {
                raid.failMember(i / 10 % 2); // two at most: within RAID 6's tolerance
            }
        }
        Read r = RaidTesting.read(raid, 0, raid.blockCount(), coreThread);
        assertThat(r.status()).isEqualTo(BdevStatus.SUCCESS);
        TestIo.assertSameBytes(r.data(), model, "file members");
        raid.close();

        RaidBdev again = RaidBdev.assemble("raid", 6, files, 4096);
        raids.add(again);
        assertThat(again.members()).extracting(MemberStatus::state).containsExactly(MemberState.FAILED,
                MemberState.FAILED, MemberState.HEALTHY, MemberState.HEALTHY);
        r = RaidTesting.read(again, 0, again.blockCount(), coreThread);
        assertThat(r.status()).isEqualTo(BdevStatus.SUCCESS);
        TestIo.assertSameBytes(r.data(), model, "file members reopened");
    }
}
