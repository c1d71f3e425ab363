package io.laminar.bench;

import io.laminar.app.kafka.KafkaSettings;
import io.laminar.schemas.EventType;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.ResponseCodec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The responses topic from its beginning, every partition, no consumer group: what ChaosClient
 * counts, repeats included, as a consumer that does not de-duplicate sees it. It reads committed
 * events only ({@code read_committed}), as docs/kafka.md tells a consumer that wants each token
 * once: an event of a gateway's aborted transaction (it crashed, or was fenced) is not written.
 */
final class ChaosResponses implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final ResponseCodec codec = new ResponseCodec();
    /** Requests whose FINISH or ERROR has been read, whichever request was being awaited then. */
    private final Map<String, EventType> ended = new HashMap<>();

    ChaosResponses(KafkaSettings kafka) {
        Map<String, Object> config = new HashMap<>(kafka.consumerConfig("unused"));
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.keySet().removeIf(k -> k.startsWith("laminar."));
        // Topics are serve's to create, with its partition counts: a client that created them
        // by asking first would get the broker's default of one partition.
        config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        Map<String, List<PartitionInfo>> topics = consumer.listTopics(Duration.ofSeconds(30));
        while (!(topics.containsKey(kafka.requestsTopic()) && topics.containsKey(kafka.responsesTopic()))) {
            if (System.nanoTime() > deadline) {
                consumer.close(Duration.ofSeconds(1));
                throw new IllegalStateException("no topics " + kafka.requestsTopic() + " and " + kafka.responsesTopic()
                        + " after 120 s: is serve running against this broker?");
            }
            sleep(500);
            topics = consumer.listTopics(Duration.ofSeconds(30));
        }
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo p : topics.get(kafka.responsesTopic())) {
            partitions.add(new TopicPartition(p.topic(), p.partition()));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    Iterable<ConsumerRecord<byte[], byte[]>> poll() {
        return consumer.poll(Duration.ofMillis(20));
    }

    ResponseEvent decode(ConsumerRecord<byte[], byte[]> r) {
        try {
            return codec.decode(r.value());
        } catch (RuntimeException undecodable) {
            return null;
        }
    }

    /** FINISH or ERROR of request {@code id}, or null at the deadline. */
    EventType awaitEnd(String id, long deadline) {
        while (!ended.containsKey(id) && System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : poll()) {
                ResponseEvent e = decode(r);
                if (e != null && e.getRequestId() != null
                        && (e.getType() == EventType.FINISH || e.getType() == EventType.ERROR)) {
                    ended.putIfAbsent(e.getRequestId(), e.getType());
                }
            }
        }
        return ended.get(id);
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
