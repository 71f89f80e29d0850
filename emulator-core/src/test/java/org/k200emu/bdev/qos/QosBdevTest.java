package org.k200emu.bdev.qos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.TestIo;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.nullbdev.NullBdev;

/** Limits of the QoS bdev on a fake clock: IOPS, bandwidth, burst, run-time changes, close, data. */
class QosBdevTest {

    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000 * MS;

    private final FakeClock clock = new FakeClock();
    private final RecordingBdev member = new RecordingBdev(new NullBdev("null0", 512, 1 << 20));
    private final Submitter sub = new Submitter();
    private final List<ByteBuf> buffers = new ArrayList<>();

    @AfterEach
    void releaseBuffers() {
        buffers.forEach(ByteBuf::release);
    }

    private QosBdev qos(QosLimits limits) {
        return QosBdev.create("qos0", member, limits, List.of(new QosClass(QosClass.DEFAULT, 1)), clock);
    }

    @Test
    void iopsLimitHoldsOverASimulatedSecond() {
        QosBdev q = qos(new QosLimits(10_000, 0));
        q.setBurstWindow(Duration.ofMillis(10));
        long seq = 0;
        // Offer 50k IOPS (5 I/Os every 100 us) for two simulated seconds.
        long firstSecond = -1;
        for (int step = 1; step <= 20_000; step++) {
            for (int i = 0; i < 5; i++) {
                sub.zeroes(q, "default", seq++);
            }
            clock.advance(100_000);
            if (step == 10_000) {
                firstSecond = member.count();
            }
        }
        long secondSecond = member.count() - firstSecond;
        // The first second also has the 10 ms burst (100 I/Os and the one that overdraws).
        assertThat(firstSecond).isBetween(10_000L, 10_000L + 101 + 10);
        assertThat(secondSecond).isBetween(9_900L, 10_100L);
        assertThat(sub.done()).isEqualTo(member.count());
        assertThat(sub.withStatus(BdevStatus.SUCCESS)).isEqualTo((int) member.count());
        q.close();
        assertThat(sub.withStatus(BdevStatus.ABORTED)).isEqualTo((int) (sub.submitted() - member.count()));
    }

    @Test
    void bandwidthLimitWithMixedSizes() {
        QosBdev q = qos(new QosLimits(0, 8_000_000));
        ByteBuf data = Unpooled.buffer(64 * 512).writeZero(64 * 512);
        buffers.add(data);
        Random rnd = new Random(42);
        long offered = 0;
        int n = 0;
        while (offered < 4 * 8_000_000L) {
            int blocks = 1 + rnd.nextInt(64);
            sub.submit(q, BdevOp.WRITE, n++ * 64L, blocks, data.slice(0, blocks * 512), Runnable::run, null);
            offered += blocks * 512L;
        }
        long burst = member.bytes();
        // 100 ms of bandwidth plus the I/O that overdraws.
        assertThat(burst).isBetween(800_000L, 800_000L + 64 * 512);
        clock.advanceTo(clock.nanoTime() + SECOND);
        long first = member.bytes();
        clock.advance(SECOND);
        long second = member.bytes() - first;
        // Within one largest I/O and one refill period (8 kB) of the rate.
        assertThat(first).isBetween(8_800_000L - 2 * 64 * 512, 8_800_000L + 2 * 64 * 512);
        assertThat(second).isBetween(8_000_000L - 2 * 64 * 512, 8_000_000L + 2 * 64 * 512);
        q.close();
        assertThat(sub.done()).isEqualTo(sub.submitted());
    }

    @Test
    void burstAllowanceAfterIdle() {
        QosBdev q = qos(new QosLimits(1_000, 0)); // default window 100 ms
        for (int i = 0; i < 500; i++) {
            sub.zeroes(q, "default", i);
        }
        assertThat(member.count()).as("a full bucket: 100 ms of tokens and the overdrawing I/O").isEqualTo(101);
        clock.advanceMillis(50);
        assertThat(member.count()).isEqualTo(151);
        clock.advanceMillis(1_000);
        assertThat(member.count()).isEqualTo(500);
        assertThat(q.snapshot().queued()).isZero();
        // A long idle spell banks no more than the window.
        clock.advanceMillis(10_000);
        for (int i = 0; i < 500; i++) {
            sub.zeroes(q, "default", 500 + i);
        }
        assertThat(member.count() - 500).isEqualTo(101);
        q.close();
    }

