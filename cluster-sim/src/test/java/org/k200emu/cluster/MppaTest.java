package org.k200emu.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MppaTest {

    @Test
    void defaultChipIsFiveClustersOfSixteen() {
        Mppa mppa = Mppa.create(MppaLayout.DEFAULT);
        assertThat(mppa.all()).hasSize(80);
        assertThat(mppa.controlPlaneCores()).hasSize(16).allMatch(c -> c.id().cluster() == 0);
        assertThat(mppa.dataPlaneCores()).hasSize(64).allMatch(c -> c.id().cluster() >= 1);
        for (int flat = 0; flat < 80; flat++) {
            assertThat(mppa.core(flat).id().flat()).isEqualTo(flat);
        }
        SimCore core = mppa.core(CoreId.of(1, 7));
        assertThat(core.id().toString()).isEqualTo("c1.7");
        assertThat(core.id().flat()).isEqualTo(23);
        assertThat(core.id().controlPlane()).isFalse();
        assertThat(CoreId.of(0, 15).controlPlane()).isTrue();
        assertThat(CoreId.of(4, 15).flat()).isEqualTo(79);
        assertThat(CoreId.of(2, 3)).isEqualTo(MppaLayout.DEFAULT.coreId(35)).hasSameHashCodeAs(CoreId.of(2, 3));
        assertThat(mppa.clock()).isSameAs(SystemClock.INSTANCE);
    }

    @Test
    void layoutIsValidated() {
        assertThatThrownBy(() -> MppaLayout.of(0, 16, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MppaLayout.of(5, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MppaLayout.of(5, 16, 6)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MppaLayout.of(5, 16, 1).withRingCapacity(1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CoreId.of(5, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CoreId.of(0, 16)).isInstanceOf(IllegalArgumentException.class);
        Mppa small = Mppa.create(MppaLayout.of(2, 4, 1));
        assertThat(small.all()).hasSize(8);
        assertThatThrownBy(() -> small.core(8)).isInstanceOf(IllegalArgumentException.class);
        // c1.7 has flat index 23 on the card but does not exist on a 2 x 4 chip.
        assertThatThrownBy(() -> small.core(CoreId.of(1, 7))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void virtualClockOnlyMovesForward() {
        VirtualClock clock = new VirtualClock(100);
        clock.advance(50);
        assertThat(clock.nanoTime()).isEqualTo(150);
        clock.set(200);
        assertThat(clock.nanoTime()).isEqualTo(200);
        assertThatThrownBy(() -> clock.advance(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> clock.set(199)).isInstanceOf(IllegalArgumentException.class);
    }
}
