package io.laminar.actors.gateway;

import io.laminar.schemas.EventType;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.ResponseCodec;
import io.laminar.schemas.codec.ResponseEvents;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads back what earlier owners of a requests partition wrote to the responses topic for requests
 * they did not finish, so that the gateway that takes the partition over after a crash resumes each
 * stream where it stopped instead of sending it again from the start.
 *
 * <p>Events of a request are keyed by its id, so they all lie in one responses partition, the one
 * the producer's default partitioner picks for that key, and in order. They were written after the
 * request record, so reading from the record's timestamp (less {@link #CLOCK_MARGIN}, for clocks of
 * different hosts) to the end finds them all. Several records may carry one request id (a
 * repeat served again once its first was forgotten, say): each event names the record it answers
 * in its {@value DeadLetter#HEADER_SOURCE} header, and only the record's own count. Runs on the
 * poller's thread with a consumer of its own (assigned partitions, no group, nothing committed).
 */
final class PriorOutput implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PriorOutput.class);
    /** How far before a request record's timestamp its events may carry theirs (clock skew between hosts). */
    static final Duration CLOCK_MARGIN = Duration.ofMinutes(2);
    private static final Duration POLL = Duration.ofMillis(200);
    /** How long one look-up may read before it gives up and reports what it found. */
    private static final Duration LOOKUP_LIMIT = Duration.ofSeconds(30);

    /**
     * What was written for one request.
     *
     * @param tokenIds        the ids of its TOKEN events, by index from 0, up to the first gap
     * @param ended           a FINISH or ERROR event was written: the request was answered in full
     * @param firstTokenAtMs  the timestamp of its first TOKEN event, 0 when none
     */
    record Written(int[] tokenIds, boolean ended, long firstTokenAtMs) {
        boolean isEmpty() {
            return tokenIds.length == 0 && !ended;
        }
    }

    /**
     * A request to look up: its id, the timestamp of its record, and the record as
     * {@link #source(String, int, long)} names it.
     */
    record Lookup(String requestId, long recordTimestampMs, String source) {
    }

    /** A request record as the {@value DeadLetter#HEADER_SOURCE} header of the events answering it names it. */
    static String source(String topic, int partition, long offset) {
        return topic + "-" + partition + "@" + offset;
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final ResponseCodec codec;

    PriorOutput(GatewaySettings settings, ResponseCodec codec) {
        Map<String, Object> config = new HashMap<>(settings.consumerConfig());
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.topic = settings.responsesTopic();
        this.codec = codec;
    }

    /** The events written for each of {@code lookups}, by source (records with none are left out). */
    Map<String, Written> find(List<Lookup> lookups) {
        if (lookups.isEmpty()) {
            return Map.of();
        }
        List<PartitionInfo> partitions = consumer.partitionsFor(topic);
        if (partitions == null || partitions.isEmpty()) {
            return Map.of();
        }
        Map<TopicPartition, Long> since = new HashMap<>();
        Map<String, List<Collector>> wanted = new HashMap<>();
        for (Lookup l : lookups) {
            byte[] key = l.requestId().getBytes(StandardCharsets.UTF_8);
            // The producer's default partitioner for a keyed record.
            TopicPartition tp = new TopicPartition(topic, Utils.toPositive(Utils.murmur2(key)) % partitions.size());
            since.merge(tp, Math.max(0, l.recordTimestampMs() - CLOCK_MARGIN.toMillis()), Math::min);
            wanted.computeIfAbsent(l.requestId(), id -> new ArrayList<>())
                    .add(new Collector(l.recordTimestampMs(), l.source()));
        }
        read(since, wanted);
        Map<String, Written> found = new HashMap<>();
        wanted.values().forEach(collectors -> collectors.forEach(c -> {
            Written w = c.written();
            if (!w.isEmpty()) {
                found.put(c.source, w);
            }
        }));
        return found;
    }

    private void read(Map<TopicPartition, Long> since, Map<String, List<Collector>> wanted) {
        Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(since);
        Map<TopicPartition, Long> ends = consumer.endOffsets(since.keySet());
        List<TopicPartition> toRead = new ArrayList<>();
        for (TopicPartition tp : since.keySet()) {
            if (starts.get(tp) != null && starts.get(tp).offset() < ends.get(tp)) {
                toRead.add(tp);
            }
        }
        if (toRead.isEmpty()) {
            return;
        }
        consumer.assign(toRead);
        for (TopicPartition tp : toRead) {
            consumer.seek(tp, starts.get(tp).offset());
        }
        long deadline = System.nanoTime() + LOOKUP_LIMIT.toNanos();
        Set<TopicPartition> open = new java.util.HashSet<>(toRead);
        while (!open.isEmpty()) {
            if (System.nanoTime() > deadline) {
                LOG.warn("reading back earlier responses took over {} s; resuming with what was found", LOOKUP_LIMIT.toSeconds());
                break;
            }
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                if (r.key() == null || r.value() == null) {
                    continue;
                }
                List<Collector> collectors = wanted.get(new String(r.key(), StandardCharsets.UTF_8));
                if (collectors != null) {
                    Header header = r.headers().lastHeader(DeadLetter.HEADER_SOURCE);
                    String source = header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
                    for (Collector c : collectors) {
                        // Events without the header come from a gateway that did not write it: by id alone.
                        if (source == null || source.equals(c.source)) {
                            c.accept(r.value(), codec);
                        }
                    }
                }
            }
            open.removeIf(tp -> consumer.position(tp) >= ends.get(tp));
        }
        consumer.assign(List.of());
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(2));
    }

    /** Gathers one request's events as they are read. */
    private static final class Collector {
        private final long recordTimestampMs;
        private final String source;
        private int[] tokens = new int[16];
        private int count;
        private boolean ended;
        private long firstTokenAtMs;

        Collector(long recordTimestampMs, String source) {
            this.recordTimestampMs = recordTimestampMs;
            this.source = source;
        }

        void accept(byte[] value, ResponseCodec codec) {
            ResponseEvent e;
            try {
                e = codec.decode(value);
            } catch (RuntimeException ex) {
                return; // not ours to judge: whatever else shares the topic
            }
            if (e.getType() == EventType.TOKEN && e.getToken() != null) {
                int index = e.getToken().getTokenIndex();
                if (index == count) { // in order; a repeat from an older at-least-once run is skipped
                    if (count == tokens.length) {
                        tokens = Arrays.copyOf(tokens, 2 * count);
                    }
                    tokens[count++] = e.getToken().getTokenId();
                    if (index == 0) {
                        firstTokenAtMs = e.getTimestampMs();
                    }
                }
            } else if ((e.getType() == EventType.FINISH || e.getType() == EventType.ERROR)
                    && !ResponseEvents.refusesRepeat(e) && (count > 0 || e.getTimestampMs() >= recordTimestampMs)) {
                // An answer written before this record existed, with no token since, belongs to an
                // earlier record under the same id (refused, then sent again corrected): not this one's.
                ended = true;
            }
        }

        Written written() {
            return new Written(Arrays.copyOf(tokens, count), ended, firstTokenAtMs);
        }
    }
}
