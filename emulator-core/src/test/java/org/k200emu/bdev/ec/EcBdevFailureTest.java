package org.k200emu.bdev.ec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.TestIo;
import org.k200emu.bdev.file.FileBdev;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.testing.FaultyBdev;
import org.k200emu.testing.Bytes;

class EcBdevFailureTest {

    private static final int BS = 512;
    private static final int STRIP = 4096;

    private final EcFixture fx = new EcFixture();

    @AfterEach
    void close() {
        fx.close();
    }

    @ParameterizedTest(name = "{0}+{1}")
    @CsvSource({"4, 2", "8, 3"})
    void anyMMissingMembersStillDecodeAndOneMoreIsAMediaError(int k, int m) throws Exception {
        int n = k + m;
        long stripes = n; // every member holds every shard position once
        EcFixture.Core core = fx.core("core0");
        List<MallocBdev> raw = fx.mallocs(n, BS, EcFixture.memberBlocks(k, m, BS, STRIP, stripes));
        EcBdev first = EcBdev.create("ec", k, m, new ArrayList<>(raw), STRIP);
        byte[] data = Bytes.random(n, (int) first.blockCount() * BS);
        fx.writeOk(first, core, 0, data);
        first.close();
        int patterns = 0;
        for (int mask = 0; mask < 1 << n; mask++) {
            if (Integer.bitCount(mask) != m) {
                continue;
            }
            patterns++;
            // Forget the member states of the last round: without superblocks the members are
            // formatted again, and the stripes they hold are consistent, so the data stays.
            for (MallocBdev b : raw) {
                TestIo.inline(b, BdevOp.WRITE_ZEROES, 0, 1, null);
            }
            List<FaultyBdev> members = EcFixture.wrap(raw, null);
            EcBdev ec = EcBdev.create("ec", k, m, new ArrayList<>(members), STRIP);
            try {
                for (int d = 0; d < n; d++) {
                    if ((mask & 1 << d) != 0) {
                        members.get(d).failAll();
                    }
                }
                TestIo.assertSameBytes(fx.readOk(ec, core, 0, ec.blockCount()), data, "members " + mask + " gone");
                assertThat(ec.status().failedMembers()).isEqualTo(m);
                int extra = Integer.numberOfTrailingZeros(~mask);
                members.get(extra).failAll();
                assertThat(fx.readStatus(ec, core, 0, ec.blockCount())).as("one more gone: %d", extra)
                        .isEqualTo(BdevStatus.MEDIA_ERROR);
            } finally {
                ec.close();
            }
        }
        assertThat(patterns).isEqualTo(k == 4 ? 15 : 165);
    }

    @Test
    void withMorePlusOneMembersGoneEveryReadIsRightOrAMediaError() throws Exception {
        List<FaultyBdev> members = EcFixture.wrap(fx.mallocs(6, BS, EcFixture.memberBlocks(4, 2, BS, STRIP, 12)), null);
        EcBdev ec = fx.create("ec", 4, 2, members, STRIP);
        EcFixture.Core core = fx.core("core0");
        byte[] data = Bytes.random(77, (int) ec.blockCount() * BS);
        fx.writeOk(ec, core, 0, data);
        members.get(0).failAll();
        members.get(2).failAll();
        members.get(3).failAll();
        int errors = 0;
        int strips = (int) (ec.blockCount() * BS / STRIP);
        for (int s = 0; s < strips; s++) {
            int[] status = new int[1];
            byte[] got = fx.read(ec, core, (long) s * STRIP / BS, STRIP / BS, status);
            if (status[0] == BdevStatus.MEDIA_ERROR) {
                errors++;
            } else {
                assertThat(status[0]).isEqualTo(BdevStatus.SUCCESS);
                TestIo.assertSameBytes(got, Arrays.copyOfRange(data, s * STRIP, (s + 1) * STRIP), "strip " + s);
            }
        }
        assertThat(errors).as("strips on the three lost members").isEqualTo(strips / 2);
        assertThat(ec.status().failedMembers()).isEqualTo(3);
    }

