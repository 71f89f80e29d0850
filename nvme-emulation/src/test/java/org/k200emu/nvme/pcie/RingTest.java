package org.k200emu.nvme.pcie;

import static org.assertj.core.api.Assertions.assertThat;
import static org.k200emu.nvme.pcie.TestNvmeDriver.expect;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.testing.Bytes;

/**
 * Rings over time: more commands than the queues hold, so indexes wrap, phase tags flip on each
 * pass of a completion queue, and each entry's SQ head says how far the controller has read.
 */
class RingTest {

    private final TestMachine m = TestMachine.start();
    private final TestNvmeDriver d = m.driver;

    @AfterEach
    void close() {
        assertThat(m.csts()).isEqualTo(PcieController.CSTS_RDY);
        m.close();
    }

    @Test
    void smallestAdminQueuesWrapManyTimes() {
        d.enable(2, 2);
        long page = d.allocPages(1);
        for (int i = 0; i < 25; i++) {
            Cqe cqe = expect(d.admin(Sqe.identify(1, 0).prp1(page)), NvmeStatus.SUCCESS);
            assertThat(cqe.sqhd()).isEqualTo((i + 1) % 2);
            assertThat(cqe.phase()).as("phase of completion %d", i).isEqualTo(i / 2 % 2 == 0);
        }
    }

    @Test
    void oneAtATimeThroughAFourEntryQueue() {
        d.enable();
        TestNvmeDriver.QueuePair q = d.createIoQueuePair(1, 4, 1);
        for (int i = 0; i < 50; i++) {
            Cqe cqe = expect(d.write(q, 1, i, Bytes.random(i, 512), 512), NvmeStatus.SUCCESS);
            assertThat(cqe.sqhd()).as("SQHD after command %d", i).isEqualTo((i + 1) % 4);
            assertThat(cqe.sqid()).isEqualTo(1);
            assertThat(cqe.phase()).as("phase of completion %d", i).isEqualTo(i / 4 % 2 == 0);
        }
        for (int i = 0; i < 50; i++) {
            assertThat(d.read(q, 1, i, 1, 512)).isEqualTo(Bytes.random(i, 512));
        }
    }

    @Test
    void aFullCompletionQueueHoldsCompletionsUntilTheHostMovesItsHead() {
        d.enable();
        TestNvmeDriver.QueuePair q = d.createIoQueuePair(1, 8, 4, 1, true);
        long page = d.allocPages(1);
        List<Integer> cids = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            cids.add(d.post(q, Sqe.rw(Sqe.READ, 1, i, 1).prp1(page)));
        }
        d.ring(q);
        assertThat(d.visible(q)).as("a 4-entry CQ holds 3").isEqualTo(3);
        List<Cqe> first = d.reap(q);
        assertThat(first).hasSize(3);
        // The head doorbell made room: the next completions were posted at once.
        assertThat(d.visible(q)).isEqualTo(3);
        List<Cqe> all = new ArrayList<>(first);
        all.addAll(d.reap(q));
        all.addAll(d.reap(q));
        assertThat(all).extracting(Cqe::cid).containsExactlyElementsOf(cids);
        assertThat(all).allMatch(Cqe::ok);
        // Entries 0..3 of the first pass carry phase 1; the wrap to entry 0 flips it.
        assertThat(all).extracting(Cqe::phase).containsExactly(true, true, true, true, false, false, false);
        assertThat(all.get(6).sqhd()).isEqualTo(7);
    }

    @Test
    void randomBatchesWrapBothRingsAndEveryCommandCompletesOnce() {
        d.enable();
        TestNvmeDriver.QueuePair q = d.createIoQueuePair(1, 16, 11, 1, true);
        Random random = new Random(7);
        Set<Integer> seen = new HashSet<>();
        int submitted = 0;
        long page = d.allocPages(1);
        while (submitted < 600) {
            int batch = Math.min(1 + random.nextInt(q.room()), 600 - submitted);
            List<Integer> cids = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                int lba = submitted % 1000;
                cids.add(d.post(q, Sqe.rw(i % 2 == 0 ? Sqe.WRITE : Sqe.READ, 1, lba, 1).prp1(page)));
                submitted++;
            }
            d.ring(q);
            for (int cid : cids) {
                Cqe cqe = d.await(q, cid);
                assertThat(cqe.ok()).as("%s", cqe).isTrue();
                assertThat(seen.add(cid)).as("CID %d completed once", cid).isTrue();
            }
            assertThat(q.sqHead).as("the controller read all it was given").isEqualTo(q.sqTail);
        }
        assertThat(q.reaped).hasSize(600);
        int flips = 0;
        for (int i = 1; i < q.reaped.size(); i++) {
            if (q.reaped.get(i).phase() != q.reaped.get(i - 1).phase()) {
                flips++;
            }
        }
        assertThat(flips).as("one phase flip per pass of the 11-entry CQ").isEqualTo(599 / 11);
    }
}
