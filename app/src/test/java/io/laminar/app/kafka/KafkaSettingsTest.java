package io.laminar.app.kafka;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KafkaSettingsTest {

    @Test
    void defaultsNeedNoFileAndNoBroker() {
        KafkaSettings s = KafkaSettings.defaults();
        assertEquals(Optional.empty(), s.bootstrapServers(), "none given: serve starts an embedded broker");
        assertEquals("laminar.requests", s.requestsTopic());
        assertEquals("laminar.responses", s.responsesTopic());
        assertEquals("laminar.dead-letter", s.deadLetterTopic());
        assertEquals(KafkaSettings.DEFAULT_TOPIC_PARTITIONS, s.topicPartitions());
        assertEquals(-1, s.topicReplicationFactor());
        assertEquals(Duration.ofMillis(KafkaSettings.DEFAULT_TOPIC_SETUP_TIMEOUT_MS), s.topicSetupTimeout());

        Map<String, Object> producer = s.producerConfig();
        assertEquals("all", producer.get(ProducerConfig.ACKS_CONFIG));
        assertEquals("true", producer.get(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG));
        Map<String, Object> consumer = s.consumerConfig("laminar-gateway");
        assertEquals("laminar-gateway", consumer.get(ConsumerConfig.GROUP_ID_CONFIG));
        assertEquals("false", consumer.get(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG));
        assertEquals("earliest", consumer.get(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG));
    }

    @Test
    void aFileSetsClientPropertiesAndLaminarKeys(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("kafka.properties");
        Files.writeString(file, """
                # a cluster with SASL over TLS
                bootstrap.servers = broker-1:9093,broker-2:9093
                security.protocol=SASL_SSL
                sasl.mechanism=PLAIN
                sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="secret";
                ssl.truststore.location=/etc/laminar/truststore.jks
                acks=1
                producer.linger.ms=0
                consumer.max.poll.records=50
                admin.request.timeout.ms=5000
                laminar.topic.requests=team.requests
                laminar.response.format=json
                laminar.topic.partitions=12
                laminar.topic.replication.factor=3
                """);
        KafkaSettings s = KafkaSettings.load(file);
        assertEquals(Optional.of("broker-1:9093,broker-2:9093"), s.bootstrapServers());
        assertEquals("team.requests", s.requestsTopic());
        assertEquals("laminar.responses", s.responsesTopic());
        assertEquals(12, s.topicPartitions());
        assertEquals(3, s.topicReplicationFactor());

        Map<String, Object> producer = s.producerConfig();
        assertEquals("SASL_SSL", producer.get("security.protocol"));
        assertEquals("/etc/laminar/truststore.jks", producer.get("ssl.truststore.location"));
        assertEquals("1", producer.get("acks"), "the file wins over Laminar's defaults");
        assertEquals("0", producer.get("linger.ms"));
        assertFalse(producer.containsKey("max.poll.records"));
        assertFalse(producer.containsKey("producer.linger.ms"));
        assertFalse(producer.keySet().stream().anyMatch(k -> k.startsWith(KafkaSettings.TOPIC_PREFIX)),
                "topic settings stay out of the clients");
        assertEquals("json", producer.get("laminar.response.format"), "serializer settings reach the clients");

        Map<String, Object> consumer = s.consumerConfig("g");
        assertEquals("50", consumer.get("max.poll.records"));
        assertEquals("SASL_SSL", consumer.get("security.protocol"));
        assertFalse(consumer.containsKey("linger.ms"));

        Map<String, Object> admin = s.adminConfig();
        assertEquals("5000", admin.get("request.timeout.ms"));
        assertEquals("broker-1:9093,broker-2:9093", admin.get("bootstrap.servers"));

        String shown = s.toString();
        assertFalse(shown.contains("secret"), shown);
        assertTrue(shown.contains("team.requests"), shown);
    }

    @Test
    void bootstrapServersFromTheCommandLineWin() {
        KafkaSettings s = KafkaSettings.of(Map.of("bootstrap.servers", "from-file:9092"))
                .withBootstrapServers("127.0.0.1:40000");
        assertEquals(Optional.of("127.0.0.1:40000"), s.bootstrapServers());
        assertEquals("127.0.0.1:40000", s.producerConfig().get("bootstrap.servers"));
        assertThrows(ConfigException.class, () -> s.withBootstrapServers(" "));
    }

    @Test
    void badLaminarKeysAreErrorsThatNameTheKey(@TempDir Path dir) throws Exception {
        ConfigException typo = assertThrows(ConfigException.class,
                () -> KafkaSettings.of(Map.of("laminar.topic.request", "x")));
        assertTrue(typo.getMessage().contains("laminar.topic.request"), typo.getMessage());
        assertTrue(typo.getMessage().contains(KafkaSettings.REQUESTS_TOPIC_CONFIG), "lists the known keys: " + typo.getMessage());

        ConfigException partitions = assertThrows(ConfigException.class,
                () -> KafkaSettings.of(Map.of(KafkaSettings.TOPIC_PARTITIONS_CONFIG, "0")));
        assertTrue(partitions.getMessage().contains(KafkaSettings.TOPIC_PARTITIONS_CONFIG), partitions.getMessage());
        assertThrows(ConfigException.class, () -> KafkaSettings.of(Map.of(KafkaSettings.TOPIC_PARTITIONS_CONFIG, "many")));
        assertThrows(ConfigException.class, () -> KafkaSettings.of(Map.of(KafkaSettings.TOPIC_REPLICATION_FACTOR_CONFIG, "0")));
        assertThrows(ConfigException.class, () -> KafkaSettings.of(Map.of(KafkaSettings.REQUESTS_TOPIC_CONFIG, "")));

        Path file = dir.resolve("bad.properties");
        Files.writeString(file, "laminar.topic.partitions=-2\n");
        ConfigException fromFile = assertThrows(ConfigException.class, () -> KafkaSettings.load(file));
        assertTrue(fromFile.getMessage().contains(file.toString()), "names the file: " + fromFile.getMessage());
    }

    @Test
    void docsDeployMdHoldsTheGeneratedTable() {
        String table = KafkaSettings.docs();
        for (String key : KafkaSettings.CONFIG.names()) {
            assertTrue(table.contains("| `" + key + "` |"), key + " in the generated table");
        }
        String deployMd = DeployFiles.read(DeployFiles.repositoryRoot().resolve("docs/deploy.md"));
        assertTrue(deployMd.contains(table), "docs/deploy.md holds KafkaSettings.docs() verbatim; regenerate it:\n" + table);
    }
}
