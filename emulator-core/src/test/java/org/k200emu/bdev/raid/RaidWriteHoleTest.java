package org.k200emu.bdev.raid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.k200emu.bdev.raid.RaidTesting.assertVolume;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.raid.RaidTesting.Read;
import org.k200emu.bdev.testing.FaultyBdev;
import org.k200emu.testing.Bytes;

/**
 * Crashes and reopening: a RaidBdev abandoned between a row's data and parity (or mirror) writes,
 * then a new RaidBdev opened over the same member bdevs, which must resync the dirty regions; and
 * the metadata (bitmap, member states) that makes that possible.
 */
class RaidWriteHoleTest {

    private static final int STRIP = 4096;
    private static final int ROWS = 16;
    private static final long MEMBER_BLOCKS = 16 + ROWS * 8;
    private static final long ROW = 5;

    private final List<MallocBdev> mallocs = new ArrayList<>();
    private final List<RaidBdev> raids = new ArrayList<>();

    @AfterEach
    void tearDown() {
        raids.forEach(RaidBdev::close);
        mallocs.forEach(MallocBdev::close);
    }

    private List<FaultyBdev> members(int n) {
        mallocs.addAll(RaidTesting.mallocs("w", n, MEMBER_BLOCKS, 0));
        return RaidTesting.wrap(mallocs);
    }

    private RaidBdev keep(RaidBdev raid) {
        raids.add(raid);
        return raid;
    }

    private static byte[] fill(RaidBdev raid, long seed) {
        byte[] model = Bytes.random(seed, (int) (raid.blockCount() * raid.blockSize()));
        assertThat(RaidTesting.write(raid, 0, model)).isEqualTo(BdevStatus.SUCCESS);
        return model;
    }

    /** What the crash left: the reopened array, the model of the volume, the row's layout. */
    private record Crash(RaidBdev reopened, byte[] model, RaidLayout layout) {
    }

    /**
     * Writes 4 blocks into strip 0 of row {@link #ROW} with the redundancy member's write parked,
     * abandons the array there (its members go dead) and opens a new one over the raw members.
     * The model holds the new data: strip 0's own member got it.
     */
    private Crash crash(int level, int n, boolean resync) {
        List<FaultyBdev> members = members(n);
        RaidBdev old = RaidBdev.create("raid", level, List.copyOf(members), STRIP);
        byte[] model = fill(old, level * 7L + n);
        RaidLayout layout = old.layout();
        int parked = layout.hasParity() ? layout.pMember(ROW) : layout.dataMember(ROW, 0, 1);
        members.get(parked).hold(io -> io.op() == BdevOp.WRITE && io.offsetBlocks() >= layout.metaBlocks);

        long lba = ROW * layout.rowBlocks() + 2;
        byte[] data = Bytes.random(99, 4 * 512);
        ByteBuf src = Unpooled.wrappedBuffer(data);
        AtomicInteger status = new AtomicInteger(-1);
        old.submit(new BdevIo().prepare(BdevOp.WRITE, lba, 4, src, RaidTesting.INLINE,
                io -> status.set(io.status()), null));
        assertThat(members.get(parked).heldCount()).as("the redundancy write is parked").isEqualTo(1);
        assertThat(status.get()).as("the write is not complete").isEqualTo(-1);
        System.arraycopy(data, 0, model, (int) lba * 512, data.length);
        for (int i = 0; i < n; i++) {
            Superblock sb = RaidTesting.superblock(mallocs.get(i));
            assertThat(sb.regionDirty(layout.region(ROW))).as("bitmap of member %d before the crash", i).isTrue();
        }

        // The crash: nothing the abandoned array does reaches the members any more.
        members.forEach(m -> m.failAll(BdevStatus.ABORTED));
        RaidBdev reopened = keep(RaidBdev.open("raid", List.copyOf(mallocs), resync));

        // Let the abandoned array finish (with errors) and release what it holds.
        members.get(parked).completeHeld(BdevStatus.ABORTED);
        assertThat(status.get()).as("the abandoned write completed").isNotEqualTo(BdevStatus.SUCCESS);
        old.close();
        src.release();
        return new Crash(reopened, model, layout);
    }

