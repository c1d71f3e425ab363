package io.laminar.actors.gateway;

import io.laminar.schemas.ErrorCode;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.kafka.ResponseSerializer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiConsumer;

/**
 * Writes response events and dead letters with one idempotent producer. {@code send} can block
 * (a full buffer, missing metadata), so calls are queued to a thread of their own, in order:
 * events of one request keep their order, and the actor that asks never waits. Each write reports
 * its acknowledgement (or failure) to a callback.
 */
final class ResponseWriter implements AutoCloseable {
    /** Headers on a dead letter, so its reader knows why it is there and where it came from. */
    static final String HEADER_ERROR_CODE = "laminar.error.code";
    static final String HEADER_ERROR_MESSAGE = "laminar.error.message";
    static final String HEADER_SOURCE = "laminar.source";

    private final KafkaProducer<byte[], byte[]> producer;
    private final ResponseSerializer serializer;
    private final String responses;
    private final String deadLetters;
    private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "laminar-response-writer");
        t.setDaemon(true);
        return t;
    });

    ResponseWriter(GatewaySettings settings, ResponseSerializer serializer) {
        Map<String, Object> config = new HashMap<>(settings.producerConfig());
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
        this.producer = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
        this.serializer = serializer;
        this.responses = settings.responsesTopic();
        this.deadLetters = settings.deadLetterTopic();
    }

    /** Writes {@code event} keyed by {@code requestId} (unkeyed when the id is unknown). */
    void respond(String requestId, ResponseEvent event, String session, BiConsumer<String, Throwable> done) {
        byte[] key = requestId == null ? null : requestId.getBytes(StandardCharsets.UTF_8);
        byte[] value = serializer.serialize(responses, event);
        sender.execute(() -> send(new ProducerRecord<>(responses, key, value), session, done));
    }

    /** Copies a refused record, unchanged, to the dead-letter topic with headers saying why. */
    void deadLetter(RequestPoller.Received r, ErrorCode code, String message, String session,
                    BiConsumer<String, Throwable> done) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(HEADER_ERROR_CODE, code.name().getBytes(StandardCharsets.UTF_8));
        headers.add(HEADER_ERROR_MESSAGE, message.getBytes(StandardCharsets.UTF_8));
        headers.add(HEADER_SOURCE, (r.partition() + "@" + r.offset()).getBytes(StandardCharsets.UTF_8));
        sender.execute(() -> send(new ProducerRecord<>(deadLetters, null, r.key(), r.value(), headers), session, done));
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
        sender.shutdown();
        try {
            sender.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(10));
    }
}
