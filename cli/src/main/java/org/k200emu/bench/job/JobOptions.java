package org.k200emu.bench.job;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.k200emu.card.config.Nqn;
import org.k200emu.card.config.Sizes;

/**
 * The single place that turns {@code key=value} options (fio's vocabulary plus k200's target keys)
 * into a {@link JobSpec}: key names, value syntax, defaults and the checks across keys.
 *
 * <p>Sizes take fio's binary units in any case: {@code 512}, {@code 4k}, {@code 4KiB}, {@code 4kb},
 * {@code 128K}, {@code 1m}, {@code 2g}, {@code 1t}. Durations are seconds by default or take a unit:
 * {@code 10}, {@code 10s}, {@code 2m}, {@code 1h}, {@code 500ms}, {@code 250us}. Booleans are
 * {@code 0}, {@code 1}, {@code true} or {@code false}.
 */
public final class JobOptions {

    /** The largest {@code bs}: 16 MiB, the largest transfer an NVMe/TCP controller of the card allows. */
    public static final int MAX_BLOCK_SIZE = 16 << 20;
    /** {@code bs} when not given, as fio. */
    public static final int DEFAULT_BLOCK_SIZE = 4096;
    /** {@code runtime} when not given. */
    public static final Duration DEFAULT_RUNTIME = Duration.ofSeconds(10);
    /** {@code rwmixread} when neither it nor {@code rwmixwrite} is given, as fio. */
    public static final int DEFAULT_RWMIXREAD = 50;

    /** Canonical keys, in the order {@link JobSpec#options()} lists them. */
    private static final List<String> CANONICAL = List.of(
            "name", "rw", "rwmixread", "rwmixwrite", "bs", "iodepth", "numjobs", "runtime", "ramp_time",
            "time_based", "size", "offset", "rate_iops", "verify",
            "target", "subnqn", "nsid", "hostnqn", "hdgst", "ddgst",
            "bdev", "bdev_size", "bdev_bs",
            "direct", "ioengine", "group_reporting", "thread", "stonewall", "norandommap", "randrepeat");

    private static final Map<String, String> ALIASES = Map.of("readwrite", "rw");

    private static final Set<String> KNOWN;

    static {
        Set<String> known = new LinkedHashSet<>();
        for (String k : CANONICAL) {
            known.add(k);
            if (k.equals("rw")) {
                known.add("readwrite");
            }
        }
        KNOWN = Collections.unmodifiableSet(known);
    }

    /** Keys that only a remote target ({@code target=}) uses. */
    static final List<String> REMOTE_KEYS = List.of("target", "subnqn", "nsid", "hostnqn", "hdgst", "ddgst");
    /** Keys that only a local target ({@code bdev=}) uses. */
    static final List<String> LOCAL_KEYS = List.of("bdev", "bdev_size", "bdev_bs");

    /** fio options accepted (and their values checked) but without effect. */
    private static final List<String> IGNORED_FLAGS =
            List.of("time_based", "direct", "group_reporting", "thread", "stonewall", "norandommap", "randrepeat");

    /** Names people reach for that k200 bench spells differently. */
    private static final Map<String, String> HINTS = Map.ofEntries(
            Map.entry("blocksize", "bs"), Map.entry("block_size", "bs"), Map.entry("blksize", "bs"),
            Map.entry("qd", "iodepth"), Map.entry("queue_depth", "iodepth"), Map.entry("depth", "iodepth"),
            Map.entry("jobs", "numjobs"), Map.entry("threads", "numjobs"),
            Map.entry("rate", "rate_iops"), Map.entry("iops", "rate_iops"),
            Map.entry("ramp", "ramp_time"), Map.entry("ramptime", "ramp_time"),
            Map.entry("time", "runtime"), Map.entry("duration", "runtime"),
            Map.entry("traddr", "target"), Map.entry("trsvcid", "target"), Map.entry("address", "target"),
            Map.entry("host", "target"), Map.entry("port", "target"),
            Map.entry("nqn", "subnqn"), Map.entry("namespace", "nsid"),
            Map.entry("rwmix", "rwmixread"), Map.entry("mix", "rwmixread"));

