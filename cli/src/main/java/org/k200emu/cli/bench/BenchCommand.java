package org.k200emu.cli.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.k200emu.bench.job.JobException;
import org.k200emu.bench.job.JobFile;
import org.k200emu.bench.job.JobOptions;
import org.k200emu.bench.job.JobSpec;
import org.k200emu.bench.result.JobResult;
import org.k200emu.bench.result.LatencySummary;
import org.k200emu.bench.result.ResultFiles;
import org.k200emu.bench.result.SessionResult;
import org.k200emu.bench.run.JobRunner;
import org.k200emu.bench.run.ProgressListener;
import org.k200emu.nvmeof.host.HostTransport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code k200 bench}: runs fio-style jobs against an NVMe/TCP target (through the k200 initiator)
 * or a local bdev, with a live progress line on a terminal, a summary per job, and the results
 * as JSON, CSV and an HTML report. Jobs come from fio-style job files, or from the options alone;
 * options given on the command line override every job's.
 */
@Command(name = "bench",
        mixinStandardHelpOptions = true,
        description = {"Run fio-style benchmark jobs against an NVMe/TCP target or a local bdev.",
            "Jobs come from JOBFILEs ([global] and [job] sections, fio's option names) run in order, or, without"
                + " files, from the options alone. Options on the command line override the files'.",
            "Results: a summary per job on stdout, and JSON, CSV and HTML files in the output directory."},
        subcommands = {BenchCompareCommand.class})
public final class BenchCommand implements Callable<Integer> {

    @Parameters(paramLabel = "JOBFILE", arity = "0..*", description = "fio-style job files, run in order.")
    List<Path> jobFiles = new ArrayList<>();

