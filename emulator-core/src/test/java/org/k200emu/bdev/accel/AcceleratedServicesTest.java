package org.k200emu.bdev.accel;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.Accelerated;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.TestIo;
import org.k200emu.bdev.crypto.CryptoBdev;
import org.k200emu.bdev.dedup.DedupBdev;
import org.k200emu.bdev.ec.EcBdev;
import org.k200emu.bdev.integrity.IntegrityBdev;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.raid.RaidBdev;
import org.k200emu.cluster.CoreId;
import org.k200emu.cluster.MppaLayout;
import org.k200emu.cluster.SimCore;
import org.k200emu.cluster.StepRunner;
import org.k200emu.cluster.accel.AccelKind;
import org.k200emu.cluster.accel.AcceleratorModel;
import org.k200emu.cluster.accel.AcceleratorStats;
import org.k200emu.cluster.accel.Accelerators;
import org.k200emu.testing.Bytes;

/**
 * Every storage service submits its crypto, hash and erasure-code work to the accelerator of the
 * cluster whose core runs the I/O, for exactly the bytes it processes, and still returns the
 * right data; with pacing, the I/O completes when the modelled engines would have finished. Runs
 * in step mode: the I/Os are submitted on core 2.3 of a simulated MPPA with a virtual clock.
 */
class AcceleratedServicesTest {

    private static final int CLUSTER = 2;

    private final StepRunner runner = StepRunner.create(MppaLayout.DEFAULT);
    private final SimCore core = runner.mppa().core(CoreId.of(CLUSTER, 3));
    private final List<AutoCloseable> opened = new ArrayList<>();
    private Accelerators accel = new Accelerators(AcceleratorModel.k200(), runner.clock());

