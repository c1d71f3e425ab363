package io.laminar.app.serve;

import io.laminar.app.client.ResponseStream;
import io.laminar.schemas.ErrorCode;
import io.laminar.schemas.EventType;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.RequestCodec;
import io.laminar.schemas.codec.WireFormat;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A compressed request whose uncompressed value is over the producer's limit: the broker takes it,
 * the gateway refuses it, and its dead letter, too large to write whole, is written cut short with
 * headers saying so. The partition does not stop: the following requests are served and the
 * group's committed offset moves past the big record.
 */
class KafkaOversizedDeadLetterTest extends SyntheticServerPerClass {
    /** The value's uncompressed size: twice Kafka's default max.request.size and max.message.bytes. */
    static final int BIG_BYTES = 2 * 1024 * 1024;
    /** Kafka's default max.request.size, what the gateway's producer uses unless configured. */
    static final int KAFKA_DEFAULT_MAX_REQUEST_SIZE = 1024 * 1024;
    static final int PARTITION = 0;

    @Test
    void aDeadLetterOverTheProducersLimitIsCutAndThePartitionMovesOn() throws Exception {
        refusedBigRecordIsCutAndFollowersAreServed("big-1", null);
    }

    @Test
    void aDeadLetterOverTheTopicsLimitIsCutShorterUntilItFits() throws Exception {
        // A dead-letter topic that takes less than the producer sends: the broker refuses the first
        // cut, and the gateway tries shorter ones.
        int topicLimit = 100_000;
        ConfigResource deadLetters = new ConfigResource(ConfigResource.Type.TOPIC, server.kafka().deadLetterTopic());
        try (Admin admin = Admin.create(KafkaServing.clientConfig(server.kafka().adminConfig()))) {
            admin.incrementalAlterConfigs(Map.of(deadLetters, List.of(new AlterConfigOp(
                    new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(topicLimit)),
                    AlterConfigOp.OpType.SET)))).all().get();
            try {
                refusedBigRecordIsCutAndFollowersAreServed("big-2", topicLimit);
            } finally {
                admin.incrementalAlterConfigs(Map.of(deadLetters, List.of(new AlterConfigOp(
                        new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, ""), AlterConfigOp.OpType.DELETE))))
                        .all().get();
            }
        }
    }

    private void refusedBigRecordIsCutAndFollowersAreServed(String bigId, Integer deadLetterTopicLimit)
            throws Exception {
        String topic = server.kafka().requestsTopic();
        TopicPartition tp = new TopicPartition(topic, PARTITION);
        byte[] big = ("{\"request_id\":\"" + bigId + "\",\"prompt\":\""
                + "Once upon a time ".repeat(BIG_BYTES / 17 + 1) + "\"}").getBytes(StandardCharsets.UTF_8);

        try (Admin admin = Admin.create(KafkaServing.clientConfig(server.kafka().adminConfig()))) {
            // The premise: the broker takes the compressed record, but uncompressed it is over what the
            // gateway's producer may send and what the topics take.
            ConfigResource requests = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            int topicMax = Integer.parseInt(admin.describeConfigs(List.of(requests)).all().get().get(requests)
                    .get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG).value());
            Object configured = server.kafka().producerConfig().get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
            int producerMax = configured == null ? KAFKA_DEFAULT_MAX_REQUEST_SIZE : Integer.parseInt(configured.toString());
            assertTrue(big.length > producerMax, big.length + " bytes are over max.request.size=" + producerMax);
            assertTrue(big.length > topicMax, big.length + " bytes are over max.message.bytes=" + topicMax);
            assertTrue(gzip(big).length < topicMax / 10, "compressed, the record fits the topic easily");

            Map<String, Object> config = KafkaServing.clientConfig(server.kafka().producerConfig());
            config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "gzip");
            // The producer checks the uncompressed size against its own limit; the broker the compressed one.
            config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 * BIG_BYTES);
            config.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 8L * BIG_BYTES);
            List<String> followers = List.of(bigId + "-after-0", bigId + "-after-1", bigId + "-after-2");
            Set<String> ids = new HashSet<>(followers);
            ids.add(bigId);
            RequestCodec codec = new RequestCodec();
            try (ResponseStream stream = KafkaServing.responses(server);
                 TopicTail deadLetterTail = new TopicTail(server, server.kafka().deadLetterTopic());
                 KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config, new ByteArraySerializer(),
                         new ByteArraySerializer())) {
                RecordMetadata bigMeta = producer.send(new ProducerRecord<>(topic, PARTITION, bytes(bigId), big)).get();
                long lastOffset = bigMeta.offset();
                for (String id : followers) {
                    byte[] value = codec.encode(KafkaServing.greedy(id, "a b c", 4), WireFormat.JSON);
                    lastOffset = producer.send(new ProducerRecord<>(topic, PARTITION, bytes(id), value)).get().offset();
                }

                Map<String, List<ResponseEvent>> events = KafkaServing.collect(stream, ids, Duration.ofSeconds(60));
                List<ResponseEvent> refused = events.get(bigId);
                assertEquals(1, refused.size(), "one event for the big record: " + refused);
                assertEquals(EventType.ERROR, refused.getFirst().getType());
                assertEquals(ErrorCode.INVALID_REQUEST, refused.getFirst().getError().getCode(),
                        refused.getFirst().getError().getMessage());
                for (String id : followers) {
                    List<ResponseEvent> ev = events.get(id);
                    assertEquals(EventType.FINISH, ev.getLast().getType(), id + ": " + ev);
                    assertTrue(KafkaServing.tokenIds(ev).length >= 1, id + " generated tokens");
                }

                ConsumerRecord<byte[], byte[]> dead = deadLetterTail.await(r -> bigId.equals(text(r.key())),
                        Duration.ofSeconds(30));
                assertNotNull(dead, "the big record is dead-lettered");
                assertEquals("true", header(dead, "laminar.truncated"));
                assertEquals(Integer.toString(big.length), header(dead, "laminar.original.size"));
                assertEquals(topic + "-" + PARTITION + "@" + bigMeta.offset(), header(dead, "laminar.source"));
                assertEquals(ErrorCode.INVALID_REQUEST.name(), header(dead, "laminar.error.code"));
                int cut = dead.value().length;
                int limit = deadLetterTopicLimit != null ? deadLetterTopicLimit : producerMax;
                assertTrue(cut > 0 && cut < limit, "cut to " + cut + " bytes, under " + limit);
                assertArrayEquals(Arrays.copyOf(big, cut), dead.value(), "the start of the original value");

                // The partition's committed offset moves past the big record, to the end.
                String group = admin.listConsumerGroups().all().get().stream().map(g -> g.groupId())
                        .filter(g -> g.startsWith("laminar-test-")).findFirst().orElseThrow();
                long committed = -1;
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (committed <= lastOffset && System.nanoTime() < deadline) {
                    OffsetAndMetadata o = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()
                            .get(tp);
                    committed = o == null ? -1 : o.offset();
                    Thread.sleep(100);
                }
                assertEquals(lastOffset + 1, committed, "committed offset of " + tp + " (big record at "
                        + bigMeta.offset() + ")");
            }
        }
    }

    static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(b);
        }
        return out.toByteArray();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : text(h.value());
    }
}
