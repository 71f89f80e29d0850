package org.k200emu.bench.result;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** Two sessions side by side. */
public final class Comparison {

    private record Metric(String label, int decimals, ToDoubleFunction<JobResult> value) {
    }

    private static final List<Metric> METRICS = List.of(
            new Metric("IOPS", 1, JobResult::iops),
            new Metric("MB/s", 2, JobResult::mbps),
            new Metric("mean lat (us)", 2, j -> j.latency().meanUs()),
            new Metric("p50 lat (us)", 2, j -> j.latency().p50Us()),
            new Metric("p99 lat (us)", 2, j -> j.latency().p99Us()),
            new Metric("p99.9 lat (us)", 2, j -> j.latency().p999Us()),
            new Metric("errors", 0, j -> j.errors()));

    private Comparison() {
    }

    /**
     * A side-by-side text table: for each job present in both sessions (matched by name, in a's
     * order; with duplicate names the k-th of a is matched with the k-th of b), rows IOPS, MB/s,
     * mean/p50/p99/p99.9 latency (us) and errors, with columns A, B and the ratio B/A (2
     * decimals, "n/a" when A is 0). The column headers are the two labels. Jobs present in only
     * one session are listed at the end. Plain ASCII apart from what the labels and job names
     * hold; every line ends with "\n".
     */
    public static String table(SessionResult a, String labelA, SessionResult b, String labelB) {
        String la = labelA == null || labelA.isEmpty() ? "A" : labelA;
        String lb = labelB == null || labelB.isEmpty() ? "B" : labelB;
        Map<String, Deque<JobResult>> inB = new LinkedHashMap<>();
        for (JobResult j : b.jobs()) {
            inB.computeIfAbsent(j.name(), k -> new ArrayDeque<>()).add(j);
        }
        List<String[]> rows = new ArrayList<>();
        List<String> onlyA = new ArrayList<>();
        for (JobResult ja : a.jobs()) {
            Deque<JobResult> candidates = inB.get(ja.name());
            JobResult jb = candidates == null ? null : candidates.poll();
            if (jb == null) {
                onlyA.add(ja.name());
                continue;
            }
            boolean first = true;
            for (Metric m : METRICS) {
                double va = m.value().applyAsDouble(ja);
                double vb = m.value().applyAsDouble(jb);
                rows.add(new String[] {first ? ja.name() : "", m.label(), number(va, m.decimals()),
                        number(vb, m.decimals()), ratio(va, vb)});
                first = false;
            }
        }
        List<String> onlyB = new ArrayList<>();
        for (Deque<JobResult> rest : inB.values()) {
            for (JobResult j : rest) {
                onlyB.add(j.name());
            }
        }

        String[] header = {"job", "metric", la, lb, "B/A"};
        boolean[] right = {false, false, true, true, true};
        int[] width = new int[header.length];
        for (int c = 0; c < header.length; c++) {
            width[c] = header[c].length();
            for (String[] r : rows) {
                width[c] = Math.max(width[c], r[c].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append("A = ").append(la).append(", B = ").append(lb).append('\n');
        if (rows.isEmpty()) {
            sb.append("no job in common\n");
        } else {
            line(sb, header, width, right);
            String[] rule = new String[header.length];
            for (int c = 0; c < rule.length; c++) {
                rule[c] = "-".repeat(width[c]);
            }
            line(sb, rule, width, right);
            for (int i = 0; i < rows.size(); i++) {
                if (i > 0 && !rows.get(i)[0].isEmpty()) {
                    sb.append('\n');  // a blank line between jobs
                }
                line(sb, rows.get(i), width, right);
            }
        }
        for (String n : onlyA) {
            sb.append("only in ").append(la).append(": ").append(n).append('\n');
        }
        for (String n : onlyB) {
            sb.append("only in ").append(lb).append(": ").append(n).append('\n');
        }
        return sb.toString();
    }

    /** B/A with 2 decimals; "n/a" when A is 0 (or either is not a finite number). */
    static String ratio(double a, double b) {
        if (a == 0 || !Double.isFinite(a) || !Double.isFinite(b)) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%.2f", b / a);
    }

    private static String number(double v, int decimals) {
        if (!Double.isFinite(v)) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static void line(StringBuilder sb, String[] cells, int[] width, boolean[] right) {
        StringBuilder l = new StringBuilder();
        for (int c = 0; c < cells.length; c++) {
            if (c > 0) {
                l.append("  ");
            }
            String pad = " ".repeat(width[c] - cells[c].length());
            l.append(right[c] ? pad + cells[c] : cells[c] + pad);
        }
        sb.append(l.toString().stripTrailing()).append('\n');
    }
}
