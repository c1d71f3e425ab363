package io.laminar.app.serve;

import io.laminar.app.client.RequestProducer;
import io.laminar.app.client.ResponseStream;
import io.laminar.schemas.ErrorCode;
import io.laminar.schemas.EventType;
import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.ResponseCodec;
import io.laminar.schemas.codec.ResponseEvents;
import io.laminar.schemas.codec.WireFormat;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A request id names one stream of events: a record repeating the id of a request being served,
 * or served recently, is refused with DUPLICATE_REQUEST (and dead-lettered), and the original's
 * stream goes on untouched.
 */
class KafkaDuplicateRequestTest extends SyntheticServerPerClass {
    static final ResponseCodec RESPONSES = new ResponseCodec();

    /** Sampled (the default temperature) without a seed: served twice, the streams would differ. */
    static InferenceRequest sampled(String id, int maxTokens) {
        return InferenceRequest.newBuilder().setRequestId(id).setPrompt("a b c").setMaxTokens(maxTokens).build();
    }

    @Test
    void anIdSentThreeTimesWhileServedGivesOneStreamAndTwoRefusals() throws Exception {
        String id = "dup-running";
        try (TopicTail responses = new TopicTail(server, server.kafka().responsesTopic());
             TopicTail deadLetters = new TopicTail(server, server.kafka().deadLetterTopic());
             RequestProducer producer = batchingProducer()) {
            producer.sendAll(List.of(sampled(id, 200), sampled(id, 200), sampled(id, 200)));

            List<ResponseEvent> events = eventsOf(responses, id, 1, 2, Duration.ofSeconds(60));
            List<ResponseEvent> errors = events.stream().filter(e -> e.getType() == EventType.ERROR).toList();
            List<ResponseEvent> finishes = events.stream().filter(e -> e.getType() == EventType.FINISH).toList();
            assertEquals(1, finishes.size(), "one FINISH: " + finishes);
            assertEquals(2, errors.size(), "two refusals: " + errors);
            for (ResponseEvent e : errors) {
                assertEquals(ErrorCode.DUPLICATE_REQUEST, e.getError().getCode(), e.getError().getMessage());
                assertEquals(id, e.getRequestId());
                assertTrue(e.getError().getMessage().contains("is being served")
                        && e.getError().getMessage().contains("unaffected"), e.getError().getMessage());
                // The three records came in one poll: refused while the first was running.
                assertTrue(events.indexOf(e) < events.indexOf(finishes.getFirst()), "refused before the FINISH");
            }
            int[] indexes = events.stream().filter(e -> e.getType() == EventType.TOKEN)
                    .mapToInt(e -> e.getToken().getTokenIndex()).toArray();
            for (int i = 0; i < indexes.length; i++) {
                assertEquals(i, indexes[i], "token indexes contiguous from 0, each once");
            }
            assertEquals(indexes.length, finishes.getFirst().getFinish().getUsage().getGeneratedTokens());
            assertTrue(indexes.length > 0);

            List<ConsumerRecord<byte[], byte[]>> dead = keyed(deadLetters, id, 2, Duration.ofSeconds(30));
            assertEquals(2, dead.size(), "both repeats dead-lettered");
            for (ConsumerRecord<byte[], byte[]> d : dead) {
                assertEquals(ErrorCode.DUPLICATE_REQUEST.name(), text(d.headers().lastHeader("laminar.error.code").value()));
            }
        }
        freshIdIsServed("fresh-after-running");
    }

