package org.k200emu.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MessageRingTest {

    @Test
    void capacityRoundsUpToPowerOfTwo() {
        assertThat(new MessageRing<String>(2).capacity()).isEqualTo(2);
        assertThat(new MessageRing<String>(5).capacity()).isEqualTo(8);
        assertThat(new MessageRing<String>(64).capacity()).isEqualTo(64);
        assertThatThrownBy(() -> new MessageRing<String>(1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void fifoAndFull() {
        MessageRing<Integer> ring = new MessageRing<>(4);
        assertThat(ring.poll()).isNull();
        assertThat(ring.hasPending()).isFalse();
        for (int i = 0; i < 4; i++) {
            assertThat(ring.offer(i)).isTrue();
        }
        assertThat(ring.offer(99)).as("full").isFalse();
        assertThat(ring.size()).isEqualTo(4);
        assertThat(ring.hasPending()).isTrue();
        assertThat(ring.poll()).isEqualTo(0);
        assertThat(ring.offer(4)).as("one slot freed").isTrue();
        assertThat(ring.offer(5)).isFalse();
        for (int i = 1; i <= 4; i++) {
            assertThat(ring.poll()).isEqualTo(i);
        }
        assertThat(ring.poll()).isNull();
        assertThat(ring.hasPending()).isFalse();
        assertThat(ring.size()).isZero();
    }

    @Test
    void wrapsAroundManyLaps() {
        MessageRing<Long> ring = new MessageRing<>(8);
        long next = 0;
        long expected = 0;
        for (int lap = 0; lap < 1000; lap++) {
            int burst = 1 + lap % 8;
            for (int i = 0; i < burst; i++) {
                assertThat(ring.offer(next++)).isTrue();
            }
            for (int i = 0; i < burst; i++) {
                assertThat(ring.poll()).isEqualTo(expected++);
            }
        }
        assertThat(ring.poll()).isNull();
    }

    @Test
    void multiProducerKeepsPerProducerOrderAndLosesNothing() throws Exception {
        int producers = 3;
        int perProducer = 50_000;
        MessageRing<long[]> ring = new MessageRing<>(256);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int producer = p;
            Thread t = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perProducer; i++) {
                    long[] msg = {producer, i};
                    while (!ring.offer(msg)) {
                        Thread.yield(); // four spinning threads on a 2-CPU machine starve the consumer
                    }
                }
            }, "producer-" + p);
            t.start();
            threads.add(t);
        }
        go.countDown();
        long[] nextExpected = new long[producers];
        long received = 0;
        // A guard against a hang, not a speed limit: shared CI machines can be slow.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (received < (long) producers * perProducer) {
            long[] msg = ring.poll();
            if (msg == null) {
                assertThat(System.nanoTime()).as("consumer timed out").isLessThan(deadline);
                Thread.onSpinWait();
                continue;
            }
            int producer = (int) msg[0];
            assertThat(msg[1]).as("FIFO of producer %d", producer).isEqualTo(nextExpected[producer]);
            nextExpected[producer]++;
            received++;
        }
        for (Thread t : threads) {
            t.join(10_000);
            assertThat(t.isAlive()).isFalse();
        }
        assertThat(ring.poll()).isNull();
        assertThat(nextExpected).containsOnly(perProducer);
    }
}
