package org.k200emu.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.k200emu.bench.result.JobResult;
import org.k200emu.bench.result.ResultFiles;
import org.k200emu.card.config.CardConfig;
import org.k200emu.cli.K200;
import org.k200emu.cli.start.CardProcess;
import org.k200emu.cli.start.StartOverrides;

/**
 * {@code k200 bench} against a card whose namespace carries type 1 protection information: the
 * initiator sends PRACT (as Linux does), so a short random-write job with verify runs clean, and
 * every block it wrote holds the protection information the card generated.
 */
class BenchPiTest {

    @Test
    void benchWithVerifyOnAProtectedNamespace(@TempDir Path dir) throws Exception {
        CardConfig config = CardConfig.parse(String.join("\n",
                "clusters: {count: 2, coresPerCluster: 2}",
                "bdevs:",
                "  - {name: m0, type: malloc, size: 16MiB}",
                "  - {name: pi0, type: pi, member: m0, piType: 1}",
                "subsystems:",
                "  - {nqn: 'nqn.2014-08.org.k200emu:pi', namespaces: [{bdev: pi0}]}",
                "ports: [{port: 4420}]"), CardConfig.Format.YAML);
        try (CardProcess card = CardProcess.start(config, new StartOverrides("127.0.0.1", 0, -1, 2))) {
            int port = card.target().boundAddresses().get(0).getPort();
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int exit = K200.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                    .execute("bench", "--target", "127.0.0.1:" + port, "--subnqn", "nqn.2014-08.org.k200emu:pi",
                            "--name", "pi-verify", "--rw", "randwrite", "--bs", "4k", "--iodepth", "8",
                            "--size", "4m", "--runtime", "1", "--ramp_time", "0", "--verify", "crc32c",
                            "-o", dir.toString(), "--base", "pi", "-q");
            assertThat(exit).as("exit status; stderr: %s", err).isZero();
            JobResult job = ResultFiles.readJson(dir.resolve("pi.json")).jobs().get(0);
            assertThat(job.ios()).isPositive();
            assertThat(job.errors()).isZero();
            assertThat(job.verifyErrors()).isZero();
            assertThat(job.verifiedBlocks()).isPositive();
        }
    }
}