    @AfterEach
    void closeAll() throws Exception {
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).close();
        }
    }

    private <T extends Bdev> T keep(T b) {
        opened.add(b);
        if (b instanceof Accelerated) {
            ((Accelerated) b).useAccelerators(accel);
        }
        return b;
    }

    private MallocBdev malloc(String name, int blockSize, long bytes) {
        return keep(new MallocBdev(name, blockSize, bytes / blockSize));
    }

    /** One I/O submitted on the core; returns its status once the cores are idle (-1: not completed yet). */
    private int[] submit(Bdev bdev, BdevOp op, long lba, long blocks, ByteBuf buf) {
        int[] status = {-1};
        BdevIo io = new BdevIo();
        core.execute(() -> bdev.submit(io.prepare(op, lba, blocks, buf, core, d -> status[0] = d.status(), null)));
        runner.runUntilIdle();
        return status;
    }

    private void write(Bdev bdev, long lba, byte[] data) {
        ByteBuf buf = Unpooled.wrappedBuffer(data);
        try {
            assertThat(submit(bdev, BdevOp.WRITE, lba, data.length / bdev.blockSize(), buf)[0])
                    .isEqualTo(BdevStatus.SUCCESS);
        } finally {
            buf.release();
        }
    }

    private byte[] read(Bdev bdev, long lba, int bytes) {
        ByteBuf buf = Unpooled.buffer(bytes);
        try {
            assertThat(submit(bdev, BdevOp.READ, lba, bytes / bdev.blockSize(), buf)[0]).isEqualTo(BdevStatus.SUCCESS);
            return TestIo.bytes(buf);
        } finally {
            buf.release();
        }
    }

    private AcceleratorStats stats(AccelKind kind) {
        return accel.cluster(CLUSTER).stats(kind, runner.clock().nanoTime());
    }

    private void assertCounted(AccelKind kind, long jobs, long bytes) {
        AcceleratorStats s = stats(kind);
        assertThat(s.jobs()).as("%s jobs", kind).isEqualTo(jobs);
        assertThat(s.bytes()).as("%s bytes", kind).isEqualTo(bytes);
    }

    private static byte[] key() {
        byte[] k = Bytes.random(7, 64);
        k[32] ^= 1; // the two halves must differ
        return k;
    }

    @Test
    void cryptEncryptsAndDecryptsOnTheCryptoEngines() {
        CryptoBdev crypt = keep(CryptoBdev.create("crypt0", malloc("m0", 512, 1 << 20), key()));
        byte[] data = Bytes.random(1, 4096);
        write(crypt, 8, data);
        assertCounted(AccelKind.CRYPTO, 1, 4096);
        assertThat(read(crypt, 8, 4096)).isEqualTo(data);
        assertCounted(AccelKind.CRYPTO, 2, 8192);
        // Write Zeroes is written as encrypted zero blocks: 16 blocks of 512 bytes, one chunk.
        assertThat(submit(crypt, BdevOp.WRITE_ZEROES, 8, 16, null)[0]).isEqualTo(BdevStatus.SUCCESS);
        assertCounted(AccelKind.CRYPTO, 3, 8192 + 8192);
        assertThat(read(crypt, 8, 4096)).containsOnly(0);
        assertCounted(AccelKind.HASH, 0, 0);
        assertCounted(AccelKind.ERASURE_CODE, 0, 0);
        // Only the cluster of the I/O's core did work.
        assertThat(accel.stats()).extracting(AcceleratorStats::cluster).containsOnly(CLUSTER);
    }

    @Test
    void integrityHashesWrittenBlocksAndChecksThemOnRead() {
        IntegrityBdev integrity = keep(IntegrityBdev.create("int0", malloc("m0", 512, 4 << 20), "SHA-256"));
        byte[] data = Bytes.random(2, 4096);
        write(integrity, 0, data);
        assertCounted(AccelKind.HASH, 1, 4096);
        // 8 KiB read, of which only the first 4 KiB have digests to check.
        byte[] back = read(integrity, 0, 8192);
        assertThat(java.util.Arrays.copyOf(back, 4096)).isEqualTo(data);
        assertCounted(AccelKind.HASH, 2, 8192);
    }

    @Test
    void ecFullStripeWriteFeedsKStripsToTheErasureCodeEngines() {
        List<Bdev> members = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            members.add(malloc("m" + i, 512, 4 << 20));
        }
        EcBdev ec = keep(EcBdev.create("ec0", 4, 2, members, 4096));
        byte[] stripe = Bytes.random(3, 4 * 4096);
        write(ec, 0, stripe);
        assertCounted(AccelKind.ERASURE_CODE, 1, 4 * 4096);
        // One block of a strip: the parity of that 512-byte column of the 4 data strips.
        write(ec, 3 * 8 + 1, Bytes.random(4, 512));
        assertCounted(AccelKind.ERASURE_CODE, 2, 4 * 4096 + 4 * 512);
        byte[] expected = stripe.clone();
        System.arraycopy(Bytes.random(4, 512), 0, expected, (3 * 8 + 1) * 512, 512);
        assertThat(read(ec, 0, 4 * 4096)).isEqualTo(expected);
        assertCounted(AccelKind.ERASURE_CODE, 2, 4 * 4096 + 4 * 512); // healthy reads code nothing
    }

    @Test
    void raidParityGoesToTheErasureCodeEngines() {
        List<Bdev> members = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            members.add(malloc("m" + i, 512, 4 << 20));
        }
        RaidBdev raid = keep(RaidBdev.create("r5", 5, members, 4096));
        // A full row: parity from the 4 new strips (reconstruct-write, nothing read).
        byte[] row = Bytes.random(5, 4 * 4096);
        write(raid, 0, row);
        assertCounted(AccelKind.ERASURE_CODE, 1, 4 * 4096);
        // One block: read-modify-write, fed the old and new block and the old parity block.
        write(raid, 2, Bytes.random(6, 512));
        assertCounted(AccelKind.ERASURE_CODE, 2, 4 * 4096 + 3 * 512);
        byte[] expected = row.clone();
        System.arraycopy(Bytes.random(6, 512), 0, expected, 2 * 512, 512);
        assertThat(read(raid, 0, 4 * 4096)).isEqualTo(expected);
    }

    @Test
    void dedupFingerprintsEveryNonZeroBlockOnTheHashEngines() {
        DedupBdev dedup = keep(DedupBdev.create("dd0", malloc("m0", 4096, 64 << 20)));
        byte[] data = new byte[3 * 4096];
        System.arraycopy(Bytes.random(8, 4096), 0, data, 0, 4096);
        System.arraycopy(Bytes.random(8, 4096), 0, data, 8192, 4096); // a duplicate; the middle block is zero
        write(dedup, 0, data);
        assertCounted(AccelKind.HASH, 2, 8192);
        assertThat(read(dedup, 0, 3 * 4096)).isEqualTo(data);
        assertThat(dedup.stats().physicalBlocksUsed()).isEqualTo(1);
    }

    @Test
    void pacedIoCompletesWhenTheModelledEnginesFinish() {
        accel = new Accelerators(AcceleratorModel.k200().withPace(true), runner.clock());
        CryptoBdev crypt = keep(CryptoBdev.create("crypt0", malloc("m0", 512, 1 << 20), key()));
        long job = AcceleratorModel.k200().serviceNanos(AccelKind.CRYPTO, 4096) + AcceleratorModel.k200().submitNanos();
        assertThat(job).isEqualTo(13_108 + 1_250);
        byte[] data = Bytes.random(9, 4096);
        ByteBuf buf = Unpooled.wrappedBuffer(data);
        int[] status = submit(crypt, BdevOp.WRITE, 0, 8, buf);
        assertThat(status[0]).as("completed before the engine finished").isEqualTo(-1);
        runner.advance(job - 1);
        assertThat(status[0]).isEqualTo(-1);
        runner.advance(1);
        assertThat(status[0]).isEqualTo(BdevStatus.SUCCESS);
        buf.release();

        // A read: the member answers at once, the decryption holds the completion for one job.
        long start = runner.clock().nanoTime();
        ByteBuf in = Unpooled.buffer(4096);
        int[] read = submit(crypt, BdevOp.READ, 0, 8, in);
        assertThat(read[0]).isEqualTo(-1);
        runner.advance(job);
        assertThat(read[0]).isEqualTo(BdevStatus.SUCCESS);
        assertThat(runner.clock().nanoTime() - start).isEqualTo(job);
        assertThat(TestIo.bytes(in)).isEqualTo(data);
        in.release();

        // Two I/Os at once on a 1-engine card: the second waits for the first.
        accel = new Accelerators(new AcceleratorModel(1, 4096e6, 1e9, 1e9, 0, 1.2e9, true), runner.clock());
        crypt.useAccelerators(accel);
        ByteBuf a = Unpooled.wrappedBuffer(Bytes.random(10, 4096));
        ByteBuf b = Unpooled.wrappedBuffer(Bytes.random(11, 4096));
        int[] first = {-1};
        int[] second = {-1};
        BdevIo ioA = new BdevIo();
        BdevIo ioB = new BdevIo();
        core.execute(() -> {
            crypt.submit(ioA.prepare(BdevOp.WRITE, 0, 8, a, core, d -> first[0] = d.status(), null));
            crypt.submit(ioB.prepare(BdevOp.WRITE, 8, 8, b, core, d -> second[0] = d.status(), null));
        });
        runner.runUntilIdle();
        runner.advance(1_000); // 4,096 bytes at 4,096 MB/s: 1,000 ns each
        assertThat(first[0]).isEqualTo(BdevStatus.SUCCESS);
        assertThat(second[0]).isEqualTo(-1);
        runner.advance(1_000);
        assertThat(second[0]).isEqualTo(BdevStatus.SUCCESS);
        assertThat(stats(AccelKind.CRYPTO).waitNanos()).isEqualTo(1_000);
        a.release();
        b.release();
    }

    @Test
    void pacingAddsUpThroughStackedServices() {
        accel = new Accelerators(AcceleratorModel.k200().withPace(true), runner.clock());
        List<Bdev> members = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            members.add(malloc("m" + i, 512, 4 << 20));
        }
        EcBdev ec = keep(EcBdev.create("ec0", 4, 2, members, 4096));
        CryptoBdev crypt = keep(CryptoBdev.create("crypt0", ec, key()));
        AcceleratorModel m = AcceleratorModel.k200();
        // Encrypt 4 KiB, then encode the 4 data strips' 4 KiB column: one job after the other.
        long encrypt = m.serviceNanos(AccelKind.CRYPTO, 4096) + m.submitNanos();
        long encode = m.serviceNanos(AccelKind.ERASURE_CODE, 4 * 4096) + m.submitNanos();
        assertThat(encode).isEqualTo(43_691 + 1_250);
        ByteBuf buf = Unpooled.wrappedBuffer(Bytes.random(12, 4096));
        int[] status = submit(crypt, BdevOp.WRITE, 16, 8, buf);
        runner.advance(encrypt + encode - 1);
        assertThat(status[0]).isEqualTo(-1);
        runner.advance(1);
        assertThat(status[0]).isEqualTo(BdevStatus.SUCCESS);
        buf.release();
        assertCounted(AccelKind.CRYPTO, 1, 4096);
        assertCounted(AccelKind.ERASURE_CODE, 1, 4 * 4096);
    }
}
