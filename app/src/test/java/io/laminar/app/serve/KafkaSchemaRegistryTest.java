package io.laminar.app.serve;

import io.laminar.app.client.RequestProducer;
import io.laminar.app.client.ResponseStream;
import io.laminar.app.kafka.KafkaSettings;
import io.laminar.schemas.ErrorCode;
import io.laminar.schemas.EventType;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.RequestCodec;
import io.laminar.schemas.codec.ResponseCodec;
import io.laminar.schemas.codec.SchemasConfig;
import io.laminar.schemas.codec.WireFormat;
import io.laminar.schemas.testing.FakeSchemaRegistry;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code serve} with a schema registry: it registers its schemas at start-up, reads requests in
 * Confluent's wire format and in single-object encoding side by side, writes every event in
 * Confluent's wire format, dead-letters a record whose schema id the registry lacks without
 * holding its partition, and does not start against a registry it cannot reach.
 */
class KafkaSchemaRegistryTest {
    @TempDir
    static Path models;
    static FakeSchemaRegistry registry;
    static LaminarServer server;
    static ResponseCodec responses;

    @BeforeAll
    static void start() throws Exception {
        registry = FakeSchemaRegistry.start();
        server = KafkaServing.startSynthetic(models, 16,
                KafkaSettings.defaults().with(SchemasConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url()));
        responses = new ResponseCodec(new SchemasConfig(Map.of(SchemasConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url())));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    static int responseSchemaId() {
        List<Integer> ids = registry.versions(server.kafka().responsesTopic() + "-value");
        assertEquals(1, ids.size(), "the response schema is registered at start-up");
        return ids.getFirst();
    }

    @Test
    void bothSchemasAreRegisteredAtStartUp() {
        assertEquals(List.of("POST /subjects/" + server.kafka().requestsTopic() + "-value/versions",
                "POST /subjects/" + server.kafka().responsesTopic() + "-value/versions"), registry.calls().subList(0, 2),
                "the gateway's first calls, before it read any record");
        assertTrue(registry.versions(server.kafka().requestsTopic() + "-value").size() >= 1);
        responseSchemaId();
    }

    @Test
    void confluentAndSingleObjectRequestsAreServedAlikeWithAnswersInConfluentsFormat() throws Exception {
        int responseId = responseSchemaId();
        try (TopicTail raw = new TopicTail(server, server.kafka().responsesTopic());
             ResponseStream stream = KafkaServing.responses(server);
             RequestProducer confluent = KafkaServing.producer(server, WireFormat.AVRO);
             RequestProducer singleObject = new RequestProducer(KafkaServing.clientConfig(server.kafka().producerConfig()),
                     server.kafka().requestsTopic(), WireFormat.AVRO)) {
            confluent.send(KafkaServing.greedy("reg-confluent", "ab cd e fg", 6));
            singleObject.send(KafkaServing.greedy("reg-single", "ab cd e fg", 6));
            Map<String, List<ResponseEvent>> byId = KafkaServing.collect(stream, Set.of("reg-confluent", "reg-single"),
                    Duration.ofSeconds(60));
            List<ResponseEvent> a = byId.get("reg-confluent");
            List<ResponseEvent> b = byId.get("reg-single");
            assertEquals(EventType.FINISH, a.getLast().getType(), a.getLast().toString());
            assertEquals(6, KafkaServing.tokenIds(a).length);
            assertArrayEquals(KafkaServing.tokenIds(b), KafkaServing.tokenIds(a), "the framing changes nothing served");

            // Every event of both requests went out in Confluent's wire format under the registered id.
            List<ConsumerRecord<byte[], byte[]>> records = raw.drain(Duration.ofMillis(500));
            long ours = records.stream().filter(r -> r.key() != null && new String(r.key(), StandardCharsets.UTF_8)
                    .startsWith("reg-")).peek(r -> {
                        assertEquals(0, r.value()[0], "magic byte");
                        assertEquals(responseId, ByteBuffer.wrap(r.value(), 1, 4).getInt(), "schema id");
                    }).count();
            assertEquals(a.size() + b.size(), ours);
        }
        // The client's requests were framed with the request schema's id, registered under the subject.
        assertTrue(registry.calls().contains("POST /subjects/" + server.kafka().requestsTopic() + "-value/versions"));
    }

    @Test
    void anUnknownSchemaIdIsAnsweredAndDeadLetteredAndThePartitionKeepsFlowing() throws Exception {
        byte[] body = new RequestCodec().encode(KafkaServing.greedy("reg-unknown", "hi", 3), WireFormat.AVRO);
        byte[] value = ByteBuffer.allocate(5 + body.length - 10).put((byte) 0).putInt(987_654)
                .put(Arrays.copyOfRange(body, 10, body.length)).array();
        try (TopicTail events = new TopicTail(server, server.kafka().responsesTopic());
             TopicTail deadLetters = new TopicTail(server, server.kafka().deadLetterTopic());
             KafkaProducer<byte[], byte[]> raw = KafkaServing.rawProducer(server)) {
            KafkaServing.sendRaw(raw, server, "k-reg-unknown", value);
            ConsumerRecord<byte[], byte[]> error = events.await(r -> r.key() != null
                    && "reg-unknown".equals(new String(r.key(), StandardCharsets.UTF_8)), Duration.ofSeconds(30));
            assertNotNull(error, "an error event keyed by the request id read from the body");
            ResponseEvent e = responses.decode(error.value());
            assertEquals(ErrorCode.UNKNOWN_SCHEMA, e.getError().getCode());
            assertTrue(e.getError().getMessage().contains("987654"), e.getError().getMessage());
            ConsumerRecord<byte[], byte[]> dead = deadLetters.await(r -> r.key() != null
                    && "k-reg-unknown".equals(new String(r.key(), StandardCharsets.UTF_8)), Duration.ofSeconds(30));
            assertNotNull(dead, "dead-lettered");
            assertArrayEquals(value, dead.value());
            assertEquals("UNKNOWN_SCHEMA", new String(dead.headers().lastHeader("laminar.error.code").value(),
                    StandardCharsets.UTF_8));
        }
        try (ResponseStream stream = KafkaServing.responses(server);
             RequestProducer producer = KafkaServing.producer(server, WireFormat.AVRO)) {
            producer.send(KafkaServing.greedy("reg-after", "ab cd e fg", 4));
            List<ResponseEvent> ev = KafkaServing.collect(stream, Set.of("reg-after"), Duration.ofSeconds(30)).get("reg-after");
            assertEquals(EventType.FINISH, ev.getLast().getType());
        }
    }

    /**
     * Confluent's own Python client (confluent-kafka's Avro serde and registry client, Debian's
     * python3-confluent-kafka and python3-avro) registers the request schema from the .avsc file,
     * sends a request and decodes Laminar's events with the schema the registry has under their id.
     */
    @Test
    void confluentsPythonClientIsServedAndReadsTheAnswers() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        assumeTrue(Files.isExecutable(python) && run(List.of(python.toString(), "-c",
                "import confluent_kafka.avro, avro"), Duration.ofSeconds(30)).exit() == 0,
                "python3-confluent-kafka and python3-avro are not installed (apt-get install -y python3-confluent-kafka"
                        + " python3-avro python3-requests); skipping the cross-check with Confluent's Python client");
        Path script = Path.of(KafkaSchemaRegistryTest.class.getResource("/registry/confluent_avro_client.py").toURI());
        Path schemaFile = Path.of("../schemas/src/main/avro/InferenceRequest.avsc").toAbsolutePath();
        Result result = run(List.of(python.toString(), script.toString(), server.bootstrapServers(), registry.url(),
                server.kafka().requestsTopic(), server.kafka().responsesTopic(), schemaFile.toString(), "reg-python",
                "ab cd e fg", "5"), Duration.ofSeconds(120));
        assertEquals(0, result.exit(), "the Python client failed:\n" + result.output());

        ObjectMapper json = new ObjectMapper();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : result.output().lines().filter(l -> l.startsWith("{")).toList()) {
            lines.add(json.readTree(line));
        }
        JsonNode last = lines.getLast().get("event");
        assertEquals("FINISH", last.get("type").asText(), result.output());
        assertEquals("confluent-kafka-python", last.get("metadata").get("client").asText(), "metadata echoed");
        int responseId = responseSchemaId();
        List<Integer> pythonTokens = new ArrayList<>();
        StringBuilder pythonText = new StringBuilder();
        for (JsonNode line : lines) {
            assertEquals(0, line.get("first_byte").asInt());
            assertEquals(responseId, line.get("schema_id").asInt());
            JsonNode token = line.get("event").get("token");
            if (token != null && !token.isNull()) {
                pythonTokens.add(token.get("token_id").asInt());
                pythonText.append(token.get("text").asText());
            }
        }
        assertEquals(5, pythonTokens.size());

