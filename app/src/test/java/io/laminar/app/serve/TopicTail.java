package io.laminar.app.serve;

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
import java.util.function.Predicate;

/** Test helper: raw records of a topic from its end at creation on. */
final class TopicTail implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<ConsumerRecord<byte[], byte[]>> seen = new ArrayList<>();

    TopicTail(LaminarServer s, String topic) {
        Map<String, Object> config = new HashMap<>(s.kafka().consumerConfig("unused"));
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.keySet().removeIf(k -> k.startsWith("laminar."));
        consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> parts = new ArrayList<>();
        for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
            parts.add(new TopicPartition(topic, p.partition()));
        }
        consumer.assign(parts);
        consumer.seekToEnd(parts);
        parts.forEach(tp -> consumer.position(tp, Duration.ofSeconds(30)));
    }

    /** Polls until a record matching {@code wanted} arrived (returned) or the timeout passes (null). */
    ConsumerRecord<byte[], byte[]> await(Predicate<ConsumerRecord<byte[], byte[]>> wanted, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (ConsumerRecord<byte[], byte[]> r : seen) {
            if (wanted.test(r)) {
                return r;
            }
        }
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                seen.add(r);
                if (wanted.test(r)) {
                    return r;
                }
            }
        }
        return null;
    }

    /** Polls for {@code duration} and returns every record seen so far. */
    List<ConsumerRecord<byte[], byte[]>> drain(Duration duration) {
        long deadline = System.nanoTime() + duration.toNanos();
        while (System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(50)).forEach(seen::add);
        }
        return seen;
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
