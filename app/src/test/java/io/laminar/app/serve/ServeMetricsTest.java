package io.laminar.app.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.laminar.app.client.RequestProducer;
import io.laminar.app.client.ResponseStream;
import io.laminar.app.http.HealthRoute;
import io.laminar.app.http.HttpAddress;
import io.laminar.app.http.HttpFront;
import io.laminar.app.http.MetricsRoute;
import io.laminar.app.http.PrometheusText;
import io.laminar.schemas.EventType;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.WireFormat;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * /metrics after a real run (a synthetic model served over the embedded broker): the request,
 * outcome and token counts equal what the clients sent and received, the latency histograms
 * hold one observation per request, the stages report work, the queues are empty again, and the
 * exposition is valid text in the format the scraper asked for.
 */
class ServeMetricsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final io.laminar.schemas.codec.ResponseCodec RESPONSES = new io.laminar.schemas.codec.ResponseCodec();

    @TempDir
    static Path models;

    @Test
    void countsAgreeWithTheRunAndTheExpositionParses() throws Exception {
        int[] maxTokens = {1, 2, 3, 3, 4, 4};
        try (ServeHealth health = new ServeHealth();
             HttpFront front = HealthRoute.addTo(HttpFront.bind(HttpAddress.parse("0")), health)
                     .route(MetricsRoute.PATH, new MetricsRoute(health::registry)).start();
             LaminarServer server = KafkaServing.startSynthetic(models, 16, "json", health);
             ResponseStream stream = KafkaServing.responses(server);
             RequestProducer producer = KafkaServing.producer(server, WireFormat.JSON);
             KafkaProducer<byte[], byte[]> raw = KafkaServing.rawProducer(server);
             TopicTail responses = new TopicTail(server, server.kafka().responsesTopic())) {
            Set<String> ids = new HashSet<>();
            for (int i = 0; i < maxTokens.length; i++) {
                producer.send(KafkaServing.greedy("m" + i, "ab cd e fg " + i, maxTokens[i]));
                ids.add("m" + i);
            }
            // Unreadable: its ERROR has no request id, and is keyed by the record's key.
            KafkaServing.sendRaw(raw, server, "broken", "{not json".getBytes(StandardCharsets.UTF_8));
            Map<String, List<ResponseEvent>> events = KafkaServing.collect(stream, ids, Duration.ofSeconds(60));

            int tokens = 0;
            int promptTokens = 0;
            int twoOrMore = 0;
            for (int i = 0; i < maxTokens.length; i++) {
                List<ResponseEvent> ev = events.get("m" + i);
                assertEquals(EventType.FINISH, ev.getLast().getType(), ev.getLast().toString());
                int n = KafkaServing.tokenIds(ev).length;
                tokens += n;
                twoOrMore += n >= 2 ? 1 : 0;
                promptTokens += ev.getLast().getFinish().getUsage().getPromptTokens();
            }
            assertNotNull(responses.await(r -> r.key() != null && "broken".equals(new String(r.key(), StandardCharsets.UTF_8))
                    && RESPONSES.decode(r.value()).getType() == EventType.ERROR, Duration.ofSeconds(60)), "the ERROR of the unreadable record");

            String base = "http://" + front.address();
            HttpResponse<String> scrape = get(base + "/metrics", null);
            assertEquals(200, scrape.statusCode());
            assertTrue(scrape.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                    scrape.headers().toString());
            PrometheusText m = PrometheusText.parse(scrape.body());

            assertEquals(maxTokens.length, m.sum("laminar_requests_total", "outcome", "finished"), scrape.body());
            assertEquals(1, m.sum("laminar_requests_total", "outcome", "error"));
            assertEquals("counter", m.type("laminar_requests_total"));
            assertEquals(tokens, m.value("laminar_generation_tokens_total"));
            assertEquals(promptTokens, m.value("laminar_prompt_tokens_total"));
            assertEquals("histogram", m.type("laminar_time_to_first_token_seconds"));
            assertEquals(maxTokens.length, m.value("laminar_time_to_first_token_seconds_count"));
            assertEquals(maxTokens.length, m.value("laminar_e2e_request_latency_seconds_count"));
            assertEquals(maxTokens.length, m.value("laminar_e2e_request_latency_seconds_bucket", "le", "+Inf"));
            assertEquals(maxTokens.length, m.value("laminar_request_queue_time_seconds_count"));
            assertEquals(twoOrMore, m.value("laminar_time_per_output_token_seconds_count"));
            assertTrue(m.value("laminar_e2e_request_latency_seconds_sum") > 0);

            // Every token went through the one stage in steps that took time and arrived after a hop.
            double steps = m.sum("laminar_stage_steps_total");
            assertTrue(steps >= maxTokens[maxTokens.length - 1], "steps: " + steps);
            assertTrue(m.sum("laminar_stage_tokens_total") >= tokens + promptTokens - maxTokens.length);
            assertTrue(m.sum("laminar_stage_busy_seconds_total") > 0);
            assertEquals(steps, m.sum("laminar_stage_hop_seconds_count"));

            assertEquals(0, m.value("laminar_requests_running"));
            assertEquals(0, m.value("laminar_requests_waiting"));
            assertEquals(0, m.value("laminar_kv_cache_used_blocks"));
            assertTrue(m.value("laminar_kv_cache_capacity_blocks") > 0);
            assertEquals(1, m.value("laminar_pipeline_ready"));
            assertNotNull(m.value("jvm_threads_current"), "the JVM's metrics come along");
            awaitLagMeasured(base, server.kafka().requestsTopic());

            HttpResponse<String> open = get(base + "/metrics", "application/openmetrics-text; version=1.0.0");
            assertTrue(open.headers().firstValue("Content-Type").orElse("").startsWith("application/openmetrics-text"));
            assertTrue(open.body().endsWith("# EOF\n"), "OpenMetrics ends with # EOF");
            assertTrue(open.body().contains("laminar_requests_total{outcome=\"error\""));

            HttpResponse<String> ready = get(base + HealthRoute.READY_PATH, null);
            assertEquals(200, ready.statusCode(), ready.body());
            JsonNode body = JSON.readTree(ready.body());
            assertEquals("ready", body.path("status").asText());
            assertEquals(3, body.path("checks").size());
            assertEquals(200, get(base + HealthRoute.LIVE_PATH, null).statusCode());
            assertEquals(405, HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        }
    }

    /** The lag is measured once a second: every record was read, so each partition reports 0. */
    private static void awaitLagMeasured(String base, String topic) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            PrometheusText m = PrometheusText.parse(get(base + "/metrics", null).body());
            Double lag = m.value("laminar_kafka_consumer_lag_records", "topic", topic, "partition", "0");
            if (lag != null && lag == 0) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, "no lag of " + topic + " reported: " + lag);
            Thread.sleep(200);
        }
    }

    private static HttpResponse<String> get(String url, String accept) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (accept != null) {
            b.header("Accept", accept);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