    @Test
    void limitsChangedAtRunTime() {
        QosBdev q = qos(new QosLimits(1_000, 0));
        q.setBurstWindow(Duration.ofMillis(10));
        for (int i = 0; i < 20_000; i++) {
            sub.zeroes(q, "default", i);
        }
        clock.advance(SECOND);
        long atOne = member.count();
        assertThat(atOne).isBetween(1_000L, 1_011L + 2);
        q.setLimits(new QosLimits(5_000, 0));
        assertThat(q.limits()).isEqualTo(new QosLimits(5_000, 0));
        clock.advanceMillis(2); // within one refill period (1 ms) the new rate is in force
        assertThat(member.count() - atOne).isBetween(5L, 15L);
        clock.advanceTo(clock.nanoTime() + SECOND - 2 * MS);
        long delta = member.count() - atOne;
        assertThat(delta).isBetween(4_900L, 5_100L);
        long before = member.count();
        q.setLimits(new QosLimits(100, 0));
        clock.advance(SECOND);
        assertThat(member.count() - before).isBetween(95L, 110L);
        q.setLimits(QosLimits.UNLIMITED);
        assertThat(member.count()).as("unlimited releases everything without waiting").isEqualTo(20_000);
        assertThat(sub.done()).isEqualTo(20_000);
        assertThat(sub.withStatus(BdevStatus.SUCCESS)).isEqualTo(20_000);
    }

    @Test
    void readAndWriteLimitsApplyApart() {
        QosBdev q = qos(QosLimits.UNLIMITED);
        q.setReadLimits(new QosLimits(1_000, 0));
        q.setBurstWindow(Duration.ofMillis(10));
        ByteBuf data = Unpooled.buffer(512).writeZero(512);
        buffers.add(data);
        Bdev writes = q; // same class: submit the writes first so no read is ahead of them
        for (int i = 0; i < 300; i++) {
            sub.submit(writes, BdevOp.WRITE, i, 1, data.slice(), Runnable::run, null);
        }
        assertThat(member.count()).as("writes are unlimited").isEqualTo(300);
        for (int i = 0; i < 300; i++) {
            ByteBuf into = Unpooled.buffer(512);
            buffers.add(into);
            sub.submit(q, BdevOp.READ, i, 1, into, Runnable::run, null);
        }
        assertThat(member.count() - 300).isEqualTo(11);
        clock.advanceMillis(100);
        assertThat(member.count() - 300).isBetween(110L, 112L);
        assertThat(q.snapshot().readLimits()).isEqualTo(new QosLimits(1_000, 0));
        q.setWriteLimits(new QosLimits(10, 0));
        assertThat(q.writeLimits()).isEqualTo(new QosLimits(10, 0));
        q.close();
        assertThat(sub.done()).isEqualTo(600);
    }

    @Test
    void closeAbortsQueuedIo() {
        QosBdev q = qos(new QosLimits(1_000, 0));
        for (int i = 0; i < 300; i++) {
            sub.zeroes(q, "default", i);
        }
        assertThat(q.snapshot().queued()).isEqualTo(199);
        q.close();
        assertThat(sub.withStatus(BdevStatus.SUCCESS)).isEqualTo(101);
        assertThat(sub.withStatus(BdevStatus.ABORTED)).isEqualTo(199);
        assertThat(q.snapshot().queued()).isZero();
        clock.advance(SECOND);
        assertThat(member.count()).as("nothing released after close").isEqualTo(101);
        assertThat(TestIo.inline(q, BdevOp.WRITE_ZEROES, 0, 1, null)).isEqualTo(BdevStatus.ABORTED);
        assertThat(TestIo.inline(q.classView("default"), BdevOp.FLUSH, 0, 0, null)).isEqualTo(BdevStatus.ABORTED);
    }

