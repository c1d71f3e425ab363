package io.laminar.app.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;

import java.io.IOException;
import java.io.OutputStream;
import java.util.function.Supplier;

/**
 * {@code GET /health/live} and {@code /health/ready}: a {@link Health} as JSON, 200 when it passes
 * and 503 when not (what a Kubernetes HTTP probe reads), never cached.
 *
 * <pre>{"status":"ready","ready":true,"detail":"...","checks":[{"name":"pipeline","ok":true,"detail":"..."}]}</pre>
 */
public final class HealthRoute implements HttpHandler {
    public static final String LIVE_PATH = "/health/live";
    public static final String READY_PATH = "/health/ready";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Supplier<Health> probe;
    private final String passing;
    private final String failing;

    private HealthRoute(Supplier<Health> probe, String passing, String failing) {
        this.probe = probe;
        this.passing = passing;
        this.failing = failing;
    }

    /** Adds both probes of {@code source} to {@code front}. */
    public static HttpFront addTo(HttpFront front, HealthSource source) {
        return front.route(LIVE_PATH, new HealthRoute(source::live, "live", "not live"))
                .route(READY_PATH, new HealthRoute(source::ready, "ready", "not ready"));
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            Health h = probe.get();
            byte[] body = JSON.writeValueAsBytes(json(h, h.ok() ? passing : failing));
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(h.ok() ? 200 : 503, head ? -1 : body.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    private static ObjectNode json(Health h, String status) {
        ObjectNode root = JSON.createObjectNode();
        root.put("status", status);
        root.put("ok", h.ok());
        root.put("detail", h.detail());
        ArrayNode checks = root.putArray("checks");
        for (Health.Check c : h.checks()) {
            checks.addObject().put("name", c.name()).put("ok", c.ok()).put("detail", c.detail());
        }
        return root;
    }
}
