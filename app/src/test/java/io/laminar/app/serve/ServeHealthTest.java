package io.laminar.app.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.laminar.actors.HostSettings;
import io.laminar.actors.MemberReadiness;
import io.laminar.actors.PipelineHost;
import io.laminar.app.FreePorts;
import io.laminar.app.StatusProbe;
import io.laminar.app.http.HealthRoute;
import io.laminar.app.http.HttpAddress;
import io.laminar.app.http.HttpFront;
import io.laminar.app.http.MetricsRoute;
import io.laminar.app.http.PrometheusText;
import io.laminar.app.kafka.EmbeddedKafka;
import io.laminar.app.kafka.KafkaSettings;
import io.laminar.app.kafka.TopicSetup;
import io.laminar.kernels.GgmlType;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.synth.ModelShape;
import io.laminar.model.synth.SyntheticModelWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Readiness follows the pipeline: a serve hosting only some layers opens its HTTP port at once and
 * is live but not ready, naming the layers it waits for, while {@code laminar status} exits 1; a
 * stage node that brings them is itself ready once registered with the scheduler, and then serve
 * is ready and the status exits 0. A serve whose actor system stopped is no longer live.
 */
class ServeHealthTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path models;

    @Test
    void aServeWaitingForAStageNodeIsLiveButNotReadyUntilItJoins() throws Exception {
        Path model = new SyntheticModelWriter(ModelShape.TINY).weightType(GgmlType.Q8_0).writeCached(models);
        int port = FreePorts.take(1)[0];
        try (EmbeddedKafka broker = EmbeddedKafka.start();
             ServeHealth health = new ServeHealth();
             HttpFront front = HealthRoute.addTo(HttpFront.bind(HttpAddress.parse("0")), health)
                     .route(MetricsRoute.PATH, new MetricsRoute(health::registry)).start()) {
            String base = "http://" + front.address();
            assertEquals(200, get(base + HealthRoute.LIVE_PATH).statusCode(), "live while starting");
            assertEquals(503, get(base + HealthRoute.READY_PATH).statusCode(), "not ready while starting");
            assertEquals(200, get(base + MetricsRoute.PATH).statusCode(), "the JVM's metrics before the pipeline's");

            KafkaSettings kafka = KafkaSettings.defaults().withBootstrapServers(broker.bootstrapServers());
            TopicSetup.ensure(kafka);
            HostSettings serving = HostSettings.local(model, List.of(new LayerRange(0, 1)), 1).withBatch(64, 8, 512)
                    .withNetwork("127.0.0.1", port, List.of());
            CompletableFuture<LaminarServer> started = CompletableFuture.supplyAsync(() -> {
                try {
                    return LaminarServer.start(new LaminarServer.Options(model, serving, kafka, 0, null, 16,
                            "laminar-health-" + System.nanoTime()), health);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            try {
                JsonNode waiting = awaitReadyDetail(base, "layers 1");
                assertEquals(503, get(base + HealthRoute.READY_PATH).statusCode());
                assertEquals("not ready", waiting.path("status").asText());
                assertTrue(waiting.path("detail").asText().startsWith("pipeline: "), waiting.toString());
                assertEquals(200, get(base + HealthRoute.LIVE_PATH).statusCode(), "live while waiting");
                StatusProbe notReady = StatusProbe.run(front.address());
                assertEquals(1, notReady.exitStatus(), notReady.output());
                assertTrue(notReady.output().contains("NOT READY") && notReady.output().contains("layers 1"),
                        notReady.output());
                assertEquals(0, PrometheusText.parse(get(base + MetricsRoute.PATH).body())
                        .value("laminar_pipeline_ready"));
                assertFalse(started.isDone());

                HostSettings stage = serving.hosting(List.of(new LayerRange(1, 2)), false)
                        .withNetwork("127.0.0.1", 0, List.of("127.0.0.1:" + port));
                try (PipelineHost member = PipelineHost.start(stage);
                     LaminarServer server = started.get(120, TimeUnit.SECONDS)) {
                    // The scheduler's registration reaches the node's receptionist by gossip, soon.
                    MemberReadiness.Result node = awaitMemberReady(member, stage);
                    assertTrue(node.detail().contains("1 of 1 stages registered"), node.detail());

                    HttpResponse<String> ready = get(base + HealthRoute.READY_PATH);
                    assertEquals(200, ready.statusCode(), ready.body());
                    StatusProbe ok = StatusProbe.run(front.address());
                    assertEquals(0, ok.exitStatus(), ok.output());
                    assertTrue(ok.output().contains("live, ready"), ok.output());

                    server.pipeline().close();
                    assertEquals(503, get(base + HealthRoute.LIVE_PATH).statusCode(), "its actor system stopped");
                    assertEquals(2, StatusProbe.run(front.address()).exitStatus());
                }
            } finally {
                if (!started.isDone()) {
                    started.thenAccept(LaminarServer::close);
                }
            }
        }
        StatusProbe gone = StatusProbe.run(HttpAddress.parse("127.0.0.1:" + FreePorts.take(1)[0]));
        assertEquals(2, gone.exitStatus());
        assertTrue(gone.output().contains("not answering"), gone.output());
    }

    private static MemberReadiness.Result awaitMemberReady(PipelineHost member, HostSettings settings)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            MemberReadiness.Result r = MemberReadiness.of(member, settings, Duration.ofSeconds(2))
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
            if (r.ready() || System.nanoTime() > deadline) {
                return r;
            }
            Thread.sleep(200);
        }
    }

    /** Polls readiness until its detail names {@code expected}. */
    private static JsonNode awaitReadyDetail(String base, String expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            last = JSON.readTree(get(base + HealthRoute.READY_PATH).body());
            if (last.path("detail").asText().contains(expected)) {
                return last;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("readiness never said '" + expected + "': " + last);
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
