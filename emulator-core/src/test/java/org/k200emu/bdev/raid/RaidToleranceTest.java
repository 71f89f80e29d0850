package org.k200emu.bdev.raid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.k200emu.bdev.raid.RaidTesting.assertVolume;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
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

/**
 * For each level: the most failures it tolerates keep the data intact, readable and writable;
 * one more makes the affected I/O complete MEDIA_ERROR, never return wrong data.
 */
class RaidToleranceTest {

    private static final int STRIP = 4096;
    private static final long MEMBER_BLOCKS = 16 + 24 * 8;

    private final List<MallocBdev> mallocs = new ArrayList<>();
    private final List<RaidBdev> raids = new ArrayList<>();

    @AfterEach
    void tearDown() {
        raids.forEach(RaidBdev::close);
        mallocs.forEach(MallocBdev::close);
    }

    private RaidBdev array(int level, int n, List<FaultyBdev> members) {
        mallocs.addAll(RaidTesting.mallocs("t", n, MEMBER_BLOCKS, 0));
        members.addAll(RaidTesting.wrap(mallocs.subList(mallocs.size() - n, mallocs.size())));
        RaidBdev raid = RaidBdev.create("raid", level, List.copyOf(members), STRIP);
        raids.add(raid);
        return raid;
    }

    private static byte[] fill(RaidBdev raid, long seed) {
        byte[] model = Bytes.random(seed, (int) (raid.blockCount() * raid.blockSize()));
        assertThat(RaidTesting.write(raid, 0, model)).isEqualTo(BdevStatus.SUCCESS);
        return model;
    }

    /** Every strip-sized piece reads back right or MEDIA_ERROR; returns how many failed. */
    private static int readPieces(RaidBdev raid, byte[] model) {
        int strip = raid.layout().stripBlocks;
        int errors = 0;
        for (long lba = 0; lba < raid.blockCount(); lba += strip) {
            Read r = RaidTesting.read(raid, lba, strip);
            if (r.status() == BdevStatus.MEDIA_ERROR) {
                errors++;
                continue;
            }
            assertThat(r.status()).as("piece at %d", lba).isEqualTo(BdevStatus.SUCCESS);
            int from = (int) lba * raid.blockSize();
            TestIo.assertSameBytes(r.data(), Arrays.copyOfRange(model, from, from + r.data().length), "piece " + lba);
        }
        return errors;
    }

    /** Fails {@code failed}, checks and writes degraded, then fails {@code extra} and checks MEDIA_ERROR. */
    @ParameterizedTest(name = "RAID {0} over {1}: fail {2}, then {3}")
    @CsvSource({
        "0, 3, '', 1",
        "1, 3, '0 2', 1",
        "1, 2, '1', 0",
        "10, 4, '0 3', 1",
        "10, 6, '1 2 5', 4",
        "5, 3, '2', 0",
        "5, 4, '1', 3",
        "6, 4, '0 1', 3",
        "6, 5, '4 2', 0",
        "6, 6, '5 3', 1",
    })
    void toleratedFailuresKeepTheDataAndOneMoreGivesMediaError(int level, int n, String failed, int extra) {
        List<FaultyBdev> members = new ArrayList<>();
        RaidBdev raid = array(level, n, members);
        byte[] model = fill(raid, level * 10L + n);
        for (String f : failed.isBlank() ? new String[0] : failed.split(" ")) {
            members.get(Integer.parseInt(f)).failAll();
        }
        assertVolume(raid, model, "with " + failed + " failed");

        // Degraded writes: an unaligned range over several rows, and a small one inside a strip.
        SplittableRandom random = new SplittableRandom(n);
        for (int i = 0; i < 6; i++) {
            long lba = random.nextLong(raid.blockCount() - 40);
            int blocks = 1 + random.nextInt(39);
            byte[] data = Bytes.random(1000 + i, blocks * raid.blockSize());
            assertThat(RaidTesting.write(raid, lba, data)).as("degraded write %d", i).isEqualTo(BdevStatus.SUCCESS);
            System.arraycopy(data, 0, model, (int) lba * raid.blockSize(), data.length);
        }
        assertVolume(raid, model, "after degraded writes");
        assertThat(RaidTesting.op(raid, BdevOp.FLUSH, 0, 0)).isEqualTo(BdevStatus.SUCCESS);

        members.get(extra).failAll();
        Read all = RaidTesting.read(raid, 0, raid.blockCount());
        assertThat(all.status()).as("full read beyond the tolerance").isEqualTo(BdevStatus.MEDIA_ERROR);
        int errors = readPieces(raid, model);
        assertThat(errors).as("pieces lost").isPositive();
        assertThat(RaidTesting.op(raid, BdevOp.FLUSH, 0, 0)).as("flush once data is lost")
                .isEqualTo(BdevStatus.MEDIA_ERROR);
        // A write to a row that lost too much fails too, and leaves the readable pieces intact.
        byte[] data = Bytes.random(77, (int) raid.blockCount() * raid.blockSize());
        assertThat(RaidTesting.write(raid, 0, data)).isEqualTo(BdevStatus.MEDIA_ERROR);
        if (level != 0 && level != 10 && level != 1) {
            assertThat(readPieces(raid, model)).isEqualTo(errors);
        }
    }

