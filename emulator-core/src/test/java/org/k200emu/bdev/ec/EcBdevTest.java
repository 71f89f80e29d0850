package org.k200emu.bdev.ec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.k200emu.bdev.TestIo.allZero;
import static org.k200emu.bdev.TestIo.inline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.TestIo;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.testing.FaultyBdev;
import org.k200emu.testing.Bytes;

class EcBdevTest {

    private final EcFixture fx = new EcFixture();

    @AfterEach
    void close() {
        fx.close();
    }

    @Test
    void describesItselfAndTakesCapacityFromTheSmallestMember() {
        int strip = 16384;
        long need = EcFixture.memberBlocks(4, 2, 512, strip, 10);
        List<MallocBdev> members = new ArrayList<>(fx.mallocs(5, 512, need + 1000));
        members.addAll(fx.mallocs(1, 512, need + 31)); // the smallest: 10 stripes and a ragged end
        EcBdev ec = fx.create("ec0", 4, 2, members, strip);
        assertThat(ec.name()).isEqualTo("ec0");
        assertThat(ec.module()).isEqualTo("ec");
        assertThat(ec.blockSize()).isEqualTo(512);
        assertThat(ec.blockCount()).isEqualTo(10L * 4 * strip / 512);
        assertThat(ec.dataMembers()).isEqualTo(4);
        assertThat(ec.parityMembers()).isEqualTo(2);
        assertThat(ec.stripBytes()).isEqualTo(strip);
        assertThat(ec.hasVolatileWriteCache()).isFalse();
        for (BdevOp op : BdevOp.values()) {
            assertThat(ec.supports(op)).isTrue();
        }
        EcStatus status = ec.status();
        assertThat(status.members()).containsOnly(EcMemberState.HEALTHY).hasSize(6);
        assertThat(status.fullyRedundant()).isTrue();
        assertThat(status.failedMembers()).isZero();
        assertThat(status.rebuild()).isEmpty();
        assertThat(status.resyncedStripes()).isZero();
        assertThat(ec.layout().metaBlocks * 512).as("metadata: one strip").isEqualTo(strip);
    }

