package io.laminar.app.http.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.laminar.app.http.dashboard.DashboardServing.JSON;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard's routes on a two-stage serve: the page, the pipeline, the attention of an inspected
 * request (and a 404 error for any other id), and every request's events as server-sent events.
 */
class DashboardRoutesTest {
    static DashboardServing serving;

    @BeforeAll
    static void start() throws Exception {
        serving = DashboardServing.start();
    }

    @AfterAll
    static void stop() {
        serving.close();
    }

    @Test
    void thePageIsOneSelfContainedFile() throws Exception {
        HttpResponse<String> r = serving.get("/dashboard");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        assertTrue(r.body().contains("<title>Laminar dashboard</title>"));
        assertTrue(!r.body().contains("src=\"http") && !r.body().contains("href=\"http"), "nothing from elsewhere");
        assertEquals(404, serving.get("/dashboard/other").statusCode());
    }

    @Test
    void thePipelineShowsBothStages() throws Exception {
        JsonNode p = JSON.readTree(serving.get("/v1/laminar/pipeline").body());
        assertTrue(p.get("ready").asBoolean(), p.toString());
        assertEquals(5, p.get("layers").asInt());
        assertEquals(1, p.get("members").size());
        assertEquals(2, p.get("stages").size(), p.toString());
        assertEquals("0-1", p.get("stages").get(0).get("layers").asText());
        assertEquals("2-4", p.get("stages").get(1).get("layers").asText());
        assertEquals("cpu", p.get("stages").get(0).get("backend").asText());
        assertTrue(p.has("kv_capacity_blocks"));
    }

    /** A stage node's port has the page and the pipeline as that member sees it, and says when it is no member. */
    @Test
    void aNodesPortHasThePageAndThePipeline() throws Exception {
        java.util.concurrent.atomic.AtomicReference<io.laminar.actors.PipelineHost> member =
                new java.util.concurrent.atomic.AtomicReference<>();
        try (io.laminar.app.http.HttpFront node = io.laminar.app.http.HttpFront.bind(
                io.laminar.app.http.HttpAddress.parse("127.0.0.1:0")).start()) {
            Dashboard.addToNode(node, member::get);
            java.net.URI base = java.net.URI.create("http://" + node.address());
            HttpResponse<String> none = serving.client.send(HttpRequest.newBuilder(base.resolve(PipelineRoute.PATH)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(503, none.statusCode());
            assertTrue(JSON.readTree(none.body()).get("error").has("message"));
            member.set(serving.server.pipeline());
            HttpResponse<String> some = serving.client.send(HttpRequest.newBuilder(base.resolve(PipelineRoute.PATH)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, some.statusCode());
            assertEquals(2, JSON.readTree(some.body()).get("stages").size());
            assertEquals(200, serving.client.send(HttpRequest.newBuilder(base.resolve("/dashboard")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(404, serving.client.send(HttpRequest.newBuilder(base.resolve(EventsRoute.PATH)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode(), "no gateway, no events");
        }
    }

    @Test
    void anInspectedRequestsWeightsAreServedAndOthersAreNotFound() throws Exception {
        String id = serving.complete("ab cd e fg hi", 5, true);
        JsonNode a = serving.attention(id);
        assertEquals(id, a.get("request_id").asText());
        assertEquals(5, a.get("layers").asInt());
        assertEquals(8, a.get("heads").asInt());
        int tokens = a.get("tokens").size();
        assertEquals(a.get("prompt_tokens").asInt() + 5, tokens);
        for (JsonNode layer : a.get("attention")) {
            for (JsonNode head : layer) {
                for (int q = 0; q < head.size(); q++) {
                    double sum = 0;
                    for (JsonNode w : head.get(q)) {
                        sum += w.asDouble();
                    }
                    assertEquals(q + 1, head.get(q).size());
                    assertEquals(1, sum, 1e-5);
                }
            }
        }
        assertEquals(5, a.get("top").size());
        JsonNode list = JSON.readTree(serving.get("/v1/laminar/attention").body());
        assertTrue(list.get("data").findValuesAsText("request_id").contains(id));

        String plain = serving.complete("ab cd", 2, false);
        HttpResponse<String> missing = serving.get("/v1/laminar/attention/" + plain);
        assertEquals(404, missing.statusCode());
        assertEquals("request_not_found", JSON.readTree(missing.body()).get("error").get("code").asText());
        assertEquals(404, serving.get("/v1/laminar/attention/no%20such%20id").statusCode());
        HttpResponse<String> post = serving.post("/v1/laminar/attention/" + id, "{}");
        assertEquals(405, post.statusCode());
        assertEquals("GET", post.headers().firstValue("Allow").orElse(""));
    }

    @Test
    void everyRequestsEventsStreamLive() throws Exception {
        HttpResponse<InputStream> stream = serving.client.send(HttpRequest.newBuilder(serving.uri("/v1/laminar/events"))
                .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals("text/event-stream", stream.headers().firstValue("Content-Type").orElse(""));
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
            assertEquals(": connected", lines.readLine()); // positioned at the end: what is sent now is seen
            CompletableFuture<String> id = CompletableFuture.supplyAsync(() -> {
                try {
                    return serving.complete("ab cd e", 4, false);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            String sent = id.get(60, TimeUnit.SECONDS);
            int tokens = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            for (String line; System.nanoTime() < deadline && (line = lines.readLine()) != null; ) {
                if (!line.startsWith("data: ")) {
                    continue;
                }
                JsonNode e = JSON.readTree(line.substring(6));
                if (!e.get("request_id").asText().equals(sent)) {
                    continue;
                }
                if (e.get("type").asText().equals("token")) {
                    assertEquals(tokens++, e.get("index").asInt());
                } else {
                    assertEquals("finish", e.get("type").asText());
                    assertEquals(4, e.get("generated_tokens").asInt());
                    break;
                }
            }
            assertEquals(4, tokens);
        }
    }
}
