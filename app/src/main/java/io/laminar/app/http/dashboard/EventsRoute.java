package io.laminar.app.http.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.laminar.app.http.openai.ApiError;
import io.laminar.app.http.openai.ApiKeys;
import io.laminar.schemas.EventType;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.ResponseCodec;
import io.laminar.schemas.codec.SchemasConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /v1/laminar/events}: every request's response events as server-sent events, live, one
 * {@code data:} line of JSON per event ({@code token}, {@code finish} or {@code error}; docs/dashboard.md).
 * Like every door it is a Kafka client: each connection reads the responses topic from its end, with a
 * consumer of its own and no group, until the page goes away (a write fails; a comment line every
 * {@link #PING} finds that out when nothing else is written). A page open costs one fetch stream.
 */
public final class EventsRoute extends LaminarRoute {
    public static final String PATH = "/v1/laminar/events";
    private static final Duration POLL = Duration.ofMillis(100);
    private static final long PING = Duration.ofSeconds(5).toNanos();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Object> consumerConfig;
    private final String topic;

    /** @param consumerConfig the serve's Kafka consumer settings ({@code laminar.*} keys configure decoding) */
    public EventsRoute(Map<String, Object> consumerConfig, String topic, ApiKeys keys) {
        super(keys);
        this.consumerConfig = consumerConfig;
        this.topic = topic;
    }

    @Override
    void get(HttpExchange ex, String path) throws IOException {
        if (!path.equals(PATH)) {
            throw ApiError.notFound(ex.getRequestMethod(), path);
        }
        Map<String, Object> config = new HashMap<>();
        Map<String, Object> laminar = new HashMap<>();
        consumerConfig.forEach((k, v) -> (k.startsWith("laminar.") ? laminar : config).put(k, v));
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        ResponseCodec codec = new ResponseCodec(new SchemasConfig(laminar));
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
            List<TopicPartition> partitions = infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(tp -> consumer.position(tp, Duration.ofSeconds(10)));
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            ex.getResponseHeaders().set("Cache-Control", "no-cache");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            write(out, ": connected\n\n");
            long lastWrite = System.nanoTime();
            while (!Thread.currentThread().isInterrupted()) {
                Iterable<ConsumerRecord<byte[], byte[]>> records;
                try {
                    records = consumer.poll(POLL);
                } catch (InterruptException stopping) { // the HTTP port closes
                    return;
                }
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    ObjectNode event = describe(codec, r.value());
                    if (event != null) {
                        write(out, "data: " + JSON.writeValueAsString(event) + "\n\n");
                        lastWrite = System.nanoTime();
                    }
                }
                if (System.nanoTime() - lastWrite > PING) {
                    write(out, ": ping\n\n");
                    lastWrite = System.nanoTime();
                }
            }
        }
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** The event as the page reads it, or null for one it cannot decode or does not know. */
    private static ObjectNode describe(ResponseCodec codec, byte[] value) {
        ResponseEvent e;
        try {
            e = codec.decode(value);
        } catch (RuntimeException bad) {
            return null;
        }
        ObjectNode o = JSON.createObjectNode().put("request_id", e.getRequestId()).put("timestamp_ms", e.getTimestampMs());
        if (e.getType() == EventType.TOKEN && e.getToken() != null) {
            return o.put("type", "token").put("index", e.getToken().getTokenIndex()).put("token_id", e.getToken().getTokenId())
                    .put("text", e.getToken().getText());
        }
        if (e.getType() == EventType.FINISH && e.getFinish() != null) {
            var f = e.getFinish();
            o.put("type", "finish").put("finish_reason", f.getFinishReason().name().toLowerCase(java.util.Locale.ROOT));
            o.put("prompt_tokens", f.getUsage().getPromptTokens()).put("generated_tokens", f.getUsage().getGeneratedTokens());
            o.put("time_to_first_token_ms", f.getTimings().getTimeToFirstTokenMs())
                    .put("tokens_per_second", f.getTimings().getTokensPerSecond())
                    .put("total_ms", f.getTimings().getTotalMs());
            return o;
        }
        if (e.getType() == EventType.ERROR && e.getError() != null) {
            return o.put("type", "error").put("code", e.getError().getCode().name()).put("message", e.getError().getMessage());
        }
        return null;
    }
}
