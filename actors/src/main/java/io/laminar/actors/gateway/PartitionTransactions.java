package io.laminar.actors.gateway;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

/**
 * The fence around what one gateway writes for the requests partitions it owns: a transactional
 * producer per partition, with the transactional id {@code laminar-GROUP-TOPIC-PARTITION}. Whoever
 * takes a partition over opens a producer with the same id, and Kafka then refuses every write of
 * the earlier owner's producer (it is fenced) and aborts its open transaction. So a gateway that was
 * paused past its group session, and wakes up still serving requests of partitions it lost, can
 * write nothing for them; the next owner reads back what was committed and resumes after it.
 *
 * <p>Events go out as they are produced (a consumer reading uncommitted sees each token at once);
 * the transaction of each partition is committed every {@link #COMMIT_EVERY}, which is when a
 * consumer reading committed ({@code isolation.level=read_committed}) sees them. A write counts as
 * done, for the offset bookkeeping, only once its transaction is committed: an event of an aborted
 * transaction was never written, and its request is served again from what was.
 *
 * <p>Not thread-safe: every call comes from the {@link ResponseWriter}'s sender thread (commits
 * wait on threads of their own while that thread waits for them).
 */
final class PartitionTransactions implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionTransactions.class);
    /** How often open transactions are committed: the latency a committed reader adds to each event. */
    static final Duration COMMIT_EVERY = Duration.ofMillis(100);
    /**
     * Least time the broker keeps a transaction of a silent producer open before aborting it. An open
     * transaction holds back committed readers of the responses partitions it wrote to (all of them,
     * for every gateway), so a crashed gateway's must not last Kafka's default minute.
     */
    static final Duration MIN_TRANSACTION_TIMEOUT = Duration.ofSeconds(20);

    private final Map<String, Object> config;
    private final String idPrefix;
    private final Map<TopicPartition, Owned> owned = new HashMap<>();
    /** Where the partitions' commits wait side by side (see {@link #commit}); a thread per partition at most. */
    private final ExecutorService committers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "laminar-transaction-commit");
        t.setDaemon(true);
        return t;
    });

    /** A partition's producer and what was sent in its open transaction. */
    private static final class Owned {
        final KafkaProducer<byte[], byte[]> producer;
        final List<Sent> sent = new ArrayList<>();
        boolean open;

        Owned(KafkaProducer<byte[], byte[]> producer) {
            this.producer = producer;
        }
    }

    /** A record of the open transaction, and whom to tell once the transaction ends. */
    private record Sent(String session, BiConsumer<String, Throwable> done, AtomicReference<Exception> failure) {
    }

    /**
     * @param producerConfig the gateway's producer settings (bootstrap servers, security...)
     * @param groupId        the gateways' consumer group: gateways of one deployment fence each other
     * @param groupSession   the requests consumer's {@code session.timeout.ms}
     */
    PartitionTransactions(Map<String, Object> producerConfig, String groupId, Duration groupSession) {
        this.config = new HashMap<>(producerConfig);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
        // At least twice the group session: a gateway paused long enough for the broker to abort its
        // transaction (which fences its producer for good) has lost its partitions too, so no
        // gateway is ever left owning a partition whose producer is fenced.
        long timeout = Math.max(MIN_TRANSACTION_TIMEOUT.toMillis(), 2 * groupSession.toMillis());
        config.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) Math.min(Integer.MAX_VALUE, timeout));
        this.idPrefix = "laminar-" + groupId + "-";
    }

    /**
     * Opens a producer for each of {@code partitions} not owned yet. Its {@code initTransactions}
     * fences the producer of the partition's earlier owner and ends that one's open transaction, so
     * that what the earlier owner wrote is settled before this gateway reads it back.
     *
     * @throws KafkaException when the cluster does not take transactions (a denied transactional id,
     *                        a broker without a transaction log): the caller writes unfenced then
     */
    void own(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            if (owned.containsKey(tp)) {
                continue;
            }
            Map<String, Object> c = new HashMap<>(config);
            c.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, idPrefix + tp.topic() + "-" + tp.partition());
            KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer());
            try {
                producer.initTransactions();
            } catch (RuntimeException e) {
                producer.close(Duration.ZERO);
                throw e;
            }
            owned.put(tp, new Owned(producer));
        }
    }

    /**
     * Sends {@code record} in the open transaction of {@code from}'s producer.
     *
     * @return false when this gateway does not own {@code from} (any more): nothing was sent, and
     *         nothing may be, since the partition's next owner resumes its requests
     */
    boolean send(TopicPartition from, ProducerRecord<byte[], byte[]> record, String session,
                 BiConsumer<String, Throwable> done) {
        Owned o = owned.get(from);
        if (o == null) {
            return false;
        }
        try {
            if (!o.open) {
                o.producer.beginTransaction();
                o.open = true;
            }
            AtomicReference<Exception> failure = new AtomicReference<>();
            o.sent.add(new Sent(session, done, failure));
            o.producer.send(record, (meta, e) -> {
                if (e != null) {
                    failure.set(e);
                }
            });
        } catch (RuntimeException e) {
            ended(from, o, e);
        }
        return true;
    }

    /**
     * Commits the open transactions of {@code partitions} (before they are handed over, or all of them
     * on the timer). Each commit waits for its writes' acknowledgements and a round trip to the
     * transaction coordinator, during which this gateway sends nothing; so the partitions commit side
     * by side, and the wait is the slowest commit's rather than their sum (over a 20 ms link, tens of
     * milliseconds per partition).
     */
    void commit(Collection<TopicPartition> partitions) {
        List<TopicPartition> open = new ArrayList<>();
        List<Owned> opened = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            Owned o = owned.get(tp);
            if (o != null && o.open && !open.contains(tp)) {
                open.add(tp);
                opened.add(o);
            }
        }
        if (open.size() == 1) {
            committed(open.get(0), opened.get(0), commitNow(opened.get(0)));
            return;
        }
        List<CompletableFuture<RuntimeException>> results = new ArrayList<>();
        for (Owned o : opened) {
            results.add(CompletableFuture.supplyAsync(() -> commitNow(o), committers));
        }
        // This thread waits for all of them, so nothing else touches the transactions meanwhile.
        for (int i = 0; i < open.size(); i++) {
            committed(open.get(i), opened.get(i), results.get(i).join());
        }
    }

    /** Commits every open transaction (on a timer). */
    void commitAll() {
        commit(new ArrayList<>(owned.keySet()));
    }

    /** Commits and closes the producers of partitions not in {@code keep}: they moved to other gateways. */
    void keepOnly(Collection<TopicPartition> keep) {
        List<TopicPartition> leaving = new ArrayList<>(owned.keySet());
        leaving.removeAll(keep);
        commit(leaving);
        for (TopicPartition tp : leaving) {
            Owned o = owned.remove(tp);
            if (o != null) {
                o.producer.close(Duration.ofSeconds(5));
            }
        }
    }

    /**
     * Gives {@code partitions} up without committing: the group took them away while this gateway
     * was away (its session expired), so another owner may be resuming their requests already.
     */
    void lost(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            Owned o = owned.remove(tp);
            if (o != null) {
                fail(o, new ProducerFencedException("requests partition " + tp + " was lost to the group"));
                o.producer.close(Duration.ZERO);
            }
        }
    }

    /** Commits {@code o}'s open transaction: what it throws, or null. Touches nothing but the producer. */
    private static RuntimeException commitNow(Owned o) {
        try {
            o.producer.commitTransaction();
            return null;
        } catch (RuntimeException e) {
            return e;
        }
    }

    /** After {@link #commitNow}: tells whom the transaction's records concern how they ended. */
    private void committed(TopicPartition tp, Owned o, RuntimeException failure) {
        if (failure != null) {
            ended(tp, o, failure);
            return;
        }
        o.open = false;
        List<Sent> sent = new ArrayList<>(o.sent);
        o.sent.clear();
        for (Sent s : sent) {
            s.done().accept(s.session(), s.failure().get());
        }
    }

    /**
     * A transaction that could not be committed. Fenced (another gateway owns the partition now):
     * the producer is closed and this gateway writes nothing more for the partition. Otherwise (a
     * write failed after its retries) the transaction is aborted and the partition's next
     * transaction starts afresh. Either way its events count as not written.
     */
    private void ended(TopicPartition tp, Owned o, RuntimeException e) {
        if (fenced(e)) {
            LOG.warn("requests partition {}: this gateway's producer is fenced (another gateway took the partition"
                    + " over, or the broker ended its transaction after a silence): it writes nothing more for it"
                    + " until the group gives the partition back ({})", tp, e.toString());
            owned.remove(tp);
            fail(o, e instanceof ProducerFencedException f ? f
                    : new ProducerFencedException("requests partition " + tp + " has another owner: " + e));
            o.producer.close(Duration.ZERO);
            return;
        }
        LOG.error("requests partition {}: a transaction of response events failed and is aborted: {}", tp, e.toString());
        try {
            if (o.open) {
                o.producer.abortTransaction();
            }
            o.open = false;
        } catch (RuntimeException abortFailed) {
            owned.remove(tp);
            o.producer.close(Duration.ZERO);
        }
        fail(o, e);
    }

    /**
     * Whether {@code e} says another producer took the transactional id over. A transaction the
     * broker aborted for its timeout (InvalidTxnState) counts too: the timeout is twice the group
     * session, so a gateway silent that long has lost its partitions.
     */
    private static boolean fenced(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ProducerFencedException || t instanceof InvalidProducerEpochException
                    || t instanceof InvalidTxnStateException) {
                return true;
            }
        }
        return false;
    }

    private static void fail(Owned o, Exception e) {
        List<Sent> sent = new ArrayList<>(o.sent);
        o.sent.clear();
        o.open = false;
        for (Sent s : sent) {
            s.done().accept(s.session(), e);
        }
    }

    /** Commits what is open and closes every producer. */
    @Override
    public void close() {
        commitAll();
        for (Owned o : owned.values()) {
            o.producer.close(Duration.ofSeconds(5));
        }
        owned.clear();
        committers.shutdown();
    }
}
