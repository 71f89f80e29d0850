package org.k200emu.bdev.raid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.k200emu.bdev.raid.RaidTesting.assertVolume;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.TestIo;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.raid.RaidTesting.Read;
import org.k200emu.bdev.testing.FaultyBdev;
import org.k200emu.testing.Bytes;

/**
 * Random I/O against a plain byte[] model of the volume, with members failing at random points
 * (up to what the level tolerates), then the whole volume read back and compared.
 */
class RaidModelTest {

    private static final int STRIP = 4096;
    private static final long MEMBER_BLOCKS = 16 + 40 * 8; // metadata + 40 strips of 4 KiB

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

    /** Which members a run may fail, in order: never two of one RAID 10 pair. */
    private static List<Integer> failures(int level, int n, SplittableRandom random) {
        List<Integer> order = new ArrayList<>();
        if (level == 10) {
            for (int pair = 0; pair < n / 2; pair++) {
                order.add(2 * pair + random.nextInt(2));
            }
        } else {
            for (int i = 0; i < n; i++) {
                order.add(i);
            }
        }
        for (int i = order.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order.get(i);
            order.set(i, order.get(j));
            order.set(j, t);
        }
        int allowed = level == 10 ? n / 2 : level == 0 ? 0 : level == 1 ? n - 1 : level == 5 ? 1 : 2;
        return order.subList(0, allowed);
    }

    @ParameterizedTest(name = "RAID {0}, seed {1}, asynchronous members: {2}")
    @CsvSource({
        "0, 1, false", "0, 2, true",
        "1, 3, false", "1, 4, true",
        "10, 5, false", "10, 6, true",
        "5, 7, false", "5, 8, true", "5, 9, false",
        "6, 10, false", "6, 11, true", "6, 12, false",
    })
    void randomIoWithFailingMembersMatchesTheModel(int level, long seed, boolean async) {
        SplittableRandom random = new SplittableRandom(seed);
        int n = RaidTesting.members(level);
        mallocs.addAll(RaidTesting.mallocs("m", n, MEMBER_BLOCKS, 3)); // unequal sizes: the smallest counts
        List<FaultyBdev> members = RaidTesting.wrap(mallocs);
        Executor core = RaidTesting.INLINE;
        if (async) {
            ExecutorService worker = thread("member-worker");
            members.forEach(m -> m.async(worker));
            core = thread("core");
        }
        raid = RaidBdev.create("raid0", level, List.copyOf(members), STRIP);
        int rowBlocks = raid.layout().rowBlocks();
        assertThat(raid.blockCount()).isEqualTo(40L * rowBlocks);
        int bs = raid.blockSize();
        byte[] model = new byte[(int) (raid.blockCount() * bs)];

        List<Integer> toFail = new ArrayList<>(failures(level, n, random));
        int ops = 240;
        // Failures happen at random points of the run, each either "every I/O from now" or "the Nth".
        List<Integer> failAt = new ArrayList<>();
        for (int i = 0; i < toFail.size(); i++) {
            failAt.add(20 + random.nextInt(ops - 40));
        }
        failAt.sort(null);
        int failed = 0;
        for (int i = 0; i < ops; i++) {
            while (failed < toFail.size() && failAt.get(failed) == i) {
                FaultyBdev victim = members.get(toFail.get(failed));
                if (random.nextBoolean()) {
                    victim.failAll();
                } else {
                    victim.failNth(1 + random.nextInt(4));
                }
                failed++;
            }
            long lba = random.nextLong(raid.blockCount());
            int blocks = (int) Math.min(1 + random.nextInt(3 * rowBlocks), raid.blockCount() - lba);
            int from = (int) lba * bs;
            int to = from + blocks * bs;
            int what = random.nextInt(100);
            String at = "op " + i + " lba " + lba + " blocks " + blocks;
            if (what < 45) {
                byte[] data = Bytes.random(seed * 100_000 + i, blocks * bs);
                int status = RaidTesting.write(raid, lba, data, core, random.nextInt(4) == 0);
                assertThat(status).as("write, %s", at).isEqualTo(BdevStatus.SUCCESS);
                System.arraycopy(data, 0, model, from, data.length);
            } else if (what < 80) {
                Read r = RaidTesting.read(raid, lba, blocks, core);
                assertThat(r.status()).as("read, %s", at).isEqualTo(BdevStatus.SUCCESS);
                TestIo.assertSameBytes(r.data(), Arrays.copyOfRange(model, from, to), "read, " + at);
            } else if (what < 95) {
                BdevOp op = what < 88 ? BdevOp.WRITE_ZEROES : BdevOp.UNMAP;
                assertThat(RaidTesting.submit(raid, op, lba, blocks, null, core)).as("%s, %s", op, at)
                        .isEqualTo(BdevStatus.SUCCESS);
                Arrays.fill(model, from, to, (byte) 0);
            } else {
                assertThat(RaidTesting.submit(raid, BdevOp.FLUSH, 0, 0, null, core)).as("flush, %s", at)
                        .isEqualTo(BdevStatus.SUCCESS);
            }
        }
        Read all = RaidTesting.read(raid, 0, raid.blockCount(), core);
        assertThat(all.status()).isEqualTo(BdevStatus.SUCCESS);
        TestIo.assertSameBytes(all.data(), model, "whole volume after the run");
        long out = raid.members().stream().filter(s -> s.state() == MemberState.FAILED).count();
        assertThat(out).as("members out of service").isLessThanOrEqualTo(toFail.size());
        for (int victim : toFail) {
            if (members.get(victim).failed() > 0) {
                assertThat(raid.memberState(victim)).as("member %d after an I/O error", victim)
                        .isEqualTo(MemberState.FAILED);
            }
        }
        if (!toFail.isEmpty()) {
            assertThat(out).as("some member actually failed during the run").isPositive();
        }
        if (raid.layout().hasParity()) {
            assertThat(raid.rmwWrites.sum()).as("read-modify-writes").isPositive();
            assertThat(raid.rcwWrites.sum()).as("reconstruct-writes").isPositive();
            assertThat(raid.fullRowWrites.sum()).as("full-row writes").isPositive();
            assertThat(raid.degradedReads.sum()).as("degraded reads").isPositive();
        }
        if (!async) {
            assertVolume(raid, model, "inline re-read");
        }
    }
}