    @Option(names = "--name", paramLabel = "NAME", description = "Job name (default: cli).")
    String name;
    @Option(names = "--rw", paramLabel = "MODE",
            description = "read, write, randread, randwrite, randrw or rw (default: read).")
    String rw;
    @Option(names = "--rwmixread", paramLabel = "PCT", description = "Read percentage of randrw/rw (default: 50).")
    String rwmixread;
    @Option(names = "--bs", paramLabel = "SIZE", description = "I/O size, e.g. 4k, 128k (default: 4k).")
    String bs;
    @Option(names = "--iodepth", paramLabel = "N", description = "I/Os in flight per worker (default: 1).")
    String iodepth;
    @Option(names = "--numjobs", paramLabel = "N", description = "Workers, one I/O queue pair each (default: 1).")
    String numjobs;
    @Option(names = "--runtime", paramLabel = "TIME", description = "Measured time, e.g. 10, 30s, 2m (default: 10s).")
    String runtime;
    @Option(names = {"--ramp_time", "--ramp-time"}, paramLabel = "TIME",
            description = "Unmeasured warm-up before the runtime (default: 0).")
    String rampTime;
    @Option(names = "--size", paramLabel = "SIZE", description = "Region size (default: the whole namespace).")
    String size;
    @Option(names = "--offset", paramLabel = "SIZE", description = "Region start (default: 0).")
    String offset;
    @Option(names = {"--rate_iops", "--rate-iops"}, paramLabel = "N", description = "IOPS cap per worker (0: none).")
    String rateIops;
    @Option(names = "--verify", paramLabel = "MODE",
            description = "crc32c: self-checking blocks, checked on read and read back after writing; none.")
    String verify;
    @Option(names = "--target", paramLabel = "HOST:PORT", description = "NVMe/TCP target (default: 127.0.0.1:4420).")
    String target;
    @Option(names = "--subnqn", paramLabel = "NQN", description = "Subsystem NQN (default: the card's default).")
    String subnqn;
    @Option(names = "--nsid", paramLabel = "N", description = "Namespace ID (default: 1).")
    String nsid;
    @Option(names = "--hostnqn", paramLabel = "NQN", description = "Host NQN to connect as.")
    String hostnqn;
    @Option(names = "--hdgst", description = "Header digests.")
    Boolean hdgst;
    @Option(names = "--ddgst", description = "Data digests.")
    Boolean ddgst;
    @Option(names = "--bdev", paramLabel = "TYPE", description = "Local bdev instead of a target: null or malloc.")
    String bdev;
    @Option(names = "--bdev_size", paramLabel = "SIZE", description = "Local bdev size (default: 1GiB).")
    String bdevSize;
    @Option(names = "--bdev_bs", paramLabel = "SIZE", description = "Local bdev block size, 512 or 4096.")
    String bdevBs;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", defaultValue = "bench-results",
            description = "Directory for the result files (default: ${DEFAULT-VALUE}).")
    Path output;
    @Option(names = "--base", paramLabel = "NAME",
            description = "Result file name without extension (default: k200-bench-<UTC time>).")
    String base;
    @Option(names = "--io-threads", paramLabel = "N", defaultValue = "0",
            description = "Initiator event-loop threads (default: one per worker, at most the processors).")
    int ioThreads;
    @Option(names = {"-q", "--quiet"}, description = "No live progress line.")
    boolean quiet;
    @CommandLine.Mixin
    ModelReport.Options model = new ModelReport.Options();
    @Option(names = "--poll", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Initiator event loops poll instead of sleeping, as SPDK's perf does (default: on;"
                    + " --no-poll sleeps in epoll).")
    boolean poll;
    @Option(names = "--cpus", paramLabel = "LIST",
            description = "Pin initiator event loop i to the i-th CPU of LIST, in taskset -c syntax such as 1"
                    + " or 2-5 (default: not pinned).")
    String cpus;
    @Option(names = "--tcp-congestion", paramLabel = "NAME",
            description = "TCP congestion control of the initiator's connections, such as cubic or bbr"
                    + " (default: the system's).")
    String tcpCongestion;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        org.k200emu.cluster.affinity.CpuList pinTo = null;
        if (cpus != null) {
            try {
                pinTo = org.k200emu.cluster.affinity.CpuList.parse(cpus);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "invalid value for --cpus: "
                        + e.getMessage());
            }
        }
        List<JobSpec> jobs = jobs();
        if (model.selected(spec.commandLine())) {
            return ModelReport.print(model, jobs, spec.commandLine());
        }
        PrintWriter out = spec.commandLine().getOut();
        ConsoleProgress console = !quiet && System.console() != null ? new ConsoleProgress(out) : null;
        ProgressListener progress = console != null ? console : ProgressListener.SILENT;
        int workers = jobs.stream().mapToInt(JobSpec::numjobs).max().orElse(1);
        int threads = ioThreads > 0 ? ioThreads : Math.min(workers, Runtime.getRuntime().availableProcessors());
        Instant start = Instant.now();
        List<JobResult> results = new ArrayList<>();
        long failures = 0;
        try (HostTransport transport = HostTransport.create(threads, poll)) {
            if (pinTo != null) {
                try {
                    transport.pin(pinTo);
                } catch (IllegalArgumentException | UnsupportedOperationException e) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--cpus: " + e.getMessage());
                }
            }
            if (tcpCongestion != null) {
                try {
                    transport.tcpCongestion(tcpCongestion);
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "invalid value for --tcp-congestion: "
                            + e.getMessage());
                }
            }
            JobRunner runner = new JobRunner(transport, progress);
            for (JobSpec job : jobs) {
                out.println(describe(job));
                JobResult r = runner.run(job);
                if (console != null) {
                    console.clear();
                }
                printSummary(out, r);
                out.flush();
                results.add(r);
                failures += r.errors() + r.verifyErrors();
            }
        }
        SessionResult session = new SessionResult("k200 bench " + org.k200emu.cli.Version.current(),
                environment(), start, results);
        String name = base != null ? base : "k200-bench-" + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
                .withZone(ZoneOffset.UTC).format(start);
        Files.createDirectories(output);
        for (Path p : ResultFiles.write(session, output, name)) {
            out.println("wrote " + p);
        }
        out.flush();
        if (failures > 0) {
            spec.commandLine().getErr().println("k200: " + failures + " I/O or verify error(s); see the summary above");
            return 1;
        }
        return 0;
    }

    /** The jobs to run: from the files, or one job from the options; bad options are bad arguments. */
    List<JobSpec> jobs() {
        Map<String, String> overrides = overrides();
        try {
            if (jobFiles.isEmpty()) {
                Map<String, String> options = new LinkedHashMap<>(overrides);
                return List.of(JobOptions.build(name != null ? name : "cli", options));
            }
            List<JobSpec> jobs = new ArrayList<>();
            for (Path f : jobFiles) {
                jobs.addAll(JobFile.load(f, overrides));
            }
            return jobs;
        } catch (JobException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private Map<String, String> overrides() {
        Map<String, String> o = new LinkedHashMap<>();
        put(o, "name", jobFiles.isEmpty() ? null : name);
        put(o, "rw", rw);
        put(o, "rwmixread", rwmixread);
        put(o, "bs", bs);
        put(o, "iodepth", iodepth);
        put(o, "numjobs", numjobs);
        put(o, "runtime", runtime);
        put(o, "ramp_time", rampTime);
        put(o, "size", size);
        put(o, "offset", offset);
        put(o, "rate_iops", rateIops);
        put(o, "verify", verify);
        put(o, "target", target);
        put(o, "subnqn", subnqn);
        put(o, "nsid", nsid);
        put(o, "hostnqn", hostnqn);
        put(o, "hdgst", hdgst == null ? null : hdgst ? "1" : "0");
        put(o, "ddgst", ddgst == null ? null : ddgst ? "1" : "0");
        put(o, "bdev", bdev);
        put(o, "bdev_size", bdevSize);
        put(o, "bdev_bs", bdevBs);
        return o;
    }

    private static void put(Map<String, String> m, String key, String value) {
        if (value != null) {
            m.put(key, value);
        }
    }

    private static String describe(JobSpec job) {
        return String.format(Locale.ROOT, "%s: rw=%s bs=%d iodepth=%d numjobs=%d runtime=%ss%s on %s", job.name(),
                job.rw().fioName(), job.blockSize(), job.iodepth(), job.numjobs(), job.runtime().toMillis() / 1000.0,
                job.verify() != org.k200emu.bench.job.Verify.NONE ? " verify=crc32c" : "",
                job.target().describe());
    }

    static void printSummary(PrintWriter out, JobResult r) {
        out.printf(Locale.ROOT, "  %s: %s IOPS, %.1f MB/s over %.1f s (%d I/Os: %d reads, %d writes), errors %d%n",
                r.name(), Figures.count(r.iops()).trim(), r.mbps(), r.seconds(), r.ios(), r.readIos(), r.writeIos(),
                r.errors());
        printLatency(out, "lat", r.latency());
        if (r.readLatency() != null && r.writeLatency() != null) {
            printLatency(out, "read lat", r.readLatency());
            printLatency(out, "write lat", r.writeLatency());
        }
        if (r.verifiedBlocks() > 0 || r.verifyErrors() > 0) {
            out.printf(Locale.ROOT, "  verify: %d blocks checked, %d bad%n", r.verifiedBlocks(), r.verifyErrors());
        }
        if (r.allocatedBytesPerIo() >= 0) {
            out.printf(Locale.ROOT, "  initiator allocation: %.1f bytes per I/O%n", r.allocatedBytesPerIo());
        }
    }

    private static void printLatency(PrintWriter out, String label, LatencySummary l) {
        out.printf(Locale.ROOT, "  %s (us): mean %.1f, p50 %.1f, p90 %.1f, p99 %.1f, p99.9 %.1f, p99.99 %.1f,"
                + " max %.1f%n", label, l.meanUs(), l.p50Us(), l.p90Us(), l.p99Us(), l.p999Us(), l.p9999Us(), l.maxUs());
    }

    private static Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("processors", Integer.toString(Runtime.getRuntime().availableProcessors()));
        env.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        env.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        try {
            env.put("host", java.net.InetAddress.getLocalHost().getHostName());
        } catch (IOException e) {
            env.put("host", "unknown");
        }
        return env;
    }
}
