package org.k200emu.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.k200emu.testing.LinuxGuest;

/**
 * End-to-end data protection with the stock Linux host: a card whose namespace carries type 1
 * protection information, inside a real Linux kernel (linux-guest): Identify Namespace as nvme-cli
 * shows it, fio with verify through the kernel initiator (which sends PRACT), discard and write
 * zeroes reading back as zeroes, extended blocks through nvme io-passthru, and a block stored
 * with a bad guard failing the kernel's read.
 * The steps live in {@code src/it/guest/pi-interop.sh}.
 */
class GuestPiIT {

    @Test
    void stockLinuxHostReadsAndWritesAProtectedNamespaceAndSeesBadGuardsFail() throws Exception {
        LinuxGuest guest = LinuxGuest.locate();
        LinuxGuest.Result result = guest.run("pi", 1200, "3G", "bash", "cli/src/it/guest/pi-interop.sh");

        assertThat(result.output())
                .as("guest output")
                .contains("STEP connect", "id-ns: ms 8, dps 1, extended LBA", "fio pi randwrite verify: errors=0",
                        "discard and write zeroes read back as zeroes",
                        "good extended block read back through the kernel", "checked write with a bad guard refused",
                        "bad guard: read failed, no data returned", "ALL STEPS PASSED")
                .doesNotContain("FAIL ");
        assertThat(result.exitCode()).as("guest exit status").isZero();
    }
}
