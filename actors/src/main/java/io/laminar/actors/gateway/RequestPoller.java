package io.laminar.actors.gateway;

import io.laminar.schemas.codec.RequestCodec;
import io.laminar.schemas.codec.RequestDecodeResult;
import io.laminar.actors.metrics.LaminarMetrics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The gateway's Kafka consumer, on a thread of its own (a consumer blocks in {@code poll} and is
 * not thread-safe, so it stays out of actors). It decodes each record, hands it on, commits the
 * offsets the gateway marks as done, and applies backpressure: when as many requests are in flight
 * as allowed it pauses every partition instead of buffering, and resumes once a quarter of them
 * have finished.
 *
 * <p>A consumer that fails (an error the Kafka client does not retry, such as no committed offset
 * under {@code auto.offset.reset=none}, or a denied topic) is not restarted here: the same settings
 * would fail again. {@code onFailure} hears of it before the consumer leaves its group, so that the
 * gateway stops writing first, and the process says so and exits for its supervisor to restart.
 */
final class RequestPoller implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(RequestPoller.class);
    private static final Duration POLL = Duration.ofMillis(50);
    /** How often the lag of the assigned partitions is measured (one ListOffsets request). */
    private static final long LAG_EVERY_NANOS = 1_000_000_000L;
    /** Most time a lag measurement may hold up polling when the broker is slow or away. */
    private static final Duration LAG_TIMEOUT = Duration.ofSeconds(1);

    /**
     * A record as read: where it came from, its bytes and what they decode to.
     *
     * @param receivedAtMs when it arrived: when this gateway read it, or, for a record in the backlog
     *                     of a partition this gateway took over, the record's own timestamp (its
     *                     earlier owner may have read it long before)
     * @param prior        what an earlier owner of the partition wrote for it before it crashed,
     *                     null when nothing
     * @param decoded      what the value decodes to; null for a {@linkplain #cancels() cancel}
     */
    record Received(TopicPartition partition, long offset, byte[] key, byte[] value,
                    io.laminar.schemas.codec.RequestDecodeResult decoded, long receivedAtMs,
                    PriorOutput.Written prior) {
        /**
         * Whether the record cancels the request whose id is its key: a tombstone (null value) with
         * a key (docs/kafka.md, "Cancelling a request").
         */
        boolean cancels() {
            return value == null && key != null;
        }
    }

    /**
     * Told, on the poller's thread and before the consumer goes on, which requests partitions this
     * gateway owns: what it writes for a partition must stop when the partition moves.
     */
    interface Ownership {
        /** The partitions assigned now, all of them (a partition newly among them may have had another owner). */
        void owned(Collection<TopicPartition> assignment);

        /** Partitions about to go to another gateway in a rebalance: what was written for them must be settled. */
        void handingOver(Collection<TopicPartition> partitions);

        /** Partitions the group took away while this gateway was out of touch: another may serve them already. */
        void lost(Collection<TopicPartition> partitions);
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final Ownership ownership;
    private final RequestCodec codec;
    private final Consumer<Received> sink;
    private final AtomicInteger inFlight;
    private final int maxInFlight;
    private final Map<TopicPartition, Long> toCommit = new ConcurrentHashMap<>();
    /**
     * Per assigned partition, its end offset when it was assigned: records before it may have been
     * read, and partly answered, by the partition's earlier owner.
     */
    private final Map<TopicPartition, Long> inheritedUpTo = new HashMap<>();
    private final PriorOutput priorOutput;
    private final LaminarMetrics metrics;
    private final Consumer<RuntimeException> onFailure;
    private long lagMeasuredNanos;
    private volatile boolean running = true;
    private volatile boolean paused;
    /** Set by {@link #stopTaking()}: every partition stays paused from then on. */
    private volatile boolean draining;

    RequestPoller(GatewaySettings settings, RequestCodec codec, PriorOutput priorOutput, Ownership ownership,
                  Consumer<Received> sink, AtomicInteger inFlight, LaminarMetrics metrics,
                  Consumer<RuntimeException> onFailure) {
        Map<String, Object> config = new HashMap<>(settings.consumerConfig());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, settings.groupId());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // Never more records in hand than the gateway may take on.
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(1, settings.maxInFlight()));
        this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.topic = settings.requestsTopic();
        this.codec = codec;
        this.priorOutput = priorOutput;
        this.ownership = ownership;
        this.sink = sink;
        this.inFlight = inFlight;
        this.maxInFlight = settings.maxInFlight();
        this.metrics = metrics;
        this.onFailure = onFailure;
    }

    /** Marks everything before {@code offset} of {@code tp} as done; committed on the poller's thread. */
    void commitUpTo(TopicPartition tp, long offset) {
        toCommit.merge(tp, offset, Math::max);
    }

    /**
     * Takes no more records: every partition is paused on the next poll and stays so, while the
     * consumer stays in its group (so nobody else takes over requests this gateway is finishing).
     */
    void stopTaking() {
        draining = true;
    }

    void stop() {
        running = false;
        consumer.wakeup();
    }

    @Override
    public void run() {
        consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                ownership.handingOver(partitions);
                commitPending(true);
                partitions.forEach(inheritedUpTo::remove);
                partitions.forEach(tp -> metrics.consumerLagGone(tp.topic(), tp.partition()));
                if (!partitions.isEmpty()) {
                    LOG.info("requests partitions revoked: {}", partitions);
                }
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                // Which gateway of the group serves which partitions, for an operator reading logs.
                LOG.info("requests partitions assigned: {}", partitions);
                // Before the backlog is read back: taking a partition's producer over settles what
                // its earlier owner wrote (PartitionTransactions).
                ownership.owned(consumer.assignment());
                inheritedUpTo.putAll(consumer.endOffsets(partitions));
                if (paused || draining) {
                    consumer.pause(partitions);
                }
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> partitions) {
                LOG.warn("requests partitions lost (this gateway was out of touch with its group past its session):"
                        + " {}; nothing more is written for them", partitions);
                ownership.lost(partitions);
                partitions.forEach(inheritedUpTo::remove);
                partitions.forEach(tp -> metrics.consumerLagGone(tp.topic(), tp.partition()));
            }
        });
        try {
            while (running) {
                applyBackpressure();
                ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
                List<ConsumerRecord<byte[], byte[]>> batch = new ArrayList<>(records.count());
                List<RequestDecodeResult> decoded = new ArrayList<>(records.count());
                List<PriorOutput.Lookup> lookups = new ArrayList<>();
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    RequestDecodeResult d = r.value() == null && r.key() != null ? null
                            : codec.decode(r.value() != null ? r.value() : new byte[0]);
                    batch.add(r);
                    decoded.add(d);
                    if (d instanceof RequestDecodeResult.Accepted acc && inherited(r)) {
                        lookups.add(new PriorOutput.Lookup(acc.request().getRequestId(), r.timestamp(),
                                PriorOutput.source(r.topic(), r.partition(), r.offset())));
                    }
                }
                Map<String, PriorOutput.Written> prior = lookUp(lookups);
                long now = System.currentTimeMillis();
                for (int i = 0; i < batch.size(); i++) {
                    ConsumerRecord<byte[], byte[]> r = batch.get(i);
                    boolean inherited = inherited(r);
                    PriorOutput.Written written = inherited && decoded.get(i) instanceof RequestDecodeResult.Accepted acc
                            ? prior.get(PriorOutput.source(r.topic(), r.partition(), r.offset())) : null;
                    inFlight.incrementAndGet();
                    sink.accept(new Received(new TopicPartition(r.topic(), r.partition()), r.offset(), r.key(),
                            r.value(), decoded.get(i), inherited && r.timestamp() > 0 ? Math.min(now, r.timestamp()) : now, written));
                }
                commitPending(false);
                measureLag();
            }
        } catch (WakeupException e) {
            // stop() was called.
        } catch (RuntimeException e) {
            LOG.error("request consumer failed, this gateway takes no more requests: {}", e.toString(), e);
            onFailure.accept(e);
        } finally {
            try {
                commitPending(true);
            } catch (RuntimeException e) {
                LOG.warn("final commit failed: {}", e.toString());
            }
            consumer.close(Duration.ofSeconds(5));
            priorOutput.close();
        }
    }

    private boolean inherited(ConsumerRecord<byte[], byte[]> r) {
        Long upTo = inheritedUpTo.get(new TopicPartition(r.topic(), r.partition()));
        return upTo != null && r.offset() < upTo;
    }

    /**
     * What earlier owners wrote for requests read from their backlog. A look-up that fails leaves
     * the requests to be served from the start (at least once, as without it) rather than stalling.
     */
    private Map<String, PriorOutput.Written> lookUp(List<PriorOutput.Lookup> lookups) {
        if (lookups.isEmpty()) {
            return Map.of();
        }
        try {
            Map<String, PriorOutput.Written> found = priorOutput.find(lookups);
            if (!found.isEmpty()) {
                LOG.info("{} of {} inherited requests were partly or fully answered by an earlier gateway: resuming them",
                        found.size(), lookups.size());
            }
            return found;
        } catch (RuntimeException e) {
            LOG.warn("could not read back earlier responses ({}); serving {} inherited requests from the start",
                    e.toString(), lookups.size());
            return Map.of();
        }
    }

    /**
     * Every {@link #LAG_EVERY_NANOS}: how many records of each assigned partition wait in Kafka
     * (its end offset less the consumer's position). Asked of the broker rather than taken from the
     * fetches, which stop while the partitions are paused, when the lag matters most.
     */
    private void measureLag() {
        long now = System.nanoTime();
        Set<TopicPartition> assigned = consumer.assignment();
        if (now - lagMeasuredNanos < LAG_EVERY_NANOS || assigned.isEmpty()) {
            return;
        }
        lagMeasuredNanos = now;
        try {
            Map<TopicPartition, Long> ends = consumer.endOffsets(assigned, LAG_TIMEOUT);
            for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
                long position = consumer.position(e.getKey(), LAG_TIMEOUT);
                metrics.consumerLag(e.getKey().topic(), e.getKey().partition(), Math.max(0, e.getValue() - position));
            }
        } catch (WakeupException stopping) {
            throw stopping;
        } catch (org.apache.kafka.common.KafkaException e) {
            // A slow or absent broker: the lag is measured again next time; polling goes on.
            LOG.debug("lag not measured: {}", e.toString());
        }
    }

    private void applyBackpressure() {
        int n = inFlight.get();
        Set<TopicPartition> assigned = consumer.assignment();
        if (draining) {
            if (!paused || !consumer.paused().containsAll(assigned)) {
                consumer.pause(assigned);
                paused = true;
            }
            return;
        }
        if (!paused && n >= maxInFlight) {
            consumer.pause(assigned);
            paused = true;
            LOG.debug("paused {} partitions: {} requests in flight", assigned.size(), n);
        } else if (paused && n <= maxInFlight - Math.max(1, maxInFlight / 4)) {
            consumer.resume(assigned);
            paused = false;
            LOG.debug("resumed {} partitions: {} requests in flight", assigned.size(), n);
        }
    }

    /** Whether the poller is holding its partitions paused. */
    boolean paused() {
        return paused;
    }

    private void commitPending(boolean sync) {
        if (toCommit.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        Set<TopicPartition> assigned = consumer.assignment();
        for (Map.Entry<TopicPartition, Long> e : toCommit.entrySet()) {
            if (assigned.contains(e.getKey())) {
                offsets.put(e.getKey(), new OffsetAndMetadata(e.getValue()));
            }
            toCommit.remove(e.getKey(), e.getValue());
        }
        if (offsets.isEmpty()) {
            return;
        }
        if (sync) {
            consumer.commitSync(offsets);
        } else {
            consumer.commitAsync(offsets, (o, e) -> {
                if (e != null) {
                    LOG.warn("offset commit failed (the records will be read again): {}", e.toString());
                }
            });
        }
    }
}
