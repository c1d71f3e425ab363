package io.laminar.app.http.openai;

import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.kafka.RequestSerializer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The door's producer: requests, keyed by their request id, in the format the settings name
 * ({@code laminar.request.format}, Avro by default), and the tombstones that cancel them (the same
 * key, so the same partition, after the request: docs/kafka.md, "Cancelling a request").
 */
final class RequestSender implements AutoCloseable {
    private final KafkaProducer<String, InferenceRequest> producer;
    private final String topic;

    RequestSender(Map<String, Object> producerConfig, String topic) {
        Map<String, Object> laminar = new HashMap<>();
        Map<String, Object> config = new HashMap<>();
        producerConfig.forEach((k, v) -> (k.startsWith("laminar.") ? laminar : config).put(k, v));
        // Each request is one waiting client: batching would only add to its time to first token.
        config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
        // A client waits while the producer looks for a broker: give up (503) well before it does.
        config.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        RequestSerializer serializer = new RequestSerializer();
        serializer.configure(laminar, false);
        this.producer = new KafkaProducer<>(config, new StringSerializer(), serializer);
        this.topic = topic;
    }

    /** Sends without waiting; {@code failed} hears of a request Kafka did not take, on the producer's thread. */
    void send(InferenceRequest request, Consumer<Exception> failed) {
        producer.send(new ProducerRecord<>(topic, request.getRequestId(), request), (metadata, e) -> {
            if (e != null) {
                failed.accept(e);
            }
        });
    }

    /** Cancels a request: a tombstone under its id. Fire and forget: a lost cancel costs only tokens. */
    void cancel(String requestId) {
        producer.send(new ProducerRecord<>(topic, requestId, null));
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
