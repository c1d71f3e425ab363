package io.laminar.app;

import io.laminar.app.kafka.EmbeddedKafka;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code laminar broker}'s options reach the broker, and the broker carries a record end to end. */
class BrokerCommandTest {

    @Test
    void aBrokerOnTheGivenAddressCarriesARecord() throws Exception {
        BrokerCommand command = new BrokerCommand();
        new CommandLine(command).parseArgs("--host", "127.0.0.1", "--port", "0");
        try (EmbeddedKafka kafka = command.start()) {
            assertEquals("127.0.0.1", kafka.host());
            String bootstrap = kafka.bootstrapServers();
            assertEquals("127.0.0.1:" + kafka.port(), bootstrap);
            TopicPartition tp = new TopicPartition("broker-test", 0);
            try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                    new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>(tp.topic(), "k", "v")).get(30, TimeUnit.SECONDS);
            }
            try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                    new StringDeserializer(), new StringDeserializer())) {
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                List<ConsumerRecord<String, String>> got = new ArrayList<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (got.isEmpty() && System.nanoTime() < deadline) {
                    consumer.poll(Duration.ofMillis(200)).forEach(got::add);
                }
                assertEquals(1, got.size());
                assertEquals("k", got.get(0).key());
                assertEquals("v", got.get(0).value());
            }
        }
    }
}
