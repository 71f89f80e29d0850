package org.k200emu.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.k200emu.cli.K200;
import picocli.CommandLine;

/**
 * {@code k200 bench --model k200}, in-process: the jobs are not run (no target is needed and no
 * result file is written); each job's modelled result, utilisation and, with {@code --model-sweep},
 * the curve over 16..64 data-plane cores are printed; model options are checked like any other.
 */
class BenchModelTest {

    /** What one run printed and returned. */
    private record Run(int exitCode, String out, String err) {
        List<String> errLines() {
            return err.lines().filter(l -> !l.isBlank()).toList();
        }

        /** The result row of job {@code name}: its cells split on blanks. */
        String[] row(String name) {
            return out.lines().filter(l -> l.startsWith(name + " ")).findFirst()
                    .orElseThrow(() -> new AssertionError("no row for " + name + " in:\n" + out)).trim().split("\\s+");
        }
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = K200.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** {@code 1.50M}, {@code 374.7k} or {@code 20014} as a number. */
    private static double count(String figure) {
        if (figure.endsWith("M")) {
            return Double.parseDouble(figure.substring(0, figure.length() - 1)) * 1e6;
        }
        if (figure.endsWith("k")) {
            return Double.parseDouble(figure.substring(0, figure.length() - 1)) * 1e3;
        }
        return Double.parseDouble(figure);
    }

