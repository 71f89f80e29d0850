package org.k200emu.nvme.pcie;

import static org.assertj.core.api.Assertions.assertThat;
import static org.k200emu.nvme.pcie.TestNvmeDriver.expect;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.testing.FaultyBdev;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.testing.Bytes;

/**
 * The controller on its own core thread, the host on the test thread: register writes cross
 * over, completions and interrupts come back, bdev completions from other threads return
 * through the core, and every bdev I/O starts on the core.
 */
class CoreExecutorTest {

    private static final String CORE = "pcie-core";

    private final ExecutorService core = Executors.newSingleThreadExecutor(r -> new Thread(r, CORE));
    private final FaultyBdev bdev = FaultyBdev.overMalloc("held0", 512, 8192);
    private final TestMachine m = new TestMachine(PcieParams.defaults(), core, 32 << 20, bdev);
    private final TestNvmeDriver d = m.driver;

    @AfterEach
    void close() throws InterruptedException {
        m.device.close();
        core.shutdown();
        assertThat(core.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        m.close();
    }

    @Test
    void queuedIoFromTheHostThread() {
        d.enable();
        List<TestNvmeDriver.QueuePair> queues = List.of(d.createIoQueuePair(1, 32, 1), d.createIoQueuePair(2, 32, 2));
        Random random = new Random(3);
        byte[][] written = new byte[256][];
        for (int round = 0; round < 25; round++) {
            for (TestNvmeDriver.QueuePair q : queues) {
                List<Integer> cids = new ArrayList<>();
                List<TestNvmeDriver.Buffer> reads = new ArrayList<>();
                List<Integer> readLbas = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    int slot = random.nextInt(256);
                    long lba = slot * 8L;
                    if (written[slot] == null || random.nextBoolean()) {
                        byte[] data = Bytes.random(round * 1000 + i, 4096);
                        TestNvmeDriver.Buffer b = d.allocBuffer(4096, 0, false);
                        d.fill(b, data);
                        written[slot] = data;
                        cids.add(d.post(q, Sqe.rw(Sqe.WRITE, 1, lba, 8).prp1(b.address())));
                        reads.add(null);
                    } else {
                        TestNvmeDriver.Buffer b = d.allocBuffer(4096, 0, false);
                        cids.add(d.post(q, Sqe.rw(Sqe.READ, 1, lba, 8).prp1(b.address())));
                        reads.add(b);
                    }
                    readLbas.add(slot);
                    // Only the last of a slot's writes in a batch is known to land last: read after.
                    d.ring(q);
                    expect(d.await(q, cids.get(i)), NvmeStatus.SUCCESS);
                    if (reads.get(i) != null) {
                        assertThat(d.contents(reads.get(i))).isEqualTo(written[readLbas.get(i)]);
                    }
                }
            }
        }
        assertThat(d.interrupts(1)).isPositive();
        assertThat(d.interrupts(2)).isPositive();
        assertThat(bdev.submitThreads()).containsExactly(CORE);
    }

    @Test
    void deepQueueAndCompletionsFromAnotherThread() {
        d.enable();
        TestNvmeDriver.QueuePair q = d.createIoQueuePair(1, 64, 1);
        byte[] data = Bytes.random(5, 63 * 4096);
        for (int i = 0; i < 9; i++) {
            // 28 KiB per write: the whole would exceed MDTS (128 KiB).
            byte[] part = Arrays.copyOfRange(data, i * 7 * 4096, (i + 1) * 7 * 4096);
            expect(d.write(q, 1, i * 56L, part, 512), NvmeStatus.SUCCESS);
        }
        bdev.hold(true);
        List<Integer> cids = new ArrayList<>();
        List<TestNvmeDriver.Buffer> buffers = new ArrayList<>();
        for (int i = 0; i < 63; i++) {
            TestNvmeDriver.Buffer b = d.allocBuffer(4096, 0, false);
            buffers.add(b);
            cids.add(d.post(q, Sqe.rw(Sqe.READ, 1, i * 8L, 8).prp1(b.address())));
        }
        d.ring(q);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (bdev.heldCount() < 63 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(bdev.heldCount()).isEqualTo(63);
        bdev.releaseHeld(); // from this thread: each completion hops to the core
        for (int i = 0; i < 63; i++) {
            expect(d.await(q, cids.get(i)), NvmeStatus.SUCCESS);
            assertThat(d.contents(buffers.get(i))).isEqualTo(Arrays.copyOfRange(data, i * 4096, (i + 1) * 4096));
        }
        assertThat(bdev.submitThreads()).containsExactly(CORE);
    }

    @Test
    void enableAndResetAcrossThreads() {
        d.enable();
        for (int i = 0; i < 20; i++) {
            TestNvmeDriver.QueuePair q = d.createIoQueuePair(1, 8, 1);
            expect(d.write(q, 1, i, Bytes.random(i, 512), 512), NvmeStatus.SUCCESS);
            d.disable();
            d.reenable();
        }
        assertThat(m.csts()).isEqualTo(PcieController.CSTS_RDY);
    }
}
