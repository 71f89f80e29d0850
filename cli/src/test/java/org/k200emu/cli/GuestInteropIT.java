package org.k200emu.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.k200emu.testing.LinuxGuest;

/**
 * The foundation's acceptance test: the card started from the runnable jar, on its embedded
 * default configuration, inside a real Linux kernel (linux-guest), driven by the stock nvme CLI,
 * the kernel NVMe/TCP initiator and fio with verify, with and without digests.
 * The steps live in {@code src/it/guest/nvme-interop.sh}.
 */
class GuestInteropIT {

    @Test
    void stockLinuxHostDiscoversConnectsAndVerifiesData() throws Exception {
        LinuxGuest guest = LinuxGuest.locate();
        LinuxGuest.Result result = guest.run("interop", 1500, "3G",
                "bash", "cli/src/it/guest/nvme-interop.sh");

        assertThat(result.output())
                .as("guest output")
                .contains("STEP discover 4420", "STEP connect", "STEP fio 4k randwrite verify",
                        "fio randwrite verify: errors=0", "fio sequential verify: errors=0",
                        "reconnect read-back identical", "fio with digests: errors=0", "fio 128k with digests: errors=0",
                        "ALL STEPS PASSED")
                .doesNotContain("FAIL ");
        assertThat(result.exitCode()).as("guest exit status").isZero();
    }
}