    /** Options naming a file or device, which k200 bench never opens. */
    private static final Set<String> FILE_KEYS = Set.of("filename", "filename_format", "directory", "opendir");

    private static final Pattern SIZE = Pattern.compile("[0-9]+\\s*(?:[kmgt](?:i?b)?|b)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern WHOLE = Pattern.compile("[0-9]+");
    private static final Pattern TIME = Pattern.compile("([0-9]+)\\s*([a-z]*)", Pattern.CASE_INSENSITIVE);
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[A-Za-z0-9._-]+)?");

    /** Parses and checks one option's value on its own. */
    @FunctionalInterface
    private interface Parser<T> {
        T parse(String key, String value) throws JobException;
    }

    /** A parsed {@code target=}. */
    private record HostPort(String host, int port) {
    }

    private static final Map<String, Parser<?>> PARSERS;

    static {
        Map<String, Parser<?>> p = new HashMap<>();
        p.put("name", JobOptions::text);
        p.put("rw", JobOptions::readWrite);
        p.put("rwmixread", JobOptions::percent);
        p.put("rwmixwrite", JobOptions::percent);
        p.put("bs", JobOptions::blockSize);
        p.put("iodepth", (k, v) -> whole(k, v, 1, 65535));
        p.put("numjobs", (k, v) -> whole(k, v, 1, 256));
        p.put("runtime", JobOptions::positiveDuration);
        p.put("ramp_time", JobOptions::duration);
        p.put("size", JobOptions::bytes);
        p.put("offset", JobOptions::bytes);
        p.put("rate_iops", (k, v) -> whole(k, v, 0, Long.MAX_VALUE));
        p.put("verify", JobOptions::verify);
        p.put("target", JobOptions::hostPort);
        p.put("subnqn", JobOptions::nqn);
        p.put("hostnqn", JobOptions::nqn);
        p.put("nsid", JobOptions::nsid);
        p.put("hdgst", JobOptions::bool);
        p.put("ddgst", JobOptions::bool);
        p.put("bdev", JobOptions::bdevType);
        p.put("bdev_size", JobOptions::positiveBytes);
        p.put("bdev_bs", JobOptions::bdevBlockSize);
        p.put("ioengine", JobOptions::text);
        for (String flag : IGNORED_FLAGS) {
            p.put(flag, JobOptions::bool);
        }
        if (!p.keySet().equals(Set.copyOf(CANONICAL))) {
            throw new AssertionError("option tables disagree");
        }
        PARSERS = Map.copyOf(p);
    }

    private JobOptions() {
    }

    /**
     * Every key {@link #build} accepts, canonical ones in the order of {@link JobSpec#options()},
     * plus the alias {@code readwrite} (of {@code rw}).
     */
    public static Set<String> knownKeys() {
        return KNOWN;
    }

    /**
     * The canonical spelling of a known key ({@code readwrite} gives {@code rw}).
     *
     * @throws JobException for an unknown key, e.g. {@code unknown option 'blocksize' (did you mean 'bs'?)},
     *                      and for fio's {@code filename}, saying to use {@code target=} or {@code bdev=}
     */
    public static String canonicalKey(String key) throws JobException {
        if (key == null || key.isEmpty()) {
            throw new JobException("missing option name before '='");
        }
        if (PARSERS.containsKey(key)) {
            return key;
        }
        String alias = ALIASES.get(key);
        if (alias != null) {
            return alias;
        }
        if (FILE_KEYS.contains(key)) {
            throw new JobException(key + ": k200 bench opens no file or device; use target=host:port for a card"
                    + " over NVMe/TCP or bdev=null|malloc for a bdev in the bench process");
        }
        throw new JobException("unknown option '" + key + "'" + hint(key));
    }

