package io.laminar.app;

import io.laminar.actors.SoloRuns;
import io.laminar.app.client.RequestProducer;
import io.laminar.app.client.ResponseStream;
import io.laminar.app.kafka.EmbeddedKafka;
import io.laminar.app.kafka.KafkaSettings;
import io.laminar.app.kafka.TopicSetup;
import io.laminar.model.testing.TestModels;
import io.laminar.model.tokenizer.Tokenizer;
import io.laminar.model.tokenizer.Tokenizers;
import io.laminar.schemas.EventType;
import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.WireFormat;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The serving process stops in the middle of generating, killed (SIGKILL) or stopped (SIGTERM)
 * with no time to finish; a new one takes over its partitions, reads back what the first one
 * wrote, and resumes each request after its last token written. Every request completes with its
 * solo run's tokens, no (request id, token index) is written twice, and FINISH counts the time
 * from the request's first arrival. Stopped with time to finish, serve finishes what it runs
 * before it exits.
 */
class ServeRestartIT {
    @TempDir
    Path tmp;

    @Test
    void everyRequestCompletesAfterTheServerIsKilledMidGeneration() throws Exception {
        stopMidGeneration(Process::destroyForcibly, "20", true);
    }

    @Test
    void aStopWithNoTimeToFinishHandsEveryRequestOffWithoutRepeats() throws Exception {
        String log = stopMidGeneration(ServeRestartIT::sigterm, "0", true);
        assertTrue(log.contains("handed off"), log);
    }

    @Test
    void aStopWithTimeToFinishFinishesEveryRequestBeforeExiting() throws Exception {
        String log = stopMidGeneration(ServeRestartIT::sigterm, "300", false);
        assertTrue(log.contains("0 handed off"), log);
    }

    /** SIGTERM, leaving the output readable ({@link Process#destroy()} closes the streams too). */
    private static void sigterm(Process p) {
        p.toHandle().destroy();
    }

