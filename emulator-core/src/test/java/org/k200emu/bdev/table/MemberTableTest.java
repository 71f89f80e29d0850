package org.k200emu.bdev.table;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.testing.FaultyBdev;

class MemberTableTest {

    private static final int BS = 512;
    /** 8-byte entries: 64 to a table block. */
    private static final int ENTRY = 8;
    private static final long START = 100;

    private final MallocBdev malloc = new MallocBdev("m0", BS, 200);
    private final FaultyBdev member = new FaultyBdev(malloc).keepInnerOpen();
    private final List<ExecutorService> executors = new ArrayList<>();

    @AfterEach
    void close() {
        executors.forEach(ExecutorService::shutdownNow);
        malloc.close();
    }

    /** A commit and what it was told. */
    private static final class Writer implements TableCommit.Owner {
        final TableCommit commit = new TableCommit(this);
        final List<Integer> told = new ArrayList<>();
        volatile String thread;

        @Override
        public void tableCommitted(int status) {
            told.add(status);
            thread = Thread.currentThread().getName();
        }
    }

    private MemberTable table(long entries) {
        return new MemberTable("t0", "test table", member, ENTRY, entries, START);
    }

    private static void set(MemberTable t, long e, byte value) {
        t.page(e)[t.offset(e)] = value;
    }

    private static byte get(MemberTable t, long e) {
        return t.page(e)[t.offset(e)];
    }

    private byte[] onMember(long lba) {
        ByteBuf buf = Unpooled.buffer(BS);
        try {
            CompletableFuture<Integer> done = new CompletableFuture<>();
            malloc.submit(new BdevIo().prepare(BdevOp.READ, lba, 1, buf, Runnable::run, d -> done.complete(d.status()), null));
            assertThat(done.join()).isEqualTo(BdevStatus.SUCCESS);
            byte[] out = new byte[BS];
            buf.getBytes(0, out);
            return out;
        } finally {
            buf.release();
        }
    }

    @Test
    void layoutGroupsDataBlocksWithTheirTableBlock() {
        assertThat(MemberTable.dataBlocks(64, 65)).isEqualTo(64);
        assertThat(MemberTable.dataBlocks(64, 66)).as("one block more: no room for data and its table").isEqualTo(64);
        assertThat(MemberTable.dataBlocks(64, 67)).as("a last partial group").isEqualTo(65);
        assertThat(MemberTable.dataBlocks(64, 1)).isZero();
        assertThat(MemberTable.blocksFor(64, 65)).isEqualTo(2);
        MemberTable t = table(6400);
        assertThat(t.start()).isEqualTo(START);
        assertThat(t.blocks()).isEqualTo(100);
        assertThat(t.entriesPerBlock()).isEqualTo(64);
        assertThatThrownBy(() -> table(6401)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not fit");
    }

    @Test
    void commitsThatComeWhileTheirBlockIsBeingWrittenShareTheNextWrite() {
        MemberTable t = table(640);
        member.hold(true);
        Writer a = new Writer();
        Writer b = new Writer();
        Writer c = new Writer();
        set(t, 0, (byte) 1);
        a.commit.start(t, 0, 1, Runnable::run);
        set(t, 1, (byte) 2);
        b.commit.start(t, 1, 1, Runnable::run);
        set(t, 2, (byte) 3);
        c.commit.start(t, 2, 1, Runnable::run);
        assertThat(member.log()).as("one write in flight per table block")
                .containsExactly(new FaultyBdev.Submitted(BdevOp.WRITE, START, 1));

        member.releaseNext();
        assertThat(a.told).containsExactly(BdevStatus.SUCCESS);
        assertThat(b.told).as("its entry may have missed the first write").isEmpty();
        assertThat(member.log()).as("one more round for both").hasSize(2);

        member.releaseNext();
        assertThat(b.told).containsExactly(BdevStatus.SUCCESS);
        assertThat(c.told).containsExactly(BdevStatus.SUCCESS);
        assertThat(member.heldCount()).isZero();
        assertThat(onMember(START)).startsWith(1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3);
    }

    @Test
    void aCommitWaitsForEveryTableBlockItsRangeTouches() {
        MemberTable t = table(640);
        member.hold(true);
        Writer w = new Writer();
        w.commit.start(t, 60, 140, Runnable::run); // entries 60..199: table blocks 0..3
        assertThat(member.heldCount()).isEqualTo(4);
        for (int i = 0; i < 3; i++) {
            member.releaseNext();
            assertThat(w.told).isEmpty();
        }
        member.releaseNext();
        assertThat(w.told).containsExactly(BdevStatus.SUCCESS);
        assertThat(member.log()).extracting(FaultyBdev.Submitted::lba).containsExactly(START, START + 1, START + 2, START + 3);
    }

    @Test
    void aFailedTableWriteFailsWhatItCarriedAndTheNextWriteCarriesTheEntriesAgain() {
        MemberTable t = table(640);
        set(t, 5, (byte) 7);
        member.failNth(1);
        Writer w = new Writer();
        w.commit.start(t, 5, 1, Runnable::run);
        assertThat(w.told).containsExactly(BdevStatus.MEDIA_ERROR);
        assertThat(onMember(START)[5 * ENTRY]).isZero();

        set(t, 6, (byte) 8);
        w.told.clear();
        w.commit.start(t, 6, 1, Runnable::run);
        assertThat(w.told).containsExactly(BdevStatus.SUCCESS);
        byte[] block = onMember(START);
        assertThat(block[5 * ENTRY]).isEqualTo((byte) 7);
        assertThat(block[6 * ENTRY]).isEqualTo((byte) 8);

        MemberTable reopened = table(640);
        assertThat(reopened.isBlank()).isTrue();
        reopened.load();
        assertThat(get(reopened, 5)).isEqualTo((byte) 7);
        assertThat(get(reopened, 6)).isEqualTo((byte) 8);
        assertThat(reopened.isBlank()).isFalse();
    }

    @Test
    void eachOwnerIsToldOnItsOwnCore() throws Exception {
        ExecutorService coreA = Executors.newSingleThreadExecutor(r -> new Thread(r, "core-a"));
        ExecutorService coreB = Executors.newSingleThreadExecutor(r -> new Thread(r, "core-b"));
        executors.add(coreA);
        executors.add(coreB);
        MemberTable t = table(640);
        member.hold(true);
        Writer a = new Writer();
        Writer b = new Writer();
        coreA.submit(() -> a.commit.start(t, 0, 1, coreA)).get(5, TimeUnit.SECONDS);
        coreB.submit(() -> b.commit.start(t, 1, 1, coreB)).get(5, TimeUnit.SECONDS);
        assertThat(member.heldCount()).isEqualTo(1);
        member.releaseHeld(); // the table writes complete on core A, which started them
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while ((a.thread == null || b.thread == null) && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertThat(a.thread).isEqualTo("core-a");
        assertThat(b.thread).as("handed over to its own core").isEqualTo("core-b");
        assertThat(member.log()).hasSize(2);
    }

    @Test
    void zeroingClearsTheTableOnTheMember() {
        MemberTable t = table(640);
        set(t, 0, (byte) 9);
        Writer w = new Writer();
        w.commit.start(t, 0, 1, Runnable::run);
        assertThat(onMember(START)[0]).isEqualTo((byte) 9);
        t.zeroOnMember();
        assertThat(onMember(START)[0]).isZero();
    }
}
