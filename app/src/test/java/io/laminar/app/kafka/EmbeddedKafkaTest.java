package io.laminar.app.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Brokers of their own: a given port, a kept log directory across a restart, cleanup on close. */
class EmbeddedKafkaTest {

    @Test
    void startsOnTheGivenPortAndDeletesItsTemporaryLogDir() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        Path logDir;
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().port(port).start()) {
            logDir = kafka.logDir();
            assertEquals(EmbeddedKafka.HOST + ":" + port, kafka.bootstrapServers());
            assertTrue(Files.exists(logDir.resolve("meta.properties")), "formatted log dir");
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
                Collection<Node> nodes = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS);
                assertEquals(1, nodes.size());
                Node node = nodes.iterator().next();
                assertEquals(EmbeddedKafka.NODE_ID, node.id());
                assertEquals(EmbeddedKafka.HOST, node.host());
                assertEquals(port, node.port());
            }
            kafka.close();
            kafka.close(); // idempotent
        }
        assertFalse(Files.exists(logDir), "temporary log dir deleted on close");
    }

    @Test
    void aTakenPortFailsClearly() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName(EmbeddedKafka.HOST))) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> EmbeddedKafka.builder().port(taken.getLocalPort()).start());
            assertTrue(e.getMessage().contains("did not start"), e.getMessage());
        }
    }

    @Test
    void aRestartOnAKeptLogDirKeepsTopicsAndRecords(@TempDir Path dir) throws Exception {
        Path logDir = dir.resolve("kafka");
        String topic = "kept";
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().logDir(logDir).start()) {
            KafkaSettings settings = KafkaSettings.defaults().withBootstrapServers(kafka.bootstrapServers());
            try (Admin admin = Admin.create(settings.adminConfig())) {
                TopicSetup.ensure(admin, List.of(new TopicSetup.Topic(topic, 1, (short) 1)), Duration.ofSeconds(20));
            }
            try (var producer = new KafkaProducer<>(settings.producerConfig(), new StringSerializer(), new StringSerializer())) {
                for (int i = 0; i < 3; i++) {
                    producer.send(new ProducerRecord<>(topic, "k" + i, "before restart " + i)).get(10, TimeUnit.SECONDS);
                }
            }
        }
        assertTrue(Files.exists(logDir.resolve("meta.properties")), "a given log dir is kept");

        try (EmbeddedKafka kafka = EmbeddedKafka.builder().logDir(logDir).start()) {
            KafkaSettings settings = KafkaSettings.defaults().withBootstrapServers(kafka.bootstrapServers());
            try (Admin admin = Admin.create(settings.adminConfig())) {
                TopicSetup.Result again = TopicSetup.ensure(admin, List.of(new TopicSetup.Topic(topic, 1, (short) 1)),
                        Duration.ofSeconds(20));
                assertEquals(List.of(topic), again.existing());
            }
            List<String> values = TopicRecords.first(settings, "restart-test", topic, 3, Duration.ofSeconds(20),
                    ConsumerRecord::value);
            assertEquals(List.of("before restart 0", "before restart 1", "before restart 2"), values);
        }
    }
}