    /**
     * Checks one option's value on its own (the checks across keys are {@link #build}'s), e.g.
     * {@code bs: '3k' is not a multiple of 512}. A null value stands for a bare key, {@code 1}.
     */
    public static void checkValue(String key, String value) throws JobException {
        String k = canonicalKey(key);
        parse(k, value == null ? "1" : value, PARSERS.get(k));
    }

    /**
     * Builds a job from its effective options: defaults for what is missing, every value checked,
     * then the checks across keys. Errors name the key and the value.
     *
     * @param name    the job's name unless {@code options} has {@code name}
     * @param options key to value; a null value stands for a bare key ({@code 1})
     */
    public static JobSpec build(String name, Map<String, String> options) throws JobException {
        return build(name, options, Map.of());
    }

    /**
     * As {@link #build(String, Map)}, with where each option was given ({@code jobs.fio line 7},
     * {@code command line}) to prefix its errors with.
     */
    static JobSpec build(String name, Map<String, String> options, Map<String, String> where) throws JobException {
        Objects.requireNonNull(options, "options");
        Map<String, String> canonical = new HashMap<>();
        Map<String, String> at = new HashMap<>();
        Map<String, String> spelled = new HashMap<>();
        for (Map.Entry<String, String> e : options.entrySet()) {
            String loc = e.getKey() == null ? null : where.get(e.getKey());
            String k;
            try {
                k = canonicalKey(e.getKey());
            } catch (JobException x) {
                throw locate(loc, x);
            }
            if (canonical.containsKey(k)) {
                throw locate(loc, new JobException(e.getKey() + " and " + spelled.get(k)
                        + " are the same option; give one of them"));
            }
            canonical.put(k, e.getValue() == null ? "1" : e.getValue());
            spelled.put(k, e.getKey());
            if (loc != null) {
                at.put(k, loc);
            }
        }
        Map<String, String> ordered = new LinkedHashMap<>();
        for (String k : CANONICAL) {
            if (canonical.containsKey(k)) {
                ordered.put(k, canonical.get(k));
            }
        }
        return new Built(ordered, at).job(name);
    }

    /** One job's options being turned into a {@link JobSpec}. */
    private static final class Built {
        private final Map<String, String> values;
        private final Map<String, String> where;

        Built(Map<String, String> values, Map<String, String> where) {
            this.values = values;
            this.where = where;
        }

        boolean has(String key) {
            return values.containsKey(key);
        }

        <T> T get(String key, T absent, Parser<T> parser) throws JobException {
            if (!has(key)) {
                return absent;
            }
            try {
                return parse(key, values.get(key), parser);
            } catch (JobException e) {
                throw locate(where.get(key), e);
            }
        }

        /** {@code key: 'value' problem}, located. */
        JobException bad(String key, String problem) {
            return locate(where.get(key), JobOptions.bad(key, values.get(key), problem));
        }

        /** {@code key: problem}, located. */
        JobException badKey(String key, String problem) {
            return locate(where.get(key), new JobException(key + ": " + problem));
        }