        // The same request from Laminar's own client: the same tokens, read the same way.
        try (ResponseStream stream = KafkaServing.responses(server);
             RequestProducer producer = KafkaServing.producer(server, WireFormat.AVRO)) {
            producer.send(io.laminar.schemas.InferenceRequest.newBuilder(KafkaServing.greedy("reg-java", "ab cd e fg", 5))
                    .setSeed(1L).build());
            List<ResponseEvent> ev = KafkaServing.collect(stream, Set.of("reg-java"), Duration.ofSeconds(30)).get("reg-java");
            assertEquals(Arrays.stream(KafkaServing.tokenIds(ev)).boxed().toList(), pythonTokens);
            assertEquals(KafkaServing.text(ev), pythonText.toString());
        }
        // The Python client registered the schema as its .avsc reads: a version of its own, which the
        // gateway fetched by id to read the request.
        String subject = server.kafka().requestsTopic() + "-value";
        assertTrue(registry.versions(subject).size() >= 2, registry.versions(subject).toString());
        int pythonId = registry.versions(subject).getLast();
        assertTrue(registry.calls().contains("GET /schemas/ids/" + pythonId), registry.calls().toString());
    }

    record Result(int exit, String output) {
    }

    static Result run(List<String> command, Duration timeout) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                return e.toString();
            }
        });
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, "timed out after " + timeout + "\n" + output.getNow(""));
        }
        return new Result(p.exitValue(), output.get(10, TimeUnit.SECONDS));
    }

    @Test
    void aRegistryThatCannotBeReachedStopsStartUpWithAClearError() throws Exception {
        String gone;
        try (FakeSchemaRegistry closed = FakeSchemaRegistry.start()) {
            gone = closed.url();
        }
        KafkaSettings settings = KafkaSettings.defaults()
                .withBootstrapServers(server.bootstrapServers())
                .with(SchemasConfig.SCHEMA_REGISTRY_URL_CONFIG, gone)
                .with(SchemasConfig.SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS_CONFIG, "2000");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> KafkaServing.startSynthetic(models, 4, settings).close());
        assertTrue(e.getMessage().contains("schema registry " + gone) && e.getMessage().contains("could not be reached"),
                e.getMessage());
    }
}
