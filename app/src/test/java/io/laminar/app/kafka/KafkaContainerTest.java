package io.laminar.app.kafka;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The official Kafka image that deploy/docker-compose.yml runs (same tag), with the same topic
 * setup and client settings as against the embedded broker. Needs a Docker engine; skipped
 * without one.
 */
@Testcontainers(disabledWithoutDocker = true)
class KafkaContainerTest {

    @Container
    private static final KafkaContainer KAFKA = new KafkaContainer(DeployFiles.kafkaImage());

    @Test
    void topicSetupAndRoundTripOnTheOfficialImage() throws Exception {
        KafkaSettings settings = KafkaSettings.defaults().withBootstrapServers(KAFKA.getBootstrapServers());
        TopicSetup.Result result = TopicSetup.ensure(settings);
        assertEquals(List.of(settings.requestsTopic(), settings.responsesTopic(), settings.deadLetterTopic()),
                result.created());

        try (var producer = new KafkaProducer<>(settings.producerConfig(), new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(settings.requestsTopic(), "req-1", "{\"prompt\":\"Hello\"}"))
                    .get(30, TimeUnit.SECONDS);
        }
        List<String> seen = TopicRecords.first(settings, "container-test", settings.requestsTopic(), 1,
                Duration.ofSeconds(30), r -> r.key() + "=" + r.value());
        assertEquals(List.of("req-1={\"prompt\":\"Hello\"}"), seen);
    }
}
