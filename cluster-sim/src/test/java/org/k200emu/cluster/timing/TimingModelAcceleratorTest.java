package org.k200emu.cluster.timing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.k200emu.cluster.accel.AcceleratorModel;

/** The timing model charges the accelerators with the run-time accelerators' own model and constants. */
class TimingModelAcceleratorTest {

    private static final TimingModel MODEL = TimingModel.k200();
    private static final Workload QD1_READ = Workload.of(IoPattern.RANDREAD, 4096, 1, 1, Transport.TCP);

    @Test
    void theDefaultsAreTheAcceleratorModelsConstants() {
        CardCosts c = CardCosts.k200();
        assertThat(c.cryptoAccelBytesPerSecond()).isEqualTo(5e9);
        assertThat(c.hashAccelBytesPerSecond()).isEqualTo(4e9);
        assertThat(c.ecAccelBytesPerSecond()).isEqualTo(6e9);
        assertThat(c.accelSubmitCycles()).isEqualTo(1500);
        assertThat(CardProfile.k200().accelerators()).isEqualTo(AcceleratorModel.k200());
    }

    @Test
    void oneJobTakesOneEngineAndItsSubmission() {
        CardProfile plain = CardProfile.k200();
        CardProfile crypt = plain.withServices(Services.parse("crypt"));
        double extra = MODEL.evaluate(crypt, QD1_READ).unloadedLatencyNanos()
                - MODEL.evaluate(plain, QD1_READ).unloadedLatencyNanos();
        // 1,500 cycles at 1.2 GHz, then 4,096 bytes on one of 16 engines sharing 5 GB/s.
        assertThat(extra).isCloseTo(1_250 + 4096 / (5e9 / 16) * 1e9, within(1.0));

        // A configured model: 4 engines at 8 GB/s per cluster, 2,400 cycles.
        CardProfile configured = crypt.withAccelerators(new AcceleratorModel(4, 8e9, 4e9, 6e9, 2_400, 1.2e9, false));
        double extra2 = MODEL.evaluate(configured, QD1_READ).unloadedLatencyNanos()
                - MODEL.evaluate(plain, QD1_READ).unloadedLatencyNanos();
        assertThat(extra2).isCloseTo(2_000 + 4096 / 2e9 * 1e9, within(1.0));
        // Throughput: one cluster's crypto bytes per second bounds a 16-core card's large encrypted reads.
        ModelResult big = MODEL.evaluate(configured.withDataPlaneCores(16),
                Workload.of(IoPattern.READ, 128 * 1024, 32, 64, Transport.TCP));
        assertThat(big.iopsLimits().get(Resource.CRYPTO_ACCEL) * 128 * 1024).isCloseTo(8e9, within(1e3));
    }
}
