package org.k200emu.bdev.qos;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.nullbdev.NullBdev;

/** How a saturated QoS bdev shares its limit among weighted classes, on a fake clock. */
class QosFairnessTest {

    private static final long SECOND = 1_000_000_000L;

    private final FakeClock clock = new FakeClock();
    private final RecordingBdev member = new RecordingBdev(new NullBdev("null0", 512, 1 << 20));
    private final Submitter sub = new Submitter();

    private QosBdev qos(QosLimits limits, QosClass... classes) {
        QosBdev q = QosBdev.create("qos0", member, limits, List.of(classes), clock);
        q.setBurstWindow(Duration.ofMillis(10));
        return q;
    }

    /** I/Os the member has seen so far, by class. */
    private Map<String, Long> byClass() {
        Map<String, Long> n = new HashMap<>();
        for (RecordingBdev.Seen s : member.log()) {
            n.merge(((Submitter.Tag) s.context()).cls(), 1L, Long::sum);
        }
        return n;
    }

    private static long delta(Map<String, Long> after, Map<String, Long> before, String cls) {
        return after.getOrDefault(cls, 0L) - before.getOrDefault(cls, 0L);
    }

    @Test
    void weightsThreeToOneUnderSaturation() {
        QosBdev q = qos(new QosLimits(10_000, 0), new QosClass("gold", 3), new QosClass("bronze", 1));
        Bdev gold = q.classView("gold");
        Bdev bronze = q.classView("bronze");
        for (int i = 0; i < 20_000; i++) {
            sub.zeroes(gold, "gold", i);
            sub.zeroes(bronze, "bronze", i);
        }
        Map<String, Long> start = byClass();
        clock.advance(SECOND);
        Map<String, Long> one = byClass();
        long g = delta(one, start, "gold");
        long b = delta(one, start, "bronze");
        assertThat(g + b).isBetween(9_900L, 10_100L);
        assertThat((double) g / (g + b)).isCloseTo(0.75, org.assertj.core.data.Offset.offset(0.01));
        clock.advance(SECOND);
        // The snapshot covers the second that just ended.
        QosStats stats = q.snapshot();
        assertThat(stats.of("gold").iops()).isBetween(7_400L, 7_600L);
        assertThat(stats.of("bronze").iops()).isBetween(2_450L, 2_550L);
        assertThat(stats.of("gold").bytesPerSecond()).isZero(); // write zeroes move no data
        assertThat(stats.of("gold").weight()).isEqualTo(3);
        assertThat(stats.queued()).isEqualTo(stats.of("gold").queued() + stats.of("bronze").queued());
        assertThat(stats.queued()).isEqualTo(40_000 - member.count());
        assertThat(stats.delayedTotal()).isEqualTo(40_000 - start.values().stream().mapToLong(Long::longValue).sum());
        assertThat(stats.of("gold").releasedTotal()).isEqualTo(byClass().get("gold"));
        q.close();
        assertThat(sub.done()).isEqualTo(40_000);
        assertThat(sub.withStatus(BdevStatus.ABORTED)).isEqualTo((int) (40_000 - member.count()));
    }

    @Test
    void threeClassesShareByWeight() {
        QosBdev q = qos(new QosLimits(10_000, 0), new QosClass("a", 5), new QosClass("b", 3), new QosClass("c", 2));
        for (int i = 0; i < 10_000; i++) {
            for (String c : List.of("a", "b", "c")) {
                sub.zeroes(q.classView(c), c, i);
            }
        }
        Map<String, Long> start = byClass();
        clock.advance(SECOND);
        Map<String, Long> end = byClass();
        assertThat(delta(end, start, "a")).isBetween(4_950L, 5_050L);
        assertThat(delta(end, start, "b")).isBetween(2_950L, 3_050L);
        assertThat(delta(end, start, "c")).isBetween(1_950L, 2_050L);
        q.close();
    }

    @Test
    void idleClassLetsTheOtherUseEverything() {
        QosBdev q = qos(new QosLimits(10_000, 0), new QosClass("gold", 3), new QosClass("bronze", 1));
        Bdev gold = q.classView("gold");
        Bdev bronze = q.classView("bronze");
        for (int i = 0; i < 30_000; i++) {
            sub.zeroes(bronze, "bronze", i);
        }
        clock.advance(SECOND);
        Map<String, Long> one = byClass();
        assertThat(one.get("bronze")).as("the idle gold class's share went to bronze").isBetween(10_000L, 10_111L);
        // Gold wakes up: it banked nothing while idle, so the split is 3:1 from the start.
        for (int i = 0; i < 20_000; i++) {
            sub.zeroes(gold, "gold", i);
        }
        clock.advance(SECOND);
        Map<String, Long> two = byClass();
        long g = delta(two, one, "gold");
        long b = delta(two, one, "bronze");
        assertThat(g + b).isBetween(9_900L, 10_100L);
        assertThat((double) g / (g + b)).isCloseTo(0.75, org.assertj.core.data.Offset.offset(0.01));
        q.close();
    }

    @Test
    void classesShareBandwidthNotIoCount() {
        QosBdev q = qos(new QosLimits(0, 10_000_000), new QosClass("big", 1), new QosClass("small", 1));
        ByteBuf data = Unpooled.buffer(64 * 512).writeZero(64 * 512);
        try {
            for (int i = 0; i < 2_000; i++) {
                sub.submit(q.classView("big"), BdevOp.WRITE, i, 64, data.slice(), Runnable::run, new Submitter.Tag("big", i));
            }
            for (int i = 0; i < 100_000; i++) {
                sub.submit(q.classView("small"), BdevOp.WRITE, i, 1, data.slice(0, 512), Runnable::run,
                        new Submitter.Tag("small", i));
            }
            long[] before = bytesByClass();
            clock.advance(SECOND);
            long[] after = bytesByClass();
            long big = after[0] - before[0];
            long small = after[1] - before[1];
            assertThat((double) big / (big + small)).isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.02));
            q.close();
        } finally {
            data.release();
        }
    }

    private long[] bytesByClass() {
        long[] n = new long[2];
        for (RecordingBdev.Seen s : member.log()) {
            n[((Submitter.Tag) s.context()).cls().equals("big") ? 0 : 1] += s.bytes();
        }
        return n;
    }

    @Test
    void fifoWithinEachClass() {
        QosBdev q = qos(new QosLimits(1_000, 0), new QosClass("x", 1), new QosClass("y", 2));
        q.setBurstWindow(Duration.ofMillis(1));
        for (int i = 0; i < 300; i++) {
            sub.zeroes(q.classView("x"), "x", i);
            sub.zeroes(q.classView("y"), "y", i);
        }
        clock.advance(SECOND);
        assertThat(member.count()).isEqualTo(600);
        Map<String, List<Long>> order = new HashMap<>();
        for (RecordingBdev.Seen s : member.log()) {
            Submitter.Tag t = (Submitter.Tag) s.context();
            order.computeIfAbsent(t.cls(), k -> new ArrayList<>()).add(t.seq());
        }
        for (String c : List.of("x", "y")) {
            assertThat(order.get(c)).hasSize(300).isSorted();
        }
        assertThat(sub.withStatus(BdevStatus.SUCCESS)).isEqualTo(600);
        q.close();
    }
}
