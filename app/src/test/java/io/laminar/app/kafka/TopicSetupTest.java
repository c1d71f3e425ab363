package io.laminar.app.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(SharedKafka.class)
class TopicSetupTest {

    @Test
    void createsLaminarTopicsOnceAndThenFindsThem(EmbeddedKafka kafka) throws Exception {
        KafkaSettings settings = SharedKafka.topicsNamed("setup", kafka, Map.of(KafkaSettings.TOPIC_PARTITIONS_CONFIG, "4"));

        TopicSetup.Result first = TopicSetup.ensure(settings);
        assertEquals(List.of("setup.requests", "setup.responses", "setup.dead-letter"), first.created());
        assertEquals(List.of(), first.existing());

        TopicSetup.Result second = TopicSetup.ensure(settings);
        assertEquals(List.of(), second.created());
        assertEquals(List.of("setup.requests", "setup.responses", "setup.dead-letter"), second.existing());

        try (Admin admin = Admin.create(settings.adminConfig())) {
            Map<String, TopicDescription> described = admin
                    .describeTopics(List.of("setup.requests", "setup.responses", "setup.dead-letter"))
                    .allTopicNames().get(10, TimeUnit.SECONDS);
            assertEquals(4, described.get("setup.requests").partitions().size());
            assertEquals(4, described.get("setup.responses").partitions().size());
            assertEquals(1, described.get("setup.dead-letter").partitions().size());
            described.values().forEach(d -> d.partitions().forEach(p -> {
                assertTrue(p.leader() != null && !p.leader().isEmpty(), d.name() + " has a leader");
                assertEquals(1, p.replicas().size(), "the broker's default replication factor");
            }));
        }
    }

    @Test
    void defaultTopicNamesAreLaminars() {
        List<TopicSetup.Topic> topics = TopicSetup.laminarTopics(KafkaSettings.defaults());
        assertEquals(List.of(
                new TopicSetup.Topic("laminar.requests", KafkaSettings.DEFAULT_TOPIC_PARTITIONS, (short) -1),
                new TopicSetup.Topic("laminar.responses", KafkaSettings.DEFAULT_TOPIC_PARTITIONS, (short) -1),
                new TopicSetup.Topic("laminar.dead-letter", 1, (short) -1)), topics);
    }

    @Test
    void anImpossibleReplicationFactorFailsWithTheBrokersReason(EmbeddedKafka kafka) {
        KafkaSettings settings = KafkaSettings.defaults().withBootstrapServers(kafka.bootstrapServers());
        try (Admin admin = Admin.create(settings.adminConfig())) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> TopicSetup.ensure(admin,
                    List.of(new TopicSetup.Topic("setup.three-replicas", 1, (short) 3)), Duration.ofSeconds(10)));
            assertTrue(e.getMessage().contains("setup.three-replicas"), e.getMessage());
            assertTrue(e.getMessage().contains("InvalidReplicationFactor"), e.getMessage());
        }
    }

    @Test
    void rejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> new TopicSetup.Topic("t", 0, (short) 1));
        assertThrows(IllegalArgumentException.class, () -> new TopicSetup.Topic("t", 1, (short) 0));
        assertThrows(IllegalArgumentException.class, () -> new TopicSetup.Topic(" ", 1, (short) 1));
        assertThrows(IllegalArgumentException.class, () -> TopicSetup.ensure(KafkaSettings.defaults()));
    }
}
