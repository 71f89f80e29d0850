package org.k200emu.card.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class NqnTest {

    private static final String UUID_PREFIX = "nqn.2014-08.org.nvmexpress:uuid:";

    @ParameterizedTest
    @ValueSource(strings = {
        "nqn.2014-08.org.k200emu:default",
        "nqn.2016-06.io.spdk:cnode1",
        "nqn.2014-08.org.nvmexpress:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
        "nqn.2024-01.com.example:sub:with:colons",
        "nqn.1999-12.x:y",
    })
    void acceptsWellFormedNqns(String nqn) {
        assertThat(Nqn.problem(nqn)).isNull();
    }

    @ParameterizedTest
    @NullAndEmptySource
    void requiresAValue(String nqn) {
        assertThat(Nqn.problem(nqn)).isEqualTo("an NQN is needed");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "iqn.2014-08.org.k200emu:default",
        "nqn.2014-08.org.k200emu",
        "nqn.14-08.org.k200emu:x",
        "nqn.2014-8.org.k200emu:x",
        "nqn.2014-08:x",
        "nqn.2014-08.org.k200emu:",
        "nqn.2014-08.org.k200emu:has space",
        "nqn.2014-08.org k200emu:x",
        " nqn.2014-08.org.k200emu:x",
        "NQN.2014-08.org.k200emu:x",
    })
    void rejectsMalformedNqns(String nqn) {
        assertThat(Nqn.problem(nqn))
                .isEqualTo("not an NQN: '" + nqn + "' (expected nqn.yyyy-mm.reverse.domain:name)");
    }

    @Test
    void limitIs223BytesOfUtf8NotCharacters() {
        String prefix = "nqn.2014-08.com.example:";
        String longest = prefix + "a".repeat(223 - prefix.length());
        assertThat(longest).hasSize(223);
        assertThat(Nqn.problem(longest)).isNull();
        assertThat(Nqn.problem(longest + "a")).isEqualTo("an NQN is at most 223 bytes");

        // 124 characters, but each 'é' is two bytes in UTF-8: 24 + 200 = 224 bytes.
        String wide = prefix + "é".repeat(100);
        assertThat(wide.length()).isLessThan(223);
        assertThat(Nqn.problem(wide)).isEqualTo("an NQN is at most 223 bytes");
        assertThat(Nqn.problem(prefix + "é".repeat(99))).isNull();
    }

    @Test
    void uuidNqnNeedsA36CharacterUuid() {
        String uuid = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
        assertThat(Nqn.problem(UUID_PREFIX + uuid)).isNull();
        assertThat(Nqn.problem(UUID_PREFIX + uuid.substring(1)))
                .isEqualTo("a UUID NQN ends with a 36-character UUID");
        assertThat(Nqn.problem(UUID_PREFIX + uuid + "0"))
                .isEqualTo("a UUID NQN ends with a 36-character UUID");
        assertThat(Nqn.problem(UUID_PREFIX)).isEqualTo("a UUID NQN ends with a 36-character UUID");
    }

    @Test
    void discoveryNqnCannotNameASubsystem() {
        assertThat(Nqn.problem("nqn.2014-08.org.nvmexpress.discovery"))
                .isEqualTo("the discovery NQN cannot name a subsystem");
    }
}