        JobSpec job(String sectionName) throws JobException {
            String name = get("name", sectionName, JobOptions::text);
            if (name == null || name.isBlank()) {
                throw new JobException("a job needs a name");
            }
            ReadWrite rw = get("rw", ReadWrite.READ, JobOptions::readWrite);
            int rwmixread = DEFAULT_RWMIXREAD;
            Integer read = get("rwmixread", null, JobOptions::percent);
            Integer write = get("rwmixwrite", null, JobOptions::percent);
            if (read != null && write != null && read + write != 100) {
                throw badKey("rwmixwrite", "rwmixread=" + read + " and rwmixwrite=" + write + " do not add up to 100");
            }
            if (read != null) {
                rwmixread = read;
            } else if (write != null) {
                rwmixread = 100 - write;
            }
            int bs = get("bs", DEFAULT_BLOCK_SIZE, JobOptions::blockSize);
            int iodepth = get("iodepth", 1L, (k, v) -> whole(k, v, 1, 65535)).intValue();
            int numjobs = get("numjobs", 1L, (k, v) -> whole(k, v, 1, 256)).intValue();
            Duration runtime = get("runtime", DEFAULT_RUNTIME, JobOptions::positiveDuration);
            Duration rampTime = get("ramp_time", Duration.ZERO, JobOptions::duration);
            long size = get("size", 0L, JobOptions::bytes);
            long offset = get("offset", 0L, JobOptions::bytes);
            long rateIops = get("rate_iops", 0L, (k, v) -> whole(k, v, 0, Long.MAX_VALUE));
            Verify verify = get("verify", Verify.NONE, JobOptions::verify);
            for (String flag : IGNORED_FLAGS) {
                get(flag, false, JobOptions::bool);
            }
            get("ioengine", "", JobOptions::text);
            TargetSpec target = target();

            if (size % bs != 0) {
                throw bad("size", "is not a multiple of bs (" + Sizes.format(bs) + ")");
            }
            if (offset % bs != 0) {
                throw bad("offset", "is not a multiple of bs (" + Sizes.format(bs) + ")");
            }
            if (target instanceof TargetSpec.Local local) {
                String bdev = "bdev_size=" + Sizes.format(local.sizeBytes());
                if (bs % local.blockSize() != 0) {
                    // Only a given bs can fail: the default, 4096, is a multiple of both block sizes.
                    throw bad("bs", "is not a multiple of the bdev's block size (bdev_bs=" + local.blockSize() + ")");
                }
                if (offset >= local.sizeBytes() || local.sizeBytes() - offset < bs) {
                    throw bad("offset", "leaves no room for a block of " + Sizes.format(bs)
                            + " before the end of the bdev (" + bdev + ")");
                }
                if (size > local.sizeBytes() - offset) {
                    throw bad("size", "does not fit: offset " + Sizes.format(offset) + " + size " + Sizes.format(size)
                            + " goes beyond the end of the bdev (" + bdev + ")");
                }
                if (verify == Verify.CRC32C && local.bdevType().equals("null")) {
                    throw bad("verify", "cannot work on bdev=null, which discards writes and reads zeroes;"
                            + " use bdev=malloc");
                }
            }
            return new JobSpec(name.trim(), rw, rwmixread, bs, iodepth, numjobs, runtime, rampTime, size, offset,
                    rateIops, verify, target, values);
        }

        private TargetSpec target() throws JobException {
            if (has("target") && has("bdev")) {
                throw badKey("bdev", "target and bdev are mutually exclusive: target= runs against a card over"
                        + " NVMe/TCP, bdev= against a bdev in the bench process");
            }
            if (has("bdev")) {
                String type = get("bdev", "malloc", JobOptions::bdevType);
                for (String k : REMOTE_KEYS) {
                    if (has(k)) {
                        throw badKey(k, "applies only to a remote target (target=host:port), but this job uses bdev="
                                + type);
                    }
                }
                int blockSize = get("bdev_bs", TargetSpec.DEFAULT_BDEV_BLOCK_SIZE, JobOptions::bdevBlockSize);
                long size = get("bdev_size", TargetSpec.DEFAULT_BDEV_SIZE, JobOptions::positiveBytes);
                if (size % blockSize != 0) {
                    throw bad("bdev_size", "is not a multiple of bdev_bs (" + blockSize + ")");
                }
                return new TargetSpec.Local(type, size, blockSize);
            }
            for (String k : LOCAL_KEYS) {
                if (has(k)) {
                    throw badKey(k, "applies only to a local target (bdev=null|malloc), but this job uses "
                            + (has("target") ? "target=" + values.get("target") : "the default target "
                            + TargetSpec.DEFAULT_ADDRESS + ":" + TargetSpec.DEFAULT_PORT));
                }
            }
            TargetSpec.Remote d = TargetSpec.defaultTarget();
            HostPort hp = get("target", new HostPort(d.address(), d.port()), JobOptions::hostPort);
            long nsid = get("nsid", 1L, JobOptions::nsid);
            return new TargetSpec.Remote(hp.host(), hp.port(),
                    get("subnqn", d.subnqn(), JobOptions::nqn), (int) nsid,
                    get("hostnqn", d.hostNqn(), JobOptions::nqn),
                    get("hdgst", false, JobOptions::bool), get("ddgst", false, JobOptions::bool));
        }
    }