    private static void assertBadArguments(Run r, String fragment) {
        assertThat(r.exitCode()).as("exit status; stderr: %s", r.err()).isEqualTo(2);
        assertThat(r.errLines()).hasSize(2);
        assertThat(r.errLines().get(0)).startsWith("k200: ").contains(fragment);
        assertThat(r.errLines().get(1)).isEqualTo("Try 'k200 bench --help' for usage.");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void random4kOnTheDefaultCardIsOnePointFiveMiopsBoundByTheCores(@TempDir Path dir) {
        Path results = dir.resolve("results");
        Run r = run("bench", "--model", "k200", "--rw", "randread", "--bs", "4k", "--iodepth", "32", "--numjobs", "64",
                "-o", results.toString());

        assertThat(r.exitCode()).as("stderr: %s", r.err()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).contains("model k200: 64 data-plane cores (4 clusters), services none", "NVMe/TCP",
                "BOTTLENECK", "UTILISATION").doesNotContain("wrote");
        String[] row = r.row("cli");
        assertThat(row[1]).isEqualTo("randread");
        assertThat(row[2]).isEqualTo("4k");
        assertThat(count(row[6])).isBetween(1.35e6, 1.65e6);
        assertThat(row[row.length - 1]).isEqualTo("dp-cores");
        assertThat(r.row("cli").length).isEqualTo(10);
        assertThat(r.out()).containsPattern("dp-cores\\s+eth-rx\\s+eth-tx\\s+pcie-rx\\s+pcie-tx\\s+ddr-bw");
        assertThat(Files.exists(results)).as("no result files with --model").isFalse();
    }

    @Test
    void sequential128kIsTwelveGigabytesPerSecondBoundByTheNetwork() {
        Run r = run("bench", "--model", "k200", "--rw", "read", "--bs", "128k", "--iodepth", "16", "--numjobs", "64");

        assertThat(r.exitCode()).as("stderr: %s", r.err()).isZero();
        String[] row = r.row("cli");
        assertThat(Double.parseDouble(row[7])).isBetween(10_800.0, 13_200.0);
        assertThat(row[row.length - 1]).isEqualTo("eth-tx");
    }

    @Test
    void queueDepthOneGivesTheUnloadedLatencyOverTcpAndRoce() {
        Run tcp = run("bench", "--model", "k200", "--rw", "randread", "--bs", "4k");
        Run roce = run("bench", "--model", "k200", "--rw", "randread", "--bs", "4k", "--model-transport", "roce");

        assertThat(tcp.exitCode()).isZero();
        assertThat(roce.exitCode()).isZero();
        assertThat(Double.parseDouble(tcp.row("cli")[8])).isBetween(45.0, 55.0);
        assertThat(Double.parseDouble(roce.row("cli")[8])).isBetween(18.0, 22.0);
        assertThat(tcp.row("cli")[9]).isEqualTo("iodepth");
        assertThat(roce.out()).contains("NVMe/RoCE");
        assertThat(tcp.out()).contains("1 of 64 cores usable (one per queue pair)");
    }

    @Test
    void sweepPrintsTheCurveForSixteenToSixtyFourCores() {
        Run r = run("bench", "--model", "k200", "--rw", "randwrite", "--bs", "4k", "--iodepth", "32",
                "--numjobs", "64", "--model-sweep");

        assertThat(r.exitCode()).as("stderr: %s", r.err()).isZero();
        assertThat(r.out()).contains("cli: data-plane core sweep");
        Matcher m = Pattern.compile("(?m)^\\s*(16|32|48|64)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)$").matcher(r.out());
        double previous = 0;
        int rows = 0;
        while (m.find()) {
            double iops = count(m.group(2));
            assertThat(iops).as("IOPS at %s cores", m.group(1)).isGreaterThan(previous);
            assertThat(m.group(5)).isEqualTo("dp-cores");
            previous = iops;
            rows++;
        }
        assertThat(rows).isEqualTo(4);
        assertThat(previous).isBetween(1.35e6, 1.65e6);
    }

    @Test
    void aCardConfigurationGivesTheModelItsAccelerators(@TempDir Path dir) throws Exception {
        Path card = dir.resolve("card.yaml");
        Files.writeString(card, "ports: [{}]\nddr: 8GiB\naccelerators: {engines: 4, cryptoBytesPerSecond: 1e9}\n");
        String[] job = {"bench", "--model", "k200", "--rw", "read", "--bs", "128k", "--iodepth", "32", "--numjobs",
            "64", "--dp-cores", "16", "--services", "crypt"};
        Run configured = run(concat(job, "--model-config", card.toString()));
        assertThat(configured.exitCode()).as("stderr: %s", configured.err()).isZero();
        assertThat(configured.out()).contains("4 engines per kind per cluster; crypto 1.0, hash 4.0, ec 6.0 GB/s",
                "DDR 8 GiB");
        // One cluster's crypto engines at 1 GB/s carry the 128K reads: 1000 MB/s, bound by them.
        String[] row = configured.row("cli");
        assertThat(row[9]).isEqualTo("crypto-accel");
        assertThat(Double.parseDouble(row[7])).isCloseTo(1000.0, org.assertj.core.api.Assertions.within(0.5));
        // Without the file: the default 5 GB/s.
        assertThat(run(job).out()).contains("16 engines per kind per cluster; crypto 5.0");

        Files.writeString(card, "ports: [{}]\naccelerators: {engines: 0}\n");
        assertBadArguments(run(concat(job, "--model-config", card.toString())),
                "accelerators.engines: must be within 1..1024, not 0");
        assertBadArguments(run("bench", "--model-config", card.toString()), "need --model k200");
    }

    @Test
    void fewerCoresAndServicesLowerTheModelledIops() {
        String[] job = {"bench", "--model", "k200", "--rw", "randwrite", "--bs", "4k", "--iodepth", "32", "--numjobs",
            "64"};
        double base = count(run(job).row("cli")[6]);
        Run sixteen = run(concat(job, "--dp-cores", "16"));
        Run services = run(concat(job, "--services", "crypt,ec4+2"));

        assertThat(sixteen.out()).contains("16 data-plane cores (1 cluster)");
        assertThat(count(sixteen.row("cli")[6])).isBetween(base / 4 * 0.99, base / 4 * 1.01);
        assertThat(services.exitCode()).as("stderr: %s", services.err()).isZero();
        assertThat(services.out()).contains("services crypt,ec4+2", "crypto-accel", "ec-accel");
        assertThat(count(services.row("cli")[6])).isLessThan(base);
    }

    @Test
    void jobFilesAreModelledJobByJob(@TempDir Path dir) throws Exception {
        Path jobs = dir.resolve("jobs.fio");
        Files.writeString(jobs, String.join("\n",
                "[global]",
                "target=192.0.2.1:4420",
                "iodepth=16",
                "numjobs=64",
                "",
                "[small]",
                "rw=randrw",
                "rwmixread=70",
                "bs=4k",
                "",
                "[large]",
                "rw=write",
                "bs=128k",
                ""));
        Run r = run("bench", jobs.toString(), "--model", "k200", "--model-ports", "2");

        assertThat(r.exitCode()).as("stderr: %s", r.err()).isZero();
        assertThat(r.row("small")[1]).isEqualTo("randrw:70");
        assertThat(r.row("small")[9]).isEqualTo("dp-cores");
        assertThat(r.row("large")[2]).isEqualTo("128k");
        assertThat(r.row("large")[9]).isEqualTo("ddr-bw");
        assertThat(r.out()).contains("over 2 ports");
    }

    @Test
    void badModelOptionsAreBadArguments() {
        assertBadArguments(run("bench", "--model", "k300"), "unknown model 'k300'; models: k200");
        assertBadArguments(run("bench", "--model", "k200", "--dp-cores", "8"), "16..64");
        assertBadArguments(run("bench", "--model", "k200", "--services", "dedup"), "'dedup' is not a service");
        assertBadArguments(run("bench", "--model", "k200", "--model-transport", "fc"), "tcp or roce");
        assertBadArguments(run("bench", "--model", "k200", "--model-ports", "3"), "--model-ports must be 1..2");
        assertBadArguments(run("bench", "--dp-cores", "32"), "need --model k200");
        assertBadArguments(run("bench", "--model-sweep"), "need --model k200");
    }

    @Test
    void helpDocumentsTheModelOptions() {
        Run r = run("bench", "--help");

        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("--model=NAME", "--dp-cores=N", "--services=LIST", "--model-sweep",
                "--model-transport=T", "--model-ports=N");
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = new String[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
