package io.laminar.actors.gateway;

import io.laminar.app.kafka.EmbeddedKafka;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.ResponseCodec;
import io.laminar.schemas.codec.ResponseEvents;
import io.laminar.schemas.kafka.ResponseSerializer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A gateway that lost a requests partition (paused past its group session, say) and wakes up still
 * serving a request of it is fenced by Kafka: once another gateway owns the partition, the broker
 * refuses the earlier owner's writes for it, so no consumer, committed or not, ever sees them.
 */
class GatewayFencingTest {
    private static final String REQUESTS = "fence.requests";
    private static final String RESPONSES = "fence.responses";

    @Test
    void aGatewayThatLostItsPartitionCannotWriteForIt() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            Map<String, Object> client = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            try (Admin admin = Admin.create(client)) {
                admin.createTopics(List.of(new NewTopic(RESPONSES, 1, (short) 1),
                        new NewTopic("fence.dead-letter", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
            GatewaySettings settings = new GatewaySettings(REQUESTS, RESPONSES, "fence.dead-letter", "fence-group", 8,
                    client, client, DuplicateWindow.DEFAULT);
            TopicPartition p0 = new TopicPartition(REQUESTS, 0);
            try (ResponseWriter first = new ResponseWriter(settings, new ResponseSerializer());
                 ResponseWriter next = new ResponseWriter(settings, new ResponseSerializer())) {
                first.owned(List.of(p0));
                assertNull(write(first, p0, 0, "first"), "the owner's write is committed");

                next.owned(List.of(p0)); // the group gave the partition to another gateway
                Throwable refused = write(first, p0, 1, "first");
                assertInstanceOf(ProducerFencedException.class, refused, "the earlier owner's write is refused");
                assertNull(write(next, p0, 1, "next"), "the new owner writes");
            }
            assertEquals(List.of("0 first", "1 next"), tokensOn(kafka, "read_uncommitted"),
                    "even a consumer reading uncommitted events never sees the fenced write");
            assertEquals(List.of("0 first", "1 next"), tokensOn(kafka, "read_committed"));
        }
    }

    /** Writes token {@code index} whose text names the writer; its failure, null once committed. */
    private static Throwable write(ResponseWriter writer, TopicPartition from, int index, String who) throws Exception {
        CompletableFuture<Throwable> done = new CompletableFuture<>();
        ResponseEvent token = ResponseEvents.token("r1", Map.of(), index, 7, who, null, System.currentTimeMillis());
        writer.respond(from, "r1".getBytes(StandardCharsets.UTF_8), token,
                (from + "@" + index).getBytes(StandardCharsets.UTF_8), "session", (s, e) -> done.complete(e));
        return done.get(30, TimeUnit.SECONDS);
    }

    private static List<String> tokensOn(EmbeddedKafka kafka, String isolation) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        ResponseCodec codec = new ResponseCodec();
        List<String> tokens = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(RESPONSES, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (consumer.position(tp) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    ResponseEvent e = codec.decode(r.value());
                    tokens.add(e.getToken().getTokenIndex() + " " + e.getToken().getText());
                }
            }
        }
        return tokens;
    }
}
