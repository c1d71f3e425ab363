package io.laminar.app.http.openai;

import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.ResponseCodec;
import io.laminar.schemas.codec.ResponseEvents;
import io.laminar.schemas.codec.SchemasConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The door's one consumer of the responses topic: it reads every partition (assigned, no consumer
 * group, from the end as it starts), and hands each event to the {@link PendingRequest} of its
 * request id, on a thread of its own. Events of requests other clients sent are skipped by their
 * key, undecoded. One consumer per door, however many HTTP clients wait, so a door costs the
 * brokers one fetch stream whatever its load.
 */
final class ResponseRouter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ResponseRouter.class);
    private static final Duration POLL = Duration.ofMillis(100);
    /** How often the topic's partitions are listed again, to follow partitions added to it. */
    private static final long REFRESH_PARTITIONS_NANOS = Duration.ofSeconds(30).toNanos();

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final ResponseCodec codec;
    private final Map<String, PendingRequest> pending = new ConcurrentHashMap<>();
    private final Set<TopicPartition> assigned = new HashSet<>();
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * Positions at the end of {@code topic} before returning, so that every event of a request sent
     * afterwards is read.
     *
     * @throws org.apache.kafka.common.KafkaException when the topic cannot be listed (no broker)
     */
    ResponseRouter(Map<String, Object> consumerConfig, String topic) {
        Map<String, Object> config = new HashMap<>(consumerConfig);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.keySet().removeIf(k -> k.startsWith("laminar."));
        this.codec = new ResponseCodec(new SchemasConfig(laminarKeys(consumerConfig)));
        this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.topic = topic;
        try {
            assignNew(true);
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO);
            throw e;
        }
        this.thread = new Thread(this::run, "laminar-http-responses");
        thread.setDaemon(true);
        thread.start();
    }

    private static Map<String, Object> laminarKeys(Map<String, Object> config) {
        Map<String, Object> out = new HashMap<>();
        config.forEach((k, v) -> {
            if (k.startsWith("laminar.")) {
                out.put(k, v);
            }
        });
        return out;
    }

    /** Starts waiting for {@code requestId}'s events; call before sending the request. */
    PendingRequest open(String requestId) {
        PendingRequest p = new PendingRequest(requestId);
        pending.put(requestId, p);
        return p;
    }

    /** Stops waiting; later events of the request are skipped. */
    void close(PendingRequest p) {
        pending.remove(p.id(), p);
    }

    /** Requests waited on now. */
    int waiting() {
        return pending.size();
    }

    /**
     * Assigns the partitions not yet assigned: at their end when the router starts, from their
     * beginning when they appear later (a partition added to the topic holds only new events).
     */
    private void assignNew(boolean atStart) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
        if (infos == null || infos.isEmpty()) {
            throw new IllegalStateException("topic " + topic + " has no partitions (does it exist?)");
        }
        Set<TopicPartition> fresh = new HashSet<>();
        for (PartitionInfo p : infos) {
            TopicPartition tp = new TopicPartition(topic, p.partition());
            if (!assigned.contains(tp)) {
                fresh.add(tp);
            }
        }
        if (fresh.isEmpty()) {
            return;
        }
        assigned.addAll(fresh);
        consumer.assign(assigned);
        if (atStart) {
            consumer.seekToEnd(fresh);
            for (TopicPartition tp : fresh) {
                consumer.position(tp, Duration.ofSeconds(30)); // resolve "end" now, before any request is sent
            }
        } else {
            consumer.seekToBeginning(fresh);
            LOG.info("following {} new partitions of {}", fresh.size(), topic);
        }
    }

    private void run() {
        long lastRefresh = System.nanoTime();
        try {
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                    route(r);
                }
                if (System.nanoTime() - lastRefresh > REFRESH_PARTITIONS_NANOS) {
                    lastRefresh = System.nanoTime();
                    try {
                        assignNew(false);
                    } catch (RuntimeException e) {
                        LOG.warn("could not list the partitions of {}: {}", topic, e.toString());
                    }
                }
            }
        } catch (WakeupException e) {
            // close() was called.
        } catch (RuntimeException e) {
            LOG.error("the HTTP door's response consumer stopped: {}", e.toString(), e);
            running = false;
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void route(ConsumerRecord<byte[], byte[]> r) {
        if (r.key() == null || r.value() == null) {
            return;
        }
        PendingRequest p = pending.get(new String(r.key(), StandardCharsets.UTF_8));
        if (p == null) {
            return;
        }
        ResponseEvent e;
        try {
            e = codec.decode(r.value());
        } catch (RuntimeException bad) {
            LOG.warn("undecodable event for {} at {}-{}@{}: {}", p.id(), r.topic(), r.partition(), r.offset(),
                    bad.toString());
            return;
        }
        // A DUPLICATE_REQUEST error refuses a repeated record, not the request under way.
        if (p.id().equals(e.getRequestId()) && !ResponseEvents.refusesRepeat(e)) {
            p.offer(e);
        }
    }

    /** Whether the consumer still runs (it stops only on close or an unexpected failure). */
    boolean alive() {
        return running && thread.isAlive();
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
