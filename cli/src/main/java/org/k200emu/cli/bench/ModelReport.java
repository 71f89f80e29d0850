package org.k200emu.cli.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.k200emu.bench.job.JobSpec;
import org.k200emu.bench.job.TargetSpec;
import org.k200emu.card.config.CardConfig;
import org.k200emu.card.config.ConfigException;
import org.k200emu.cluster.timing.CardProfile;
import org.k200emu.cluster.timing.IoPattern;
import org.k200emu.cluster.timing.ModelResult;
import org.k200emu.cluster.timing.Resource;
import org.k200emu.cluster.timing.Services;
import org.k200emu.cluster.timing.TimingModel;
import org.k200emu.cluster.timing.Transport;
import org.k200emu.cluster.timing.Workload;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code k200 bench --model k200}: instead of running the jobs, prints what the card's timing
 * model ({@link TimingModel}) predicts for each of them: IOPS, MB/s, mean latency, the bottleneck
 * and every resource's utilisation, and with {@code --model-sweep} the curve over 16, 32, 48 and 64
 * data-plane cores. Each job becomes a {@link Workload}: its pattern, read share, block size,
 * {@code iodepth} per queue pair and one queue pair per {@code numjobs} instance, its target's
 * digests. Runtime, ramp time, region, rate and verify do not enter the model.
 */
final class ModelReport {

    /** The models {@code --model} accepts. */
    static final List<String> MODELS = List.of("k200");

    private final TimingModel model;
    private final CardProfile card;
    private final Transport transport;
    private final int paths;
    private final boolean sweep;

    private ModelReport(TimingModel model, CardProfile card, Transport transport, int paths, boolean sweep) {
        this.model = model;
        this.card = card;
        this.transport = transport;
        this.paths = paths;
        this.sweep = sweep;
    }

    /** The {@code bench} options of the model, a mixin of {@link BenchCommand}. */
    static final class Options {
        @Option(names = "--model", paramLabel = "NAME",
                description = "Do not run the jobs: print what the card's timing model predicts for each (IOPS, MB/s,"
                        + " latency, bottleneck, utilisation). Models: k200. No result files are written.")
        String model;
        @Option(names = "--dp-cores", paramLabel = "N",
                description = "With --model: data-plane cores, 16..64 (default: 64).")
        Integer dpCores;
        @Option(names = "--services", paramLabel = "LIST",
                description = "With --model: the volume's services, a comma list of crypt, ec4+2, ec8+3 (any ecK+M),"
                        + " hash (default: none).")
        String services;
        @Option(names = "--model-sweep",
                description = "With --model: also print each job's curve for 16, 32, 48 and 64 data-plane cores.")
        boolean sweep;
        @Option(names = "--model-transport", paramLabel = "T",
                description = "With --model: tcp or roce (default: tcp).")
        String transport;
        @Option(names = "--model-config", paramLabel = "FILE",
                description = "With --model: a card configuration file (as for k200 start); the model takes its"
                        + " accelerators (engines, throughput per kind, submit cycles) and its DDR size.")
        java.nio.file.Path config;
        @Option(names = "--model-ports", paramLabel = "N",
                description = "With --model: card ports the queue pairs are spread over, 1 or 2 (default: 1, one"
                        + " target address).")
        Integer ports;

        /**
         * True if {@code --model} was given.
         *
         * @throws CommandLine.ParameterException if model options were given without {@code --model}
         */
        boolean selected(CommandLine cl) {
            if (model == null && (dpCores != null || services != null || sweep || transport != null || ports != null
                    || config != null)) {
                throw new CommandLine.ParameterException(cl, "--dp-cores, --services, --model-sweep, --model-transport,"
                        + " --model-ports and --model-config need --model k200");
            }
            return model != null;
        }
    }

