package org.k200emu.bench.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class VerifyTest {

    @Test
    void parsesFioSpellings() {
        assertThat(Verify.parse("0")).isEqualTo(Verify.NONE);
        assertThat(Verify.parse("none")).isEqualTo(Verify.NONE);
        assertThat(Verify.parse("crc32c")).isEqualTo(Verify.CRC32C);
        assertThat(Verify.parse("crc32c-intel")).isEqualTo(Verify.CRC32C);
        assertThat(Verify.parse("1")).isEqualTo(Verify.CRC32C);
        assertThat(Verify.parse(" CRC32C ")).isEqualTo(Verify.CRC32C);
        for (Verify v : Verify.values()) {
            assertThat(Verify.parse(v.fioName())).isEqualTo(v);
        }
    }

    @Test
    void rejectsOthersNamingTheAcceptedValues() {
        assertThatThrownBy(() -> Verify.parse("md5"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'md5'")
                .hasMessageContaining("0 or none")
                .hasMessageContaining("crc32c");
    }
}
