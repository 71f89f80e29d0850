package org.k200emu.cli.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.k200emu.card.config.Sizes;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code k200 ctl}: asks a running card (its management endpoint, started by {@code k200 start})
 * what it is doing: {@code status} for everything, {@code paths} for the remote paths of
 * co-processor mode and their connection state.
 */
@Command(name = "ctl", mixinStandardHelpOptions = true,
        description = {"Show the state of a running card: status (cores, bdevs, subsystems, connections, remote"
                + " paths) or paths (remote namespaces of co-processor mode and their connection and ANA state).",
            "Change it at run time:",
            "  ana PORT-ID optimized|non-optimized|inaccessible   a fabric port's ANA state",
            "  bdev-add ENTRY                 a bdev, ENTRY as in the configuration's bdevs list, e.g."
                + " '{name: sealed, type: crypt, member: m1, keyFile: /etc/k200/key}'",
            "  ns-add NQN BDEV [NSID]         a namespace backed by BDEV (hosts get a notice)",
            "  snapshot STORE VOLUME NAME     a snapshot of a logical volume (bdev STORE/NAME)",
            "  clone STORE SNAPSHOT NAME      a writable clone of a snapshot (bdev STORE/NAME)",
            "  qos BDEV IOPS BANDWIDTH [CLASS]  a qos bdev's limits, or one class's (0: none; BANDWIDTH in"
                + " bytes per second, e.g. 200MiB)"})