    /**
     * Prints the modelled result of every job on {@code cl}'s output; returns the exit status.
     *
     * @throws CommandLine.ParameterException on an unknown model or a bad model option
     */
    static int print(Options options, List<JobSpec> jobs, CommandLine cl) {
        ModelReport report = of(options, cl);
        List<ModelResult> results = new ArrayList<>();
        for (JobSpec job : jobs) {
            try {
                results.add(report.model.evaluate(report.card, report.workload(job)));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, "job '" + job.name() + "': " + e.getMessage());
            }
        }
        PrintWriter out = cl.getOut();
        report.printResults(out, jobs, results);
        if (report.sweep) {
            for (int i = 0; i < jobs.size(); i++) {
                report.printSweep(out, jobs.get(i).name(), results.get(i).workload());
            }
        }
        out.flush();
        return 0;
    }

    private static ModelReport of(Options o, CommandLine cl) {
        String name = o.model.trim().toLowerCase(Locale.ROOT);
        if (!MODELS.contains(name)) {
            throw new CommandLine.ParameterException(cl, "unknown model '" + o.model + "'; models: "
                    + String.join(", ", MODELS));
        }
        try {
            TimingModel model = TimingModel.k200();
            CardProfile card = CardProfile.k200(model.costs())
                    .withDataPlaneCores(o.dpCores != null ? o.dpCores : CardProfile.MAX_DATA_PLANE_CORES)
                    .withServices(Services.parse(o.services));
            if (o.config != null) {
                // The configured card: the same accelerator model its services are charged with at run time.
                CardConfig configured = CardConfig.load(o.config);
                card = card.withAccelerators(configured.accelerators()).withDdrBytes(configured.ddrBytes());
            }
            Transport transport = o.transport != null ? Transport.parse(o.transport) : Transport.TCP;
            int paths = o.ports != null ? o.ports : 1;
            if (paths < 1 || paths > card.ethernetPorts()) {
                throw new IllegalArgumentException("--model-ports must be 1.." + card.ethernetPorts() + ": " + paths);
            }
            return new ModelReport(model, card, transport, paths, o.sweep);
        } catch (IllegalArgumentException | ConfigException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
    }

    /** The model's view of {@code job}. */
    Workload workload(JobSpec job) {
        boolean hdgst = false;
        boolean ddgst = false;
        if (job.target() instanceof TargetSpec.Remote remote) {
            hdgst = remote.headerDigest();
            ddgst = remote.dataDigest();
        }
        return new Workload(IoPattern.parse(job.rw().fioName()), job.readPercent(), job.blockSize(), job.iodepth(),
                job.numjobs(), transport, paths, hdgst, ddgst);
    }

    private void printResults(PrintWriter out, List<JobSpec> jobs, List<ModelResult> results) {
        out.printf(Locale.ROOT, "model k200: %s; %s over %d port%s%n", card.describe(), transport.label(), paths,
                paths > 1 ? "s" : "");
        out.println("(virtual time: the jobs are not run; runtime, target, rate and verify do not enter the model)");
        int w = nameWidth(jobs);
        out.printf(Locale.ROOT, "%-" + w + "s %-9s %5s %11s %9s %10s %10s  %s%n", "JOB", "RW", "BS", "QD x JOBS",
                "IOPS", "MB/s", "LAT(us)", "BOTTLENECK");
        for (int i = 0; i < jobs.size(); i++) {
            JobSpec job = jobs.get(i);
            ModelResult r = results.get(i);
            String rw = job.rw().mixed() ? job.rw().fioName() + ":" + job.readPercent() : job.rw().fioName();
            out.printf(Locale.ROOT, "%-" + w + "s %-9s %5s %11s %9s %10.1f %10.1f  %s%n", job.name(), rw,
                    size(job.blockSize()), job.iodepth() + " x " + job.numjobs(), Figures.count(r.iops()).trim(),
                    r.mbPerSecond(), r.meanLatencyMicros(), r.bottleneck().id());
        }

        Set<Resource> used = EnumSet.noneOf(Resource.class);
        for (ModelResult r : results) {
            used.addAll(r.utilisation().keySet());
        }
        out.println();
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-" + w + "s", "UTILISATION"));
        for (Resource res : used) {
            header.append(String.format(Locale.ROOT, " %12s", res.id()));
        }
        out.println(header);
        for (int i = 0; i < jobs.size(); i++) {
            ModelResult r = results.get(i);
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-" + w + "s", jobs.get(i).name()));
            for (Resource res : used) {
                row.append(r.utilisation().containsKey(res)
                        ? String.format(Locale.ROOT, " %11.0f%%", 100 * r.utilisation(res))
                        : String.format(Locale.ROOT, " %12s", "-"));
            }
            out.println(row);
        }
        for (int i = 0; i < jobs.size(); i++) {
            notes(out, jobs.get(i), results.get(i));
        }
    }

    private void notes(PrintWriter out, JobSpec job, ModelResult r) {
        List<String> notes = new ArrayList<>();
        notes.add(String.format(Locale.ROOT, "unloaded latency %.1f us, %.0f cycles per I/O", r.unloadedLatencyMicros(),
                r.cyclesPerIo()));
        if (r.usableCores() < card.dataPlaneCores()) {
            notes.add(r.usableCores() + " of " + card.dataPlaneCores() + " cores usable (one per queue pair)");
        }
        if (r.bufferLimited()) {
            notes.add(r.effectiveOutstanding() + " of " + r.outstanding() + " I/Os fit the DDR buffer pool");
        }
        if (transport == Transport.ROCE && (job.target() instanceof TargetSpec.Remote remote)
                && (remote.headerDigest() || remote.dataDigest())) {
            notes.add("digests do not apply to RoCE");
        }
        out.printf(Locale.ROOT, "  %s: %s%n", job.name(), String.join("; ", notes));
    }

    private void printSweep(PrintWriter out, String job, Workload workload) {
        out.println();
        out.printf(Locale.ROOT, "%s: data-plane core sweep%n", job);
        out.printf(Locale.ROOT, "%5s %9s %10s %10s  %s%n", "CORES", "IOPS", "MB/s", "LAT(us)", "BOTTLENECK");
        for (ModelResult r : model.sweepCores(card, workload, TimingModel.SWEEP_CORES)) {
            out.printf(Locale.ROOT, "%5d %9s %10.1f %10.1f  %s%n", r.card().dataPlaneCores(),
                    Figures.count(r.iops()).trim(), r.mbPerSecond(), r.meanLatencyMicros(), r.bottleneck().id());
        }
    }

    private static int nameWidth(List<JobSpec> jobs) {
        int w = "UTILISATION".length();
        for (JobSpec j : jobs) {
            w = Math.max(w, j.name().length());
        }
        return w;
    }

    /** {@code 4k}, {@code 128k}, {@code 1m}, or bytes. */
    static String size(int bytes) {
        if (bytes % (1 << 20) == 0) {
            return bytes / (1 << 20) + "m";
        }
        if (bytes % 1024 == 0) {
            return bytes / 1024 + "k";
        }
        return Integer.toString(bytes);
    }
}
