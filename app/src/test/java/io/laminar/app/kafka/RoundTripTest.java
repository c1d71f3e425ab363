package io.laminar.app.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The clients as the gateway configures them, against the embedded broker. */
@ExtendWith(SharedKafka.class)
class RoundTripTest {

    @Test
    void idempotentProducerToGroupConsumerKeepsPerKeyOrder(EmbeddedKafka kafka) throws Exception {
        KafkaSettings settings = SharedKafka.topicsNamed("roundtrip", kafka, Map.of());
        TopicSetup.ensure(settings);
        String topic = settings.responsesTopic();

        Map<String, Object> producerConfig = settings.producerConfig();
        assertEquals("all", producerConfig.get(ProducerConfig.ACKS_CONFIG));
        assertEquals("true", producerConfig.get(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG));
        int requests = 5;
        int tokens = 20;
        try (var producer = new KafkaProducer<>(producerConfig, new StringSerializer(), new StringSerializer())) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int t = 0; t < tokens; t++) {
                for (int r = 0; r < requests; r++) {
                    sent.add(producer.send(new ProducerRecord<>(topic, "req-" + r, "token " + t)));
                }
            }
            for (Future<RecordMetadata> f : sent) {
                f.get(10, TimeUnit.SECONDS);
            }
        }

        Map<String, List<String>> byKey = new HashMap<>();
        int received = 0;
        try (var consumer = new KafkaConsumer<>(settings.consumerConfig("roundtrip"), new StringDeserializer(),
                new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (received < requests * tokens && System.nanoTime() < deadline) {
                Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    byKey.computeIfAbsent(record.key(), k -> new ArrayList<>()).add(record.value());
                    commits.put(new TopicPartition(record.topic(), record.partition()),
                            new OffsetAndMetadata(record.offset() + 1));
                    received++;
                }
                if (!commits.isEmpty()) {
                    consumer.commitSync(commits);
                }
            }
        }
        assertEquals(requests * tokens, received);
        List<String> expected = new ArrayList<>();
        for (int t = 0; t < tokens; t++) {
            expected.add("token " + t);
        }
        for (int r = 0; r < requests; r++) {
            assertEquals(expected, byKey.get("req-" + r), "events of req-" + r + " in order");
        }
    }
}