    @ParameterizedTest(name = "RAID {0} over {1}")
    @CsvSource({"5, 4", "5, 3", "6, 5", "6, 4", "1, 2", "1, 3", "10, 4"})
    void aWriteAbandonedBetweenDataAndRedundancyIsRepairedWhenReopened(int level, int n) {
        Crash c = crash(level, n, true);
        RaidBdev raid = c.reopened();
        assertThat(raid.lastResyncRows()).as("rows resynced at open").isPositive();
        assertVolume(raid, c.model(), "after the reopen");
        RaidTesting.assertRedundancyConsistent(c.layout(), mallocs);
        for (int i = 0; i < n; i++) {
            assertThat(RaidTesting.superblock(mallocs.get(i)).dirtyRegions()).as("bitmap of %d after resync", i)
                    .isZero();
        }
        // The other strips of the row survive the loss of their members.
        failAllButStripZero(raid, c.layout());
        assertVolume(raid, c.model(), "row rebuilt from repaired parity or mirrors");
    }

    /** Negative control: the same crash without the resync does lose data (the test can fail). */
    @ParameterizedTest(name = "RAID {0} over {1}")
    @CsvSource({"5, 4", "6, 5", "1, 2", "10, 4"})
    void withoutTheResyncTheSameCrashLeavesTheRowInconsistent(int level, int n) {
        Crash c = crash(level, n, false);
        assertThatThrownBy(() -> RaidTesting.assertRedundancyConsistent(c.layout(), mallocs))
                .isInstanceOf(AssertionError.class);
        RaidBdev raid = c.reopened();
        failAllButStripZero(raid, c.layout());
        Read r = RaidTesting.read(raid, 0, raid.blockCount());
        assertThat(r.status()).isEqualTo(BdevStatus.SUCCESS);
        assertThat(Arrays.equals(r.data(), c.model())).as("data read back intact without the resync").isFalse();
    }

    /**
     * Parity levels: the members of the row's other data strips fail (as many as tolerated), so
     * they are rebuilt from the parity. Mirrors: strip 0's first copy fails, so the second is read.
     */
    private static void failAllButStripZero(RaidBdev raid, RaidLayout layout) {
        if (layout.mirrored()) {
            raid.failMember(layout.dataMember(ROW, 0, 0));
            return;
        }
        for (int d = 1; d <= layout.parities(); d++) {
            raid.failMember(layout.dataMember(ROW, d, 0));
        }
    }

    @Test
    void aCleanCloseLeavesTheBitmapClearAndTheNextOpenResyncsNothing() {
        List<FaultyBdev> members = members(4);
        RaidBdev raid = RaidBdev.create("raid", 5, List.copyOf(members), STRIP);
        assertThat(raid.lastResyncRows()).as("a new array is fully resynced").isEqualTo(ROWS);
        byte[] model = fill(raid, 1);
        assertThat(RaidTesting.superblock(mallocs.get(0)).dirtyRegions()).as("dirty while written").isPositive();
        raid.close();
        for (MallocBdev m : mallocs) {
            assertThat(RaidTesting.superblock(m).dirtyRegions()).isZero();
        }
        RaidBdev again = keep(RaidBdev.open("raid", List.copyOf(mallocs)));
        assertThat(again.lastResyncRows()).isZero();
        assertVolume(again, model, "after reopening");
    }

    @Test
    void aFlushClearsTheIdleRegionsOnTheMembers() {
        List<FaultyBdev> members = members(5);
        RaidBdev raid = keep(RaidBdev.create("raid", 6, List.copyOf(members), STRIP));
        assertThat(RaidTesting.write(raid, 30, Bytes.random(2, 4096))).isEqualTo(BdevStatus.SUCCESS);
        Superblock before = RaidTesting.superblock(mallocs.get(0));
        assertThat(before.dirtyRegions()).isEqualTo(1);
        long flushes = members.get(0).flushes();
        assertThat(RaidTesting.op(raid, BdevOp.FLUSH, 0, 0)).isEqualTo(BdevStatus.SUCCESS);
        assertThat(members.get(0).flushes()).as("host flush, then the flush before clearing")
                .isEqualTo(flushes + 2);
        Superblock after = RaidTesting.superblock(mallocs.get(0));
        assertThat(after.dirtyRegions()).isZero();
        assertThat(after.events()).isGreaterThan(before.events());
    }

