package io.laminar.app.serve;

import io.laminar.actors.HostSettings;
import io.laminar.actors.gateway.DuplicateWindow;
import io.laminar.app.client.RequestProducer;
import io.laminar.app.kafka.EmbeddedKafka;
import io.laminar.app.kafka.KafkaSettings;
import io.laminar.app.kafka.TopicSetup;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.testing.TestModels;
import io.laminar.schemas.EventType;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.ResponseCodec;
import io.laminar.schemas.codec.WireFormat;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A gateway that takes partitions over reads back what was written for the requests in their
 * backlog, to resume them; several records of that backlog may carry one request id. Each is
 * answered by its own events: one is never taken as answered by another's (a record then went
 * without any answer when the first of its id had finished before the gateway reached it).
 */
class KafkaBacklogTest {
    private static final ResponseCodec RESPONSES = new ResponseCodec();

    @Test
    void recordsOfOneIdInABacklogAreEachAnsweredByTheirOwnEvents() throws Exception {
        Path model = TestModels.storiesSized();
        try (EmbeddedKafka broker = EmbeddedKafka.start()) {
            KafkaSettings kafka = KafkaSettings.defaults().withBootstrapServers(broker.bootstrapServers());
            TopicSetup.ensure(kafka);
            // The backlog before any gateway: one id three times, in one partition (the key is the id).
            try (RequestProducer producer = new RequestProducer(kafka.producerConfig(), kafka.requestsTopic(),
                    WireFormat.AVRO)) {
                producer.sendAll(List.of(KafkaServing.greedy("same", "ab cd", 3), KafkaServing.greedy("same", "ab cd", 3),
                        KafkaServing.greedy("same", "ab cd", 3)));
            }
            // One request in flight at a time, and ids remembered only while served: each record is
            // read after the one before has finished, and served again.
            HostSettings host = HostSettings.local(model, List.of(new LayerRange(0, 5)), 1).withBatch(64, 4, 512);
            LaminarServer.Options options = new LaminarServer.Options(model, host, kafka, 0, null, 1,
                    "laminar-backlog-" + System.nanoTime()).withDuplicateWindow(new DuplicateWindow(16, Duration.ZERO));
            try (LaminarServer server = LaminarServer.start(options);
                 KafkaConsumer<byte[], byte[]> responses = fromTheStart(kafka)) {
                Map<String, List<ResponseEvent>> bySource = new HashMap<>();
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (finals(bySource) < 3 && System.nanoTime() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : responses.poll(Duration.ofMillis(100))) {
                        Header source = r.headers().lastHeader("laminar.source");
                        assertNotNull(source, "every event names the record it answers");
                        bySource.computeIfAbsent(new String(source.value(), StandardCharsets.UTF_8), s -> new ArrayList<>())
                                .add(RESPONSES.decode(r.value()));
                    }
                }
                assertEquals(3, bySource.size(), "three records, three streams: " + bySource.keySet());
                for (Map.Entry<String, List<ResponseEvent>> e : bySource.entrySet()) {
                    List<ResponseEvent> events = e.getValue();
                    assertEquals(EventType.FINISH, events.getLast().getType(), e.getKey() + ": " + events);
                    assertEquals(3, KafkaServing.tokenIds(events).length, e.getKey() + ": " + events);
                }
            }
        }
    }

    private static int finals(Map<String, List<ResponseEvent>> bySource) {
        int n = 0;
        for (List<ResponseEvent> events : bySource.values()) {
            n += (int) events.stream().filter(e -> e.getType() == EventType.FINISH || e.getType() == EventType.ERROR).count();
        }
        return n;
    }

    private static KafkaConsumer<byte[], byte[]> fromTheStart(KafkaSettings kafka) {
        Map<String, Object> config = new HashMap<>(kafka.consumerConfig("unused"));
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.keySet().removeIf(k -> k.startsWith("laminar."));
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        List<TopicPartition> parts = new ArrayList<>();
        for (PartitionInfo p : consumer.partitionsFor(kafka.responsesTopic(), Duration.ofSeconds(30))) {
            parts.add(new TopicPartition(p.topic(), p.partition()));
        }
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        return consumer;
    }
}
