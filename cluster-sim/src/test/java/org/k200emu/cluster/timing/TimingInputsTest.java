package org.k200emu.cluster.timing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Parsing and validation of the model's inputs. */
class TimingInputsTest {

    @Test
    void servicesParseFromACommaList() {
        Services s = Services.parse("crypt, ec4+2 ,hash");
        assertThat(s.encryption()).isTrue();
        assertThat(s.hashing()).isTrue();
        assertThat(s.erasureCode()).isEqualTo(new ErasureCode(4, 2));
        assertThat(s).hasToString("crypt,ec4+2,hash");
        assertThat(Services.parse("EC8+3").erasureCode()).isEqualTo(new ErasureCode(8, 3));
        assertThat(Services.parse("none")).isEqualTo(Services.NONE);
        assertThat(Services.parse("")).isEqualTo(Services.NONE);
        assertThat(Services.parse(null)).isEqualTo(Services.NONE);
        assertThat(Services.NONE).hasToString("none");
        assertThat(Services.parse(Services.parse("hash,crypt").toString())).isEqualTo(Services.parse("crypt,hash"));
    }

    @Test
    void badServicesAreRejectedWithTheAcceptedNames() {
        assertThatThrownBy(() -> Services.parse("crypt,dedup")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'dedup'").hasMessageContaining("ec4+2");
        assertThatThrownBy(() -> Services.parse("ec4+2,ec8+3")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("more than one erasure code");
        assertThatThrownBy(() -> Services.parse("ec4")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Services.parse("ec1+2")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Services.parse("ecx+y")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void cardProfileChecksItsRanges() {
        assertThat(CardProfile.MIN_DATA_PLANE_CORES).isEqualTo(16);
        assertThat(CardProfile.MAX_DATA_PLANE_CORES).isEqualTo(64);
        assertThat(CardProfile.k200().withDataPlaneCores(17).dataPlaneClusters()).isEqualTo(2);
        assertThat(CardProfile.k200().withDataPlaneCores(16).dataPlaneClusters()).isEqualTo(1);
        assertThatThrownBy(() -> CardProfile.k200().withDataPlaneCores(15)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("16..64");
        assertThatThrownBy(() -> CardProfile.k200().withDataPlaneCores(80)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CardProfile.k200().withDdrBytes(4L << 30)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CardProfile.k200().withAccelerators(0, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(CardProfile.k200().describe()).contains("64 data-plane cores", "4 clusters", "services none");
    }

    @Test
    void workloadChecksItsRanges() {
        assertThat(Workload.of(IoPattern.RANDRW, 4096, 1, 1, Transport.TCP).readPercent()).isEqualTo(50);
        assertThat(Workload.of(IoPattern.READ, 4096, 1, 1, Transport.TCP).readPercent()).isEqualTo(100);
        assertThat(Workload.of(IoPattern.RANDWRITE, 4096, 2, 3, Transport.TCP).outstanding()).isEqualTo(6);
        assertThatThrownBy(() -> Workload.of(IoPattern.READ, 4096, 1, 1, Transport.TCP).withReadPercent(50))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Workload.of(IoPattern.READ, 1000, 1, 1, Transport.TCP))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Workload.of(IoPattern.READ, 4096, 0, 1, Transport.TCP))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Workload.of(IoPattern.READ, 4096, 1, 1, Transport.TCP).withPaths(3))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void patternsAndTransportsParseFioAndShortNames() {
        assertThat(IoPattern.parse("randrw")).isEqualTo(IoPattern.RANDRW);
        assertThat(IoPattern.parse("readwrite")).isEqualTo(IoPattern.RW);
        assertThat(IoPattern.RANDRW.mixed()).isTrue();
        assertThat(IoPattern.RANDWRITE.readPercent(70)).isZero();
        assertThatThrownBy(() -> IoPattern.parse("trim")).isInstanceOf(IllegalArgumentException.class);
        assertThat(Transport.parse("TCP")).isEqualTo(Transport.TCP);
        assertThat(Transport.parse("rdma")).isEqualTo(Transport.ROCE);
        assertThatThrownBy(() -> Transport.parse("fc")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tcp or roce");
    }

    @Test
    void costsRejectNonsense() {
        CardCosts k200 = CardCosts.k200();
        assertThat(k200.coreHz()).isEqualTo(1.2e9);
        assertThat(k200.ethernetPortBytesPerSecond()).isEqualTo(12.5e9);
        assertThat(k200.pcieBytesPerSecond()).isBetween(20e9, 31.5e9);
        assertThatThrownBy(() -> new TimingModel(null)).isInstanceOf(NullPointerException.class);
    }
}
