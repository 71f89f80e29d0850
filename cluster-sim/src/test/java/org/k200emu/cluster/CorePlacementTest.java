package org.k200emu.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CorePlacementTest {

    private final Mppa mppa = Mppa.create(MppaLayout.DEFAULT);

    @Test
    void everyCorePlacedExactlyOnceAndEveryThreadGetsBothKinds() {
        for (int n = 1; n <= 16; n++) {
            CorePlacement placement = CorePlacement.interleaved(mppa, n);
            assertThat(placement.hostThreads()).isEqualTo(n);
            Set<CoreId> seen = new HashSet<>();
            for (int host = 0; host < n; host++) {
                List<SimCore> cores = placement.coresOn(host);
                assertThat(cores).as("host %d of %d", host, n)
                        .anyMatch(c -> c.id().controlPlane())
                        .anyMatch(c -> !c.id().controlPlane());
                // Balanced: sizes differ by at most one per kind.
                assertThat(cores.size()).isBetween(80 / n - 1, 80 / n + 2);
                for (SimCore core : cores) {
                    assertThat(seen.add(core.id())).as("%s placed twice", core.id()).isTrue();
                    assertThat(placement.hostOf(core)).isEqualTo(host);
                }
            }
            assertThat(seen).hasSize(80);
        }
    }

    @Test
    void hostThreadsAreCappedAndValidated() {
        assertThat(CorePlacement.interleaved(mppa, 500).hostThreads()).isEqualTo(80);
        assertThat(CorePlacement.interleaved(mppa).hostThreads())
                .isEqualTo(Math.min(80, Runtime.getRuntime().availableProcessors()));
        assertThatThrownBy(() -> CorePlacement.interleaved(mppa, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void twoThreadsSplitTheCard() {
        CorePlacement placement = CorePlacement.interleaved(mppa, 2);
        assertThat(placement.coresOn(0)).hasSize(40);
        assertThat(placement.coresOn(1)).hasSize(40);
        assertThat(placement.hostOf(CoreId.of(0, 0))).isZero();
        assertThat(placement.hostOf(CoreId.of(0, 1))).isEqualTo(1);
        assertThat(placement.coresOn(0).stream().filter(c -> c.id().controlPlane()).count()).isEqualTo(8);
    }
}
