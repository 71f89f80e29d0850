package org.k200emu.bench.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ReadWriteTest {

    @Test
    void parsesFioNamesInAnyCase() {
        assertThat(ReadWrite.parse("read")).isEqualTo(ReadWrite.READ);
        assertThat(ReadWrite.parse("write")).isEqualTo(ReadWrite.WRITE);
        assertThat(ReadWrite.parse("randread")).isEqualTo(ReadWrite.RANDREAD);
        assertThat(ReadWrite.parse("randwrite")).isEqualTo(ReadWrite.RANDWRITE);
        assertThat(ReadWrite.parse("randrw")).isEqualTo(ReadWrite.RANDRW);
        assertThat(ReadWrite.parse("rw")).isEqualTo(ReadWrite.READWRITE);
        assertThat(ReadWrite.parse("readwrite")).isEqualTo(ReadWrite.READWRITE);
        assertThat(ReadWrite.parse(" RandRead ")).isEqualTo(ReadWrite.RANDREAD);
    }

    @Test
    void fioNameParsesBack() {
        for (ReadWrite rw : ReadWrite.values()) {
            assertThat(ReadWrite.parse(rw.fioName())).isEqualTo(rw);
        }
        assertThat(ReadWrite.READWRITE.fioName()).isEqualTo("rw");
    }

    @Test
    void directionAndOrder() {
        assertThat(ReadWrite.READ.reads()).isTrue();
        assertThat(ReadWrite.READ.writes()).isFalse();
        assertThat(ReadWrite.READ.random()).isFalse();
        assertThat(ReadWrite.WRITE.writes()).isTrue();
        assertThat(ReadWrite.WRITE.reads()).isFalse();
        assertThat(ReadWrite.RANDREAD.random()).isTrue();
        assertThat(ReadWrite.RANDREAD.writes()).isFalse();
        assertThat(ReadWrite.RANDWRITE.random()).isTrue();
        assertThat(ReadWrite.RANDWRITE.reads()).isFalse();
        assertThat(ReadWrite.RANDRW.random()).isTrue();
        assertThat(ReadWrite.RANDRW.mixed()).isTrue();
        assertThat(ReadWrite.READWRITE.random()).isFalse();
        assertThat(ReadWrite.READWRITE.mixed()).isTrue();
        assertThat(ReadWrite.RANDREAD.mixed()).isFalse();
    }

    @Test
    void rejectsOthersNamingTheAcceptedValues() {
        assertThatThrownBy(() -> ReadWrite.parse("sequential"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'sequential'")
                .hasMessageContaining("read, write, randread, randwrite, randrw or rw");
        assertThatThrownBy(() -> ReadWrite.parse("randtrim")).hasMessageContaining("trim workloads are not supported");
        assertThatThrownBy(() -> ReadWrite.parse("randread:8")).hasMessageContaining("offset modifier");
    }
}