    @Test
    void raid10SurvivesOneFailurePerPairButNotBothOfAPair() {
        List<FaultyBdev> members = new ArrayList<>();
        RaidBdev raid = array(10, 4, members);
        byte[] model = fill(raid, 5);
        members.get(1).failAll();
        members.get(2).failAll();
        assertVolume(raid, model, "one failure in each pair");
        members.get(0).failAll();
        // Pair (0, 1) is gone: its strips fail, pair (2, 3)'s still read right.
        assertThat(readPieces(raid, model)).isEqualTo((int) raid.layout().rows);
    }

    @Test
    void aReadErrorOnOneMemberIsRetriedFromTheOthers() {
        List<FaultyBdev> members = new ArrayList<>();
        RaidBdev raid = array(5, 4, members);
        byte[] model = fill(raid, 6);
        long retries = raid.retries.sum();
        // The next I/O to member 2 fails once; the member is marked failed and the read reconstructs.
        members.get(2).failNth(1);
        assertVolume(raid, model, "read with one member error");
        assertThat(raid.retries.sum()).isGreaterThan(retries);
        assertThat(raid.memberState(2)).isEqualTo(MemberState.FAILED);
        assertThat(members.get(2).failed()).isEqualTo(1);
        long ios = members.get(2).ios();
        assertVolume(raid, model, "again");
        assertThat(members.get(2).ios()).as("a failed member gets no more I/O").isEqualTo(ios);
    }

    @Test
    void aWriteErrorOnTheParityMemberIsRetriedAndTheDataStaysRecoverable() {
        List<FaultyBdev> members = new ArrayList<>();
        RaidBdev raid = array(6, 5, members);
        byte[] model = fill(raid, 7);
        RaidLayout layout = raid.layout();
        long row = 3;
        int q = layout.qMember(row);
        // One block of the row: Q's first I/O (a read or the parity write, depending on the
        // strategy) fails, so the write is replanned without Q.
        long retries = raid.retries.sum();
        members.get(q).failNth(1);
        long lba = row * layout.rowBlocks() + 5;
        byte[] data = Bytes.random(8, 512);
        assertThat(RaidTesting.write(raid, lba, data)).isEqualTo(BdevStatus.SUCCESS);
        System.arraycopy(data, 0, model, (int) lba * 512, 512);
        assertThat(raid.memberState(q)).isEqualTo(MemberState.FAILED);
        assertThat(raid.retries.sum()).isGreaterThan(retries);
        // One more failure is still within RAID 6's tolerance: the row must reconstruct.
        members.get(layout.dataMember(row, 0, 0)).failAll();
        assertVolume(raid, model, "Q and a data member gone");
    }
}
