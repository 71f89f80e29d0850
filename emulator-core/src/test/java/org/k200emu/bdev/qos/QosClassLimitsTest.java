package org.k200emu.bdev.qos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.nullbdev.NullBdev;

/**
 * Classes with limits of their own and hosts routed to them, on a fake clock. Expected counts
 * come from the token-bucket arithmetic: with a burst window W, a bucket of rate R that starts
 * full lets {@code floor(R * (t + W)) + 1} I/Os through by time t, never more.
 */
class QosClassLimitsTest {

    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000 * MS;
    private static final String GOLD_HOST = "nqn.2014-08.org.example:db";
    private static final String BRONZE_HOST = "nqn.2014-08.org.example:batch";

    private final FakeClock clock = new FakeClock();
    private final RecordingBdev member = new RecordingBdev(new NullBdev("null0", 512, 1 << 20));
    private final Submitter sub = new Submitter();

    private QosBdev qos(QosLimits total, QosClass... classes) {
        QosBdev q = QosBdev.create("qos0", member, total, List.of(classes), clock);
        q.setBurstWindow(Duration.ofMillis(10));
        return q;
    }

    private Map<String, Long> byClass() {
        Map<String, Long> n = new HashMap<>();
        for (RecordingBdev.Seen s : member.log()) {
            n.merge(((Submitter.Tag) s.context()).cls(), 1L, Long::sum);
        }
        return n;
    }

    /** I/Os a full bucket of {@code rate} per second lets through by {@code nanos} with a 10 ms burst. */
    private static long allowed(long rate, long nanos) {
        return rate * (nanos + 10 * MS) / SECOND + 1;
    }

    @Test
    void aClassIsHeldToItsOwnIopsLimitWhileAnotherIsNot() {
        QosBdev q = qos(QosLimits.UNLIMITED, new QosClass("free", 1),
                new QosClass("capped", 1, new QosLimits(1_000, 0), List.of()));
        for (int i = 0; i < 5_000; i++) {
            sub.zeroes(q.classView("free"), "free", i);
            sub.zeroes(q.classView("capped"), "capped", i);
        }
        assertThat(byClass().get("free")).as("the class without limits goes straight through").isEqualTo(5_000L);
        assertThat(byClass().get("capped")).as("the burst").isEqualTo(allowed(1_000, 0));
        for (int step = 1; step <= 4; step++) {
            clock.advance(250 * MS);
            long t = step * 250 * MS;
            assertThat(byClass().get("capped")).as("at %d ms", t / MS)
                    .isLessThanOrEqualTo(allowed(1_000, t)).isGreaterThanOrEqualTo(allowed(1_000, t) - 2);
        }
        QosStats stats = q.snapshot();
        assertThat(stats.of("free").delayedTotal()).isZero();
        assertThat(stats.of("capped").delayedTotal()).isEqualTo(5_000 - allowed(1_000, 0));
        assertThat(stats.of("capped").queued()).isEqualTo(5_000 - byClass().get("capped"));
        assertThat(stats.of("capped").limits()).isEqualTo(new QosLimits(1_000, 0));
        assertThat(stats.queued()).isEqualTo(stats.of("capped").queued());
        q.close();
        assertThat(sub.done()).isEqualTo(10_000);
        assertThat(sub.withStatus(BdevStatus.ABORTED)).isEqualTo((int) (5_000 - byClass().get("capped")));
    }

    @Test
    void anotherClassDoesNotWaitForReleasedIoStillOnItsWayToItsCore() {
        QosBdev q = qos(QosLimits.UNLIMITED, new QosClass("free", 1),
                new QosClass("capped", 1, new QosLimits(100, 0), List.of()));
        java.util.ArrayDeque<Runnable> core = new java.util.ArrayDeque<>();
        for (int i = 0; i < 20; i++) {
            sub.submit(q.classView("capped"), BdevOp.WRITE_ZEROES, i, 1, null, core::add, new Submitter.Tag("capped", i));
        }
        clock.advance(20 * MS);
        assertThat(core).as("released by the timer, not yet run by its core").isNotEmpty();
        for (int i = 0; i < 10; i++) {
            sub.zeroes(q.classView("free"), "free", i);
        }
        assertThat(q.snapshot().of("free").delayedTotal()).isZero();
        assertThat(byClass().get("free")).isEqualTo(10L);
        while (!core.isEmpty()) {
            core.poll().run();
        }
        q.close();
        while (!core.isEmpty()) {
            core.poll().run();
        }
        assertThat(sub.done()).isEqualTo(30);
    }

    @Test
    void aClassBandwidthLimitCountsBytes() {
        // 1 MiB/s for the class, 32 KiB writes: 32 per second, plus the burst.
        QosBdev q = qos(QosLimits.UNLIMITED, new QosClass("capped", 1, new QosLimits(0, 1 << 20), List.of()));
        ByteBuf data = Unpooled.buffer(64 * 512).writeZero(64 * 512);
        try {
            for (int i = 0; i < 200; i++) {
                sub.submit(q, BdevOp.WRITE, i * 64L, 64, data.slice(), Runnable::run, new Submitter.Tag("capped", i));
            }
            clock.advance(2 * SECOND);
            // Each write costs 1/32 s of the bucket; the burst of 10 ms lets one through beyond the first.
            long expected = (2 * SECOND + 10 * MS) / (SECOND / 32) + 1;
            assertThat(member.count()).isBetween(expected - 2, expected);
            assertThat(member.bytes()).isEqualTo(member.count() * 32768);
            q.close();
        } finally {
            data.release();
        }
    }