    @Test
    void manyIdleRegionsAreClearedWithoutAFlush() {
        List<FaultyBdev> members = members(3);
        RaidBdev raid = keep(RaidBdev.create("raid", 1, List.copyOf(members), STRIP));
        for (int i = 0; i < MetadataWriter.CLEAR_AFTER_IDLE - 1; i++) {
            long row = i % ROWS;
            assertThat(RaidTesting.write(raid, row * 8, Bytes.random(i, 512))).isEqualTo(BdevStatus.SUCCESS);
        }
        assertThat(RaidTesting.superblock(mallocs.get(0)).dirtyRegions()).as("dirty while written").isEqualTo(ROWS);
        // The next region going idle triggers a clear pass of every idle region.
        assertThat(RaidTesting.write(raid, 0, Bytes.random(0, 512))).isEqualTo(BdevStatus.SUCCESS);
        assertThat(RaidTesting.superblock(mallocs.get(0)).dirtyRegions()).as("cleared lazily").isZero();
    }

    @Test
    void aMemberFailureIsPersistedSoAReopenedArrayDoesNotTrustTheStaleMember() {
        List<FaultyBdev> members = members(4);
        RaidBdev old = RaidBdev.create("raid", 5, List.copyOf(members), STRIP);
        byte[] model = fill(old, 3);
        members.get(2).failAll(); // unreachable for the old array, intact (and then stale) underneath
        byte[] data = Bytes.random(4, (int) old.blockCount() * 512);
        assertThat(RaidTesting.write(old, 0, data)).isEqualTo(BdevStatus.SUCCESS);
        System.arraycopy(data, 0, model, 0, data.length);
        assertThat(old.memberState(2)).isEqualTo(MemberState.FAILED);
        assertThat(RaidTesting.superblock(mallocs.get(0)).failedMask()).isEqualTo(1L << 2);

        // Crash, then reopen over the raw members, the stale one included.
        members.forEach(m -> m.failAll(BdevStatus.ABORTED));
        old.close();
        RaidBdev raid = keep(RaidBdev.open("raid", List.copyOf(mallocs)));
        assertThat(raid.memberState(2)).isEqualTo(MemberState.FAILED);
        assertVolume(raid, model, "reopened degraded");
    }

    @Test
    void openAndAssembleCheckTheMembers() {
        List<FaultyBdev> members = members(4);
        assertThatThrownBy(() -> RaidBdev.open("raid", List.copyOf(mallocs)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no member carries RAID metadata");
        RaidBdev raid = RaidBdev.assemble("raid", 5, List.copyOf(members), STRIP);
        assertThat(raid.lastResyncRows()).as("assembled blank members: created").isEqualTo(ROWS);
        byte[] model = fill(raid, 5);
        raid.close();

        List<MallocBdev> swapped = new ArrayList<>(mallocs);
        swapped.set(0, mallocs.get(1));
        swapped.set(1, mallocs.get(0));
        assertThatThrownBy(() -> RaidBdev.open("raid", List.copyOf(swapped)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("given as 0");
        assertThatThrownBy(() -> RaidBdev.open("raid", List.copyOf(mallocs.subList(0, 3))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has 4 members");
        assertThatThrownBy(() -> RaidBdev.assemble("raid", 6, List.copyOf(mallocs), STRIP))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not RAID 6");
        assertThatThrownBy(() -> RaidBdev.assemble("raid", 5, List.copyOf(mallocs), 2 * STRIP))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("B strips");

        List<MallocBdev> others = RaidTesting.mallocs("o", 4, MEMBER_BLOCKS, 0);
        mallocs.addAll(others);
        RaidBdev.create("other", 5, List.copyOf(others), STRIP).close();
        List<MallocBdev> mixed = new ArrayList<>(mallocs.subList(0, 4));
        mixed.set(3, others.get(3));
        assertThatThrownBy(() -> RaidBdev.open("raid", List.copyOf(mixed)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("another array");

        RaidBdev again = keep(RaidBdev.assemble("raid", 5, List.copyOf(mallocs.subList(0, 4)), STRIP));
        assertThat(again.lastResyncRows()).isZero();
        assertVolume(again, model, "assembled again");
    }

    @Test
    void aBlankMemberInAnExistingArrayIsOpenedAsFailed() {
        members(4);
        RaidBdev raid = RaidBdev.create("raid", 5, List.copyOf(mallocs), STRIP);
        byte[] model = fill(raid, 6);
        raid.close();
        RaidTesting.rawWrite(mallocs.get(1), 0, new byte[RaidLayout.META_BYTES]); // metadata wiped
        RaidBdev again = keep(RaidBdev.open("raid", List.copyOf(mallocs)));
        assertThat(again.memberState(1)).isEqualTo(MemberState.FAILED);
        assertVolume(again, model, "without member 1");
    }
}
