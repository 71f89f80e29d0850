package org.k200emu.bench.job;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * fio job files ({@code .fio}, ini format) read into {@link JobSpec}s.
 *
 * <ul>
 *   <li>{@code [global]} gives defaults to the job sections after it; a later {@code [global]} updates
 *       them for the jobs that follow (not for those before), as in fio.</li>
 *   <li>Every other {@code [name]} section is one job, in file order.</li>
 *   <li>{@code key=value} or {@code key = value}; a bare {@code key} means {@code key=1}. A key given
 *       twice keeps its last value.</li>
 *   <li>Comments start with {@code #} or {@code ;}: whole lines, and the rest of a line after a
 *       {@code #} or {@code ;} preceded by white space. Blank lines are ignored.</li>
 *   <li>Options before any section, and a file without a job section, are errors.</li>
 *   <li>Overrides (from the command line) apply on top of every job's options.</li>
 *   <li>A section or the overrides that choose a kind of target ({@code target=} or {@code bdev=})
 *       drop the other kind's options inherited from {@code [global]}: {@code bdev=malloc} in a job
 *       drops a global {@code target}, {@code subnqn}, {@code nsid}, {@code hostnqn}, {@code hdgst}
 *       and {@code ddgst}; {@code target=} drops {@code bdev}, {@code bdev_size} and {@code bdev_bs}.
 *       Both in one section (or both as overrides) is an error. Likewise {@code rwmixread} and
 *       {@code rwmixwrite} replace each other.</li>
 * </ul>
 *
 * <p>Errors name the file and line, e.g. {@code jobs.fio line 7: unknown option 'blocksize'}; for an
 * override the place is {@value #OVERRIDES_SOURCE}.
 */
public final class JobFile {

    /** Where error messages say an override comes from. */
    public static final String OVERRIDES_SOURCE = "command line";

    private JobFile() {
    }

    /**
     * Reads a job file's text.
     *
     * @param text       the file's content
     * @param sourceName the file's name in error messages, e.g. {@code jobs.fio}
     * @param overrides  options that win over the file's in every job (canonical or alias keys; a
     *                   null value is a bare key, {@code 1}); null for none
     * @return the jobs in file order, never empty
     */
    public static List<JobSpec> parse(String text, String sourceName, Map<String, String> overrides)
            throws JobException {
        Objects.requireNonNull(text, "text");
        String source = sourceName == null || sourceName.isBlank() ? "job file" : sourceName;
        Map<String, String> extra = checkOverrides(overrides);

        Layers globals = new Layers(new LinkedHashMap<>());
        Layers current = null;
        List<Section> jobs = new ArrayList<>();
        String[] lines = text.split("\r\n|\r|\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = i == 0 && lines[0].startsWith("\uFEFF") ? lines[0].substring(1) : lines[i];
            String t = stripComment(line).strip();
            if (t.isEmpty()) {
                continue;
            }
            String where = source + " line " + (i + 1);
            if (t.startsWith("[")) {
                String name = sectionName(t, where);
                if (name.equals("global")) {
                    current = globals;
                    current.newLayer();
                } else {
                    current = new Layers(new LinkedHashMap<>(globals.settings));
                    jobs.add(new Section(name, current));
                }
                continue;
            }
            if (current == null) {
                throw new JobException(where + ": '" + t + "' comes before any section;"
                        + " put options under [global] or under a job's [name]");
            }
            int eq = t.indexOf('=');
            String key = (eq < 0 ? t : t.substring(0, eq)).strip();
            String value = eq < 0 ? "1" : t.substring(eq + 1).strip();
            String k;
            try {
                k = JobOptions.canonicalKey(key);
                JobOptions.checkValue(k, value);
            } catch (JobException e) {
                throw JobOptions.locate(where, e);
            }
            current.set(k, value, where);
        }
        if (jobs.isEmpty()) {
            throw new JobException(source + ": no job section; a job file needs at least one [name] section"
                    + " besides [global]");
        }

        List<JobSpec> specs = new ArrayList<>(jobs.size());
        for (Section job : jobs) {
            job.options.newLayer();
            for (Map.Entry<String, String> e : extra.entrySet()) {
                job.options.set(e.getKey(), e.getValue(), OVERRIDES_SOURCE);
            }
            Map<String, String> values = new LinkedHashMap<>();
            Map<String, String> where = new HashMap<>();
            for (Map.Entry<String, Setting> e : job.options.settings.entrySet()) {
                values.put(e.getKey(), e.getValue().value());
                where.put(e.getKey(), e.getValue().where());
            }
            try {
                specs.add(JobOptions.build(job.name, values, where));
            } catch (JobException e) {
                throw new JobException(e.getMessage() + " (job '" + job.name + "')", e.getCause());
            }
        }
        return List.copyOf(specs);
    }

    /** Reads a job file (UTF-8); errors name it as given. */
    public static List<JobSpec> load(Path file, Map<String, String> overrides) throws JobException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new JobException("cannot read job file " + file + ": no such file", e);
        } catch (CharacterCodingException e) {
            throw new JobException("cannot read job file " + file + ": not UTF-8 text", e);
        } catch (IOException e) {
            throw new JobException("cannot read job file " + file + ": " + e, e);
        }
        return parse(text, file.toString(), overrides);
    }

    /**
     * Command-line {@code key=value} assignments (a bare {@code key} is {@code key=1}) as overrides,
     * keys made canonical, each checked on its own. A later assignment of a key wins.
     */
    public static Map<String, String> parseOverrides(Iterable<String> assignments) throws JobException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String a : assignments) {
            int eq = a.indexOf('=');
            String key = (eq < 0 ? a : a.substring(0, eq)).strip();
            String value = eq < 0 ? "1" : a.substring(eq + 1).strip();
            try {
                String k = JobOptions.canonicalKey(key);
                JobOptions.checkValue(k, value);
                out.remove(k);
                out.put(k, value);
            } catch (JobException e) {
                throw JobOptions.locate(OVERRIDES_SOURCE, e);
            }
        }
        return checkOverrides(out);
    }

    /** The overrides with canonical keys, each value checked; null gives none. */
    private static Map<String, String> checkOverrides(Map<String, String> overrides) throws JobException {
        Map<String, String> out = new LinkedHashMap<>();
        if (overrides == null) {
            return out;
        }
        Map<String, String> spelled = new HashMap<>();
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            String value = e.getValue() == null ? "1" : e.getValue().strip();
            try {
                String k = JobOptions.canonicalKey(e.getKey());
                if (out.containsKey(k)) {
                    throw new JobException(e.getKey() + " and " + spelled.get(k) + " are the same option; give one of them");
                }
                JobOptions.checkValue(k, value);
                out.put(k, value);
                spelled.put(k, e.getKey());
            } catch (JobException x) {
                throw JobOptions.locate(OVERRIDES_SOURCE, x);
            }
        }
        if (out.containsKey("target") && out.containsKey("bdev")) {
            throw new JobException(OVERRIDES_SOURCE + ": " + MUTUALLY_EXCLUSIVE);
        }
        return out;
    }

    private static final String MUTUALLY_EXCLUSIVE = "target and bdev are mutually exclusive: target= runs against"
            + " a card over NVMe/TCP, bdev= against a bdev in the bench process";

    private static String sectionName(String t, String where) throws JobException {
        if (!t.endsWith("]") || t.indexOf(']') != t.length() - 1 || t.indexOf('[', 1) >= 0) {
            throw new JobException(where + ": bad section header '" + t + "' (expected [name])");
        }
        String name = t.substring(1, t.length() - 1).strip();
        if (name.isEmpty()) {
            throw new JobException(where + ": empty section name '" + t + "'");
        }
        return name;
    }

    /** The line without its comment: whole-line {@code #}/{@code ;}, or one after white space. */
    static String stripComment(String line) {
        String t = line.strip();
        if (t.startsWith("#") || t.startsWith(";")) {
            return "";
        }
        for (int i = 1; i < line.length(); i++) {
            char c = line.charAt(i);
            if ((c == '#' || c == ';') && Character.isWhitespace(line.charAt(i - 1))) {
                return line.substring(0, i);
            }
        }
        return line;
    }

    /** One option's value and where it was given. */
    private record Setting(String value, String where) {
    }

    /** A job section: its name and its options as read so far. */
    private record Section(String name, Layers options) {
    }

    /**
     * The options in force for a section: inherited ones, then those of the layer being read (a
     * {@code [global]} section, a job section, or the overrides).
     */
    private static final class Layers {
        final Map<String, Setting> settings;
        private final Map<String, Setting> layer = new HashMap<>();

        Layers(Map<String, Setting> inherited) {
            this.settings = inherited;
        }

        void newLayer() {
            layer.clear();
        }

        void set(String key, String value, String where) throws JobException {
            if (key.equals("target") || key.equals("bdev")) {
                String other = key.equals("target") ? "bdev" : "target";
                Setting clash = layer.get(other);
                if (clash != null) {
                    throw new JobException(where + ": " + MUTUALLY_EXCLUSIVE + " (" + other + "= is given at "
                            + clash.where() + ")");
                }
                for (String k : key.equals("target") ? JobOptions.LOCAL_KEYS : JobOptions.REMOTE_KEYS) {
                    if (!layer.containsKey(k)) {
                        settings.remove(k);
                    }
                }
            } else if (key.equals("rwmixread") || key.equals("rwmixwrite")) {
                String other = key.equals("rwmixread") ? "rwmixwrite" : "rwmixread";
                settings.remove(other);
                layer.remove(other);
            }
            Setting s = new Setting(value, where);
            settings.put(key, s);
            layer.put(key, s);
        }
    }
}