    @Test
    void anIdServedRecentlyIsRefusedToo() throws Exception {
        String id = "dup-finished";
        try (ResponseStream stream = KafkaServing.responses(server);
             RequestProducer producer = KafkaServing.producer(server, WireFormat.AVRO)) {
            producer.send(sampled(id, 4));
            List<ResponseEvent> first = KafkaServing.collect(stream, Set.of(id), Duration.ofSeconds(30)).get(id);
            assertEquals(EventType.FINISH, first.getLast().getType());
        }
        try (TopicTail responses = new TopicTail(server, server.kafka().responsesTopic());
             RequestProducer producer = KafkaServing.producer(server, WireFormat.JSON)) {
            producer.send(sampled(id, 4));
            ConsumerRecord<byte[], byte[]> refused = responses.await(r -> id.equals(text(r.key()))
                    && RESPONSES.decode(r.value()).getType() == EventType.ERROR, Duration.ofSeconds(30));
            assertNotNull(refused, "the repeat is answered");
            ResponseEvent e = RESPONSES.decode(refused.value());
            assertEquals(ErrorCode.DUPLICATE_REQUEST, e.getError().getCode());
            assertTrue(e.getError().getMessage().contains("was served"), e.getError().getMessage());
            assertTrue(ResponseEvents.refusesRepeat(e));
            List<ConsumerRecord<byte[], byte[]>> all = responses.drain(Duration.ofSeconds(1));
            assertEquals(1, all.stream().filter(r -> id.equals(text(r.key()))).count(),
                    "nothing but the refusal: the repeat is not served");
        }
        freshIdIsServed("fresh-after-finished");
    }

    private static void freshIdIsServed(String id) throws Exception {
        try (ResponseStream stream = KafkaServing.responses(server);
             RequestProducer producer = KafkaServing.producer(server, WireFormat.AVRO)) {
            producer.send(sampled(id, 6));
            List<ResponseEvent> ev = KafkaServing.collect(stream, Set.of(id), Duration.ofSeconds(30)).get(id);
            assertEquals(EventType.FINISH, ev.getLast().getType(), ev.toString());
            int[] tokens = KafkaServing.tokenIds(ev);
            assertEquals(ev.getLast().getFinish().getUsage().getGeneratedTokens(), tokens.length);
            assertTrue(tokens.length > 0);
        }
    }

    /** A producer that gathers what it is given into one batch, so the gateway reads it in one poll. */
    private static RequestProducer batchingProducer() {
        Map<String, Object> config = KafkaServing.clientConfig(server.kafka().producerConfig());
        config.put(ProducerConfig.LINGER_MS_CONFIG, 200);
        return new RequestProducer(config, server.kafka().requestsTopic(), WireFormat.AVRO);
    }

    /** The raw events keyed {@code id}, in topic order, once {@code finals} FINISH and {@code refusals} ERROR events came. */
    private static List<ResponseEvent> eventsOf(TopicTail tail, String id, int finals, int refusals, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<ResponseEvent> events = List.of();
        while (System.nanoTime() < deadline) {
            events = decoded(tail.drain(Duration.ofMillis(200)), id);
            long f = events.stream().filter(e -> e.getType() == EventType.FINISH).count();
            long x = events.stream().filter(e -> e.getType() == EventType.ERROR).count();
            if (f >= finals && x >= refusals) {
                // A little longer, so that an event too many would show.
                return decoded(tail.drain(Duration.ofMillis(500)), id);
            }
        }
        throw new AssertionError("no " + finals + " FINISH and " + refusals + " ERROR events for " + id + " within "
                + timeout + ": " + events);
    }

    private static List<ResponseEvent> decoded(List<ConsumerRecord<byte[], byte[]>> records, String id) {
        return records.stream().filter(r -> id.equals(text(r.key()))).map(r -> RESPONSES.decode(r.value())).toList();
    }

    /** The records keyed {@code key} once there are {@code count}, or all there are at the timeout (and a little after). */
    private static List<ConsumerRecord<byte[], byte[]>> keyed(TopicTail tail, String key, int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline
                && tail.drain(Duration.ofMillis(200)).stream().filter(r -> key.equals(text(r.key()))).count() < count) {
            Thread.onSpinWait();
        }
        return tail.drain(Duration.ofMillis(500)).stream().filter(r -> key.equals(text(r.key()))).toList();
    }

    static String text(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }
}
