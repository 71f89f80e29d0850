package org.k200emu.bench.result;

import java.net.InetAddress;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The results of one {@code k200 bench} run.
 *
 * <p>The canonical constructor copies (a null tool becomes "", a null environment an empty map
 * with the given map's order kept, null jobs an empty list).
 *
 * @param tool        {@code "k200 bench <version>"}
 * @param environment where it ran: cpu count, os, java, host (see {@link #currentEnvironment()})
 * @param start       when the run started
 * @param jobs        the jobs' results, in run order
 */
public record SessionResult(String tool, Map<String, String> environment, Instant start, List<JobResult> jobs) {

    public SessionResult {
        tool = tool == null ? "" : tool;
        environment = environment == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(environment));
        jobs = jobs == null ? List.of() : List.copyOf(jobs);
    }

    /** {@code "k200 bench <version>"}, with "(development build)" for a null version. */
    public static String toolName(String version) {
        return "k200 bench " + (version == null || version.isBlank() ? "(development build)" : version);
    }

    /** The environment of this JVM: keys cpus, os, arch, java, vm, host (in this order). */
    public static Map<String, String> currentEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("cpus", Integer.toString(Runtime.getRuntime().availableProcessors()));
        env.put("os", System.getProperty("os.name", "?") + " " + System.getProperty("os.version", ""));
        env.put("arch", System.getProperty("os.arch", "?"));
        env.put("java", System.getProperty("java.version", "?"));
        env.put("vm", System.getProperty("java.vm.name", "?"));
        env.put("host", hostName());
        return env;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            String h = System.getenv("HOSTNAME");
            return h == null ? "unknown" : h;
        }
    }
}
