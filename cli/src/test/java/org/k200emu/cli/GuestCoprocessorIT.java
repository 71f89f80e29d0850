package org.k200emu.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.k200emu.testing.LinuxGuest;

/**
 * Co-processor mode with real peers, in a real Linux kernel (linux-guest): the kernel initiator
 * writes through the card's emulated drive to the kernel's own NVMe/TCP target and reads it
 * back with fio verify, survives the remote target going away mid-write, keeps writing through
 * the surviving path when one of two target ports dies, and the same chain card to card, on a
 * plain remote namespace and on an erasure-coded volume over six remote namespaces; first, the
 * benchmark's C initiator (benchmarks/nvmf-drive.c) reads and writes the kernel target without
 * error. The steps live in {@code src/it/guest/coprocessor-chain.sh}.
 */
class GuestCoprocessorIT {

    @Test
    void kernelInitiatorThroughTheCardToRemoteTargets() throws Exception {
        LinuxGuest guest = LinuxGuest.locate();
        String kernelPeer = guest.stageTool("kernel-nvmet-peer.sh");
        LinuxGuest.Result result = guest.run("coprocessor", 1500, "3G",
                "env", "KERNEL_PEER=" + kernelPeer, "bash", "cli/src/it/guest/coprocessor-chain.sh");

        assertThat(result.output())
                .as("guest output")
                .containsPattern("nvmf-drive kernel randwrite: ios=[1-9][0-9]* errors=0")
                .containsPattern("nvmf-drive kernel randread: ios=[1-9][0-9]* errors=0")
                .contains("STEP fio through the chain", "fio chain-randwrite: errors=0", "fio chain-seq: errors=0",
                        "outage: data before and across read back identical",
                        "fio multipath-0: errors=0", "path 0 back: connected",
                        "fio multipath-1: errors=0", "path 1 back: connected",
                        "fio card2card-randwrite: errors=0", "fio ec-randwrite: errors=0", "fio ec-seq: errors=0",
                        "ALL STEPS PASSED")
                .doesNotContain("FAIL ");
        assertThat(result.exitCode()).as("guest exit status").isZero();
    }
}
