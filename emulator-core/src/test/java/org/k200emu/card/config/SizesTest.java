package org.k200emu.card.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SizesTest {

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
        "0          | 0",
        "4096       | 4096",
        "4096B      | 4096",
        "1K         | 1024",
        "1KB        | 1024",
        "1KiB       | 1024",
        "3kib       | 3072",
        "512MiB     | 536870912",
        "512M       | 536870912",
        "1GiB       | 1073741824",
        "16G        | 17179869184",
        "16gb       | 17179869184",
        "2TiB       | 2199023255552",
        "'  8 GiB ' | 8589934592",
        "1 T        | 1099511627776",
    })
    void parsesBinaryUnits(String text, long bytes) {
        assertThat(Sizes.parse(text)).isEqualTo(bytes);
    }

    @Test
    void largestTebibyteCountThatFitsInALong() {
        long max = Long.MAX_VALUE >> 40; // 8388607
        assertThat(Sizes.parse(max + "TiB")).isEqualTo(max << 40);
        assertThat(Sizes.parse(Long.MAX_VALUE + "")).isEqualTo(Long.MAX_VALUE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "GiB", "-1", "-1GiB", "+4", "x12"})
    void rejectsTextWithoutLeadingDigits(String text) {
        assertThatThrownBy(() -> Sizes.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not a size: '" + text + "' (use e.g. 1GiB, 512MiB or bytes)");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "1.5GiB | .5GiB",
        "1PiB   | PiB",
        "12 parsecs | parsecs",
        "1GiBs  | GiBs",
        "1 2    | 2",
    })
    void rejectsUnknownUnits(String text, String unit) {
        assertThatThrownBy(() -> Sizes.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown size unit '" + unit + "' in '" + text + "' (use KiB, MiB, GiB or TiB)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"9223372036854775808", "99999999999999999999GiB", "8388608TiB", "8796093022208GiB",
        "9007199254740992MiB", "9223372036854775807K"})
    void rejectsSizesBeyondALong(String text) {
        assertThatThrownBy(() -> Sizes.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("size too large: '" + text + "'");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "0, 0B",
        "1, 1B",
        "512, 512B",
        "1024, 1KiB",
        "1536, 1536B",
        "4100, 4100B",
        "1048576, 1MiB",
        "536870912, 512MiB",
        "1073741824, 1GiB",
        "1610612736, 1536MiB",
        "17179869184, 16GiB",
        "3298534883328, 3TiB",
        "1125899906842624, 1024TiB",
    })
    void formatsWithTheLargestExactUnit(long bytes, String text) {
        assertThat(Sizes.format(bytes)).isEqualTo(text);
        assertThat(Sizes.parse(text)).as("parse(format(x)) == x").isEqualTo(bytes);
    }
}