    @Test
    void rebuildRestoresFullRedundancyWhileWritesGoOn() throws Exception {
        long stripes = 30;
        Executor remote = fx.remote("remote");
        long memberBlocks = EcFixture.memberBlocks(4, 2, BS, STRIP, stripes);
        List<FaultyBdev> members = EcFixture.wrap(fx.mallocs(6, BS, memberBlocks), remote);
        EcBdev ec = fx.create("ec", 4, 2, members, STRIP);
        EcFixture.Core writer = fx.core("writer");
        EcFixture.Core rebuildCore = fx.core("rebuild");
        byte[] model = Bytes.random(8, (int) ec.blockCount() * BS);
        fx.writeOk(ec, writer, 0, model);
        members.get(1).failAll();
        members.get(4).failAll();
        fx.assertVolume(ec, writer, model, "degraded");
        assertThat(ec.memberStates()).containsExactly(EcMemberState.HEALTHY, EcMemberState.FAILED,
                EcMemberState.HEALTHY, EcMemberState.HEALTHY, EcMemberState.FAILED, EcMemberState.HEALTHY);
        assertThatThrownBy(() -> ec.replace(0, fx.mallocs(1, BS, memberBlocks).get(0), rebuildCore))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("only a FAILED member");

        SplittableRandom r = new SplittableRandom(9);
        List<MallocBdev> fresh = fx.mallocs(2, BS, memberBlocks);
        List<FaultyBdev> replacements = EcFixture.wrap(fresh, remote);
        // The rebuild's reads of a survivor wait until the checks below are done: with fast
        // kernels 30 stripes can be rebuilt before the next line runs.
        members.get(0).hold(io -> io.op() == org.k200emu.bdev.BdevOp.READ);
        EcRebuild rebuild = ec.replace(1, replacements.get(0), rebuildCore);
        assertThat(ec.status().rebuild()).containsSame(rebuild);
        assertThat(ec.memberStates().get(1)).isEqualTo(EcMemberState.REBUILDING);
        assertThatThrownBy(() -> ec.replace(4, replacements.get(1), rebuildCore)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is being rebuilt");
        members.get(0).releaseHeld();
        int writes = 0;
        while (!rebuild.isDone() || writes < 20) {
            long blocks = 1 + r.nextLong(64);
            long lba = r.nextLong(ec.blockCount() - blocks + 1);
            byte[] data = Bytes.random(r.nextLong(), (int) blocks * BS);
            fx.writeOk(ec, writer, lba, data);
            System.arraycopy(data, 0, model, (int) lba * BS, data.length);
            writes++;
        }
        rebuild.completion().get(EcFixture.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(rebuild.progress()).isEqualTo(1.0);
        assertThat(rebuild.stripesDone()).isEqualTo(stripes);
        ec.replace(4, replacements.get(1), rebuildCore).completion().get(EcFixture.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(ec.status().fullyRedundant()).isTrue();
        assertThat(ec.memberBdev(1)).isSameAs(replacements.get(0));

        List<Bdev> raw = new ArrayList<>();
        for (int d = 0; d < 6; d++) {
            raw.add(d == 1 ? fresh.get(0) : d == 4 ? fresh.get(1) : members.get(d).inner());
        }
        assertThat(EcFixture.inconsistentStripes(ec.layout(), raw)).isEmpty();
        fx.assertVolume(ec, writer, model, "rebuilt");
        members.get(0).failAll();
        members.get(5).failAll();
        fx.assertVolume(ec, writer, model, "rebuilt, then two other members gone");
    }

    @Test
    void aRebuildStopsWhenTheReplacementFails() throws Exception {
        long memberBlocks = EcFixture.memberBlocks(4, 2, BS, STRIP, 20);
        List<FaultyBdev> members = EcFixture.wrap(fx.mallocs(6, BS, memberBlocks), null);
        EcBdev ec = fx.create("ec", 4, 2, members, STRIP);
        EcFixture.Core core = fx.core("core0");
        byte[] model = Bytes.random(10, (int) ec.blockCount() * BS);
        fx.writeOk(ec, core, 0, model);
        members.get(2).failAll();
        fx.assertVolume(ec, core, model, "degraded");
        FaultyBdev replacement = new FaultyBdev(fx.mallocs(1, BS, memberBlocks).get(0)).failFromNth(12);
        EcRebuild rebuild = ec.replace(2, replacement, fx.core("rebuild"));
        assertThatThrownBy(() -> rebuild.completion().get(EcFixture.TIMEOUT_SECONDS, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasMessageContaining("rebuild of member 2");
        assertThat(ec.memberStates().get(2)).isEqualTo(EcMemberState.FAILED);
        assertThat(rebuild.stripesDone()).isLessThan(20);
        fx.assertVolume(ec, core, model, "after the failed rebuild");
        // A second replacement works.
        ec.replace(2, fx.mallocs(1, BS, memberBlocks).get(0), fx.core("rebuild2")).completion()
                .get(EcFixture.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(ec.status().fullyRedundant()).isTrue();
    }

    @Test
    void aReopenedVolumeKeepsItsDataAndDoesNotTrustAMemberThatFailed() throws Exception {
        List<MallocBdev> raw = fx.mallocs(6, BS, EcFixture.memberBlocks(4, 2, BS, STRIP, 12));
        List<FaultyBdev> first = EcFixture.wrap(raw, null);
        EcBdev ec1 = EcBdev.create("ec", 4, 2, new ArrayList<>(first), STRIP);
        EcFixture.Core core = fx.core("core0");
        byte[] model = Bytes.random(11, (int) ec1.blockCount() * BS);
        fx.writeOk(ec1, core, 0, model);
        first.get(2).failAll();
        SplittableRandom r = new SplittableRandom(12);
        for (int i = 0; i < 30; i++) { // degraded writes: member 2's strips go stale
            long blocks = 1 + r.nextLong(40);
            long lba = r.nextLong(ec1.blockCount() - blocks + 1);
            byte[] data = Bytes.random(r.nextLong(), (int) blocks * BS);
            fx.writeOk(ec1, core, lba, data);
            System.arraycopy(data, 0, model, (int) lba * BS, data.length);
        }
        assertThat(ec1.memberStates().get(2)).isEqualTo(EcMemberState.FAILED);
        ec1.close();

        // Member 2 answers again, but the superblocks know it is stale.
        EcBdev ec2 = fx.create("ec", 4, 2, EcFixture.wrap(raw, null), STRIP);
        assertThat(ec2.memberStates().get(2)).isEqualTo(EcMemberState.FAILED);
        assertThat(ec2.status().resyncedStripes()).as("closed cleanly: nothing to resync").isZero();
        fx.assertVolume(ec2, core, model, "reopened");
        ec2.replace(2, raw.get(2), fx.core("rebuild")).completion().get(EcFixture.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(EcFixture.inconsistentStripes(ec2.layout(), raw)).isEmpty();
        fx.assertVolume(ec2, core, model, "rebuilt in place");
    }

    @Test
    void worksOverFileMembersAndOpensAgainFromTheFiles(@TempDir Path dir) throws Exception {
        long bytes = EcFixture.memberBlocks(4, 2, BS, STRIP, 10) * BS;
        List<Bdev> files = new ArrayList<>();
        for (int d = 0; d < 6; d++) {
            files.add(FileBdev.open("file" + d, dir.resolve("m" + d), bytes, BS, true, 1));
        }
        EcFixture.Core core = fx.core("core0");
        byte[] model = Bytes.random(15, 10 * 4 * STRIP); // 10 stripes
        try {
            EcBdev ec1 = EcBdev.create("ec", 4, 2, files, STRIP);
            assertThat(ec1.hasVolatileWriteCache()).isTrue();
            assertThat(model.length).isEqualTo(ec1.blockCount() * BS);
            fx.writeOk(ec1, core, 0, model);
            fx.writeOk(ec1, core, 3, Bytes.random(16, 5 * BS));
            System.arraycopy(Bytes.random(16, 5 * BS), 0, model, 3 * BS, 5 * BS);
            assertThat(EcFixture.io(ec1, core, BdevOp.FLUSH, 0, 0, null)).isEqualTo(BdevStatus.SUCCESS);
            ec1.close();
            EcBdev ec2 = fx.create("ec", 4, 2, files, STRIP);
            assertThat(ec2.status().resyncedStripes()).isZero();
            fx.assertVolume(ec2, core, model, "reopened from files");
            ec2.close();
        } finally {
            files.forEach(Bdev::close);
        }
    }

    @Test
    void membersInAnotherOrderOrOfAnotherGeometryAreRefused() {
        List<MallocBdev> raw = fx.mallocs(6, BS, EcFixture.memberBlocks(4, 2, BS, STRIP, 12));
        EcBdev.create("ec", 4, 2, new ArrayList<>(raw), STRIP).close();
        List<Bdev> swapped = new ArrayList<>(raw);
        swapped.set(0, raw.get(1));
        swapped.set(1, raw.get(0));
        assertThatThrownBy(() -> EcBdev.create("ec", 4, 2, swapped, STRIP)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is slot 1 of the volume, given as slot 0");
        assertThatThrownBy(() -> EcBdev.create("ec", 3, 3, new ArrayList<>(raw), STRIP))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hold an ec 4+2 volume");
        // Three members unreadable: a 4+2 volume cannot be opened.
        List<Bdev> broken = new ArrayList<>();
        for (int d = 0; d < 6; d++) {
            broken.add(d < 3 ? new FaultyBdev(raw.get(d)).failAll() : raw.get(d));
        }
        assertThatThrownBy(() -> EcBdev.create("ec", 4, 2, broken, STRIP)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("3 of 6 members are missing or failed");
    }

    /**
     * The write hole: a volume dies while a stripe update is half on the members (the parity
     * landed, one data strip did not). Opened again over the same members, the dirty region's
     * stripe is resynced, so it decodes right when members are lost later.
     */
    @Test
    void aTornStripeUpdateIsResyncedWhenTheVolumeIsOpenedAgain() throws Exception {
        List<MallocBdev> raw = fx.mallocs(6, BS, EcFixture.memberBlocks(4, 2, BS, STRIP, 12));
        List<FaultyBdev> first = EcFixture.wrap(raw, null);
        // Regions of one stripe, so that the reopen resyncs the torn stripe only.
        EcBdev ec1 = EcBdev.create("ec", 4, 2, new ArrayList<>(first), STRIP, 4 * STRIP);
        EcFixture.Core core = fx.core("core0");
        byte[] model = Bytes.random(13, (int) ec1.blockCount() * BS);
        fx.writeOk(ec1, core, 0, model);
        assertThat(EcFixture.io(ec1, core, BdevOp.FLUSH, 0, 0, null)).isEqualTo(BdevStatus.SUCCESS);
        assertThat(ec1.status().dirtyRegions()).isZero();

        // Stripe 5, data shards 0-2 rewritten; the write of shard 1 never reaches its member.
        EcLayout layout = ec1.layout();
        long stripe = 5;
        int lost = layout.memberOf(1, stripe);
        CountDownLatch held = new CountDownLatch(1);
        first.get(lost).hold(io -> io.op() == BdevOp.WRITE && io.offsetBlocks() >= layout.metaBlocks, held);
        long lba = stripe * 4 * STRIP / BS;
        byte[] update = Bytes.random(14, 3 * STRIP);
        ByteBuf buf = Unpooled.wrappedBuffer(update);
        BdevIo torn = new BdevIo();
        core.execute(() -> {
            torn.prepare(BdevOp.WRITE, lba, 3 * STRIP / BS, buf, core, d -> { }, null);
            ec1.submit(torn);
        });
        assertThat(held.await(EcFixture.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        core.drain(); // the other member writes of the update have landed
        for (FaultyBdev f : first) {
            f.failAll(); // power off: nothing more of the first volume reaches the members
        }
        assertThat(EcFixture.inconsistentStripes(layout, raw)).as("the hole").containsExactly(stripe);

        EcBdev ec2 = fx.create("ec", 4, 2, EcFixture.wrap(raw, null), STRIP);
        List<FaultyBdev> second = new ArrayList<>();
        for (int d = 0; d < 6; d++) {
            second.add((FaultyBdev) ec2.memberBdev(d));
        }
        assertThat(ec2.status().resyncedStripes()).isEqualTo(1);
        assertThat(ec2.status().fullyRedundant()).isTrue();
        assertThat(EcFixture.inconsistentStripes(layout, raw)).isEmpty();
        // Shards 0 and 2 are new, shard 1 is old: a torn write is not atomic, but it decodes.
        int at = (int) lba * BS;
        System.arraycopy(update, 0, model, at, STRIP);
        System.arraycopy(update, 2 * STRIP, model, at + 2 * STRIP, STRIP);
        fx.assertVolume(ec2, core, model, "reopened");
        second.get(lost).failAll();
        second.get(layout.memberOf(0, stripe)).failAll();
        fx.assertVolume(ec2, core, model, "reopened, two members gone");

        // Let the abandoned volume finish its update (failing) and free its buffers.
        first.get(lost).completeHeld(BdevStatus.MEDIA_ERROR);
        core.drain();
        ec1.close();
        buf.release();
    }
}
