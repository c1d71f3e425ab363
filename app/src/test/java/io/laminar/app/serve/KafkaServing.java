package io.laminar.app.serve;

import io.laminar.actors.HostSettings;
import io.laminar.app.client.RequestProducer;
import io.laminar.app.client.ResponseStream;
import io.laminar.app.kafka.KafkaSettings;
import io.laminar.kernels.GgmlType;
import io.laminar.model.arch.ModelConfig;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.synth.ModelShape;
import io.laminar.model.synth.SyntheticModelWriter;
import io.laminar.schemas.EventType;
import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.WireFormat;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Test helper: a {@link LaminarServer} on an embedded broker, and ways to talk to it. */
final class KafkaServing {
    private KafkaServing() {
    }

    /** A server of {@code model}, all its layers in this process. */
    static LaminarServer start(Path model, int maxInFlight, String responseFormat) throws Exception {
        int layers;
        try (GgufFile f = GgufFile.open(model)) {
            layers = ModelConfig.fromGguf(f).layers();
        }
        return start(model, new LayerRange(0, layers), maxInFlight, responseFormat);
    }

    /**
     * A server of a synthetic model written to {@code dir} (random weights, so a clone without the
     * test data can run it): {@link ModelShape#TINY}, 2 layers, a context of 256.
     */
    static LaminarServer startSynthetic(Path dir, int maxInFlight, String responseFormat) throws Exception {
        return startSynthetic(dir, maxInFlight, responseFormat, new LaminarServer.Progress() { });
    }

    /** The same, telling {@code progress} of its start-up (a {@link ServeHealth}, say). */
    static LaminarServer startSynthetic(Path dir, int maxInFlight, String responseFormat,
                                        LaminarServer.Progress progress) throws Exception {
        Path model = new SyntheticModelWriter(ModelShape.TINY).weightType(GgmlType.Q8_0).writeCached(dir);
        return start(model, new LayerRange(0, ModelShape.TINY.layers()), maxInFlight, responseFormat, progress);
    }

    /** As {@link #startSynthetic(Path, int, String)}, with the given Kafka settings (an embedded broker unless they name one). */
    static LaminarServer startSynthetic(Path dir, int maxInFlight, KafkaSettings kafka) throws Exception {
        Path model = new SyntheticModelWriter(ModelShape.TINY).weightType(GgmlType.Q8_0).writeCached(dir);
        return start(model, new LayerRange(0, ModelShape.TINY.layers()), maxInFlight, kafka);
    }

    private static LaminarServer start(Path model, LayerRange layers, int maxInFlight, String responseFormat)
            throws Exception {
        return start(model, layers, maxInFlight, KafkaSettings.defaults().with("laminar.response.format", responseFormat),
                new LaminarServer.Progress() { });
    }

    private static LaminarServer start(Path model, LayerRange layers, int maxInFlight, String responseFormat,
                                       LaminarServer.Progress progress) throws Exception {
        return start(model, layers, maxInFlight, KafkaSettings.defaults().with("laminar.response.format", responseFormat),
                progress);
    }

    private static LaminarServer start(Path model, LayerRange layers, int maxInFlight, KafkaSettings kafka)
            throws Exception {
        return start(model, layers, maxInFlight, kafka, new LaminarServer.Progress() { });
    }

    private static LaminarServer start(Path model, LayerRange layers, int maxInFlight, KafkaSettings kafka,
                                       LaminarServer.Progress progress) throws Exception {
        HostSettings host = HostSettings.local(model, List.of(layers), 1).withBatch(64, 8, 512);
        return LaminarServer.start(new LaminarServer.Options(model, host, kafka, 0, null, maxInFlight,
                "laminar-test-" + System.nanoTime()), progress);
    }

    /**
     * Starts a server in the background: {@code LaminarServer.start} returns only once every layer
     * is hosted, so a test that brings the other stages itself must not wait for it first.
     */
    static java.util.concurrent.CompletableFuture<LaminarServer> startInBackground(Path model,
            io.laminar.actors.HostSettings host, io.laminar.app.kafka.KafkaSettings kafka, String groupPrefix) {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return LaminarServer.start(new LaminarServer.Options(model, host, kafka, 0, null, 16,
                        groupPrefix + "-" + System.nanoTime()));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    static InferenceRequest greedy(String id, String prompt, int maxTokens) {
        return InferenceRequest.newBuilder().setRequestId(id).setPrompt(prompt).setMaxTokens(maxTokens)
                .setTemperature(0f).build();
    }

    /** Events per request, in arrival order, once every request ended. */
    static Map<String, List<ResponseEvent>> collect(ResponseStream stream, Set<String> ids, Duration timeout) {
        Map<String, List<ResponseEvent>> byId = new ConcurrentHashMap<>();
        Set<String> open = stream.follow(ids, timeout, e ->
                byId.computeIfAbsent(e.getRequestId(), k -> new ArrayList<>()).add(e));
        if (!open.isEmpty()) {
            throw new AssertionError("no final event for " + open + " within " + timeout);
        }
        return byId;
    }

    static int[] tokenIds(List<ResponseEvent> events) {
        return events.stream().filter(e -> e.getType() == EventType.TOKEN)
                .mapToInt(e -> e.getToken().getTokenId()).toArray();
    }

    static String text(List<ResponseEvent> events) {
        StringBuilder sb = new StringBuilder();
        events.stream().filter(e -> e.getType() == EventType.TOKEN).forEach(e -> sb.append(e.getToken().getText()));
        return sb.toString();
    }

    static ResponseStream responses(LaminarServer s) {
        return new ResponseStream(s.kafka().consumerConfig("unused"), s.kafka().responsesTopic());
    }

    static RequestProducer producer(LaminarServer s, WireFormat format) {
        return new RequestProducer(s.kafka().producerConfig(), s.kafka().requestsTopic(), format);
    }

    /** A Kafka client's properties without Laminar's own {@code laminar.*} keys. */
    static Map<String, Object> clientConfig(Map<String, Object> config) {
        Map<String, Object> client = new HashMap<>(config);
        client.keySet().removeIf(k -> k.startsWith("laminar."));
        return client;
    }

    /** A producer of raw bytes, for records no serializer would write. */
    static KafkaProducer<byte[], byte[]> rawProducer(LaminarServer s) {
        Map<String, Object> config = new HashMap<>(s.kafka().producerConfig());
        config.keySet().removeIf(k -> k.startsWith("laminar."));
        return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
    }

    static void sendRaw(KafkaProducer<byte[], byte[]> p, LaminarServer s, String key, byte[] value) throws Exception {
        p.send(new ProducerRecord<>(s.kafka().requestsTopic(), key == null ? null : key.getBytes(), value)).get();
    }
}
