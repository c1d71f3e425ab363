package io.laminar.app.client;

import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.codec.SchemasConfig;
import io.laminar.schemas.codec.WireFormat;
import io.laminar.schemas.kafka.RequestSerializer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * Sends requests, keyed by request id, in Avro (single-object encoding, or Confluent's wire format
 * when the config's {@code laminar.schema.registry.url} names a registry) or JSON.
 */
public final class RequestProducer implements AutoCloseable {
    private final KafkaProducer<String, InferenceRequest> producer;
    private final String topic;
    /** The bootstrap servers, named when a send fails. */
    private final String servers;

    public RequestProducer(Map<String, Object> producerConfig, String topic, WireFormat format) {
        Map<String, Object> config = new HashMap<>(producerConfig);
        // The laminar.* keys configure the serializer (a schema registry, say), not the producer.
        Map<String, Object> serializerConfig = new HashMap<>();
        config.forEach((k, v) -> {
            if (k.startsWith("laminar.")) {
                serializerConfig.put(k, v);
            }
        });
        serializerConfig.put(SchemasConfig.REQUEST_FORMAT_CONFIG, format.configValue());
        RequestSerializer serializer = new RequestSerializer();
        serializer.configure(serializerConfig, false);
        config.keySet().removeIf(k -> k.startsWith("laminar."));
        // A client sends one request at a time and waits for it: batching would only add latency
        // (Kafka 4's default linger.ms is 5).
        config.putIfAbsent("linger.ms", 0);
        this.producer = new KafkaProducer<>(config, new StringSerializer(), serializer);
        this.topic = topic;
        this.servers = String.valueOf(config.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG));
    }

    /** Sends and waits for the broker's acknowledgement. */
    public void send(InferenceRequest request) throws InterruptedException {
        try {
            producer.send(new ProducerRecord<>(topic, request.getRequestId(), request)).get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not send request " + request.getRequestId() + " to " + topic
                    + " at " + servers + ": " + e.getCause().getMessage(), e.getCause());
        }
    }

    /**
     * Sends all requests without waiting between them (so a server reads them in one poll), then
     * waits for every acknowledgement.
     */
    public void sendAll(List<InferenceRequest> requests) throws InterruptedException {
        List<Future<RecordMetadata>> acks = new ArrayList<>(requests.size());
        for (InferenceRequest request : requests) {
            acks.add(producer.send(new ProducerRecord<>(topic, request.getRequestId(), request)));
        }
        for (int i = 0; i < acks.size(); i++) {
            try {
                acks.get(i).get();
            } catch (ExecutionException e) {
                throw new IllegalStateException("could not send request " + requests.get(i).getRequestId() + ": "
                        + e.getCause().getMessage(), e.getCause());
            }
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
