package org.k200emu.cluster.affinity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CpuListTest {

    @Test
    void parsesNumbersAndRangesInOrder() {
        assertThat(CpuList.parse("0").cpus()).containsExactly(0);
        assertThat(CpuList.parse("3,1").cpus()).containsExactly(3, 1);
        assertThat(CpuList.parse(" 2-5 , 0 ").cpus()).containsExactly(2, 3, 4, 5, 0);
    }

    @Test
    void threadsBeyondTheListWrapAround() {
        CpuList l = CpuList.parse("4,6");
        assertThat(new int[] {l.forThread(0), l.forThread(1), l.forThread(2), l.forThread(3)})
                .containsExactly(4, 6, 4, 6);
    }

    @Test
    void printsCollapsedRanges() {
        assertThat(CpuList.parse("0,1,2,5,7-8").toString()).isEqualTo("0-2,5,7-8");
        assertThat(CpuList.parse("3").toString()).isEqualTo("3");
    }

    @Test
    void badListsNameTheBadItem() {
        assertThatThrownBy(() -> CpuList.parse("")).hasMessage("an empty CPU list");
        assertThatThrownBy(() -> CpuList.parse("1,x")).hasMessageContaining("'x' is not a CPU number");
        assertThatThrownBy(() -> CpuList.parse("1,")).hasMessageContaining("'' is not a CPU number");
        assertThatThrownBy(() -> CpuList.parse("-1")).hasMessageContaining("'-1' is not a CPU number");
        assertThatThrownBy(() -> CpuList.parse("5-2")).hasMessage("CPU range '5-2' runs backwards");
        assertThatThrownBy(() -> CpuList.parse("1,0-2")).hasMessage("CPU 1 is listed twice");
        assertThatThrownBy(() -> CpuList.parse("9000")).hasMessage("CPU 9000 is above 8191");
    }
}
