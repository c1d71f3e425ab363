package io.laminar.bench;

import io.laminar.actors.HostSettings;
import io.laminar.app.client.RequestProducer;
import io.laminar.app.client.ResponseStream;
import io.laminar.app.kafka.KafkaSettings;
import io.laminar.app.serve.LaminarServer;
import io.laminar.model.exec.LayerRange;
import io.laminar.schemas.EventType;
import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.WireFormat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * What Kafka adds to a request's time to first token, on the embedded default (broker, gateway and
 * pipeline in one process, client in the same JVM on loopback).
 *
 * <p>Per request: the client's time from sending the record to receiving its first TOKEN event,
 * minus the time the server spent from reading the record to its first token (the FINISH event's
 * {@code time_to_first_token_ms}, which is the pipeline's own prompt processing and queueing). The
 * rest is Kafka: the produce, the gateway's poll, the response write and the client's fetch.
 * Reported as p50 and p99 over many requests, at 1 and 16 concurrent requests, after a warm-up.
 *
 * <p>Usage: {@code KafkaOverheadBench MODEL [rounds]}.
 */
public final class KafkaOverheadBench {
    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 40;
        int layers = StreamBenchArgs.layersOf(model);
        HostSettings host = HostSettings.local(model, List.of(new LayerRange(0, layers)), 1).withBatch(256, 16, 512);
        KafkaSettings kafka = KafkaSettings.defaults();
        try (LaminarServer server = LaminarServer.start(new LaminarServer.Options(model, host, kafka, 0, null, 64,
                "overhead-bench"))) {
            System.out.printf(Locale.ROOT, "model %s, embedded broker %s, %d rounds%n", model.getFileName(),
                    server.bootstrapServers(), rounds);
            // A server runs for hours: measure it warm. The broker shares this JVM and its JIT, and a
            // cold one takes 4-5 ms per hop where a warm one takes about 1 ms, so both the reference
            // and Laminar's path run a few thousand times before anything is kept.
            bareHop(server, 2000);
            run(server, 1, 200);
            run(server, 16, 20);
            double[] floor = bareHop(server, 300);
            System.out.printf(Locale.ROOT, "reference: a bare produce->consume hop on the same broker (no Laminar):"
                    + " p50 %.1f ms p99 %.1f ms; a request needs two such hops%n", pct(floor, 50), pct(floor, 99));
            for (int concurrency : new int[] {1, 16}) {
                double[][] r = run(server, concurrency, rounds);
                System.out.printf(Locale.ROOT,
                        "concurrency %2d: end-to-end TTFT p50 %.1f ms p99 %.1f ms; server TTFT p50 %.1f ms;"
                                + " Kafka overhead p50 %.1f ms p99 %.1f ms (n=%d); of which send to gateway read"
                                + " p50 %.0f ms, token event to client p50 %.0f ms%n",
                        concurrency, pct(r[0], 50), pct(r[0], 99), pct(r[1], 50), pct(r[2], 50), pct(r[2], 99),
                        r[0].length, pct(r[3], 50), pct(r[4], 50));
            }
        }
    }

    /**
     * Returns, in ms for every request of every round: client TTFT, server TTFT, overhead, send to
     * gateway read, and token event to client.
     */
    static double[][] run(LaminarServer server, int concurrency, int rounds) throws Exception {
        List<Double> client = new ArrayList<>();
        List<Double> serverSide = new ArrayList<>();
        List<Double> overhead = new ArrayList<>();
        List<Double> inbound = new ArrayList<>();
        List<Double> outbound = new ArrayList<>();
        // The reader is closed first (it waits for a running follow), then the client's consumer.
        try (ResponseStream stream = new ResponseStream(server.kafka().consumerConfig("x"),
                server.kafka().responsesTopic());
             RequestProducer producer = new RequestProducer(server.kafka().producerConfig(),
                     server.kafka().requestsTopic(), WireFormat.AVRO);
             ExecutorService reader = Executors.newSingleThreadExecutor()) {
            for (int round = 0; round < rounds; round++) {
                Map<String, Long> sentAt = new ConcurrentHashMap<>();
                Map<String, Long> firstAt = new ConcurrentHashMap<>();
                Map<String, Long> serverTtft = new ConcurrentHashMap<>();
                Map<String, Long> sentWallMs = new ConcurrentHashMap<>();
                Map<String, Long> readAtMs = new ConcurrentHashMap<>();
                Map<String, Long> tokenEventMs = new ConcurrentHashMap<>();
                Map<String, Long> tokenSeenMs = new ConcurrentHashMap<>();
                Set<String> ids = new HashSet<>();
                List<InferenceRequest> requests = new ArrayList<>();
                for (int i = 0; i < concurrency; i++) {
                    String id = "ovh-" + concurrency + "-" + round + "-" + i + "-" + System.nanoTime();
                    ids.add(id);
                    requests.add(InferenceRequest.newBuilder().setRequestId(id).setPrompt("Once upon a time")
                            .setMaxTokens(2).setTemperature(0f).build());
                }
                // The client reads on its own thread while it sends, as concurrent clients would: a
                // reader that only starts after the last send would count its own sending as Kafka's.
                CompletableFuture<Set<String>> reading = CompletableFuture.supplyAsync(() ->
                        stream.follow(ids, Duration.ofSeconds(60), (ResponseEvent e) -> {
                            if (e.getType() == EventType.TOKEN && e.getToken().getTokenIndex() == 0) {
                                firstAt.putIfAbsent(e.getRequestId(), System.nanoTime());
                                tokenSeenMs.put(e.getRequestId(), System.currentTimeMillis());
                                tokenEventMs.put(e.getRequestId(), e.getTimestampMs());
                            } else if (e.getType() == EventType.FINISH) {
                                serverTtft.put(e.getRequestId(), e.getFinish().getTimings().getTimeToFirstTokenMs());
                                readAtMs.put(e.getRequestId(),
                                        e.getTimestampMs() - e.getFinish().getTimings().getTotalMs());
                            }
                        }), reader);
                for (InferenceRequest request : requests) {
                    sentAt.put(request.getRequestId(), System.nanoTime());
                    sentWallMs.put(request.getRequestId(), System.currentTimeMillis());
                }
                producer.sendAll(requests);
                Set<String> unfinished = reading.get();
                if (!unfinished.isEmpty()) {
                    throw new IllegalStateException("no answer within 60 s for " + unfinished);
                }
                for (String id : ids) {
                    double c = (firstAt.get(id) - sentAt.get(id)) / 1e6;
                    double s = serverTtft.get(id);
                    client.add(c);
                    serverSide.add(s);
                    overhead.add(c - s);
                    inbound.add((double) (readAtMs.get(id) - sentWallMs.get(id)));
                    outbound.add((double) (tokenSeenMs.get(id) - tokenEventMs.get(id)));
                }
            }
        }
        return new double[][] {toArray(client), toArray(serverSide), toArray(overhead), toArray(inbound),
                toArray(outbound)};
    }

    /** Milliseconds from producing a small record to a consumer (assigned at the end) receiving it. */
    static double[] bareHop(LaminarServer server, int n) throws Exception {
        Map<String, Object> pc = new java.util.HashMap<>(server.kafka().producerConfig());
        pc.keySet().removeIf(k -> k.startsWith("laminar."));
        pc.put("linger.ms", 0);
        Map<String, Object> cc = new java.util.HashMap<>(server.kafka().consumerConfig("x"));
        cc.keySet().removeIf(k -> k.startsWith("laminar."));
        cc.remove("group.id");
        String topic = server.kafka().deadLetterTopic(); // a topic nothing else writes during the bench
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<>(pc,
                new org.apache.kafka.common.serialization.ByteArraySerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer());
             var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(cc,
                     new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                     new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            List<org.apache.kafka.common.TopicPartition> tps = new ArrayList<>();
            consumer.partitionsFor(topic).forEach(p -> tps.add(new org.apache.kafka.common.TopicPartition(topic,
                    p.partition())));
            consumer.assign(tps);
            consumer.seekToEnd(tps);
            tps.forEach(consumer::position);
            double[] ms = new double[n];
            for (int i = -50; i < n; i++) {
                long t0 = System.nanoTime();
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, new byte[64]));
                while (consumer.poll(Duration.ofMillis(20)).isEmpty()) {
                    // wait for it
                }
                if (i >= 0) {
                    ms[i] = (System.nanoTime() - t0) / 1e6;
                }
            }
            return ms;
        }
    }

    static double[] toArray(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).toArray();
    }

    static double pct(double[] xs, double p) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.ceil(p / 100 * s.length) - 1)];
    }
}
