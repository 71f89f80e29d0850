package org.k200emu.bdev.raid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.k200emu.bdev.raid.RaidTesting.assertVolume;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.TestIo;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.raid.RaidTesting.Read;
import org.k200emu.bdev.testing.FaultyBdev;
import org.k200emu.testing.Bytes;

/** Online rebuild: replacing failed members while I/O goes on, and what redundancy is left after. */
class RaidRebuildTest {

    private static final int STRIP = 4096;
    private static final int ROWS = 48;
    private static final long MEMBER_BLOCKS = 16 + ROWS * 8;

    private final List<MallocBdev> mallocs = new ArrayList<>();
    private final List<ExecutorService> threads = new ArrayList<>();
    private final List<RaidBdev> raids = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        raids.forEach(RaidBdev::close);
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

    private List<FaultyBdev> members(int n) {
        List<MallocBdev> list = RaidTesting.mallocs("r", n, MEMBER_BLOCKS, 0);
        mallocs.addAll(list);
        return RaidTesting.wrap(list);
    }

    private RaidBdev create(int level, List<FaultyBdev> members) {
        RaidBdev raid = RaidBdev.create("raid", level, List.copyOf(members), STRIP);
        raids.add(raid);
        return raid;
    }

    /** A blank disk full of junk: reading it where it is not rebuilt yet would show. */
    private FaultyBdev junkReplacement(String name, long seed) {
        MallocBdev m = new MallocBdev(name, 512, MEMBER_BLOCKS);
        mallocs.add(m);
        RaidTesting.rawWrite(m, 0, Bytes.random(seed, (int) MEMBER_BLOCKS * 512));
        return new FaultyBdev(m);
    }

    private static byte[] fill(RaidBdev raid, long seed) {
        byte[] model = Bytes.random(seed, (int) (raid.blockCount() * raid.blockSize()));
        assertThat(RaidTesting.write(raid, 0, model)).isEqualTo(BdevStatus.SUCCESS);
        return model;
    }

    /** One random write or read (checked), through {@code core}. */
    private static void randomIo(RaidBdev raid, byte[] model, SplittableRandom random, long seed, Executor core) {
        int bs = raid.blockSize();
        long lba = random.nextLong(raid.blockCount());
        int blocks = (int) Math.min(1 + random.nextInt(2 * raid.layout().rowBlocks()), raid.blockCount() - lba);
        int from = (int) lba * bs;
        if (random.nextBoolean()) {
            byte[] data = Bytes.random(seed, blocks * bs);
            assertThat(RaidTesting.write(raid, lba, data, core, false)).as("write at %d", lba)
                    .isEqualTo(BdevStatus.SUCCESS);
            System.arraycopy(data, 0, model, from, data.length);
        } else {
            Read r = RaidTesting.read(raid, lba, blocks, core);
            assertThat(r.status()).as("read at %d", lba).isEqualTo(BdevStatus.SUCCESS);
            TestIo.assertSameBytes(r.data(), Arrays.copyOfRange(model, from, from + blocks * bs), "read at " + lba);
        }
    }

