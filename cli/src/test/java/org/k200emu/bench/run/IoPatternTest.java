package org.k200emu.bench.run;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.k200emu.bench.job.ReadWrite;

class IoPatternTest {

    @Test
    void sequentialWalksTheRegionInOrderAndWraps() {
        IoPattern p = new IoPattern(ReadWrite.READ, 50, 100, 32, 8, 1, 0.0);
        assertThat(p.positions()).isEqualTo(4);
        long[] lbas = new long[6];
        for (int i = 0; i < 6; i++) {
            lbas[i] = p.lbaOf(p.nextIndex());
        }
        assertThat(lbas).containsExactly(100, 108, 116, 124, 100, 108);
        assertThat(p.nextIsRead()).isTrue();
    }

    @Test
    void randomStaysInsideTheRegionAlignedToTheIoSize() {
        IoPattern p = new IoPattern(ReadWrite.RANDWRITE, 50, 1000, 8000, 8, 7, 0.0);
        for (int i = 0; i < 100_000; i++) {
            long lba = p.lbaOf(p.nextIndex());
            assertThat(lba).isBetween(1000L, 1000L + 8000 - 8);
            assertThat((lba - 1000) % 8).isZero();
        }
        assertThat(p.nextIsRead()).isFalse();
    }

    @Test
    void mixedReadsFollowRwmixread() {
        IoPattern p = new IoPattern(ReadWrite.RANDRW, 70, 0, 1 << 20, 8, 3, 0.0);
        int reads = 0;
        for (int i = 0; i < 100_000; i++) {
            if (p.nextIsRead()) {
                reads++;
            }
        }
        assertThat(reads).isBetween(69_000, 71_000);
    }

    @Test
    void sequentialWorkersStartAtDifferentPlaces() {
        IoPattern a = new IoPattern(ReadWrite.WRITE, 0, 0, 1024, 8, 1, 0.0);
        IoPattern b = new IoPattern(ReadWrite.WRITE, 0, 0, 1024, 8, 2, 0.5);
        assertThat(a.nextIndex()).isZero();
        assertThat(b.nextIndex()).isEqualTo(64);
    }
}