    // ---- one value at a time ----

    private static <T> T parse(String key, String value, Parser<T> parser) throws JobException {
        if (value.isBlank()) {
            throw new JobException(key + ": missing value");
        }
        return parser.parse(key, value.trim());
    }

    private static JobException bad(String key, String value, String problem) {
        return new JobException(key + ": '" + value + "' " + problem);
    }

    static JobException locate(String where, JobException e) {
        return where == null ? e : new JobException(where + ": " + e.getMessage(), e.getCause());
    }

    private static String text(String key, String value) {
        return value;
    }

    private static ReadWrite readWrite(String key, String value) throws JobException {
        try {
            return ReadWrite.parse(value);
        } catch (IllegalArgumentException e) {
            throw new JobException(key + ": " + e.getMessage());
        }
    }

    private static Verify verify(String key, String value) throws JobException {
        try {
            return Verify.parse(value);
        } catch (IllegalArgumentException e) {
            throw new JobException(key + ": " + e.getMessage());
        }
    }

    private static long whole(String key, String value, long min, long max) throws JobException {
        if (!WHOLE.matcher(value).matches()) {
            throw bad(key, value, "is not a whole number");
        }
        long n;
        try {
            n = Long.parseLong(value);
        } catch (NumberFormatException e) {
            n = Long.MAX_VALUE;
        }
        if (n < min || n > max) {
            throw bad(key, value, max == Long.MAX_VALUE ? "is out of range" : "must be between " + min + " and " + max);
        }
        return n;
    }

    private static Integer percent(String key, String value) throws JobException {
        return (int) whole(key, value, 0, 100);
    }

    /** A byte count with fio's binary units; percentages are refused. */
    private static long bytes(String key, String value) throws JobException {
        if (value.endsWith("%")) {
            throw bad(key, value, "is a percentage, which k200 bench does not take; give bytes or a unit, e.g. 1g");
        }
        if (value.indexOf(',') >= 0 || value.indexOf(':') >= 0) {
            throw bad(key, value, key.equals("bs")
                    ? "gives several block sizes; k200 bench takes one for reads and writes alike"
                    : "is not a size (give bytes or a unit, e.g. 4k, 64KiB, 1m, 2g)");
        }
        if (!SIZE.matcher(value).matches()) {
            throw bad(key, value, "is not a size (give bytes or a unit, e.g. 4k, 64KiB, 1m, 2g)");
        }
        try {
            return Sizes.parse(value);
        } catch (IllegalArgumentException e) {
            throw bad(key, value, "is too large");
        }
    }

    private static long positiveBytes(String key, String value) throws JobException {
        long n = bytes(key, value);
        if (n <= 0) {
            throw bad(key, value, "must be more than 0");
        }
        return n;
    }

    private static Integer blockSize(String key, String value) throws JobException {
        long n = bytes(key, value);
        if (n == 0) {
            throw bad(key, value, "must be more than 0");
        }
        if (n % 512 != 0) {
            throw bad(key, value, "is not a multiple of 512");
        }
        if (n > MAX_BLOCK_SIZE) {
            throw bad(key, value, "is larger than " + Sizes.format(MAX_BLOCK_SIZE));
        }
        return (int) n;
    }

    private static Integer bdevBlockSize(String key, String value) throws JobException {
        long n = bytes(key, value);
        if (n != 512 && n != 4096) {
            throw bad(key, value, "must be 512 or 4096");
        }
        return (int) n;
    }

