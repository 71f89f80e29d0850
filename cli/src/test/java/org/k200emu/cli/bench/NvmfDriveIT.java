package org.k200emu.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.k200emu.card.config.CardConfig;
import org.k200emu.cli.start.CardProcess;
import org.k200emu.cli.start.StartOverrides;
import org.k200emu.testing.HostTools;

/**
 * benchmarks/nvmf-drive.c, the C initiator the target benchmark runs beside {@code k200 bench},
 * built with the machine's C compiler and run against a card started in this test: reads and
 * writes at depth 8 and 1 complete without error, and a wrong subsystem NQN ends it with the
 * target's refusal of Connect on one line and a non-zero exit. Being written from the
 * specification apart from the k200 initiator, it is also a second initiator the target must serve.
 */
class NvmfDriveIT {

    private static final Path SOURCE = Path.of("..", "benchmarks", "nvmf-drive.c");

    @TempDir
    static Path dir;
    private static Path drive;

    /** The C compiler (Debian's gcc, installed where it is missing and the test can). */
    @BeforeAll
    static void build() throws Exception {
        HostTools.require("gcc", "cc");
        drive = dir.resolve("nvmf-drive");
        HostTools.Result cc = HostTools.run(List.of("cc", "-O2", "-Wall", "-Werror", "-o", drive.toString(), SOURCE.toString()), 120);
        assertThat(cc.exitCode()).as("cc:%n%s", cc.output()).isZero();
    }

    @Test
    void drivesReadsAndWritesWithoutError() throws Exception {
        try (CardProcess card = CardProcess.start(CardConfig.embeddedDefault(), new StartOverrides("127.0.0.1", 0, -1, 2))) {
            int port = card.target().boundAddresses().get(0).getPort();
            for (String rw : List.of("randwrite", "randread")) {
                for (int depth : new int[] {8, 1}) {
                    Path json = dir.resolve(rw + "-" + depth + ".json");
                    HostTools.Result r = HostTools.run(List.of(drive.toString(), "-a", "127.0.0.1", "-p", Integer.toString(port),
                            "-n", "nqn.2014-08.org.k200emu:default", "-w", rw, "-b", "4096", "-q",
                            Integer.toString(depth), "-t", "1", "-r", "0", "-o", json.toString()), 60);
                    assertThat(r.exitCode()).as("%s QD%d: %s", rw, depth, r.output()).isZero();
                    JsonNode result = new ObjectMapper().readTree(json.toFile());
                    assertThat(result.get("errors").asLong()).as("%s QD%d errors", rw, depth).isZero();
                    assertThat(result.get("ios").asLong()).as("%s QD%d I/Os", rw, depth).isPositive();
                    assertThat(result.get("lat_mean_us").asDouble()).isPositive();
                    assertThat(result.get("lat_p99_us").asDouble())
                            .isGreaterThanOrEqualTo(result.get("lat_p50_us").asDouble());
                }
            }
        }
    }

    @Test
    void aWrongSubsystemEndsWithTheTargetsRefusal() throws Exception {
        try (CardProcess card = CardProcess.start(CardConfig.embeddedDefault(), new StartOverrides("127.0.0.1", 0, -1, 2))) {
            int port = card.target().boundAddresses().get(0).getPort();
            HostTools.Result r = HostTools.run(List.of(drive.toString(), "-p", Integer.toString(port), "-n", "nqn.2014-08.org.k200emu:none",
                    "-w", "randread", "-t", "1", "-r", "0"), 60);
            assertThat(r.exitCode()).isNotZero();
            assertThat(r.output().strip()).startsWith("nvmf-drive: Connect (queue 0) failed: status 0x")
                    .doesNotContain("\n");
        }
    }
}
