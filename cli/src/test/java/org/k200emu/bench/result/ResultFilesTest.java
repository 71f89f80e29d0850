package org.k200emu.bench.result;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultFilesTest {

    private static final Instant START = Instant.parse("2026-03-01T10:15:30.123456789Z");

    @TempDir
    Path dir;

    /** A measured mixed job with a timeline. */
    static JobResult measuredJob(String name) {
        IoStats all = new IoStats();
        IoStats reads = new IoStats();
        IoStats writes = new IoStats();
        List<IntervalSample> timeline = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            long nanos = 20_000 + (i % 100) * 1_000L + (i % 997 == 0 ? 5_000_000 : 0);
            all.record(nanos, 4096);
            (i % 3 == 0 ? writes : reads).record(nanos, 4096);
        }
        for (int s = 1; s <= 10; s++) {
            timeline.add(new IntervalSample(s, 300 + s, 1.2 + s / 10.0, 60 + s, 120 + 3 * s));
        }
        Map<String, String> options = new LinkedHashMap<>();
        options.put("rw", "randrw");
        options.put("bs", "4k");
        options.put("iodepth", "32");
        options.put("numjobs", "4");
        options.put("description", "a \"quoted\" <i>note</i>");
        return JobResult.of(name, options, "nvme://127.0.0.1:4420/nqn.2026-01.org.k200emu:card/1",
                START.plusSeconds(1), 10.0, all, reads, writes, 2, 1, 3000, timeline, 12.5);
    }

    /** A job that did nothing: no I/O, no timeline, no read/write side, nothing measured. */
    static JobResult idleJob(String name) {
        return new JobResult(name, Map.of(), "file:/tmp/x", null, 0, 0, 0, 0, 0, LatencySummary.ZERO, null, null,
                0, 0, 0, 0, 0, List.of(), new long[0], -1);
    }

    static SessionResult session(JobResult... jobs) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("cpus", "8");
        env.put("os", "Linux 6.1");
        env.put("java", "17.0.15");
        env.put("host", "bench-host");
        return new SessionResult("k200 bench 0.1.0-test", env, START, List.of(jobs));
    }

    @Test
    void writesThreeFilesAndTheJsonReadsBackEqual() throws IOException {
        SessionResult s = session(measuredJob("randrw, 4k"), idleJob("idle"));
        List<Path> files = ResultFiles.write(s, dir.resolve("out"), "run1");
        assertThat(files).containsExactly(dir.resolve("out/run1.json"), dir.resolve("out/run1.csv"),
                dir.resolve("out/run1.html"));
        for (Path f : files) {
            assertThat(f).isRegularFile();
            assertThat(Files.size(f)).isPositive();
        }
        SessionResult back = ResultFiles.readJson(files.get(0));
        assertThat(back.tool()).isEqualTo(s.tool());
        assertThat(back.start()).isEqualTo(START);
        assertThat(back.environment()).containsExactlyEntriesOf(s.environment());
        assertThat(back.jobs()).hasSize(2);
        JobResult j = back.jobs().get(0);
        JobResult o = s.jobs().get(0);
        assertThat(j.name()).isEqualTo("randrw, 4k");
        assertThat(j.options()).containsExactlyEntriesOf(o.options());
        assertThat(j.ios()).isEqualTo(3000);
        assertThat(j.iops()).isEqualTo(o.iops());
        assertThat(j.latency()).isEqualTo(o.latency());
        assertThat(j.readLatency()).isEqualTo(o.readLatency()).isNotNull();
        assertThat(j.writeLatency()).isEqualTo(o.writeLatency()).isNotNull();
        assertThat(j.timeline()).isEqualTo(o.timeline());
        assertThat(j.latencyHistogramUs()).containsExactly(o.latencyHistogramUs());
        assertThat(j.allocatedBytesPerIo()).isEqualTo(12.5);
        JobResult idle = back.jobs().get(1);
        assertThat(idle.readLatency()).isNull();
        assertThat(idle.start()).isNull();
        assertThat(idle.allocatedBytesPerIo()).isEqualTo(-1);
        assertThat(back).isEqualTo(s);
    }

    @Test
    void jsonIsPrettyWithTheFormatFirstAndInstantsAsStrings() {
        String json = ResultFiles.toJson(session(measuredJob("a")));
        assertThat(json).startsWith("{\n  \"format\" : \"k200-bench-result/1\",\n  \"tool\" : ");
        assertThat(json).contains("\"start\" : \"2026-03-01T10:15:30.123456789Z\"");
        assertThat(json).contains("\"start\" : \"2026-03-01T10:15:31.123456789Z\"");
        assertThat(json).doesNotContain("\r");
        assertThat(ResultFiles.toJson(session(measuredJob("a")))).as("stable").isEqualTo(json);
        assertThat(json.indexOf("\"name\"")).isLessThan(json.indexOf("\"latency\""));
        assertThat(json.indexOf("\"latency\"")).isLessThan(json.indexOf("\"timeline\""));
    }

    @Test
    void readJsonRejectsOtherJsonWithAClearMessage() throws IOException {
        Path other = dir.resolve("package.json");
        Files.writeString(other, "{\"name\": \"left-pad\", \"version\": \"1.3.0\"}");
        assertThatThrownBy(() -> ResultFiles.readJson(other))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("package.json")
                .hasMessageContaining("not a k200 bench result");

        Path array = dir.resolve("array.json");
        Files.writeString(array, "[1, 2, 3]");
        assertThatThrownBy(() -> ResultFiles.readJson(array)).hasMessageContaining("not a k200 bench result");

        Path text = dir.resolve("notes.json");
        Files.writeString(text, "hello, world");
        assertThatThrownBy(() -> ResultFiles.readJson(text))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("notes.json")
                .hasMessageContaining("not valid JSON");

        Path future = dir.resolve("future.json");
        Files.writeString(future, "{\"format\": \"k200-bench-result/9\", \"jobs\": []}");
        assertThatThrownBy(() -> ResultFiles.readJson(future))
                .hasMessageContaining("unsupported")
                .hasMessageContaining("k200-bench-result/9");

        Path damaged = dir.resolve("damaged.json");
        Files.writeString(damaged, "{\"format\": \"k200-bench-result/1\", \"jobs\": [{\"name\": \"x\", \"ios\": \"many\"}]}");
        assertThatThrownBy(() -> ResultFiles.readJson(damaged))
                .hasMessageContaining("damaged")
                .hasMessageContaining("ios");

        assertThatThrownBy(() -> ResultFiles.readJson(dir.resolve("missing.json"))).isInstanceOf(IOException.class);
    }

    @Test
    void csvHasTheHeaderAndQuotesFields() {
        JobResult tricky = measuredJob("seq, \"big\" blocks");
        String csv = ResultFiles.toCsv(session(tricky, idleJob("idle")));
        String[] lines = csv.split("\n", -1);
        assertThat(lines).hasSize(4);  // header, 2 rows, and the empty string after the final \n
        assertThat(lines[0]).isEqualTo("name,target,rw,bs,iodepth,numjobs,seconds,ios,iops,mbps,lat_mean_us,"
                + "lat_p50_us,lat_p90_us,lat_p99_us,lat_p999_us,lat_p9999_us,lat_max_us,errors,verify_errors,"
                + "alloc_bytes_per_io");
        assertThat(lines[1]).startsWith("\"seq, \"\"big\"\" blocks\",nvme://127.0.0.1:4420/nqn.2026-01.org.k200emu:card/1,"
                + "randrw,4k,32,4,10.000,3000,300.000,");
        assertThat(lines[1]).endsWith(",2,1,12.500");
        assertThat(lines[2]).isEqualTo("idle,file:/tmp/x,,,,,0.000,0,0.000,0.000,0.000,0.000,0.000,0.000,0.000,"
                + "0.000,0.000,0,0,");
        assertThat(lines[3]).isEmpty();
        assertThat(ResultFiles.csvField("plain")).isEqualTo("plain");
        assertThat(ResultFiles.csvField("two\nlines")).isEqualTo("\"two\nlines\"");
    }

    @Test
    void htmlEscapesAndDrawsThreeSvgChartsPerJob() {
        String html = ResultFiles.toHtml(session(measuredJob("<b>bold</b> & co"), idleJob("idle <script>")));
        assertThat(html).startsWith("<!DOCTYPE html>");
        assertThat(html).contains("&lt;b&gt;bold&lt;/b&gt; &amp; co");
        assertThat(html).doesNotContain("<b>bold</b>");
        assertThat(html).contains("idle &lt;script&gt;");
        assertThat(html).doesNotContain("<script");
        assertThat(html).contains("a &quot;quoted&quot; &lt;i&gt;note&lt;/i&gt;");
        assertThat(count(html, "<svg")).isEqualTo(6);
        assertThat(count(html, "</svg>")).isEqualTo(6);
        assertThat(html).contains("IOPS over time", "Latency over time", "Latency distribution");
        assertThat(html).contains("elapsed time (s)", "latency (log scale)", "share of I/Os (%)");
        assertThat(html).contains("no timeline samples", "no I/O recorded");
        assertThat(html).contains("<polyline").contains("<rect x=");
        String withoutXmlns = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        assertThat(withoutXmlns).doesNotContain("http://").doesNotContain("https://");
        assertThat(withoutXmlns).doesNotContain("src=").doesNotContain("<link").doesNotContain("@import")
                .doesNotContain("url(");
        // the figures of the summary
        assertThat(html).contains("3,000").contains("300");
    }

    @Test
    void everythingCopesWithAnEmptySession() throws IOException {
        SessionResult empty = new SessionResult(null, null, null, null);
        assertThat(ResultFiles.toCsv(empty)).isEqualTo(String.join(",", ResultFiles.CSV_COLUMNS) + "\n");
        assertThat(ResultFiles.toHtml(empty)).contains("No jobs").doesNotContain("<svg");
        assertThat(ResultFiles.fromJson(ResultFiles.toJson(empty))).isEqualTo(new SessionResult("", Map.of(), null,
                List.of()));
        List<Path> files = ResultFiles.write(empty, dir, "empty");
        assertThat(files).allSatisfy(f -> assertThat(f).isRegularFile());
    }

    @Test
    void nonFiniteNumbersDoNotBreakTheFiles() throws IOException {
        JobResult odd = new JobResult("odd", null, null, START, 0, 5, 100, Double.POSITIVE_INFINITY, Double.NaN,
                null, null, null, 5, 0, 0, 0, 0, List.of(new IntervalSample(1, Double.NaN, 0, 0, 0)), null, -1);
        SessionResult s = session(odd);
        assertThat(ResultFiles.fromJson(ResultFiles.toJson(s))).isEqualTo(s);
        assertThat(ResultFiles.toCsv(s)).contains("odd,,,,,,0.000,5,,,");
        String html = ResultFiles.toHtml(s);
        assertThat(count(html, "<svg")).isEqualTo(3);
        assertThat(html).doesNotContain("NaN").doesNotContain("Infinity");
    }

    @Test
    void aSingleSampleAndALongTimelineAreDrawn() {
        JobResult one = new JobResult("one", null, null, START, 1, 10, 40960, 10, 0.04, LatencySummary.ZERO, null,
                null, 10, 0, 0, 0, 0, List.of(new IntervalSample(1, 10, 0.04, 5, 9)), new long[] {1, 0, 2, 10}, -1);
        String html = ResultFiles.toHtml(session(one));
        assertThat(html).contains("<circle");
        List<IntervalSample> many = new ArrayList<>();
        for (int i = 1; i <= 3600; i++) {
            many.add(new IntervalSample(i, 1e6 + i, 4000, 30, 30_000 + i));
        }
        JobResult hour = new JobResult("hour", null, null, START, 3600, 1, 1, 1, 1, LatencySummary.ZERO, null, null,
                1, 0, 0, 0, 0, many, new long[] {1, 5}, -1);
        String h2 = ResultFiles.toHtml(session(hour));
        assertThat(h2).contains("latency (ms)").contains("1M");
        assertThat(h2.length()).isLessThan(400_000);
    }

    private static int count(String haystack, String needle) {
        Matcher m = Pattern.compile(Pattern.quote(needle)).matcher(haystack);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Test
    void htmlFileIsUtf8() throws IOException {
        List<Path> files = ResultFiles.write(session(measuredJob("caf\u00e9 \u00b5")), dir, "u");
        assertThat(Files.readString(files.get(2), StandardCharsets.UTF_8)).contains("caf\u00e9 \u00b5")
                .contains("<meta charset=\"utf-8\">");
    }
}