public final class CtlCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "WHAT", defaultValue = "status",
            description = "status (default), paths, ana, bdev-add, ns-add, snapshot, clone or qos.")
    String what;

    @Parameters(index = "1..*", paramLabel = "ARG", description = "The request's arguments (see above).")
    java.util.List<String> args = new java.util.ArrayList<>();

    @Option(names = "--address", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "The card's management address (default: ${DEFAULT-VALUE}).")
    String address;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "4480",
            description = "The card's management port, as given to k200 start --management-port"
                    + " (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--json", description = "Print the card's JSON answer as it is.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        java.util.Set<String> changes = java.util.Set.of("bdev-add", "ns-add", "snapshot", "clone", "qos");
        if (changes.contains(what)) {
            return change();
        }
        if (!what.equals("status") && !what.equals("paths") && !what.equals("ana")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "unknown request '" + what
                    + "' (use status, paths, ana, bdev-add, ns-add, snapshot, clone or qos)");
        }
        if (what.equals("ana") && (args.size() != 2 || !args.get(0).matches("[0-9]+")
                || !java.util.Set.of("optimized", "non-optimized", "inaccessible").contains(args.get(1)))) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "usage: k200 ctl ana PORT-ID optimized|non-optimized|inaccessible");
        }
        String body = what.equals("ana") ? send("/ana?port=" + args.get(0) + "&state=" + args.get(1)) : fetch();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(body);
        } else {
            JsonNode status = new ObjectMapper().readTree(body);
            if (what.equals("status") || what.equals("ana")) {
                printStatus(out, status);
            }
            printPaths(out, status);
        }
        out.flush();
        return 0;
    }

    /** bdev-add, ns-add, snapshot, clone, qos: one POST, the card's answer printed. */
    private Integer change() throws IOException, InterruptedException {
        String body = null;
        String path;
        switch (what) {
            case "bdev-add":
                need(1, 1, "bdev-add ENTRY");
                path = "/bdevs";
                body = args.get(0);
                break;
            case "ns-add":
                need(2, 3, "ns-add NQN BDEV [NSID]");
                path = "/namespaces?nqn=" + enc(args.get(0)) + "&bdev=" + enc(args.get(1))
                        + (args.size() == 3 ? "&nsid=" + enc(args.get(2)) : "");
                break;
            case "qos":
                need(3, 4, "qos BDEV IOPS BANDWIDTH [CLASS]");
                checkQosLimits(args.get(1), args.get(2));
                path = "/qos?bdev=" + enc(args.get(0)) + "&iops=" + enc(args.get(1)) + "&bandwidth=" + enc(args.get(2))
                        + (args.size() == 4 ? "&class=" + enc(args.get(3)) : "");
                break;
            default:
                need(3, 3, what + " STORE " + (what.equals("clone") ? "SNAPSHOT" : "VOLUME") + " NAME");
                path = "/lvol?op=" + what + "&store=" + enc(args.get(0)) + "&source=" + enc(args.get(1)) + "&name="
                        + enc(args.get(2));
        }
        String answer = request(path, true, body);
        spec.commandLine().getOut().println(answer.strip());
        spec.commandLine().getOut().flush();
        return 0;
    }

    private void need(int min, int max, String usage) {
        if (args.size() < min || args.size() > max) {
            throw new CommandLine.ParameterException(spec.commandLine(), "usage: k200 ctl " + usage);
        }
    }

    /** IOPS a whole number, BANDWIDTH a size, neither negative: else the usage, before asking the card. */
    private void checkQosLimits(String iops, String bandwidth) {
        try {
            if (Long.parseLong(iops) >= 0 && Sizes.parse(bandwidth) >= 0) {
                return;
            }
        } catch (IllegalArgumentException e) {
            // The usage below says what is wanted.
        }
        throw new CommandLine.ParameterException(spec.commandLine(), "usage: k200 ctl qos BDEV IOPS BANDWIDTH [CLASS]"
                + " (IOPS a whole number, BANDWIDTH bytes per second such as 200MiB; 0: no limit), not '" + iops
                + "' '" + bandwidth + "'");
    }

    private static String enc(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }

    private String fetch() throws IOException, InterruptedException {
        return request("/status", false);
    }

    private String send(String pathAndQuery) throws IOException, InterruptedException {
        return request(pathAndQuery, true);
    }

    private String request(String pathAndQuery, boolean post) throws IOException, InterruptedException {
        return request(pathAndQuery, post, null);
    }

    private String request(String pathAndQuery, boolean post, String body) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
        URI uri = URI.create("http://" + (address.contains(":") ? "[" + address + "]" : address) + ":" + port
                + pathAndQuery);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5));
        try {
            HttpResponse<String> r = client.send(post ? b.POST(body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body)).build()
                    : b.GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 400) {
                String message = new ObjectMapper().readTree(r.body()).path("error").asText(r.body());
                throw new IOException("the card refused: " + message);
            }
            if (r.statusCode() != 200) {
                throw new IOException("the card answered " + r.statusCode() + ": " + r.body());
            }
            return r.body();
        } catch (ConnectException e) {
            throw new IOException("no card answers on " + address + ":" + port
                    + " (is k200 start running, with its management endpoint on that port?)", e);
        }
    }

    /** A QoS class's own limits, e.g. {@code 5000 IOPS, 419.43 MB/s}, or {@code none}. */
    private static String classLimits(JsonNode c) {
        long iops = c.path("iopsLimit").asLong();
        long bytes = c.path("bytesPerSecondLimit").asLong();
        if (iops == 0 && bytes == 0) {
            return "none";
        }
        List<String> parts = new ArrayList<>();
        if (iops > 0) {
            parts.add(iops + " IOPS");
        }
        if (bytes > 0) {
            parts.add(String.format(Locale.ROOT, "%.2f MB/s", bytes / 1e6));
        }
        return String.join(", ", parts);
    }

    /** The hosts routed to a QoS class; the default class also takes every host no class lists. */
    private static String classHosts(JsonNode c) {
        List<String> hosts = new ArrayList<>();
        for (JsonNode h : c.path("hosts")) {
            hosts.add(h.asText());
        }
        if (c.path("default").asBoolean()) {
            hosts.add("any host no class lists");
        }
        return hosts.isEmpty() ? "none" : String.join(", ", hosts);
    }

    private static void printStatus(PrintWriter out, JsonNode s) {
        out.printf(Locale.ROOT, "mode %s; fabric %s%s; %d connection(s); %d I/O commands served%n",
                s.path("mode").asText(), s.path("fabric").asText(),
                s.path("host").isNull() ? "" : "; host side " + s.path("host").asText(),
                s.path("connections").asInt(), s.path("ioCommands").asLong());
        for (JsonNode p : s.path("ports")) {
            out.printf(Locale.ROOT, "port %d: %s%s, ANA %s%n", p.path("portId").asInt(), p.path("address").asText(),
                    p.path("discoveryOnly").asBoolean() ? " (discovery only)" : "", p.path("ana").asText());
        }
        for (JsonNode c : s.path("clusters")) {
            out.printf(Locale.ROOT, "cluster %d (%s plane): %d cores, busy %.1f%%, %d messages%n",
                    c.path("cluster").asInt(), c.path("role").asText(), c.path("cores").asInt(),
                    100 * c.path("busy").asDouble(), c.path("messages").asLong());
        }
        printAccelerators(out, s.path("accelerators"));
        for (JsonNode b : s.path("bdevs")) {
            out.printf(Locale.ROOT, "bdev %s (%s): %d bytes%n", b.path("name").asText(), b.path("module").asText(),
                    b.path("bytes").asLong());
            JsonNode q = b.path("qos");
            if (!q.isMissingNode()) {
                out.printf(Locale.ROOT, "  qos limits: %d IOPS, %d bytes/s (0: none); %d queued, %d delayed so far%n",
                        q.path("iopsLimit").asLong(), q.path("bytesPerSecondLimit").asLong(), q.path("queued").asLong(),
                        q.path("delayedTotal").asLong());
                for (JsonNode c : q.path("classes")) {
                    out.printf(Locale.ROOT, "  class %s (weight %d): %d IOPS, %.2f MB/s, %d queued, %d delayed so far;"
                                    + " limits: %s; hosts: %s%n",
                            c.path("class").asText(), c.path("weight").asInt(), c.path("iops").asLong(),
                            c.path("bytesPerSecond").asLong() / 1e6, c.path("queued").asLong(),
                            c.path("delayedTotal").asLong(), classLimits(c), classHosts(c));
                }
            }
        }
        for (JsonNode sub : s.path("subsystems")) {
            out.printf(Locale.ROOT, "subsystem %s: %d controller(s)%n", sub.path("nqn").asText(),
                    sub.path("controllers").asInt());
            for (JsonNode ns : sub.path("namespaces")) {
                out.printf(Locale.ROOT, "  nsid %d: bdev %s (%s), %d bytes, %d-byte blocks%n", ns.path("nsid").asInt(),
                        ns.path("bdev").asText(), ns.path("module").asText(), ns.path("bytes").asLong(),
                        ns.path("blockSize").asInt());
            }
        }
        JsonNode nbd = s.path("nbd");
        if (nbd.isObject()) {
            out.printf(Locale.ROOT, "nbd: listening on %s, %d connection(s), %d commands%n", nbd.path("address").asText(),
                    nbd.path("connections").asInt(), nbd.path("commands").asLong());
            for (JsonNode e : nbd.path("exports")) {
                out.printf(Locale.ROOT, "  export %s: bdev %s, %d bytes%s%n", e.path("name").asText(),
                        e.path("bdev").asText(), e.path("bytes").asLong(), e.path("readOnly").asBoolean() ? ", read-only" : "");
            }
        }
    }

    /** The co-processors' model, then one line per cluster and kind that ran jobs. */
    private static void printAccelerators(PrintWriter out, JsonNode a) {
        if (a.isMissingNode()) {
            return;
        }
        out.printf(Locale.ROOT, "accelerators: %d engines per kind per cluster; crypto %.2f, hash %.2f, ec %.2f GB/s"
                + " per cluster; %.0f cycles per job; %s%n", a.path("engines").asInt(),
                a.path("cryptoBytesPerSecond").asDouble() / 1e9, a.path("hashBytesPerSecond").asDouble() / 1e9,
                a.path("ecBytesPerSecond").asDouble() / 1e9, a.path("submitCycles").asDouble(),
                a.path("pace").asBoolean() ? "paced" : "not paced");
        for (JsonNode c : a.path("clusters")) {
            if (c.path("jobs").asLong() == 0) {
                continue;
            }
            int cluster = c.path("cluster").asInt();
            out.printf(Locale.ROOT, "  %s %-6s %d jobs, %d bytes, utilisation %.1f%%, waited %.1f us, backlog %.1f us%n",
                    cluster < 0 ? "off-core  " : String.format(Locale.ROOT, "cluster %-2d", cluster),
                    c.path("kind").asText(), c.path("jobs").asLong(), c.path("bytes").asLong(),
                    100 * c.path("utilisation").asDouble(), c.path("waitNanos").asLong() / 1e3,
                    c.path("backlogNanos").asLong() / 1e3);
        }
    }

    private static void printPaths(PrintWriter out, JsonNode s) {
        JsonNode paths = s.path("remotePaths");
        if (paths.size() == 0) {
            out.println("no remote paths");
            return;
        }
        out.printf(Locale.ROOT, "%-14s %-22s %-40s %5s %-13s %-14s %-10s %s%n", "bdev", "address", "subsystem",
                "nsid", "state", "ANA", "I/O queues", "commands");
        for (JsonNode p : paths) {
            // Commands are counted where a multipath bdev chooses the path; a single path shows "-".
            String commands = p.has("commands") ? Long.toString(p.path("commands").asLong()) : "-";
            out.printf(Locale.ROOT, "%-14s %-22s %-40s %5d %-13s %-14s %-10d %s%n", p.path("bdev").asText(),
                    p.path("address").asText(), p.path("subnqn").asText(), p.path("nsid").asInt(),
                    p.path("state").asText(), p.path("ana").asText(), p.path("ioQueues").asInt(), commands);
        }
    }
}
