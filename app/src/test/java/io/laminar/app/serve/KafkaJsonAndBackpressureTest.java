package io.laminar.app.serve;

import io.laminar.actors.SoloRuns;
import io.laminar.app.client.RequestProducer;
import io.laminar.app.client.ResponseStream;
import io.laminar.model.testing.TestModels;
import io.laminar.model.tokenizer.StreamingDecoder;
import io.laminar.model.tokenizer.Tokenizer;
import io.laminar.model.tokenizer.Tokenizers;
import io.laminar.schemas.EventType;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.WireFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A deployment with JSON responses and a small in-flight limit: kcat as the client, and backpressure. */
class KafkaJsonAndBackpressureTest {
    static final int MAX_IN_FLIGHT = 2;
    static LaminarServer server;

    @BeforeAll
    static void start() throws Exception {
        server = KafkaServing.start(TestModels.storiesSized(), MAX_IN_FLIGHT, "json");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static boolean kcatInstalled() {
        try {
            return new ProcessBuilder("kcat", "-V").redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    static String run(String stdin, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kcat did not finish");
        return out;
    }

    @Test
    void kcatSubmitsJsonAndReadsTheTokensBack() throws Exception {
        Assumptions.assumeTrue(kcatInstalled(), "kcat is not installed (apt-get install kcat); skipping");
        String broker = server.bootstrapServers();
        Path model = TestModels.storiesSized();
        Tokenizer tokenizer = Tokenizers.fromGguf(model);
        String prompt = "ab cd e fg";
        StreamingDecoder decoder = StreamingDecoder.continuing(tokenizer);
        StringBuilder solo = new StringBuilder();
        for (int id : SoloRuns.greedy(model, new int[][] {tokenizer.encode(prompt, true, true)}, new int[] {20}, 512)[0]) {
            solo.append(decoder.accept(id));
        }
        String expected = solo.append(decoder.flush()).toString();
        String request = "{\"request_id\":\"kcat-1\",\"prompt\":\"" + prompt + "\",\"max_tokens\":20,\"temperature\":0}";
        run(request + "\n", "kcat", "-P", "-b", broker, "-t", server.kafka().requestsTopic(), "-k", "kcat-1");
        String finish = null;
        StringBuilder text = new StringBuilder();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (finish == null && System.nanoTime() < deadline) {
            String all = run(null, "kcat", "-C", "-b", broker, "-t", server.kafka().responsesTopic(), "-e", "-q",
                    "-f", "%k\t%s\n");
            text.setLength(0);
            for (String line : all.split("\n")) {
                if (!line.startsWith("kcat-1\t")) {
                    continue;
                }
                Map<?, ?> event = new com.fasterxml.jackson.databind.ObjectMapper().readValue(
                        line.substring("kcat-1\t".length()), Map.class);
                if ("TOKEN".equals(event.get("type"))) {
                    text.append(((Map<?, ?>) event.get("token")).get("text"));
                } else if ("FINISH".equals(event.get("type"))) {
                    finish = line;
                }
            }
            Thread.sleep(200);
        }
        assertTrue(finish != null && finish.contains("\"finish_reason\":\"LENGTH\""), String.valueOf(finish));
        // The 20 tokens of a single process, as text.
        assertEquals(expected, text.toString());
    }

    @Test
    void aFullGatewayPausesItsPartitionsAndCatchesUp() throws Exception {
        int n = 12;
        Set<String> ids = new HashSet<>();
        AtomicBoolean sawPause = new AtomicBoolean();
        AtomicBoolean watching = new AtomicBoolean(true);
        int[] mostInFlight = {0};
        Thread watcher = new Thread(() -> {
            while (watching.get()) {
                sawPause.compareAndSet(false, server.gateway().paused());
                mostInFlight[0] = Math.max(mostInFlight[0], server.gateway().inFlight());
                Thread.onSpinWait();
            }
        });
        watcher.start();
        try (ResponseStream stream = KafkaServing.responses(server);
             RequestProducer producer = KafkaServing.producer(server, WireFormat.JSON)) {
            for (int i = 0; i < n; i++) {
                producer.send(KafkaServing.greedy("bp" + i, "ab cd e fg", 40));
                ids.add("bp" + i);
            }
            Map<String, List<ResponseEvent>> events = KafkaServing.collect(stream, ids, Duration.ofSeconds(120));
            for (String id : ids) {
                assertEquals(EventType.FINISH, events.get(id).getLast().getType());
                assertEquals(40, KafkaServing.tokenIds(events.get(id)).length);
            }
        } finally {
            watching.set(false);
            watcher.join();
        }
        assertTrue(sawPause.get(), "the gateway paused its partitions at the in-flight limit");
        assertTrue(mostInFlight[0] <= MAX_IN_FLIGHT + 1,
                "in flight never far beyond the limit (one poll's records): " + mostInFlight[0]);
    }
}