    private static Duration duration(String key, String value) throws JobException {
        Matcher m = TIME.matcher(value);
        if (!m.matches()) {
            throw bad(key, value, "is not a duration (seconds, or with a unit: 500ms, 10s, 2m, 1h)");
        }
        if (m.group(1).length() > 12) {
            throw bad(key, value, "is too long");
        }
        long n = Long.parseLong(m.group(1));
        switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "":
            case "s":
            case "sec":
                return Duration.ofSeconds(n);
            case "m":
            case "min":
                return Duration.ofMinutes(n);
            case "h":
                return Duration.ofHours(n);
            case "d":
                return Duration.ofDays(n);
            case "ms":
            case "msec":
                return Duration.ofMillis(n);
            case "us":
            case "usec":
                return Duration.of(n, ChronoUnit.MICROS);
            default:
                throw bad(key, value, "has an unknown time unit '" + m.group(2) + "' (use us, ms, s, m, h or d)");
        }
    }

    private static Duration positiveDuration(String key, String value) throws JobException {
        Duration d = duration(key, value);
        if (d.isZero()) {
            throw bad(key, value, "must be more than 0");
        }
        return d;
    }

    private static Boolean bool(String key, String value) throws JobException {
        switch (value.toLowerCase(Locale.ROOT)) {
            case "1":
            case "true":
                return true;
            case "0":
            case "false":
                return false;
            default:
                throw bad(key, value, "is not 0, 1, true or false");
        }
    }

    private static HostPort hostPort(String key, String value) throws JobException {
        String host;
        String port = null;
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            if (close < 0) {
                throw bad(key, value, "lacks the ']' closing the IPv6 address");
            }
            host = value.substring(1, close);
            String rest = value.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw bad(key, value, "is not host:port (e.g. 127.0.0.1:4420 or [::1]:4420)");
                }
                port = rest.substring(1);
            }
            if (!IPV6.matcher(host).matches()) {
                throw bad(key, value, "has no IPv6 address between the brackets");
            }
        } else {
            int colon = value.indexOf(':');
            if (colon >= 0 && value.indexOf(':', colon + 1) >= 0) {
                throw bad(key, value, "needs brackets around an IPv6 address, e.g. [::1]:4420");
            }
            host = colon < 0 ? value : value.substring(0, colon);
            port = colon < 0 ? null : value.substring(colon + 1);
            if (!HOST.matcher(host).matches()) {
                throw bad(key, value, "is not host:port (e.g. 127.0.0.1:4420 or [::1]:4420)");
            }
        }
        int p = TargetSpec.DEFAULT_PORT;
        if (port != null) {
            if (!WHOLE.matcher(port).matches() || port.length() > 5 || Integer.parseInt(port) < 1
                    || Integer.parseInt(port) > 65535) {
                throw bad(key, value, "has no valid port (1..65535)");
            }
            p = Integer.parseInt(port);
        }
        return new HostPort(host, p);
    }

    private static String nqn(String key, String value) throws JobException {
        String problem = Nqn.problem(value);
        if (problem != null) {
            throw bad(key, value, "is not usable: " + problem);
        }
        return value;
    }

    private static Long nsid(String key, String value) throws JobException {
        return whole(key, value, 1, 0xFFFF_FFFEL);
    }

    private static String bdevType(String key, String value) throws JobException {
        String type = value.toLowerCase(Locale.ROOT);
        if (!type.equals("null") && !type.equals("malloc")) {
            throw bad(key, value, "is not a bdev type k200 bench can make; use null or malloc");
        }
        return type;
    }

    // ---- unknown keys ----

    private static String hint(String key) {
        String lower = key.toLowerCase(Locale.ROOT);
        String guess = null;
        if (KNOWN.contains(lower)) {
            guess = lower;
        } else if (HINTS.containsKey(lower)) {
            guess = HINTS.get(lower);
        } else {
            int best = lower.length() >= 5 ? 2 : 1;
            List<String> closest = new ArrayList<>();
            for (String k : KNOWN) {
                int d = distance(lower, k);
                if (d < best) {
                    best = d;
                    closest.clear();
                }
                if (d == best) {
                    closest.add(k);
                }
            }
            if (closest.size() == 1) {
                guess = closest.get(0);
            }
        }
        return guess == null ? "" : " (did you mean '" + guess + "'?)";
    }

    /** Levenshtein distance, with a transposition counting as one edit. */
    private static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
