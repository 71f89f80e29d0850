package org.k200emu.cluster.timing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which resource the model names as the bottleneck, and how the throughput moves with the cores. */
class TimingModelBottleneckTest {

    private static final TimingModel MODEL = TimingModel.k200();
    private static final CardProfile CARD = CardProfile.k200();

    private static Workload loaded(IoPattern pattern, int bs) {
        return Workload.of(pattern, bs, 32, 64, Transport.TCP);
    }

    @Test
    void random4kIsBoundByTheCores() {
        for (IoPattern p : new IoPattern[] {IoPattern.RANDREAD, IoPattern.RANDWRITE, IoPattern.RANDRW}) {
            ModelResult r = MODEL.evaluate(CARD, loaded(p, 4096));
            assertThat(r.bottleneck()).as(p.fioName()).isEqualTo(Resource.DP_CORES);
            assertThat(r.utilisation(Resource.DP_CORES)).isCloseTo(1.0, within(1e-9));
        }
    }

    @Test
    void sequential128kIsBoundByTheNetworkOrPcie() {
        ModelResult read = MODEL.evaluate(CARD, loaded(IoPattern.READ, 128 * 1024));
        ModelResult write = MODEL.evaluate(CARD, loaded(IoPattern.WRITE, 128 * 1024));
        assertThat(read.bottleneck().network() || read.bottleneck().pcie()).as(read.bottleneck().id()).isTrue();
        assertThat(write.bottleneck().network() || write.bottleneck().pcie()).as(write.bottleneck().id()).isTrue();
        assertThat(read.bottleneck()).isEqualTo(Resource.ETH_TX);
        assertThat(write.bottleneck()).isEqualTo(Resource.ETH_RX);
        assertThat(read.utilisation(Resource.DP_CORES)).isLessThan(0.5);
    }

    @Test
    void sequential128kOverBothPortsIsBoundByDdr() {
        ModelResult r = MODEL.evaluate(CARD, loaded(IoPattern.READ, 128 * 1024).withPaths(2));
        assertThat(r.usablePorts()).isEqualTo(2);
        assertThat(r.bottleneck()).isEqualTo(Resource.DDR_BW);
        assertThat(r.bytesPerSecond()).isGreaterThan(MODEL.evaluate(CARD, loaded(IoPattern.READ, 128 * 1024))
                .bytesPerSecond());
    }

    @Test
    void queueDepthOneIsLatencyBound() {
        ModelResult r = MODEL.evaluate(CARD, Workload.of(IoPattern.RANDREAD, 4096, 1, 1, Transport.TCP));
        assertThat(r.bottleneck()).isEqualTo(Resource.IODEPTH);
        assertThat(r.saturated()).isFalse();
        assertThat(r.utilisation().values()).allMatch(u -> u < 1.0);
    }

    @Test
    void oneQueuePairUsesOneCore() {
        ModelResult r = MODEL.evaluate(CARD, Workload.of(IoPattern.RANDREAD, 4096, 128, 1, Transport.TCP));
        assertThat(r.usableCores()).isEqualTo(1);
        assertThat(r.bottleneck()).isEqualTo(Resource.DP_CORES);
        assertThat(r.iops()).isCloseTo(1.5e6 / 64, within(1.5e6 / 64 * 0.10));
    }

    @Test
    void roceRandom4kIsBoundByTheNetwork() {
        ModelResult tcp = MODEL.evaluate(CARD, loaded(IoPattern.RANDREAD, 4096));
        ModelResult roce = MODEL.evaluate(CARD, loaded(IoPattern.RANDREAD, 4096).withTransport(Transport.ROCE));
        assertThat(roce.bottleneck()).isEqualTo(Resource.ETH_TX);
        assertThat(roce.iops()).isGreaterThan(tcp.iops());
        assertThat(roce.cyclesPerIo()).isLessThan(tcp.cyclesPerIo() / 2);
    }

    @Test
    void random4kScalesLinearlyFromSixteenToSixtyFourCores() {
        List<ModelResult> curve = MODEL.sweepCores(CARD, loaded(IoPattern.RANDREAD, 4096), TimingModel.SWEEP_CORES);
        double perCore = curve.get(0).iops() / 16;
        for (ModelResult r : curve) {
            assertThat(r.bottleneck()).isEqualTo(Resource.DP_CORES);
            assertThat(r.iops()).isCloseTo(perCore * r.card().dataPlaneCores(), within(perCore));
        }
    }