    /**
     * @param stop          how the first server is stopped once tokens flow
     * @param drainSeconds  its --drain-timeout
     * @param handsOff      whether requests are left for a second server to finish
     * @return the first server's output
     */
    private String stopMidGeneration(java.util.function.Consumer<Process> stop, String drainSeconds, boolean handsOff)
            throws Exception {
        Path model = TestModels.storiesSized();
        Tokenizer tokenizer = Tokenizers.fromGguf(model);
        String[] prompts = {"ab cd e fg", "hi a bc", "de fa", "g ha cb"};
        int length = 400;
        int[][] promptIds = new int[prompts.length][];
        int[] lengths = new int[prompts.length];
        for (int i = 0; i < prompts.length; i++) {
            promptIds[i] = tokenizer.encode(prompts[i], true, true);
            lengths[i] = length;
        }
        int[][] expected = SoloRuns.greedy(model, promptIds, lengths, 512);
        try (EmbeddedKafka broker = EmbeddedKafka.start()) {
            KafkaSettings kafka = KafkaSettings.defaults().withBootstrapServers(broker.bootstrapServers());
            TopicSetup.ensure(kafka);
            // A short session lets the group notice the killed member in seconds: Laminar's default,
            // written out so that the test keeps it whatever the defaults become.
            Path config = tmp.resolve("kafka.properties");
            Files.writeString(config, "consumer.session.timeout.ms=6000\nconsumer.heartbeat.interval.ms=1000\n");
            Path firstLog = tmp.resolve("first.log");
            Set<String> ids = new HashSet<>();
            Map<String, List<ResponseEvent>> events = new ConcurrentHashMap<>();
            // A committed reader, as docs/kafka.md tells a client that wants each event once: the
            // killed serve's open transaction is aborted, and its events are written again.
            Map<String, Object> committed = new HashMap<>(kafka.consumerConfig("unused"));
            committed.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            try (ResponseStream stream = new ResponseStream(committed, kafka.responsesTopic())) {
                Process first = serve(model, broker, config, firstLog, drainSeconds);
                try (RequestProducer producer = new RequestProducer(kafka.producerConfig(), kafka.requestsTopic(),
                        WireFormat.AVRO)) {
                    for (int i = 0; i < prompts.length; i++) {
                        producer.send(InferenceRequest.newBuilder().setRequestId("r" + i).setPrompt(prompts[i])
                                .setMaxTokens(length).setTemperature(0f).build());
                        ids.add("r" + i);
                    }
                }
                // Once tokens flow, stop the server.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (events.values().stream().mapToInt(List::size).sum() < 20 && System.nanoTime() < deadline) {
                    stream.follow(ids, Duration.ofMillis(20), e -> events.computeIfAbsent(e.getRequestId(),
                            k -> new ArrayList<>()).add(e));
                }
                int finishedBeforeStop = (int) events.values().stream()
                        .filter(l -> l.getLast().getType() == EventType.FINISH).count();
                assertTrue(finishedBeforeStop < prompts.length, "the stop must come mid-generation");
                stop.accept(first);
                assertTrue(first.waitFor(330, TimeUnit.SECONDS), "serve did not exit");
                if (!handsOff) {
                    Set<String> open = stream.follow(ids, Duration.ofSeconds(10), e ->
                            events.computeIfAbsent(e.getRequestId(), k -> new ArrayList<>()).add(e));
                    assertTrue(open.isEmpty(), "unfinished when serve exited: " + open + "\n" + Files.readString(firstLog));
                    assertEquals(0, stream.duplicates(), "events written twice");
                }
                if (handsOff) {
                    Process second = serve(model, broker, config, tmp.resolve("second.log"), "20");
                    try {
                        Set<String> open = stream.follow(ids, Duration.ofSeconds(180), e ->
                                events.computeIfAbsent(e.getRequestId(), k -> new ArrayList<>()).add(e));
                        assertTrue(open.isEmpty(), "unfinished after restart: " + open + "\n"
                                + Files.readString(tmp.resolve("second.log")));
                        assertEquals(0, stream.duplicates(), "events written twice");
                    } finally {
                        second.destroy();
                        second.waitFor(20, TimeUnit.SECONDS);
                    }
                }
            }
            for (int i = 0; i < prompts.length; i++) {
                List<ResponseEvent> ev = events.get("r" + i);
                assertEquals(EventType.FINISH, ev.getLast().getType());
                int[] tokens = ev.stream().filter(e -> e.getType() == EventType.TOKEN)
                        .mapToInt(e -> e.getToken().getTokenId()).toArray();
                assertArrayEquals(expected[i], tokens, "request r" + i);
                // A request resumed by the second server counts its time from its first arrival, so
                // at least from its first token, which the first server wrote.
                ResponseEvent finish = ev.getLast();
                long sinceFirstToken = finish.getTimestampMs() - ev.getFirst().getTimestampMs();
                assertTrue(finish.getFinish().getTimings().getTotalMs() >= sinceFirstToken,
                        "r" + i + ": total_ms " + finish.getFinish().getTimings().getTotalMs() + " but its first token came "
                                + sinceFirstToken + " ms before its FINISH");
            }
            return Files.readString(firstLog);
        }
    }

    private static Process serve(Path model, EmbeddedKafka broker, Path config, Path log, String drainSeconds)
            throws Exception {
        Path jar = Path.of(System.getProperty("laminar.jar", "target/laminar.jar"));
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-XX:MaxDirectMemorySize=1t", "-jar", jar.toString(), "serve", "-m", model.toString(),
                "--bootstrap-servers", broker.bootstrapServers(), "--kafka-config", config.toString(),
                "--threads", "1", "--group-id", "restart-test", "--drain-timeout", drainSeconds));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        // Wait for the ready line, copying the output to the log.
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
        StringBuilder seen = new StringBuilder();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        String line;
        while (System.nanoTime() < deadline && (line = out.readLine()) != null) {
            seen.append(line).append('\n');
            if (line.startsWith("laminar serve:")) {
                Files.writeString(log, seen);
                Thread drain = new Thread(() -> {
                    try (var w = Files.newBufferedWriter(log, java.nio.file.StandardOpenOption.APPEND)) {
                        out.transferTo(w);
                    } catch (java.io.IOException ignored) {
                        // The process ended.
                    }
                });
                drain.setDaemon(true);
                drain.start();
                return p;
            }
        }
        Files.writeString(log, seen);
        throw new AssertionError("serve did not become ready:\n" + seen);
    }
}
