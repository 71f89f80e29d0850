package org.k200emu.bench.result;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The result files of a {@code k200 bench} run: JSON (the complete record, readable back with
 * {@link #readJson}), CSV (one row per job) and a self-contained HTML report with charts.
 *
 * <p>JSON layout ({@value #FORMAT}): an object with, in this order, {@code format}, {@code tool},
 * {@code start} (ISO-8601), {@code environment} (object of strings) and {@code jobs}; each job has
 * the fields of {@link JobResult} under the same names, Instants as ISO-8601 strings, latency
 * summaries as objects (null for an absent read/write side), the timeline as an array of objects
 * and the histogram as a flat array of numbers.
 */
public final class ResultFiles {

    /** The value of the top-level "format" field. */
    public static final String FORMAT = "k200-bench-result/1";

    /** The CSV columns, in order. */
    public static final List<String> CSV_COLUMNS = List.of("name", "target", "rw", "bs", "iodepth", "numjobs",
            "seconds", "ios", "iops", "mbps", "lat_mean_us", "lat_p50_us", "lat_p90_us", "lat_p99_us",
            "lat_p999_us", "lat_p9999_us", "lat_max_us", "errors", "verify_errors", "alloc_bytes_per_io");

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final ObjectWriter WRITER = MAPPER.writer(new DefaultPrettyPrinter()
            .withObjectIndenter(new DefaultIndenter("  ", "\n")));
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ResultFiles() {
    }

    /**
     * Writes {@code <dir>/<base>.json}, {@code <base>.csv} and {@code <base>.html} (UTF-8,
     * replacing existing files, creating {@code dir} if needed); returns the three paths in
     * this order.
     */
    public static List<Path> write(SessionResult session, Path dir, String base) throws IOException {
        if (base == null || base.isBlank()) {
            throw new IllegalArgumentException("no base name for the result files");
        }
        Files.createDirectories(dir);
        Path json = dir.resolve(base + ".json");
        Path csv = dir.resolve(base + ".csv");
        Path html = dir.resolve(base + ".html");
        Files.writeString(json, toJson(session), StandardCharsets.UTF_8);
        Files.writeString(csv, toCsv(session), StandardCharsets.UTF_8);
        Files.writeString(html, toHtml(session), StandardCharsets.UTF_8);
        return List.of(json, csv, html);
    }

    // ---------------------------------------------------------------- JSON

    /** The session as pretty-printed JSON (ends with a newline). */
    public static String toJson(SessionResult s) {
        ObjectNode root = NODES.objectNode();
        root.put("format", FORMAT);
        root.put("tool", s.tool());
        root.put("start", instant(s.start()));
        ObjectNode env = root.putObject("environment");
        s.environment().forEach(env::put);
        ArrayNode jobs = root.putArray("jobs");
        for (JobResult j : s.jobs()) {
            jobs.add(job(j));
        }
        try {
            return WRITER.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);  // cannot happen with a tree of plain nodes
        }
    }

    private static ObjectNode job(JobResult j) {
        ObjectNode o = NODES.objectNode();
        o.put("name", j.name());
        o.put("target", j.target());
        o.put("start", instant(j.start()));
        o.put("seconds", j.seconds());
        ObjectNode opts = o.putObject("options");
        j.options().forEach(opts::put);
        o.put("ios", j.ios());
        o.put("bytes", j.bytes());
        o.put("iops", j.iops());
        o.put("mbps", j.mbps());
        o.put("readIos", j.readIos());
        o.put("writeIos", j.writeIos());
        o.put("errors", j.errors());
        o.put("verifyErrors", j.verifyErrors());
        o.put("verifiedBlocks", j.verifiedBlocks());
        o.put("allocatedBytesPerIo", j.allocatedBytesPerIo());
        o.set("latency", latency(j.latency()));
        o.set("readLatency", latency(j.readLatency()));
        o.set("writeLatency", latency(j.writeLatency()));
        ArrayNode hist = o.putArray("latencyHistogramUs");
        for (long v : j.latencyHistogramUs()) {
            hist.add(v);
        }
        ArrayNode tl = o.putArray("timeline");
        for (IntervalSample t : j.timeline()) {
            ObjectNode p = tl.addObject();
            p.put("elapsedSeconds", t.elapsedSeconds());
            p.put("iops", t.iops());
            p.put("mbps", t.mbps());
            p.put("p50Us", t.p50Us());
            p.put("p99Us", t.p99Us());
        }
        return o;
    }

    private static JsonNode latency(LatencySummary l) {
        if (l == null) {
            return NODES.nullNode();
        }
        ObjectNode o = NODES.objectNode();
        o.put("minUs", l.minUs());
        o.put("meanUs", l.meanUs());
        o.put("p50Us", l.p50Us());
        o.put("p90Us", l.p90Us());
        o.put("p99Us", l.p99Us());
        o.put("p999Us", l.p999Us());
        o.put("p9999Us", l.p9999Us());
        o.put("maxUs", l.maxUs());
        return o;
    }

    private static String instant(Instant i) {
        return i == null ? null : i.toString();
    }

    /**
     * Reads a file written by {@link #write}/{@link #toJson}. Throws an IOException naming the
     * file when it is not JSON, not a k200 bench result, of another format version, or damaged.
     */
    public static SessionResult readJson(Path json) throws IOException {
        String text = Files.readString(json, StandardCharsets.UTF_8);
        try {
            return fromJson(text);
        } catch (IOException e) {
            throw new IOException(json + ": " + e.getMessage(), e);
        }
    }

    /** Parses the text of a result file; see {@link #readJson}. */
    public static SessionResult fromJson(String text) throws IOException {
        JsonNode root;
        try {
            root = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IOException("not a k200 bench result: not valid JSON (" + e.getOriginalMessage() + ")", e);
        }
        if (root == null || !root.isObject() || !root.has("format")) {
            throw new IOException("not a k200 bench result (no \"format\": \"" + FORMAT + "\" field)");
        }
        String format = root.get("format").asText();
        if (!FORMAT.equals(format)) {
            if (format.startsWith("k200-bench-result/")) {
                throw new IOException("unsupported k200 bench result format '" + format + "' (this version reads "
                        + FORMAT + ")");
            }
            throw new IOException("not a k200 bench result (format is '" + format + "', expected '" + FORMAT + "')");
        }
        try {
            List<JobResult> jobs = new ArrayList<>();
            JsonNode jobsNode = root.path("jobs");
            if (!jobsNode.isMissingNode() && !jobsNode.isNull() && !jobsNode.isArray()) {
                throw new IOException("\"jobs\" is not an array");
            }
            for (int i = 0; i < jobsNode.size(); i++) {
                try {
                    jobs.add(readJob(jobsNode.get(i)));
                } catch (IOException e) {
                    throw new IOException("job " + (i + 1) + ": " + e.getMessage(), e);
                }
            }
            return new SessionResult(text(root, "tool"), strings(root, "environment"),
                    readInstant(root, "start"), jobs);
        } catch (IOException e) {
            throw new IOException("damaged k200 bench result: " + e.getMessage(), e);
        }
    }

    private static JobResult readJob(JsonNode o) throws IOException {
        if (!o.isObject()) {
            throw new IOException("not an object");
        }
        List<IntervalSample> timeline = new ArrayList<>();
        for (JsonNode p : array(o, "timeline")) {
            timeline.add(new IntervalSample(num(p, "elapsedSeconds", 0), num(p, "iops", 0), num(p, "mbps", 0),
                    num(p, "p50Us", 0), num(p, "p99Us", 0)));
        }
        JsonNode histNode = array(o, "latencyHistogramUs");
        long[] hist = new long[histNode.size()];
        for (int i = 0; i < hist.length; i++) {
            JsonNode v = histNode.get(i);
            if (!v.isNumber()) {
                throw new IOException("latencyHistogramUs[" + i + "] is not a number");
            }
            hist[i] = v.asLong();
        }
        return new JobResult(text(o, "name"), strings(o, "options"), text(o, "target"), readInstant(o, "start"),
                num(o, "seconds", 0), integer(o, "ios"), integer(o, "bytes"), num(o, "iops", 0), num(o, "mbps", 0),
                readLatency(o, "latency"), readLatency(o, "readLatency"), readLatency(o, "writeLatency"),
                integer(o, "readIos"), integer(o, "writeIos"), integer(o, "errors"), integer(o, "verifyErrors"),
                integer(o, "verifiedBlocks"), timeline, hist, num(o, "allocatedBytesPerIo", -1));
    }

    private static LatencySummary readLatency(JsonNode o, String field) throws IOException {
        JsonNode l = o.get(field);
        if (l == null || l.isNull()) {
            return null;
        }
        if (!l.isObject()) {
            throw new IOException("\"" + field + "\" is not an object");
        }
        return new LatencySummary(num(l, "minUs", 0), num(l, "meanUs", 0), num(l, "p50Us", 0), num(l, "p90Us", 0),
                num(l, "p99Us", 0), num(l, "p999Us", 0), num(l, "p9999Us", 0), num(l, "maxUs", 0));
    }

    private static JsonNode array(JsonNode o, String field) throws IOException {
        JsonNode a = o.get(field);
        if (a == null || a.isNull()) {
            return NODES.arrayNode();
        }
        if (!a.isArray()) {
            throw new IOException("\"" + field + "\" is not an array");
        }
        return a;
    }

    private static String text(JsonNode o, String field) throws IOException {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return "";
        }
        if (!v.isValueNode()) {
            throw new IOException("\"" + field + "\" is not a string");
        }
        return v.asText();
    }

    private static Map<String, String> strings(JsonNode o, String field) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return m;
        }
        if (!v.isObject()) {
            throw new IOException("\"" + field + "\" is not an object");
        }
        for (Map.Entry<String, JsonNode> e : v.properties()) {
            m.put(e.getKey(), e.getValue().isNull() ? "" : e.getValue().asText());
        }
        return m;
    }

    private static double num(JsonNode o, String field, double absent) throws IOException {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return absent;
        }
        if (v.isNumber()) {
            return v.asDouble();
        }
        if (v.isTextual()) {  // Jackson writes NaN and infinities as strings
            try {
                return Double.parseDouble(v.asText());
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        throw new IOException("\"" + field + "\" is not a number");
    }

    private static long integer(JsonNode o, String field) throws IOException {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return 0;
        }
        if (!v.isNumber()) {
            throw new IOException("\"" + field + "\" is not a number");
        }
        return v.asLong();
    }

    private static Instant readInstant(JsonNode o, String field) throws IOException {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        try {
            return Instant.parse(v.asText());
        } catch (DateTimeParseException e) {
            throw new IOException("\"" + field + "\" is not an ISO-8601 instant: " + v.asText(), e);
        }
    }

    // ---------------------------------------------------------------- CSV

    /**
     * The session as CSV: a header line ({@link #CSV_COLUMNS}) and one row per job, RFC 4180
     * quoting, "\n" line ends. rw, bs, iodepth and numjobs come from the job's options (also
     * under readwrite and blocksize), empty when absent; alloc_bytes_per_io is empty when not
     * measured. Numbers use '.' as the decimal separator.
     */
    public static String toCsv(SessionResult s) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.join(",", CSV_COLUMNS)).append('\n');
        for (JobResult j : s.jobs()) {
            LatencySummary l = j.latency();
            List<String> row = List.of(j.name(), j.target(), opt(j, "rw", "readwrite"), opt(j, "bs", "blocksize"),
                    opt(j, "iodepth"), opt(j, "numjobs"), dec(j.seconds()), Long.toString(j.ios()), dec(j.iops()),
                    dec(j.mbps()), dec(l.meanUs()), dec(l.p50Us()), dec(l.p90Us()), dec(l.p99Us()), dec(l.p999Us()),
                    dec(l.p9999Us()), dec(l.maxUs()), Long.toString(j.errors()), Long.toString(j.verifyErrors()),
                    j.allocatedBytesPerIo() < 0 ? "" : dec(j.allocatedBytesPerIo()));
            for (int i = 0; i < row.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                sb.append(csvField(row.get(i)));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    static String opt(JobResult j, String key, String... aliases) {
        String v = j.option(key, aliases);
        return v == null ? "" : v;
    }

    private static String dec(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3f", v) : "";
    }

    /** A CSV field, quoted (with doubled quotes) when it holds a comma, quote, CR or LF. */
    static String csvField(String v) {
        if (v.indexOf(',') < 0 && v.indexOf('"') < 0 && v.indexOf('\n') < 0 && v.indexOf('\r') < 0) {
            return v;
        }
        return '"' + v.replace("\"", "\"\"") + '"';
    }

    // ---------------------------------------------------------------- HTML

    /**
     * The session as one self-contained HTML page (no scripts, no external resources): a summary
     * table of the jobs, then per job its options and three SVG charts (IOPS over time, p50/p99
     * latency over time, latency distribution).
     */
    public static String toHtml(SessionResult s) {
        return HtmlReport.render(s);
    }
}