    @Test
    void queuedIoIsReleasedOnItsOwnCore() throws Exception {
        QosBdev q = qos(new QosLimits(1_000, 0));
        q.setBurstWindow(Duration.ofMillis(1));
        Queue<Runnable> coreTasks = new ConcurrentLinkedQueue<>();
        Executor core = coreTasks::add;
        for (int i = 0; i < 10; i++) {
            sub.submit(q, BdevOp.WRITE_ZEROES, i, 1, null, core, null);
        }
        long direct = member.count();
        assertThat(direct).isEqualTo(2);
        clock.advanceMillis(5);
        assertThat(member.count()).as("released I/O waits for its core to run it").isEqualTo(direct);
        assertThat(coreTasks).hasSize(5);
        CountDownLatch ran = new CountDownLatch(1);
        Thread coreThread = new Thread(() -> {
            Runnable r;
            while ((r = coreTasks.poll()) != null) {
                r.run();
            }
            ran.countDown();
        }, "core-1");
        coreThread.start();
        assertThat(ran.await(TestIo.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        coreThread.join();
        assertThat(member.count()).isEqualTo(direct + 5);
        assertThat(member.log()).filteredOn(s -> s.thread() == coreThread).hasSize(5);
        q.close();
        assertThat(coreTasks).hasSize(3); // the aborts, also on the I/Os' core
        coreTasks.forEach(Runnable::run);
        assertThat(sub.withStatus(BdevStatus.ABORTED)).isEqualTo(3);
        assertThat(sub.done()).isEqualTo(10);
    }

    @Test
    void malformedIoTakesNoTokensAndFlushIsNotLimited() {
        QosBdev q = qos(new QosLimits(1_000, 0));
        q.setBurstWindow(Duration.ofMillis(1)); // two I/Os at once
        assertThat(TestIo.inline(q, BdevOp.WRITE_ZEROES, q.blockCount(), 1, null)).isEqualTo(BdevStatus.OUT_OF_RANGE);
        assertThat(TestIo.inline(q, BdevOp.WRITE, 0, 1, Unpooled.EMPTY_BUFFER)).isEqualTo(BdevStatus.BAD_BUFFER);
        for (int i = 0; i < 5; i++) {
            assertThat(TestIo.inline(q, BdevOp.FLUSH, 0, 0, null)).isEqualTo(BdevStatus.SUCCESS);
        }
        assertThat(TestIo.inline(q, BdevOp.WRITE_ZEROES, 0, 1, null)).isEqualTo(BdevStatus.SUCCESS);
        assertThat(TestIo.inline(q, BdevOp.UNMAP, 0, 1, null)).isEqualTo(BdevStatus.SUCCESS);
        sub.zeroes(q, "default", 3);
        assertThat(sub.done()).as("the bucket is empty now").isZero();
        clock.advanceMillis(1);
        assertThat(sub.done()).isEqualTo(1);
        q.close();
    }

    @Test
    void dataPassesThroughUnchanged() {
        MallocBdev malloc = new MallocBdev("malloc0", 512, 4096);
        RecordingBdev rec = new RecordingBdev(malloc);
        QosBdev q = QosBdev.create("qos1", rec, new QosLimits(2_000, 4_000_000),
                List.of(new QosClass("a", 1), new QosClass("b", 2)), clock);
        try {
            Random rnd = new Random(7);
            Bdev a = q.classView("a");
            Bdev b = q.classView("b");
            int count = 200;
            long[] lba = new long[count];
            byte[][] expected = new byte[count][];
            for (int i = 0; i < count; i++) {
                int blocks = 1 + rnd.nextInt(8);
                lba[i] = i * 16L;
                expected[i] = new byte[blocks * 512];
                rnd.nextBytes(expected[i]);
                ByteBuf buf = PooledByteBufAllocator.DEFAULT.buffer(blocks * 512);
                buffers.add(buf);
                buf.writeBytes(expected[i]);
                buf.readerIndex(0);
                sub.submit(i % 2 == 0 ? a : b, BdevOp.WRITE, lba[i], blocks, buf, Runnable::run, null);
                assertThat(buf.readerIndex()).isZero();
            }
            clock.advance(SECOND);
            assertThat(sub.withStatus(BdevStatus.SUCCESS)).isEqualTo(count);
            for (int i = 0; i < count; i++) {
                ByteBuf buf = PooledByteBufAllocator.DEFAULT.buffer(expected[i].length);
                buffers.add(buf);
                sub.submit(i % 2 == 0 ? b : a, BdevOp.READ, lba[i], expected[i].length / 512, buf, Runnable::run, null);
            }
            clock.advance(SECOND);
            assertThat(sub.withStatus(BdevStatus.SUCCESS)).isEqualTo(2 * count);
            for (int i = 0; i < count; i++) {
                TestIo.assertSameBytes(TestIo.bytes(buffers.get(count + i)), expected[i], "I/O " + i);
            }
        } finally {
            q.close();
            malloc.close();
        }
    }

    @Test
    void realClockReleasesQueuedIo() throws Exception {
        QosBdev q = QosBdev.create("qos2", member, new QosLimits(2_000, 0),
                List.of(new QosClass(QosClass.DEFAULT, 1)));
        q.setBurstWindow(Duration.ofMillis(10));
        CountDownLatch all = new CountDownLatch(100);
        AtomicInteger ok = new AtomicInteger();
        for (int i = 0; i < 100; i++) {
            BdevIo io = new BdevIo();
            io.prepare(BdevOp.WRITE_ZEROES, i, 1, null, Runnable::run, d -> {
                if (d.status() == BdevStatus.SUCCESS) {
                    ok.incrementAndGet();
                }
                all.countDown();
            }, null);
            q.submit(io);
        }
        assertThat(all.await(TestIo.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        assertThat(ok.get()).isEqualTo(100);
        assertThat(member.log()).anyMatch(s -> s.thread().getName().equals("qos-timer"));
        q.close();
    }

    @Test
    void memberStatusAndLateCompletionPassThrough() {
        QosBdev q = qos(new QosLimits(1_000, 0));
        q.setBurstWindow(Duration.ofMillis(1));
        member.failWith(BdevStatus.MEDIA_ERROR);
        for (int i = 0; i < 4; i++) {
            sub.zeroes(q, "default", i);
        }
        clock.advanceMillis(2);
        assertThat(sub.withStatus(BdevStatus.MEDIA_ERROR)).isEqualTo(4);
        member.failWith(-1);
        member.hold(true);
        for (int i = 0; i < 4; i++) {
            sub.zeroes(q, "default", 10 + i);
        }
        clock.advanceMillis(4);
        assertThat(member.count()).isEqualTo(8);
        assertThat(sub.done()).as("the member has not completed yet").isEqualTo(4);
        // Completions that come late do not hold up the limiter, and the parent sees them once.
        assertThat(member.completeHeld()).isEqualTo(4);
        assertThat(sub.withStatus(BdevStatus.SUCCESS)).isEqualTo(4);
        assertThat(sub.done()).isEqualTo(8);
        q.close();
    }

    @Test
    void raisedLimitForgivesTheOverdraftOfALargeIo() {
        ByteBuf data = Unpooled.buffer(2048 * 512).writeZero(2048 * 512);
        buffers.add(data);
        QosBdev q = qos(new QosLimits(0, 100_000)); // 1 MiB overdraws ~10 s
        sub.submit(q, BdevOp.WRITE, 0, 2048, data, Runnable::run, null);
        sub.zeroes(q, "default", 1); // moves no data, so it costs nothing here
        sub.submit(q, BdevOp.WRITE, 0, 1, data.slice(0, 512), Runnable::run, null);
        assertThat(member.count()).as("the large write and the free write zeroes").isEqualTo(2);
        clock.advance(SECOND);
        assertThat(member.count()).isEqualTo(2);
        q.setLimits(new QosLimits(0, 100_000_000));
        clock.advanceMillis(20);
        assertThat(member.count()).as("released within the converted debt").isEqualTo(3);
        q.close();
    }

    @Test
    void creationChecks() {
        assertThatThrownBy(() -> QosBdev.create(member.name(), member, QosLimits.UNLIMITED))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> QosBdev.create("q", member, QosLimits.UNLIMITED, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> QosBdev.create("q", member, QosLimits.UNLIMITED,
                List.of(new QosClass("a", 1), new QosClass("a", 2)))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new QosLimits(-1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new QosClass("a", 0)).isInstanceOf(IllegalArgumentException.class);
        QosBdev q = QosBdev.create("qos3", member, new QosLimits(10, 0));
        assertThat(q.module()).isEqualTo("qos");
        assertThat(q.blockSize()).isEqualTo(512);
        assertThat(q.blockCount()).isEqualTo(1 << 20);
        assertThat(q.classes()).containsExactly(new QosClass(QosClass.DEFAULT, 1));
        Bdev view = q.classView(QosClass.DEFAULT);
        assertThat(view.name()).isEqualTo("qos3/default");
        assertThat(view.module()).isEqualTo("qos");
        assertThatThrownBy(() -> q.classView("nope")).isInstanceOf(IllegalArgumentException.class);
        q.close();
    }
}
