package io.laminar.app.serve;

import io.laminar.app.client.RequestProducer;
import io.laminar.app.client.ResponseStream;
import io.laminar.model.testing.Bytes;
import io.laminar.model.testing.TestModels;
import io.laminar.schemas.ErrorCode;
import io.laminar.schemas.EventType;
import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.RequestCodec;
import io.laminar.schemas.codec.ResponseCodec;
import io.laminar.schemas.codec.WireFormat;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every kind of bad input gets an error event on the responses topic (keyed by its request id
 * when one can be read), its raw record on the dead-letter topic, and the next good request is
 * served; thousands of random and mutated records crash nothing and every offset gets committed.
 */
class KafkaBadInputTest {
    static LaminarServer server;
    static final ResponseCodec RESPONSES = new ResponseCodec();

    @BeforeAll
    static void start() throws Exception {
        server = KafkaServing.start(TestModels.storiesSized(), 64, "avro");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** An Avro single-object record whose schema fingerprint nobody knows. */
    static byte[] unknownFingerprint() {
        byte[] valid = new RequestCodec().encode(KafkaServing.greedy("u1", "hi", 4), WireFormat.AVRO);
        byte[] b = valid.clone();
        for (int i = 2; i < 10; i++) {
            b[i] ^= (byte) 0x5a;
        }
        return b;
    }

    /** An Avro record whose stop-string array claims two billion items. */
    static byte[] hugeArray() {
        InferenceRequest r = InferenceRequest.newBuilder(KafkaServing.greedy("h1", "hi", 4)).setStop(List.of("x")).build();
        byte[] withStop = new RequestCodec().encode(r, WireFormat.AVRO);
        // The stop array's count (zig-zag varint 2 = one item) precedes "x": make it 2^31 items.
        int at = Bytes.indexOf(withStop, new byte[] {2, 2, 'x'}, 10); // past the single-object header
        if (at < 0) {
            throw new IllegalStateException("pattern not found");
        }
        byte[] out = new byte[withStop.length + 4];
        System.arraycopy(withStop, 0, out, 0, at);
        byte[] count = {(byte) 0xfe, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f}; // zig-zag 2^31 - 1
        System.arraycopy(count, 0, out, at, count.length);
        System.arraycopy(withStop, at + 1, out, at + count.length, withStop.length - at - 1);
        return out;
    }

    static Stream<Arguments> badInputs() {
        return Stream.of(
                Arguments.of("undecodable", "k-undecodable", json("garbage{"), ErrorCode.UNDECODABLE, "k-undecodable"),
                Arguments.of("unknown schema", "k-unknown", unknownFingerprint(), ErrorCode.UNKNOWN_SCHEMA, "u1"),
                Arguments.of("missing prompt", "k-missing", json("{\"request_id\":\"m1\",\"max_tokens\":4}"),
                        ErrorCode.EMPTY_PROMPT, "m1"),
                Arguments.of("empty prompt", "k-empty", json("{\"request_id\":\"e1\",\"prompt\":\"\"}"),
                        ErrorCode.EMPTY_PROMPT, "e1"),
                Arguments.of("impossible sampling", "k-sampling",
                        json("{\"request_id\":\"s1\",\"prompt\":\"hi\",\"temperature\":-1}"), ErrorCode.INVALID_SAMPLING,
                        "s1"),
                Arguments.of("prompt longer than the context", "k-long",
                        json("{\"request_id\":\"l1\",\"prompt\":\"" + "ab cd e fg ".repeat(200) + "\"}"),
                        ErrorCode.PROMPT_TOO_LONG, "l1"),
                Arguments.of("two billion items", "k-huge", hugeArray(), ErrorCode.UNDECODABLE, "h1"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void badInputIsAnsweredDeadLetteredAndTheNextRequestIsServed(String name, String key, byte[] value,
                                                                  ErrorCode code, String eventKey) throws Exception {
        try (TopicTail responses = new TopicTail(server, server.kafka().responsesTopic());
             TopicTail deadLetters = new TopicTail(server, server.kafka().deadLetterTopic());
             KafkaProducer<byte[], byte[]> raw = KafkaServing.rawProducer(server)) {
            KafkaServing.sendRaw(raw, server, key, value);
            ConsumerRecord<byte[], byte[]> error = responses.await(r -> RESPONSES.decode(r.value()).getType()
                    == EventType.ERROR && eventKey.equals(keyOf(r)), Duration.ofSeconds(30));
            assertNotNull(error, name + ": no error event keyed " + eventKey);
            ResponseEvent e = RESPONSES.decode(error.value());
            assertEquals(code, e.getError().getCode(), e.getError().getMessage());
            // Keyed by the record's key only when no id could be read; the key is not taken for one.
            assertEquals(eventKey.equals(key) ? null : eventKey, e.getRequestId(), name);
            ConsumerRecord<byte[], byte[]> dead = deadLetters.await(r -> key.equals(keyOf(r)), Duration.ofSeconds(30));
            assertNotNull(dead, name + ": not dead-lettered");
            assertArrayEquals(value, dead.value(), "the raw record, unchanged");
            assertEquals(code.name(), new String(dead.headers().lastHeader("laminar.error.code").value()));

            try (ResponseStream stream = KafkaServing.responses(server);
                 RequestProducer producer = KafkaServing.producer(server, WireFormat.AVRO)) {
                producer.send(KafkaServing.greedy("after-" + key, "ab cd e fg", 5));
                List<ResponseEvent> ev = KafkaServing.collect(stream, Set.of("after-" + key), Duration.ofSeconds(30))
                        .get("after-" + key);
                assertEquals(EventType.FINISH, ev.getLast().getType());
                assertEquals(5, KafkaServing.tokenIds(ev).length);
            }
        }
    }

    @Test
    void thousandsOfRandomAndMutatedRecordsAreAllAnsweredAndCommitted() throws Exception {
        Random rnd = new Random(7);
        RequestCodec codec = new RequestCodec();
        byte[] avro = codec.encode(KafkaServing.greedy("seed", "ca t", 1), WireFormat.AVRO);
        byte[] jsonReq = codec.encode(KafkaServing.greedy("seed", "ca t", 1), WireFormat.JSON);
        int n = 2000;
        try (TopicTail responses = new TopicTail(server, server.kafka().responsesTopic());
             KafkaProducer<byte[], byte[]> raw = KafkaServing.rawProducer(server)) {
            for (int i = 0; i < n; i++) {
                byte[] v;
                switch (i % 4) {
                    case 0 -> {
                        v = new byte[rnd.nextInt(64)];
                        rnd.nextBytes(v);
                    }
                    case 1 -> v = mutate(avro, rnd);
                    case 2 -> v = mutate(jsonReq, rnd);
                    default -> v = Arrays.copyOf(avro, rnd.nextInt(avro.length));
                }
                raw.send(new org.apache.kafka.clients.producer.ProducerRecord<>(server.kafka().requestsTopic(),
                        ("f" + i).getBytes(), v));
            }
            raw.flush();
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            long finals = 0;
            while (finals < n && System.nanoTime() < deadline) {
                finals = responses.drain(Duration.ofMillis(500)).stream()
                        .map(r -> RESPONSES.decode(r.value()).getType())
                        .filter(t -> t == EventType.ERROR || t == EventType.FINISH).count();
            }
            assertEquals(n, finals, "every record gets exactly one final event");
        }
        // Offsets keep advancing: the gateway's group commits up to the end of every partition.
        try (Admin admin = Admin.create(adminConfig())) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            boolean caughtUp = false;
            while (!caughtUp && System.nanoTime() < deadline) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(
                        groupOf(admin)).partitionsToOffsetAndMetadata().get();
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                committed.keySet().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
                var ends = admin.listOffsets(latest).all().get();
                caughtUp = !committed.isEmpty() && committed.entrySet().stream()
                        .allMatch(e -> e.getValue().offset() == ends.get(e.getKey()).offset());
                Thread.sleep(200);
            }
            assertTrue(caughtUp, "committed offsets reach the end of the requests topic");
        }
    }

    static byte[] mutate(byte[] original, Random rnd) {
        byte[] b = original.clone();
        int flips = 1 + rnd.nextInt(4);
        for (int f = 0; f < flips; f++) {
            b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
        }
        return b;
    }

    static Map<String, Object> adminConfig() {
        Map<String, Object> c = new HashMap<>(server.kafka().adminConfig());
        c.keySet().removeIf(k -> k.startsWith("laminar."));
        return c;
    }

    static String groupOf(Admin admin) throws Exception {
        return admin.listConsumerGroups().all().get().stream()
                .map(g -> g.groupId()).filter(g -> g.startsWith("laminar-test-")).findFirst().orElseThrow();
    }

    static String keyOf(ConsumerRecord<byte[], byte[]> r) {
        return r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
    }
}
