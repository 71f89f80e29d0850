package org.k200emu.bench.result;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ComparisonTest {

    private static JobResult job(String name, double iops, double mbps, double meanUs, double p99Us, long errors) {
        LatencySummary l = new LatencySummary(1, meanUs, meanUs * 0.9, meanUs * 1.5, p99Us, p99Us * 2, p99Us * 3,
                p99Us * 4);
        return new JobResult(name, Map.of("rw", "randread"), "t", Instant.EPOCH, 10, (long) (iops * 10),
                (long) (mbps * 1e7), iops, mbps, l, l, null, (long) (iops * 10), 0, errors, 0, 0, List.of(),
                new long[0], -1);
    }

    private static SessionResult session(JobResult... jobs) {
        return new SessionResult("k200 bench test", Map.of(), Instant.EPOCH, List.of(jobs));
    }

    private static String rowOf(String table, String metric) {
        return table.lines().filter(l -> l.contains(metric)).findFirst().orElseThrow();
    }

    @Test
    void ratiosOfMatchingJobs() {
        SessionResult a = session(job("randread", 1000, 4.0, 100, 300, 0));
        SessionResult b = session(job("randread", 1500, 6.0, 80, 330, 2));
        String t = Comparison.table(a, "before", b, "after");
        assertThat(rowOf(t, "IOPS")).contains("randread").contains("1000.0").contains("1500.0").endsWith("1.50");
        assertThat(rowOf(t, "MB/s")).contains("4.00").contains("6.00").endsWith("1.50");
        assertThat(rowOf(t, "mean lat (us)")).contains("100.00").contains("80.00").endsWith("0.80");
        assertThat(rowOf(t, "p50 lat (us)")).endsWith("0.80");
        assertThat(rowOf(t, "p99 lat (us)")).endsWith("1.10");
        assertThat(rowOf(t, "p99.9 lat (us)")).contains("600.00").contains("660.00").endsWith("1.10");
        assertThat(rowOf(t, "errors")).endsWith("n/a");
        String header = t.lines().filter(l -> l.startsWith("job")).findFirst().orElseThrow();
        assertThat(header).contains("metric").contains("before").contains("after").endsWith("B/A");
        assertThat(header.indexOf("before")).isLessThan(header.indexOf("after"));
    }

    @Test
    void columnsAreAlignedAndPlainAscii() {
        SessionResult a = session(job("randread", 1000, 4.0, 100, 300, 0), job("seq-write-1M", 12.5, 1234.5, 8000,
                20000, 0));
        SessionResult b = session(job("randread", 123456.7, 4.0, 7, 30, 0), job("seq-write-1M", 13, 1300, 7000,
                19000, 1));
        String t = Comparison.table(a, "baseline-run", b, "candidate");
        List<String> rows = t.lines().filter(l -> l.endsWith("B/A") || l.matches(".*(\\d|n/a)$") || l.startsWith("-"))
                .toList();
        assertThat(rows).hasSize(2 + 14);
        int width = rows.get(0).length();
        assertThat(rows).allSatisfy(r -> assertThat(r).hasSize(width));
        // numbers right-aligned: the decimal points of a column line up
        assertThat(rowOf(t, "IOPS").indexOf("1000.0") + 4).isEqualTo(t.lines().filter(l -> l.contains("IOPS"))
                .skip(1).findFirst().orElseThrow().indexOf("12.5") + 2);
        assertThat(t.chars().allMatch(c -> c == '\n' || (c >= 0x20 && c < 0x7f))).isTrue();
        assertThat(t).doesNotContain("\t");
    }

    @Test
    void jobsOnOneSideOnlyAreListedAtTheEnd() {
        SessionResult a = session(job("common", 100, 1, 10, 20, 0), job("gone", 100, 1, 10, 20, 0));
        SessionResult b = session(job("new", 100, 1, 10, 20, 0), job("common", 200, 2, 10, 20, 0));
        String t = Comparison.table(a, "A1", b, "B1");
        assertThat(t).contains("common");
        assertThat(rowOf(t, "IOPS")).contains("common").endsWith("2.00");
        List<String> lines = t.lines().toList();
        assertThat(lines.get(lines.size() - 2)).isEqualTo("only in A1: gone");
        assertThat(lines.get(lines.size() - 1)).isEqualTo("only in B1: new");
        assertThat(t.lines().filter(l -> l.contains("IOPS"))).hasSize(1);
    }

    @Test
    void zeroInAGivesNotApplicable() {
        SessionResult a = session(job("j", 0, 0, 0, 0, 0));
        SessionResult b = session(job("j", 10, 1, 5, 9, 3));
        String t = Comparison.table(a, "A", b, "B");
        for (String metric : List.of("IOPS", "MB/s", "mean lat", "p50 lat", "p99 lat", "p99.9 lat", "errors")) {
            assertThat(rowOf(t, metric)).endsWith("n/a");
        }
        assertThat(Comparison.ratio(0, 0)).isEqualTo("n/a");
        assertThat(Comparison.ratio(4, 0)).isEqualTo("0.00");
        assertThat(Comparison.ratio(3, 1)).isEqualTo("0.33");
    }

    @Test
    void duplicateNamesPairInOrderAndNothingInCommonIsSaid() {
        SessionResult a = session(job("j", 100, 1, 10, 20, 0), job("j", 200, 1, 10, 20, 0));
        SessionResult b = session(job("j", 300, 1, 10, 20, 0));
        String t = Comparison.table(a, "A", b, "B");
        assertThat(rowOf(t, "IOPS")).endsWith("3.00");
        assertThat(t).endsWith("only in A: j\n");
        String none = Comparison.table(session(), "A", session(job("x", 1, 1, 1, 1, 0)), "B");
        assertThat(none).contains("no job in common").endsWith("only in B: x\n");
    }
}
