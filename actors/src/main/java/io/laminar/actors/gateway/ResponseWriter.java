package io.laminar.actors.gateway;

import io.laminar.schemas.ErrorCode;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.kafka.ResponseSerializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Writes response events and dead letters. Events go through {@link PartitionTransactions}, one
 * transactional producer per requests partition this gateway owns, so that a gateway that lost a
 * partition cannot write for it any more; where the cluster refuses transactions they go, unfenced,
 * through the idempotent producer that writes the dead letters. {@code send} can block (a full
 * buffer, missing metadata), so calls are queued to a thread of their own, in order: events of one
 * request keep their order, and the actor that asks never waits. Each write reports its
 * acknowledgement (or failure) to a callback; a fenced event's, once its transaction is committed.
 */
final class ResponseWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ResponseWriter.class);
    /** Kafka's default {@code session.timeout.ms}. */
    private static final long KAFKA_DEFAULT_SESSION_MS = 45_000;
    /** Kafka's default {@code max.request.size}. */
    private static final int DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;

    private final KafkaProducer<byte[], byte[]> producer;
    private final ResponseSerializer serializer;
    private final String responses;
    private final String deadLetters;
    /** The largest record the producer sends ({@code max.request.size}, checked uncompressed). */
    private final int maxRequestBytes;
    private final ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "laminar-response-writer");
        t.setDaemon(true);
        return t;
    });
    /** The fenced producers; null where the cluster refused transactions. Used on the sender's thread only. */
    private PartitionTransactions transactions;

    ResponseWriter(GatewaySettings settings, ResponseSerializer serializer) {
        Map<String, Object> config = new HashMap<>(settings.producerConfig());
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
        this.producer = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
        this.serializer = serializer;
        this.responses = settings.responsesTopic();
        this.deadLetters = settings.deadLetterTopic();
        Object max = config.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        this.maxRequestBytes = max == null ? DEFAULT_MAX_REQUEST_BYTES : Integer.parseInt(max.toString().strip());
        this.transactions = new PartitionTransactions(settings.producerConfig(), settings.groupId(),
                groupSession(settings.consumerConfig()));
        long every = PartitionTransactions.COMMIT_EVERY.toMillis();
        sender.scheduleWithFixedDelay(() -> {
            if (transactions != null) {
                transactions.commitAll();
            }
        }, every, every, TimeUnit.MILLISECONDS);
    }

    /** The consumer's {@code session.timeout.ms}, or Kafka's default (45 s) when it sets none. */
    private static Duration groupSession(Map<String, Object> consumerConfig) {
        Object ms = consumerConfig.get(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
        return Duration.ofMillis(ms == null ? KAFKA_DEFAULT_SESSION_MS : Long.parseLong(ms.toString().strip()));
    }

    /** See {@link RequestPoller.Ownership#owned}: opens the new partitions' producers, closes those of partitions gone. */
    void owned(Collection<TopicPartition> assignment) {
        onSender(() -> {
            if (transactions == null) {
                return;
            }
            try {
                transactions.own(assignment);
                transactions.keepOnly(assignment);
            } catch (RuntimeException e) {
                LOG.warn("the Kafka cluster refused a transactional producer ({}): response events are written"
                        + " without fencing, so a gateway that lost its partitions while paused could still write"
                        + " for them", e.toString());
                transactions.close();
                transactions = null;
            }
        });
    }

    /** See {@link RequestPoller.Ownership#handingOver}: commits what was written for them. */
    void handingOver(Collection<TopicPartition> partitions) {
        onSender(() -> {
            if (transactions != null) {
                transactions.commit(partitions);
            }
        });
    }

    /** See {@link RequestPoller.Ownership#lost}: closes their producers without committing. */
    void lost(Collection<TopicPartition> partitions) {
        onSender(() -> {
            if (transactions != null) {
                transactions.lost(partitions);
            }
        });
    }

    /** Runs {@code task} on the sender's thread and waits for it; nothing once the writer is closed. */
    private void onSender(Runnable task) {
        try {
            sender.submit(task).get();
        } catch (RejectedExecutionException closed) {
            // Closed: the transactions were committed and closed with it.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            LOG.error("response writer: {}", e.getCause().toString(), e.getCause());
        }
    }

    /**
     * Writes {@code event} under {@code key}: its request id, or the request record's own key when
     * the id could not be read (null, unkeyed, when the record had none either). The header
     * {@value DeadLetter#HEADER_SOURCE} names the request record answered ({@code source}, as
     * topic-partition@offset): one id may come in several records, and a gateway that takes a
     * partition over reads back each record's own events by it ({@link PriorOutput}).
     */
    void respond(TopicPartition from, byte[] key, ResponseEvent event, byte[] source, String session,
                 BiConsumer<String, Throwable> done) {
        byte[] value = serializer.serialize(responses, event);
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(responses, key, value);
        record.headers().add(DeadLetter.HEADER_SOURCE, source);
        try {
            sender.execute(() -> {
                if (transactions == null) {
                    send(record, session, done);
                }
                // Not sent (no ack either) when this gateway no longer owns the partition: its next
                // owner resumes the request after what was committed.
                else if (!transactions.send(from, record, session, done)) {
                    LOG.debug("not written, requests partition {} is not this gateway's: {}", from, session);
                }
            });
        } catch (RejectedExecutionException closed) {
            // The gateway stopped writing to hand its unfinished requests off: the next owner of the
            // partition resumes each after the last event written, so nothing more may be written
            // here, and no acknowledgement comes (the record is not done).
        }
    }

    /**
     * Copies a refused record to the dead-letter topic with headers saying why, its value cut to
     * what the producer may send (see {@link DeadLetter}). A dead letter never holds its record's
     * offset back: one that Kafka still refuses as too large (a topic whose {@code max.message.bytes}
     * is below the producer's limit) is sent again cut shorter, down to no value at all, and one
     * that cannot be written even so, or fails otherwise, is logged and reported as done. The
     * client learns of the refusal from the error event, and the original stays in the requests
     * topic at the position the dead letter names.
     */
    void deadLetter(RequestPoller.Received r, ErrorCode code, String message, String session,
                    BiConsumer<String, Throwable> done) {
        DeadLetter letter = DeadLetter.of(r, code, message);
        sender.execute(() -> sendDeadLetter(letter, letter.valueBytesFitting(maxRequestBytes), session, done));
    }

    private void sendDeadLetter(DeadLetter letter, int keep, String session, BiConsumer<String, Throwable> done) {
        ProducerRecord<byte[], byte[]> record = letter.toRecord(deadLetters, keep);
        int sent = record.value() == null ? 0 : record.value().length;
        Callback written = (meta, e) -> {
            if (e == null) {
                if (sent < letter.valueLength()) {
                    LOG.warn("dead letter of {}@{} ({}) cut from {} to {} bytes to fit the producer's limits",
                            letter.sourcePartition(), letter.sourceOffset(), letter.code(), letter.valueLength(), sent);
                }
                done.accept(session, null);
            } else if (e instanceof RecordTooLargeException && sent > 0) {
                // Runs on the producer's I/O thread, which must not block: resend from the sender's.
                try {
                    sender.execute(() -> sendDeadLetter(letter, sent / 2, session, done));
                } catch (RejectedExecutionException closing) {
                    done.accept(session, null);
                }
            } else {
                LOG.error("dead letter of {}@{} ({}) not written, the offset advances anyway: {}",
                        letter.sourcePartition(), letter.sourceOffset(), letter.code(), e.toString());
                done.accept(session, null);
            }
        };
        try {
            producer.send(record, written);
        } catch (RuntimeException e) {
            written.onCompletion(null, e);
        }
    }

    private void send(ProducerRecord<byte[], byte[]> record, String session, BiConsumer<String, Throwable> done) {
        try {
            producer.send(record, (meta, e) -> done.accept(session, e));
        } catch (RuntimeException e) {
            done.accept(session, e);
        }
    }

    @Override
    public void close() {
        try {
            sender.execute(() -> {
                if (transactions != null) {
                    transactions.close();
                    transactions = null;
                }
            });
        } catch (RejectedExecutionException closedAlready) {
            return;
        }
        sender.shutdown();
        try {
            sender.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(10));
    }
}
