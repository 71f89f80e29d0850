package org.k200emu.card.config;

import java.nio.charset.StandardCharsets;

/** NVMe Qualified Names (NVMe Base 1.4, section 7.9): the checks a configuration makes. */
public final class Nqn {

    private Nqn() {
    }

    /** Null if {@code nqn} is usable, else why not. */
    public static String problem(String nqn) {
        if (nqn == null || nqn.isEmpty()) {
            return "an NQN is needed";
        }
        if (nqn.getBytes(StandardCharsets.UTF_8).length > 223) {
            return "an NQN is at most 223 bytes";
        }
        if (nqn.startsWith("nqn.2014-08.org.nvmexpress:uuid:")) {
            return nqn.length() == 32 + 36 ? null : "a UUID NQN ends with a 36-character UUID";
        }
        // Before the pattern, which the discovery NQN (no ':') would fail with a misleading reason.
        if (nqn.equals("nqn.2014-08.org.nvmexpress.discovery")) {
            return "the discovery NQN cannot name a subsystem";
        }
        if (!nqn.matches("nqn\\.[0-9]{4}-[0-9]{2}\\.[^:\\s]+:\\S+")) {
            return "not an NQN: '" + nqn + "' (expected nqn.yyyy-mm.reverse.domain:name)";
        }
        return null;
    }
}
