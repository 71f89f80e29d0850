package org.k200emu.cli.start;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import org.k200emu.card.config.Sizes;

/**
 * The card's management endpoint for {@code k200 ctl}: HTTP on a loopback address, GET
 * {@code /status} answers a JSON snapshot of the card ({@link CardStatus}). One thread of its
 * own, away from the cores. Owned by {@code k200 start}.
 */
public final class ManagementServer implements AutoCloseable {

    private final HttpServer server;

    private ManagementServer(HttpServer server) {
        this.server = server;
    }

    /** Serves {@code card}'s status on {@code address:port} (port 0: any free port). */
    public static ManagementServer start(CardProcess card, String address, int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(address, port), 8);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        server.createContext("/status", exchange -> {
            try {
                if (!"GET".equals(exchange.getRequestMethod())) {
                    reply(exchange, 405, "{\"error\": \"GET only\"}");
                    return;
                }
                reply(exchange, 200, json.writeValueAsString(CardStatus.of(card)));
            } catch (RuntimeException e) {
                reply(exchange, 500, "{\"error\": " + json.writeValueAsString(String.valueOf(e)) + "}");
            }
        });
        server.createContext("/ana", exchange -> {
            try {
                if (!"POST".equals(exchange.getRequestMethod())) {
                    reply(exchange, 405, "{\"error\": \"POST only\"}");
                    return;
                }
                java.util.Map<String, String> q = query(exchange.getRequestURI().getRawQuery());
                org.k200emu.nvme.AnaState state = org.k200emu.nvme.AnaState.ofLabel(q.getOrDefault("state", ""));
                int portId;
                try {
                    portId = Integer.parseInt(q.getOrDefault("port", ""));
                } catch (NumberFormatException e) {
                    portId = -1;
                }
                if (state == null || portId < 0) {
                    reply(exchange, 400, "{\"error\": \"need port=<id> and state=optimized|non-optimized|inaccessible\"}");
                    return;
                }
                card.target().setAnaState(portId, state);
                reply(exchange, 200, json.writeValueAsString(CardStatus.of(card)));
            } catch (IllegalArgumentException e) {
                reply(exchange, 404, "{\"error\": " + json.writeValueAsString(e.getMessage()) + "}");
            } catch (RuntimeException e) {
                reply(exchange, 500, "{\"error\": " + json.writeValueAsString(String.valueOf(e)) + "}");
            }
        });
        control(server, json, "/bdevs", (q, body) -> java.util.Map.of("bdev", card.addBdev(body)));
        control(server, json, "/namespaces", (q, body) -> java.util.Map.of("nsid", card.addNamespace(
                q.getOrDefault("nqn", ""), q.getOrDefault("bdev", ""), Integer.parseInt(q.getOrDefault("nsid", "0")))));
        control(server, json, "/lvol", (q, body) -> java.util.Map.of("bdev", card.lvol(q.getOrDefault("store", ""),
                q.getOrDefault("op", ""), q.getOrDefault("source", ""), q.getOrDefault("name", ""))));
        control(server, json, "/qos", (q, body) -> card.setQosLimits(q.getOrDefault("bdev", ""), q.get("class"),
                Long.parseLong(q.getOrDefault("iops", "0")), Sizes.parse(q.getOrDefault("bandwidth", "0"))));
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "k200-management");
            t.setDaemon(true);
            return t;
        }));
        server.start();
        return new ManagementServer(server);
    }

    private static void reply(HttpExchange exchange, int code, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** A control request: POST, query parameters and body in, a JSON object out; bad input is a 400. */
    private interface Control {
        Object apply(java.util.Map<String, String> query, String body);
    }

    private static void control(HttpServer server, ObjectMapper json, String path, Control action) {
        server.createContext(path, exchange -> {
            try {
                if (!"POST".equals(exchange.getRequestMethod())) {
                    reply(exchange, 405, "{\"error\": \"POST only\"}");
                    return;
                }
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                Object result = action.apply(query(exchange.getRequestURI().getRawQuery()), body);
                reply(exchange, 200, json.writeValueAsString(result));
            } catch (org.k200emu.card.config.ConfigException | IllegalArgumentException | IllegalStateException e) {
                reply(exchange, 400, "{\"error\": " + json.writeValueAsString(e.getMessage()) + "}");
            } catch (RuntimeException e) {
                reply(exchange, 500, "{\"error\": " + json.writeValueAsString(String.valueOf(e)) + "}");
            }
        });
    }

    private static java.util.Map<String, String> query(String raw) {
        java.util.Map<String, String> out = new java.util.HashMap<>();
        if (raw == null) {
            return out;
        }
        for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                out.put(java.net.URLDecoder.decode(kv.substring(0, eq), StandardCharsets.UTF_8),
                        java.net.URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