    /**
     * Fails {@code failed}, replaces them (junk-filled) while another core does random I/O, waits
     * for the rebuild, then fails {@code after} (members other than the rebuilt ones' survivors)
     * and reads everything back.
     */
    @ParameterizedTest(name = "RAID {0} over {1}: rebuild {2}, then fail {3}; async members {4}")
    @CsvSource({
        "1, 3, '1', '0 2', false",
        "1, 2, '0', '1', true",
        "10, 4, '2', '3', false",
        "10, 6, '1 4', '0 5', true",
        "5, 4, '1', '3', false",
        "5, 5, '4', '0', true",
        "6, 5, '2', '0 4', false",
        "6, 5, '0 3', '1 2', true",
        "6, 6, '1', '5 2', false",
    })
    void rebuildUnderLoadRestoresFullRedundancy(int level, int n, String failed, String after, boolean async)
            throws Exception {
        List<FaultyBdev> members = members(n);
        ExecutorService worker = async ? thread("worker") : null;
        members.forEach(m -> m.async(worker));
        RaidBdev raid = create(level, members);
        byte[] model = fill(raid, level + 100L * n);
        SplittableRandom random = new SplittableRandom(level * 31L + n);
        Executor io = thread("io-core");
        Executor rebuildCore = thread("rebuild-core");

        List<Integer> failedList = parse(failed);
        for (int f : failedList) {
            members.get(f).failAll();
        }
        for (int i = 0; i < 20; i++) {
            randomIo(raid, model, random, 5000 + i, io); // degraded I/O before the replacement
        }
        List<CompletableFuture<Void>> rebuilds = new ArrayList<>();
        for (int f : failedList) {
            if (raid.memberState(f) != MemberState.FAILED) {
                raid.failMember(f); // not touched by the degraded I/O: take it out by hand
            }
            FaultyBdev replacement = junkReplacement("new" + f, f).async(worker);
            rebuilds.add(raid.replace(f, replacement, rebuildCore));
            assertThat(raid.memberState(f)).isIn(MemberState.REBUILDING, MemberState.HEALTHY);
        }
        CompletableFuture<Void> all = CompletableFuture.allOf(rebuilds.toArray(new CompletableFuture<?>[0]));
        int ops = 0;
        while (!all.isDone() || ops < 60) {
            randomIo(raid, model, random, 6000 + ops, io);
            ops++;
        }
        all.get(TestIo.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        for (MemberStatus s : raid.members()) {
            assertThat(s.state()).as("member %d", s.index()).isEqualTo(MemberState.HEALTHY);
            assertThat(s.progress()).isEqualTo(1.0);
        }
        for (int f : failedList) {
            assertThat(raid.member(f).bdev()).isEqualTo("faulty-new" + f);
            assertThat(raid.rebuildCompletion(f).isDone()).isTrue();
        }
        assertVolume(raid, model, "after the rebuild");

        for (int g : parse(after)) {
            members.get(g).failAll();
        }
        assertVolume(raid, model, "rebuilt members carrying the redundancy");
    }

    private static List<Integer> parse(String list) {
        List<Integer> out = new ArrayList<>();
        for (String s : list.split(" ")) {
            out.add(Integer.parseInt(s));
        }
        return out;
    }

    @Test
    void rowsAreUsedOnlyOnceRebuiltAndWritesToRebuiltRowsReachTheReplacement() throws Exception {
        List<FaultyBdev> members = members(4);
        RaidBdev raid = create(5, members);
        byte[] model = fill(raid, 9);
        RaidLayout layout = raid.layout();
        members.get(2).failAll();
        raid.failMember(2);

        int paused = 10;
        FaultyBdev replacement = junkReplacement("new2", 3);
        long pauseLba = layout.memberLba(paused, 0);
        // Rebuild writes of row `paused` and later are parked; rows before it go through.
        replacement.hold(io -> io.op() == BdevOp.WRITE && io.offsetBlocks() >= pauseLba);
        ExecutorService rebuildCore = thread("rebuild-core");
        CompletableFuture<Void> done = raid.replace(2, replacement, rebuildCore);
        assertThat(replacement.awaitHeld(TestIo.TIMEOUT_SECONDS)).isTrue();

        MemberStatus status = raid.member(2);
        assertThat(status.state()).isEqualTo(MemberState.REBUILDING);
        assertThat(status.rowsDone()).isLessThanOrEqualTo(paused);
        assertThat(status.progress()).isLessThan(1.0);
        assertThat(done).isNotDone();

        // Rows far beyond the rebuild read right (the junk on the replacement is never used).
        int rowBlocks = layout.rowBlocks();
        long far = paused + 2L * RowSweep.WINDOW;
        Read r = RaidTesting.read(raid, far * rowBlocks, (ROWS - far) * rowBlocks);
        assertThat(r.status()).isEqualTo(BdevStatus.SUCCESS);
        int from = (int) far * rowBlocks * 512;
        TestIo.assertSameBytes(r.data(), Arrays.copyOfRange(model, from, model.length), "rows not rebuilt yet");

        // A full-row write to a rebuilt row reaches the replacement; one to a row not rebuilt
        // does not (if it did, it would be parked and never complete). Count from the moment the
        // sweep is still: every row before the pause done, a full window of rows parked on it.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TestIo.TIMEOUT_SECONDS);
        while (raid.member(2).rowsDone() < paused || replacement.heldCount() < RowSweep.WINDOW) {
            assertThat(System.nanoTime()).as("the rebuild sweep settles at the pause").isLessThan(deadline);
            Thread.onSpinWait();
        }
        long writesBefore = replacement.writes();
        byte[] row0 = Bytes.random(10, rowBlocks * 512);
        assertThat(RaidTesting.write(raid, 0, row0)).isEqualTo(BdevStatus.SUCCESS);
        System.arraycopy(row0, 0, model, 0, row0.length);
        assertThat(replacement.writes()).as("rebuilt row written to the replacement").isEqualTo(writesBefore + 1);
        byte[] rowFar = Bytes.random(11, rowBlocks * 512);
        assertThat(RaidTesting.write(raid, far * rowBlocks, rowFar)).isEqualTo(BdevStatus.SUCCESS);
        System.arraycopy(rowFar, 0, model, from, rowFar.length);
        assertThat(replacement.writes()).as("row not rebuilt: replacement left alone").isEqualTo(writesBefore + 1);

        replacement.forwardHeld();
        done.get(TestIo.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(raid.memberState(2)).isEqualTo(MemberState.HEALTHY);
        members.get(0).failAll();
        assertVolume(raid, model, "after the rebuild, with member 0 gone");
        assertThat(RaidTesting.superblock(replacement).failedMask()).as("persisted: only member 0 is out")
                .isEqualTo(1L);
    }

    @Test
    void aReplacementThatFailsEndsTheRebuildAndCanBeReplacedAgain() throws Exception {
        List<FaultyBdev> members = members(4);
        RaidBdev raid = create(6, members);
        byte[] model = fill(raid, 12);
        members.get(1).failAll();
        raid.failMember(1);
        FaultyBdev bad = junkReplacement("bad", 4);
        bad.failNth(6); // the superblock write, some rows, then an error
        ExecutorService core = thread("rebuild-core");
        CompletableFuture<Void> first = raid.replace(1, bad, core);
        assertThatThrownBy(() -> first.get(TestIo.TIMEOUT_SECONDS, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasMessageContaining("did not finish");
        assertThat(raid.memberState(1)).isEqualTo(MemberState.FAILED);
        assertVolume(raid, model, "after the failed rebuild");

        FaultyBdev good = junkReplacement("good", 5);
        raid.replace(1, good, core).get(TestIo.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(raid.memberState(1)).isEqualTo(MemberState.HEALTHY);
        members.get(0).failAll();
        members.get(3).failAll();
        assertVolume(raid, model, "second replacement carrying the data");
    }

    @Test
    void aRebuildThatLosesASurvivorBeyondTheToleranceFails() throws Exception {
        List<FaultyBdev> members = members(4);
        RaidBdev raid = create(5, members);
        byte[] model = fill(raid, 13);
        raid.failMember(0);
        members.get(0).failAll();
        members.get(3).failNth(10); // a survivor dies during the rebuild
        CompletableFuture<Void> rebuild = raid.replace(0, junkReplacement("n0", 6), thread("rebuild-core"));
        assertThatThrownBy(() -> rebuild.get(TestIo.TIMEOUT_SECONDS, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class);
        assertThat(raid.memberState(0)).isEqualTo(MemberState.FAILED);
        assertThat(raid.memberState(3)).isEqualTo(MemberState.FAILED);
        assertThat(RaidTesting.read(raid, 0, raid.blockCount()).status()).isEqualTo(BdevStatus.MEDIA_ERROR);
        assertThat(model).isNotEmpty();
    }

    @Test
    void replaceChecksItsArguments() {
        List<FaultyBdev> members = members(4);
        RaidBdev raid = create(5, members);
        Executor core = RaidTesting.INLINE;
        MallocBdev small = new MallocBdev("small", 512, 64);
        MallocBdev other = new MallocBdev("4k", 4096, MEMBER_BLOCKS);
        mallocs.add(small);
        mallocs.add(other);
        assertThatThrownBy(() -> raid.replace(1, junkReplacement("x", 1), core))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("only a failed member");
        raid.failMember(1);
        assertThatThrownBy(() -> raid.replace(1, small, core)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> raid.replace(1, other, core)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> raid.replace(1, members.get(2), core))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already member 2");
        assertThatThrownBy(() -> raid.replace(4, junkReplacement("y", 1), core))
                .isInstanceOf(IndexOutOfBoundsException.class);

        List<FaultyBdev> plain = members(2);
        RaidBdev raid0 = create(0, plain);
        raid0.failMember(0);
        assertThatThrownBy(() -> raid0.replace(0, junkReplacement("z", 1), core))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no redundancy");
    }
}
