package org.k200emu.cluster.timing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * The model against the card's published figures, each within 10%, on the default card (64
 * data-plane cores, no service): 1.5 MIOPS for 4K random read and write over NVMe/TCP, 12 GB/s
 * sequential at 128K, 50 us over NVMe/TCP and 20 us over RoCE at QD1. All figures come from the
 * model, none from wall time.
 */
class TimingModelCalibrationTest {

    private static final TimingModel MODEL = TimingModel.k200();
    private static final CardProfile CARD = CardProfile.k200();

    /** A loaded fio-style job: 64 queue pairs of 32 I/Os each, over NVMe/TCP on one port. */
    private static Workload loaded(IoPattern pattern, int bs) {
        return Workload.of(pattern, bs, 32, 64, Transport.TCP);
    }

    private static void assertWithinTenPercent(double actual, double published) {
        assertThat(actual).isCloseTo(published, within(published * 0.10));
    }

    @Test
    void defaultCardIsSixtyFourCoresWithoutServices() {
        assertThat(CARD.dataPlaneCores()).isEqualTo(64);
        assertThat(CARD.dataPlaneClusters()).isEqualTo(4);
        assertThat(CARD.services().none()).isTrue();
        assertThat(CARD.ethernetPorts()).isEqualTo(2);
    }

    @Test
    void randomRead4kOverTcpIsOnePointFiveMiops() {
        ModelResult r = MODEL.evaluate(CARD, loaded(IoPattern.RANDREAD, 4096));
        assertWithinTenPercent(r.iops(), 1.5e6);
    }

    @Test
    void randomWrite4kOverTcpIsOnePointFiveMiops() {
        ModelResult r = MODEL.evaluate(CARD, loaded(IoPattern.RANDWRITE, 4096));
        assertWithinTenPercent(r.iops(), 1.5e6);
    }

    @Test
    void sequentialRead128kIsTwelveGigabytesPerSecond() {
        ModelResult r = MODEL.evaluate(CARD, loaded(IoPattern.READ, 128 * 1024));
        assertWithinTenPercent(r.bytesPerSecond(), 12e9);
    }

    @Test
    void sequentialWrite128kIsTwelveGigabytesPerSecond() {
        ModelResult r = MODEL.evaluate(CARD, loaded(IoPattern.WRITE, 128 * 1024));
        assertWithinTenPercent(r.bytesPerSecond(), 12e9);
    }

    @Test
    void queueDepthOneOverTcpIsFiftyMicroseconds() {
        ModelResult r = MODEL.evaluate(CARD, Workload.of(IoPattern.RANDREAD, 4096, 1, 1, Transport.TCP));
        assertWithinTenPercent(r.meanLatencyMicros(), 50);
        assertThat(r.meanLatencyNanos()).isEqualTo(r.unloadedLatencyNanos());
    }

    @Test
    void queueDepthOneOverRoceIsTwentyMicroseconds() {
        ModelResult r = MODEL.evaluate(CARD, Workload.of(IoPattern.RANDREAD, 4096, 1, 1, Transport.ROCE));
        assertWithinTenPercent(r.meanLatencyMicros(), 20);
    }

    @Test
    void queueDepthOneWritesMatchReads() {
        ModelResult tcp = MODEL.evaluate(CARD, Workload.of(IoPattern.RANDWRITE, 4096, 1, 1, Transport.TCP));
        ModelResult roce = MODEL.evaluate(CARD, Workload.of(IoPattern.RANDWRITE, 4096, 1, 1, Transport.ROCE));
        assertWithinTenPercent(tcp.meanLatencyMicros(), 50);
        assertWithinTenPercent(roce.meanLatencyMicros(), 20);
    }

    @Test
    void calibrationHoldsAtAnyLoadedQueueDepth() {
        for (int qd : new int[] {8, 32, 128}) {
            ModelResult r = MODEL.evaluate(CARD, loaded(IoPattern.RANDREAD, 4096).withIodepth(qd));
            assertWithinTenPercent(r.iops(), 1.5e6);
        }
    }
}
