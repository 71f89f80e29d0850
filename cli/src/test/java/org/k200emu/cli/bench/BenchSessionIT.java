package org.k200emu.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.k200emu.bench.result.JobResult;
import org.k200emu.bench.result.ResultFiles;
import org.k200emu.bench.result.SessionResult;
import org.k200emu.card.config.CardConfig;
import org.k200emu.cli.K200;
import org.k200emu.cli.start.CardProcess;
import org.k200emu.cli.start.StartOverrides;

/**
 * A short {@code k200 bench} session, from a fio-style job file, against a card started in this
 * test: the jobs run in order over NVMe/TCP, verify finds no error, and the JSON, CSV and HTML
 * files are written and read back; {@code bench compare} of the session with itself gives 1.00.
 */
class BenchSessionIT {

    @Test
    void jobFileSessionAgainstARunningCard(@TempDir Path dir) throws Exception {
        try (CardProcess card = CardProcess.start(CardConfig.embeddedDefault(), new StartOverrides("127.0.0.1", 0, -1, 2))) {
            int port = card.target().boundAddresses().get(0).getPort();
            Path jobs = dir.resolve("session.fio");
            Files.writeString(jobs, String.join("\n",
                    "[global]",
                    "target=127.0.0.1:" + port,
                    "runtime=2",
                    "ramp_time=1",
                    "size=64m",
                    "",
                    "[write-verify]",
                    "rw=randwrite",
                    "bs=4k",
                    "iodepth=16",
                    "verify=crc32c",
                    "",
                    "[seq-read]",
                    "rw=read",
                    "bs=128k",
                    "iodepth=4",
                    "numjobs=2",
                    ""));
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int exit = K200.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                    .execute("bench", jobs.toString(), "-o", dir.toString(), "--base", "session", "-q");
            assertThat(exit).as("exit status; stderr: %s", err).isZero();
            assertThat(out.toString()).contains("write-verify:", "seq-read:", "verify:", "wrote");

            SessionResult session = ResultFiles.readJson(dir.resolve("session.json"));
            assertThat(session.jobs()).extracting(JobResult::name).containsExactly("write-verify", "seq-read");
            JobResult write = session.jobs().get(0);
            assertThat(write.ios()).isPositive();
            assertThat(write.errors()).isZero();
            assertThat(write.verifyErrors()).isZero();
            assertThat(write.verifiedBlocks()).isPositive();
            assertThat(write.timeline()).isNotEmpty();
            JobResult read = session.jobs().get(1);
            assertThat(read.bytes()).isEqualTo(read.ios() * 131072);
            assertThat(read.errors()).isZero();

            assertThat(Files.readString(dir.resolve("session.csv")).lines()).hasSize(3);
            String html = Files.readString(dir.resolve("session.html"));
            assertThat(html).contains("write-verify", "seq-read", "<svg");

            StringWriter cmp = new StringWriter();
            int cmpExit = K200.commandLine().setOut(new PrintWriter(cmp))
                    .execute("bench", "compare", dir.resolve("session.json").toString(),
                            dir.resolve("session.json").toString());
            assertThat(cmpExit).isZero();
            assertThat(cmp.toString()).contains("write-verify", "1.00");
        }
    }
}
