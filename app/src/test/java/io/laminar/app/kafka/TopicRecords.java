package io.laminar.app.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Test helper: the records of a topic, read as strings by a consumer group of the test's own. */
final class TopicRecords {
    private TopicRecords() {
    }

    /**
     * Polls {@code topic} until {@code count} records arrived or {@code timeout} passed, and returns
     * each as {@code shown} writes it; fewer than {@code count} when time ran out.
     */
    static List<String> first(KafkaSettings settings, String group, String topic, int count, Duration timeout,
                              Function<ConsumerRecord<String, String>, String> shown) {
        List<String> seen = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(settings.consumerConfig(group), new StringDeserializer(),
                new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (seen.size() < count && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    seen.add(shown.apply(r));
                }
            }
        }
        return seen;
    }
}
