package io.laminar.app.client;

import io.laminar.schemas.EventType;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.ResponseCodec;
import io.laminar.schemas.codec.ResponseEvents;
import io.laminar.schemas.codec.SchemasConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Reads the responses topic from its current end, without a consumer group: what a client that
 * just sent requests needs to see their events. Events are decoded (Avro, through the schema registry
 * of the config's {@code laminar.schema.registry.*} keys when they are in Confluent's wire format,
 * or JSON) and deduplicated
 * by (request id, token index) / (request id, type), so a request served twice after a crash reads
 * once. A {@code DUPLICATE_REQUEST} error answers a repeated record, not the request whose id it
 * carries: it is handed on, but neither ends that request's stream nor counts as its error.
 */
public final class ResponseStream implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final ResponseCodec codec;
    private final Set<String> seen = new HashSet<>();
    private int duplicates;

    /** Positions at the end of {@code topic} now, waiting up to 30 s for the brokers; call before producing the requests. */
    public ResponseStream(Map<String, Object> consumerConfig, String topic) {
        this(consumerConfig, topic, Duration.ofSeconds(30));
    }

    /**
     * Positions at the end of {@code topic} now; call before producing the requests.
     *
     * @param wait how long to wait for the brokers to describe the topic and its end
     * @throws IllegalStateException naming the bootstrap servers when no broker answers within
     *                               {@code wait}, or the topic when it does not exist
     */
    public ResponseStream(Map<String, Object> consumerConfig, String topic, Duration wait) {
        Map<String, Object> config = new HashMap<>(consumerConfig);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        Map<String, Object> laminarKeys = new HashMap<>();
        config.forEach((k, v) -> {
            if (k.startsWith("laminar.")) {
                laminarKeys.put(k, v);
            }
        });
        config.keySet().removeIf(k -> k.startsWith("laminar."));
        // The laminar.* keys configure decoding: a schema registry for events in Confluent's wire format.
        this.codec = new ResponseCodec(new SchemasConfig(laminarKeys));
        this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        try {
            long deadline = System.nanoTime() + wait.toNanos();
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(topic, wait)) {
                partitions.add(new TopicPartition(topic, p.partition()));
            }
            if (partitions.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " does not exist at "
                        + config.get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG) + " (a serve creates it)");
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            for (TopicPartition tp : partitions) {
                // Resolve "end" now, before any request is sent.
                consumer.position(tp, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            }
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            consumer.close(Duration.ZERO);
            throw new IllegalStateException("no Kafka broker at " + config.get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG)
                    + " answered within " + wait.toSeconds() + " s", e);
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO);
            throw e;
        }
    }

    /**
     * Hands each new event to {@code sink} until every request in {@code requestIds} has finished
     * or failed, or {@code timeout} passes. Returns the ids that did not end in time. (An id sent
     * again only, after its request ended, gets a {@code DUPLICATE_REQUEST} error and nothing more:
     * it stays open until the timeout.)
     */
    public Set<String> follow(Set<String> requestIds, Duration timeout, Consumer<ResponseEvent> sink) {
        Set<String> open = new HashSet<>(requestIds);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!open.isEmpty() && System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(20))) {
                ResponseEvent e;
                try {
                    e = codec.decode(r.value());
                } catch (RuntimeException bad) {
                    continue;
                }
                String id = e.getRequestId();
                if (id != null && requestIds.contains(id) && ResponseEvents.refusesRepeat(e)) {
                    sink.accept(e);
                    continue;
                }
                if (id == null || !requestIds.contains(id) || !seen.add(dedupKey(e))) {
                    if (id != null && requestIds.contains(id)) {
                        duplicates++;
                    }
                    continue;
                }
                sink.accept(e);
                if (e.getType() == EventType.FINISH || e.getType() == EventType.ERROR) {
                    open.remove(id);
                }
            }
        }
        return open;
    }

    /** Events dropped because they repeated one already seen. */
    public int duplicates() {
        return duplicates;
    }

    private static String dedupKey(ResponseEvent e) {
        return e.getRequestId() + "|" + e.getType() + "|"
                + (e.getType() == EventType.TOKEN ? e.getToken().getTokenIndex() : -1);
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
