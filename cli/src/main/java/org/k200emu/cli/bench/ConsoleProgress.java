package org.k200emu.cli.bench;

import java.io.PrintWriter;
import java.util.Locale;
import org.k200emu.bench.job.JobSpec;
import org.k200emu.bench.result.IntervalSample;
import org.k200emu.bench.run.ProgressListener;

/**
 * The live progress line of {@code k200 bench} on a terminal: job, elapsed, IOPS, MB/s, p50/p99
 * latency, time left, rewritten in place once a second. Used only when stdout is a terminal.
 */
final class ConsoleProgress implements ProgressListener {

    private final PrintWriter out;
    private int lastLength;

    ConsoleProgress(PrintWriter out) {
        this.out = out;
    }

    @Override
    public void sample(JobSpec job, IntervalSample s, double remainingSeconds, long errors) {
        show(String.format(Locale.ROOT, "[%s] %5.1fs  %s IOPS  %9.1f MB/s  p50 %s  p99 %s  ETA %.0fs%s",
                job.name(), s.elapsedSeconds(), Figures.count(s.iops()), s.mbps(), Figures.micros(s.p50Us()),
                Figures.micros(s.p99Us()), remainingSeconds, errors > 0 ? "  errors " + errors : ""));
    }

    @Override
    public void rampOrVerify(JobSpec job, String phase, long errors) {
        show("[" + job.name() + "] " + phase + "..." + (errors > 0 ? "  errors " + errors : ""));
    }

    private void show(String line) {
        int pad = Math.max(0, lastLength - line.length());
        out.print("\r" + line + " ".repeat(pad));
        out.flush();
        lastLength = line.length();
    }

    /** Clears the line before the job's summary is printed. */
    void clear() {
        if (lastLength > 0) {
            out.print("\r" + " ".repeat(lastLength) + "\r");
            out.flush();
            lastLength = 0;
        }
    }
}
