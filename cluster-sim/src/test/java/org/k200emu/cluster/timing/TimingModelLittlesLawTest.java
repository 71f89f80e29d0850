package org.k200emu.cluster.timing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * Little's law on every result: {@code IOPS x mean latency = I/Os in flight}; below saturation the
 * latency is the unloaded one, above it grows with the queue depth while the IOPS stay put.
 */
class TimingModelLittlesLawTest {

    private static final TimingModel MODEL = TimingModel.k200();
    private static final CardProfile CARD = CardProfile.k200();

    @Test
    void iopsTimesLatencyIsTheIosInFlight() {
        for (Services s : new Services[] {Services.NONE, Services.parse("crypt,ec8+3,hash")}) {
            for (Transport t : Transport.values()) {
                for (int bs : new int[] {4096, 65536, 1 << 20}) {
                    for (int qd : new int[] {1, 3, 16, 64, 1000}) {
                        for (int queues : new int[] {1, 7, 64}) {
                            Workload w = Workload.of(IoPattern.RANDRW, bs, qd, queues, t);
                            ModelResult r = MODEL.evaluate(CARD.withServices(s), w);
                            double inFlight = r.iops() * r.meanLatencyNanos() * 1e-9;
                            assertThat(inFlight).as("%s %s", s, w).isCloseTo((double) w.outstanding(),
                                    within(w.outstanding() * 1e-9));
                            assertThat(r.meanLatencyNanos()).isGreaterThanOrEqualTo(r.unloadedLatencyNanos() * (1 - 1e-12));
                            assertThat(r.utilisation().values()).allMatch(u -> u <= 1 + 1e-9);
                        }
                    }
                }
            }
        }
    }

    @Test
    void belowSaturationLatencyIsTheUnloadedLatency() {
        ModelResult r = MODEL.evaluate(CARD, Workload.of(IoPattern.RANDREAD, 4096, 1, 64, Transport.TCP));
        assertThat(r.bottleneck()).isEqualTo(Resource.IODEPTH);
        assertThat(r.meanLatencyNanos()).isCloseTo(r.unloadedLatencyNanos(), within(1e-6));
        assertThat(r.iops()).isCloseTo(64 / (r.unloadedLatencyNanos() * 1e-9), within(1e-3));
    }

    @Test
    void atSaturationLatencyGrowsWithTheQueueDepth() {
        Workload w = Workload.of(IoPattern.RANDREAD, 4096, 32, 64, Transport.TCP);
        ModelResult r32 = MODEL.evaluate(CARD, w);
        ModelResult r64 = MODEL.evaluate(CARD, w.withIodepth(64));
        assertThat(r32.saturated()).isTrue();
        assertThat(r64.iops()).isCloseTo(r32.iops(), within(1e-6));
        assertThat(r64.meanLatencyNanos()).isCloseTo(2 * r32.meanLatencyNanos(), within(1e-3));
        assertThat(r32.meanLatencyNanos()).isCloseTo(64 * 32 / r32.iops() * 1e9, within(1e-3));
        assertThat(r32.utilisation(r32.bottleneck())).isCloseTo(1.0, within(1e-9));
    }

    @Test
    void theKneeIsWhereTheLatencyBoundMeetsSaturation() {
        Workload w = Workload.of(IoPattern.RANDREAD, 4096, 1, 64, Transport.TCP);
        ModelResult unloaded = MODEL.evaluate(CARD, w);
        double saturation = MODEL.evaluate(CARD, w.withIodepth(1024)).iops();
        double knee = saturation * unloaded.unloadedLatencyNanos() * 1e-9;
        for (int qd = 1; qd <= 256; qd *= 2) {
            ModelResult r = MODEL.evaluate(CARD, w.withIodepth(qd));
            assertThat(r.saturated()).as("qd %d", qd).isEqualTo(qd * 64 >= knee);
        }
    }

    @Test
    void buffersThatDoNotFitWaitInTheQueuesAndLittleStillHolds() {
        Workload w = Workload.of(IoPattern.WRITE, 16 << 20, 512, 64, Transport.TCP);
        ModelResult r = MODEL.evaluate(CARD.withDdrBytes(CardProfile.MIN_DDR_BYTES), w);
        assertThat(r.bufferLimited()).isTrue();
        assertThat(r.bufferBytes()).isGreaterThan(r.bufferPoolBytes());
        assertThat(r.effectiveOutstanding()).isLessThan(r.outstanding()).isPositive();
        assertThat(r.iops() * r.meanLatencyNanos() * 1e-9).isCloseTo((double) r.outstanding(), within(1e-3));
        ModelResult small = MODEL.evaluate(CARD, Workload.of(IoPattern.RANDREAD, 4096, 32, 64, Transport.TCP));
        assertThat(small.bufferLimited()).isFalse();
        assertThat(small.bufferBytes()).isLessThan(small.bufferPoolBytes());
    }
}