    @Test
    void weightsShareTheTotalAndACappedClassLeavesTheRestToTheOthers() {
        // Total 10,000 IOPS; by weight bronze would get 8,000, but its own cap is 1,000.
        QosBdev q = qos(new QosLimits(10_000, 0), new QosClass("gold", 1),
                new QosClass("bronze", 4, new QosLimits(1_000, 0), List.of()));
        for (int i = 0; i < 30_000; i++) {
            sub.zeroes(q.classView("gold"), "gold", i);
            sub.zeroes(q.classView("bronze"), "bronze", i);
        }
        Map<String, Long> start = byClass();
        clock.advance(SECOND);
        Map<String, Long> end = byClass();
        long gold = end.get("gold") - start.getOrDefault("gold", 0L);
        long bronze = end.get("bronze") - start.getOrDefault("bronze", 0L);
        assertThat(bronze).isBetween(990L, 1_010L);
        assertThat(gold + bronze).as("work conserving: the total is used").isBetween(9_900L, 10_100L);
        q.close();
    }

    @Test
    void aNoisyClassCannotStarveAWeightedOne() {
        QosBdev q = qos(new QosLimits(10_000, 0), new QosClass("noisy", 1), new QosClass("quiet", 4));
        for (int i = 0; i < 100_000; i++) {
            sub.zeroes(q.classView("noisy"), "noisy", i);
        }
        clock.advance(100 * MS);
        Map<String, Long> before = byClass();
        for (int i = 0; i < 2_000; i++) {
            sub.zeroes(q.classView("quiet"), "quiet", i);
        }
        // Backlogged, quiet gets 4/5 of 10,000 IOPS: its 2,000 I/Os are through within 250 ms.
        clock.advance(260 * MS);
        Map<String, Long> after = byClass();
        assertThat(after.get("quiet")).isEqualTo(2_000L);
        long noisy = after.get("noisy") - before.get("noisy");
        // 2,600 released in 260 ms: a fifth of 2,500 while quiet is backlogged, then all of the last 10 ms.
        assertThat(noisy).as("noisy keeps its fifth, then everything").isBetween(550L, 650L);
        q.close();
    }

    @Test
    void hostsAreRoutedToTheirClassAndOthersToTheDefault() {
        QosBdev q = qos(QosLimits.UNLIMITED,
                new QosClass("gold", 4, new QosLimits(50_000, 0), List.of(GOLD_HOST)),
                new QosClass("bronze", 1, QosLimits.UNLIMITED, List.of(BRONZE_HOST)),
                new QosClass(QosClass.DEFAULT, 1));
        assertThat(q.defaultClass()).isEqualTo("default");
        assertThat(q.bdevFor(GOLD_HOST)).isSameAs(q.classView("gold"));
        assertThat(q.bdevFor(BRONZE_HOST)).isSameAs(q.classView("bronze"));
        assertThat(q.bdevFor("nqn.2014-08.org.example:stranger")).isSameAs(q);
        assertThat(q.bdevFor(null)).isSameAs(q);
        Bdev gold = q.bdevFor(GOLD_HOST);
        sub.zeroes(gold, "gold", 1);
        sub.zeroes(q.bdevFor(BRONZE_HOST), "bronze", 2);
        sub.zeroes(q, "default", 3);
        sub.zeroes(q, "default", 4);
        QosStats stats = q.snapshot();
        assertThat(stats.of("gold").releasedTotal()).isEqualTo(1);
        assertThat(stats.of("bronze").releasedTotal()).isEqualTo(1);
        assertThat(stats.of("default").releasedTotal()).isEqualTo(2);
        assertThat(stats.of("gold").hosts()).containsExactly(GOLD_HOST);
        assertThat(stats.of("default").isDefault()).isTrue();
        assertThat(stats.of("gold").isDefault()).isFalse();
        assertThat(q.classes().get(0).limits()).isEqualTo(new QosLimits(50_000, 0));
        q.close();
    }

    @Test
    void withoutADefaultClassTheFirstTakesUnlistedHosts() {
        QosBdev q = qos(QosLimits.UNLIMITED, new QosClass("a", 1), new QosClass("b", 1, QosLimits.UNLIMITED,
                List.of(GOLD_HOST)));
        assertThat(q.defaultClass()).isEqualTo("a");
        assertThat(q.bdevFor("nqn.2014-08.org.example:other")).isSameAs(q);
        assertThat(q.bdevFor(GOLD_HOST)).isSameAs(q.classView("b"));
    }

    @Test
    void aHostInTwoClassesIsRefused() {
        assertThatThrownBy(() -> qos(QosLimits.UNLIMITED, new QosClass("a", 1, QosLimits.UNLIMITED, List.of(GOLD_HOST)),
                new QosClass("b", 1, QosLimits.UNLIMITED, List.of(GOLD_HOST))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host " + GOLD_HOST);
    }

    @Test
    void classLimitsChangeAtRunTime() {
        QosBdev q = qos(QosLimits.UNLIMITED, new QosClass("c", 1, new QosLimits(100, 0), List.of()));
        for (int i = 0; i < 1_000; i++) {
            sub.zeroes(q, "c", i);
        }
        assertThat(member.count()).isEqualTo(allowed(100, 0));
        q.setClassLimits("c", QosLimits.UNLIMITED);
        assertThat(member.count()).as("lifting the limit releases everything gated").isEqualTo(1_000);
        assertThat(q.snapshot().of("c").limits()).isEqualTo(QosLimits.UNLIMITED);
        assertThatThrownBy(() -> q.setClassLimits("nope", QosLimits.UNLIMITED))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no QoS class nope");
        q.close();
    }
}