    @Test
    void refusesUnusableConfigurations() {
        List<MallocBdev> six = fx.mallocs(6, 512, 2048);
        assertThatThrownBy(() -> EcBdev.create("ec", 4, 2, new ArrayList<>(six.subList(0, 5)), 4096))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("bdev ec: 6 members needed, 5 given");
        assertThatThrownBy(() -> EcBdev.create("ec", 4, 2, new ArrayList<>(six), 1000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bdev ec: strip size 1000 is not a multiple of the block size 512");
        assertThatThrownBy(() -> EcBdev.create("ec", 0, 2, new ArrayList<>(six), 4096))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 <= k");
        assertThatThrownBy(() -> EcBdev.create("ec", 4, 2, new ArrayList<>(six), 1 << 20))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hold no stripe");
        List<Bdev> mixed = new ArrayList<>(six.subList(0, 5));
        mixed.add(fx.mallocs(1, 4096, 256).get(0));
        assertThatThrownBy(() -> EcBdev.create("ec", 4, 2, mixed, 4096))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("block sizes 512 and 4096");
    }

    @Test
    void malformedIoCompletesInlineWithTheRightStatus() {
        EcBdev ec = fx.create("ec0", 4, 2, fx.mallocs(6, 512, EcFixture.memberBlocks(4, 2, 512, 4096, 4)), 4096);
        long blocks = ec.blockCount();
        assertThat(inline(ec, BdevOp.READ, blocks, 1, Unpooled.buffer(512))).isEqualTo(BdevStatus.OUT_OF_RANGE);
        assertThat(inline(ec, BdevOp.WRITE_ZEROES, blocks - 1, 2, null)).isEqualTo(BdevStatus.OUT_OF_RANGE);
        ByteBuf small = Unpooled.buffer(100).writeZero(100);
        assertThat(inline(ec, BdevOp.WRITE, 0, 1, small)).isEqualTo(BdevStatus.BAD_BUFFER);
        assertThat(inline(ec, BdevOp.READ, 0, 2, Unpooled.buffer(512, 512))).isEqualTo(BdevStatus.BAD_BUFFER);
        assertThat(inline(ec, BdevOp.READ, 0, 0, Unpooled.buffer(0))).isEqualTo(BdevStatus.SUCCESS);
        small.release();
        ec.close();
        assertThat(inline(ec, BdevOp.FLUSH, 0, 0, null)).isEqualTo(BdevStatus.ABORTED);
    }

    @Test
    void parityRotatesAcrossTheMembers() throws Exception {
        int k = 4;
        int n = 6;
        int strip = 4096;
        List<MallocBdev> raw = fx.mallocs(n, 512, EcFixture.memberBlocks(k, 2, 512, strip, n));
        EcBdev ec = fx.create("ec0", k, 2, raw, strip);
        EcFixture.Core core = fx.core("core0");
        byte[] data = Bytes.random(5, (int) ec.blockCount() * 512);
        fx.writeOk(ec, core, 0, data);
        EcLayout layout = ec.layout();
        for (long s = 0; s < n; s++) {
            // The first parity is the XOR of the data strips, and sits on member (k + s) mod n.
            byte[] xor = new byte[strip];
            for (int j = 0; j < k; j++) {
                int from = (int) ((s * k + j) * strip);
                for (int i = 0; i < strip; i++) {
                    xor[i] ^= data[from + i];
                }
            }
            int parityMember = (int) ((k + s) % n);
            assertThat(layout.memberOf(k, s)).isEqualTo(parityMember);
            ByteBuf buf = Unpooled.buffer(strip);
            inline(raw.get(parityMember), BdevOp.READ, layout.memberBlock(s, 0), strip / 512, buf);
            assertThat(TestIo.bytes(buf)).as("P of stripe %d on member %d", s, parityMember)
                    .isEqualTo(xor);
            buf.release();
        }
        assertThat(EcFixture.inconsistentStripes(layout, raw)).isEmpty();
    }

    @Test
    void fullStripeWritesReadNothingAndPartialOnesReadTheRestOfTheRange() throws Exception {
        int strip = 4096;
        List<FaultyBdev> members = EcFixture.wrap(fx.mallocs(6, 512, EcFixture.memberBlocks(4, 2, 512, strip, 8)),
                null);
        EcBdev ec = fx.create("ec0", 4, 2, members, strip);
        EcFixture.Core core = fx.core("core0");
        long before = members.stream().mapToLong(FaultyBdev::reads).sum();
        fx.writeOk(ec, core, 32, Bytes.random(1, 2 * 4 * strip)); // stripes 1 and 2, whole
        assertThat(members.stream().mapToLong(FaultyBdev::reads).sum()).isEqualTo(before);
        fx.writeOk(ec, core, 0, Bytes.random(2, 1024)); // 2 blocks of shard 0: read that range of shards 1-3
        assertThat(members.stream().mapToLong(FaultyBdev::reads).sum()).isEqualTo(before + 3);
    }

    @Test
    void unmapAndWriteZeroesOfTheWholeVolumeReadBackAsZeroes() throws Exception {
        int strip = 4096;
        // 40 stripes: more pieces than one parent keeps in flight.
        EcBdev ec = fx.create("ec0", 4, 2, fx.mallocs(6, 512, EcFixture.memberBlocks(4, 2, 512, strip, 40)), strip);
        EcFixture.Core core = fx.core("core0");
        byte[] data = Bytes.random(3, (int) ec.blockCount() * 512);
        fx.writeOk(ec, core, 0, data);
        assertThat(EcFixture.io(ec, core, BdevOp.UNMAP, 3, ec.blockCount() - 5, null)).isEqualTo(BdevStatus.SUCCESS);
        byte[] back = fx.readOk(ec, core, 0, ec.blockCount());
        assertThat(Arrays.copyOfRange(back, 0, 1536)).isEqualTo(Arrays.copyOfRange(data, 0, 1536));
        assertThat(allZero(Arrays.copyOfRange(back, 1536, back.length - 1024))).isTrue();
        assertThat(EcFixture.io(ec, core, BdevOp.WRITE_ZEROES, 0, ec.blockCount(), null)).isEqualTo(BdevStatus.SUCCESS);
        assertThat(allZero(fx.readOk(ec, core, 0, ec.blockCount()))).isTrue();
    }

    @Test
    void flushClearsTheWriteIntentOfIdleRegions() throws Exception {
        // Regions of one stripe (16 KiB of data) rather than the default 16 MiB.
        EcBdev ec = fx.create("ec0", 4, 2, fx.mallocs(6, 512, EcFixture.memberBlocks(4, 2, 512, 4096, 8)), 4096,
                16384);
        EcFixture.Core core = fx.core("core0");
        assertThat(ec.status().dirtyRegions()).isZero();
        fx.writeOk(ec, core, 40, Bytes.random(4, 512 * 80)); // blocks 40-119: stripes 1 to 3
        assertThat(ec.status().dirtyRegions()).isEqualTo(3);
        assertThat(EcFixture.io(ec, core, BdevOp.FLUSH, 0, 0, null)).isEqualTo(BdevStatus.SUCCESS);
        assertThat(ec.status().dirtyRegions()).isZero();
    }

    /**
     * The reference model: random reads, writes, zeroes and flushes of random sizes at random
     * (stripe-unaligned) places, with m members failing at random points, compared with a byte
     * array; then the whole volume with m members gone, then MEDIA_ERROR with m + 1 gone.
     */
    @ParameterizedTest(name = "{0}+{1} strip={2} bs={3} remote={4} seed={5}")
    @CsvSource({
        "4, 2, 4096, 512, false, 1",
        "4, 2, 16384, 512, true, 2",
        "8, 3, 4096, 512, false, 3",
        "8, 3, 8192, 4096, true, 4",
        "10, 4, 4096, 512, false, 5",
        "2, 1, 4096, 512, true, 6",
    })
    void randomIoMatchesTheModelWhileMembersFail(int k, int m, int strip, int bs, boolean remote, long seed)
            throws Exception {
        int n = k + m;
        long stripes = 2L * n + 1;
        SplittableRandom r = new SplittableRandom(seed);
        List<FaultyBdev> members = EcFixture.wrap(fx.mallocs(n, bs, EcFixture.memberBlocks(k, m, bs, strip, stripes)),
                remote ? fx.remote("remote") : null);
        EcBdev ec = fx.create("ec" + seed, k, m, members, strip);
        assertThat(ec.blockCount()).isEqualTo(stripes * k * strip / bs);
        EcFixture.Core core = fx.core("core-" + seed);
        byte[] model = new byte[(int) (ec.blockCount() * bs)];
        long maxBlocks = 3L * k * strip / bs;

        int ops = 300;
        List<Integer> failAt = new ArrayList<>();
        while (failAt.size() < m) {
            int at = 20 + r.nextInt(ops - 40);
            if (!failAt.contains(at)) {
                failAt.add(at);
            }
        }
        Collections.sort(failAt);
        List<Integer> doomed = new ArrayList<>();
        for (int i = 0; i < ops; i++) {
            if (!failAt.isEmpty() && failAt.get(0) == i) {
                failAt.remove(0);
                int d;
                do {
                    d = r.nextInt(n);
                } while (doomed.contains(d));
                doomed.add(d);
                if (r.nextBoolean()) {
                    members.get(d).failAll();
                } else {
                    members.get(d).failFromNth(1 + r.nextInt(6));
                }
            }
            long blocks = 1 + r.nextLong(maxBlocks);
            long lba = r.nextLong(ec.blockCount() - blocks + 1);
            int from = (int) (lba * bs);
            int len = (int) (blocks * bs);
            int what = r.nextInt(100);
            if (what < 55) {
                byte[] data = Bytes.random(r.nextLong(), len);
                fx.writeOk(ec, core, lba, data);
                System.arraycopy(data, 0, model, from, len);
            } else if (what < 70) {
                BdevOp op = r.nextBoolean() ? BdevOp.WRITE_ZEROES : BdevOp.UNMAP;
                assertThat(EcFixture.io(ec, core, op, lba, blocks, null)).as("%s op %d", op, i)
                        .isEqualTo(BdevStatus.SUCCESS);
                Arrays.fill(model, from, from + len, (byte) 0);
            } else if (what < 95) {
                TestIo.assertSameBytes(fx.readOk(ec, core, lba, blocks),
                        Arrays.copyOfRange(model, from, from + len), "read " + i + " at " + lba);
            } else {
                assertThat(EcFixture.io(ec, core, BdevOp.FLUSH, 0, 0, null)).isEqualTo(BdevStatus.SUCCESS);
            }
        }
        fx.assertVolume(ec, core, model, "whole volume after the random I/O");
        assertThat(ec.status().failedMembers()).isLessThanOrEqualTo(m);

        // Whichever members the schedule failed, m of them gone still reads back.
        for (int d : doomed) {
            members.get(d).failAll();
        }
        fx.assertVolume(ec, core, model, "whole volume with " + m + " members gone");
        assertThat(ec.status().failedMembers()).isEqualTo(m);

        int extra = 0;
        while (doomed.contains(extra)) {
            extra++;
        }
        members.get(extra).failAll();
        assertThat(fx.readStatus(ec, core, 0, ec.blockCount())).isEqualTo(BdevStatus.MEDIA_ERROR);
        assertThat(fx.write(ec, core, 0, new byte[k * strip])).isEqualTo(BdevStatus.MEDIA_ERROR);
    }
}