    @Test
    void sixteenKilobyteReadsScaleUntilTheNetworkSaturates() {
        List<ModelResult> curve = MODEL.sweepCores(CARD, loaded(IoPattern.RANDREAD, 16 * 1024),
                TimingModel.SWEEP_CORES);
        assertThat(curve.get(0).bottleneck()).isEqualTo(Resource.DP_CORES);
        assertThat(curve.get(1).iops()).isCloseTo(2 * curve.get(0).iops(), within(curve.get(0).iops() * 0.01));
        assertThat(curve.get(3).bottleneck()).isEqualTo(Resource.ETH_TX);
        assertThat(curve.get(3).iops()).isLessThan(4 * curve.get(0).iops());
    }

    @Test
    void sequential128kOnOneClusterIsBoundByTheCores() {
        ModelResult r = MODEL.evaluate(CARD.withDataPlaneCores(16), loaded(IoPattern.READ, 128 * 1024));
        assertThat(r.bottleneck()).isEqualTo(Resource.DP_CORES);
    }

    @Test
    void softwareEncryptionIsBoundByTheCoresAndOffloadByLess() {
        CardProfile crypt = CARD.withServices(Services.parse("crypt"));
        ModelResult software = MODEL.evaluate(crypt.withOffload(false), loaded(IoPattern.RANDREAD, 4096));
        ModelResult offload = MODEL.evaluate(crypt, loaded(IoPattern.RANDREAD, 4096));
        assertThat(software.bottleneck()).isEqualTo(Resource.DP_CORES);
        assertThat(software.iops()).isLessThan(offload.iops() / 2);
        assertThat(software.utilisation()).doesNotContainKey(Resource.CRYPTO_ACCEL);
        assertThat(offload.utilisation()).containsKey(Resource.CRYPTO_ACCEL);
    }

    @Test
    void slowCryptoAcceleratorOnOneClusterBoundsLargeEncryptedReads() {
        CardProfile card = CARD.withDataPlaneCores(16).withServices(Services.parse("crypt"));
        ModelResult r = MODEL.evaluate(card, loaded(IoPattern.READ, 128 * 1024).withPaths(2));
        assertThat(r.bottleneck()).isEqualTo(Resource.CRYPTO_ACCEL);
        assertThat(r.bytesPerSecond()).isCloseTo(card.cryptoAccelBytesPerSecond(), within(1e6));
    }

    @Test
    void erasureCodedSmallWritesAreReadModifyWrite() {
        CardProfile ec = CARD.withServices(Services.parse("ec4+2"));
        ModelResult small = MODEL.evaluate(ec, loaded(IoPattern.RANDWRITE, 4096));
        ModelResult plain = MODEL.evaluate(CARD, loaded(IoPattern.RANDWRITE, 4096));
        assertThat(small.utilisation(Resource.PCIE_RX)).isGreaterThan(10 * plain.utilisation(Resource.PCIE_RX));
        assertThat(small.utilisation()).containsKey(Resource.EC_ACCEL);
        assertThat(small.iops()).isLessThan(0.6 * plain.iops());
        // Reads of an erasure-coded volume (no failure) cost what plain reads cost.
        ModelResult read = MODEL.evaluate(ec, loaded(IoPattern.RANDREAD, 4096));
        assertThat(read.iops()).isEqualTo(MODEL.evaluate(CARD, loaded(IoPattern.RANDREAD, 4096)).iops());
    }

    @Test
    void everyResourceNamesItself() {
        for (Resource r : Resource.values()) {
            assertThat(r.id()).isNotBlank().doesNotContain(" ");
            assertThat(r.description()).isNotBlank();
        }
        assertThat(Resource.ETH_TX.network()).isTrue();
        assertThat(Resource.PCIE_RX.pcie()).isTrue();
        assertThat(Resource.EC_ACCEL.accelerator()).isTrue();
        assertThat(Resource.DP_CORES.network() || Resource.DP_CORES.pcie()).isFalse();
    }
}
