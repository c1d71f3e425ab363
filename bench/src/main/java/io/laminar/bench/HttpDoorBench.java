package io.laminar.bench;

import io.laminar.actors.HostSettings;
import io.laminar.app.client.RequestProducer;
import io.laminar.app.client.ResponseStream;
import io.laminar.app.http.HttpAddress;
import io.laminar.app.http.HttpFront;
import io.laminar.app.http.openai.OpenAiDoor;
import io.laminar.app.http.openai.OpenAiSettings;
import io.laminar.app.kafka.KafkaSettings;
import io.laminar.app.serve.LaminarServer;
import io.laminar.model.exec.LayerRange;
import io.laminar.schemas.EventType;
import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.codec.WireFormat;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the OpenAI-compatible HTTP door adds to time to first token over the Kafka path alone, and
 * whether it holds 64 concurrent streaming clients, on the embedded default (broker, gateway,
 * pipeline and door in one process, clients in the same JVM on loopback).
 *
 * <p>TTFT: the same greedy request (same prompt, 2 tokens) sent alternately through both paths,
 * one at a time: the Kafka path is a client producing the request and reading the responses topic
 * (RequestProducer and ResponseStream, as KafkaOverheadBench), timed from the send to its first
 * TOKEN event; the HTTP path is a streaming POST /v1/completions, timed from the send to the first
 * chunk line read. Both after a warm-up of the same requests. Reported: p50 and p99 of each, and
 * the p50 of the per-pair differences (HTTP minus the Kafka request just before it).
 *
 * <p>Load: 64 clients at once, each a streaming chat completion of {@code tokens} tokens; an error
 * is any status other than 200, a missing {@code [DONE]}, an error event, no content chunk or more
 * content chunks than the usage's completion tokens.
 *
 * <p>Usage: {@code HttpDoorBench MODEL [pairs] [tokens]}.
 */
public final class HttpDoorBench {
    private static final String PROMPT = "Once upon a time";

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        int pairs = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int tokens = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int layers = StreamBenchArgs.layersOf(model);
        HostSettings host = HostSettings.local(model, List.of(new LayerRange(0, layers)), 1).withBatch(256, 16, 512);
        try (LaminarServer server = LaminarServer.start(new LaminarServer.Options(model, host,
                KafkaSettings.defaults(), 0, null, 64, "http-door-bench"));
             HttpFront front = HttpFront.bind(HttpAddress.parse("0")).start();
             OpenAiDoor door = OpenAiDoor.open(front, OpenAiSettings.defaults("bench"), server.kafka());
             ResponseStream stream = new ResponseStream(server.kafka().consumerConfig("x"),
                     server.kafka().responsesTopic());
             RequestProducer producer = new RequestProducer(server.kafka().producerConfig(),
                     server.kafka().requestsTopic(), WireFormat.AVRO)) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI completions = URI.create("http://" + front.address() + "/v1/completions");
            System.out.printf(Locale.ROOT, "model %s, embedded broker %s, door %s, %d pairs%n", model.getFileName(),
                    server.bootstrapServers(), front.address(), pairs);
            // Measured warm: a server runs for hours, and broker, gateway and door share this JVM's JIT.
            for (int i = 0; i < Math.max(200, pairs); i++) {
                kafkaTtft(producer, stream, "warm-" + i);
                httpTtft(http, completions);
            }
            double[] kafka = new double[pairs];
            double[] door1 = new double[pairs];
            double[] diff = new double[pairs];
            for (int i = 0; i < pairs; i++) {
                kafka[i] = kafkaTtft(producer, stream, "pair-" + i);
                door1[i] = httpTtft(http, completions);
                diff[i] = door1[i] - kafka[i];
            }
            System.out.printf(Locale.ROOT, "TTFT Kafka path p50 %.2f ms p99 %.2f ms; HTTP door p50 %.2f ms p99 %.2f ms;"
                            + " door minus Kafka: p50 of pairs %.2f ms, difference of p50s %.2f ms (n=%d)%n",
                    pct(kafka, 50), pct(kafka, 99), pct(door1, 50), pct(door1, 99), pct(diff, 50),
                    pct(door1, 50) - pct(kafka, 50), pairs);
            double[] bare = new double[pairs];
            URI models = URI.create("http://" + front.address() + "/v1/models");
            for (int i = -200; i < pairs; i++) {
                long t0 = System.nanoTime();
                http.send(HttpRequest.newBuilder(models).build(), HttpResponse.BodyHandlers.ofString());
                if (i >= 0) {
                    bare[i] = (System.nanoTime() - t0) / 1e6;
                }
            }
            System.out.printf(Locale.ROOT, "reference: a bare HTTP round trip on the same port (GET /v1/models, no"
                    + " Kafka): p50 %.2f ms p99 %.2f ms%n", pct(bare, 50), pct(bare, 99));
            load(http, URI.create("http://" + front.address() + "/v1/chat/completions"), 64, tokens);
        }
    }

    /** Milliseconds from producing the request to reading its first TOKEN event. */
    static double kafkaTtft(RequestProducer producer, ResponseStream stream, String prefix) throws Exception {
        String id = prefix + "-" + System.nanoTime();
        AtomicLong first = new AtomicLong();
        long t0 = System.nanoTime();
        producer.send(InferenceRequest.newBuilder().setRequestId(id).setPrompt(PROMPT).setMaxTokens(2)
                .setTemperature(0f).build());
        Set<String> open = stream.follow(Set.of(id), Duration.ofSeconds(60), e -> {
            if (e.getType() == EventType.TOKEN) {
                first.compareAndSet(0, System.nanoTime());
            }
        });
        if (!open.isEmpty() || first.get() == 0) {
            throw new IllegalStateException("no answer for " + id);
        }
        return (first.get() - t0) / 1e6;
    }

    /** Milliseconds from sending the streaming POST to reading its first chunk. */
    static double httpTtft(HttpClient http, URI completions) throws Exception {
        String body = "{\"model\": \"bench\", \"prompt\": \"" + PROMPT + "\", \"max_tokens\": 2, \"temperature\": 0,"
                + " \"stream\": true}";
        long t0 = System.nanoTime();
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(completions)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        long first = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("data: ") && first == 0) {
                    first = System.nanoTime();
                }
            }
        }
        if (r.statusCode() != 200 || first == 0) {
            throw new IllegalStateException("HTTP " + r.statusCode());
        }
        return (first - t0) / 1e6;
    }

    /** {@code clients} streaming chat completions at once; prints errors, TTFT and throughput. */
    static void load(HttpClient http, URI chat, int clients, int tokens) throws Exception {
        String body = "{\"model\": \"bench\", \"messages\": [{\"role\": \"user\", \"content\": \"" + PROMPT + "\"}],"
                + " \"max_tokens\": " + tokens + ", \"stream\": true, \"stream_options\": {\"include_usage\": true}}";
        long t0 = System.nanoTime();
        List<Future<double[]>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < clients; c++) {
                results.add(pool.submit(() -> oneStream(http, chat, body, t0)));
            }
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        int errors = 0;
        long generated = 0;
        List<Double> ttft = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Future<double[]> f : results) {
            try {
                double[] r = f.get();
                ttft.add(r[0]);
                generated += (long) r[1];
            } catch (Exception e) {
                errors++;
                problems.add(String.valueOf(e.getCause()));
            }
        }
        double[] t = ttft.stream().mapToDouble(Double::doubleValue).toArray();
        System.out.printf(Locale.ROOT, "%d concurrent streaming chat completions of %d tokens: %d errors%s; TTFT p50 %.0f"
                        + " ms p99 %.0f ms; %d tokens in %.2f s (%.0f tokens/s)%n", clients, tokens, errors,
                problems.isEmpty() ? "" : " " + problems.subList(0, Math.min(3, problems.size())),
                t.length == 0 ? 0 : pct(t, 50), t.length == 0 ? 0 : pct(t, 99), generated, wall, generated / wall);
    }

    /** One streaming client: {TTFT ms from the common start, tokens}; throws on any error. */
    static double[] oneStream(HttpClient http, URI chat, String body, long t0) throws Exception {
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(chat).timeout(Duration.ofMinutes(5))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + r.statusCode() + ": " + new String(r.body().readAllBytes(),
                    StandardCharsets.UTF_8));
        }
        long first = 0;
        int contentChunks = 0;
        int usageTokens = -1;
        boolean done = false;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.startsWith("data: ")) {
                    continue;
                }
                if (line.equals("data: [DONE]")) {
                    done = true;
                } else if (line.contains("\"error\"")) {
                    throw new IllegalStateException(line);
                } else if (line.contains("\"usage\":{")) {
                    int at = line.indexOf("\"completion_tokens\":") + "\"completion_tokens\":".length();
                    usageTokens = Integer.parseInt(line.substring(at, line.indexOf(',', at)));
                } else if (line.contains("\"content\"")) {
                    if (first == 0) {
                        first = System.nanoTime();
                    }
                    contentChunks++;
                }
            }
        }
        // A token whose text is held back (part of a character) sends no chunk: at most one per token.
        if (!done || usageTokens < 0 || contentChunks < 1 || contentChunks > usageTokens) {
            throw new IllegalStateException("done=" + done + " chunks=" + contentChunks + " usage=" + usageTokens);
        }
        return new double[] {(first - t0) / 1e6, usageTokens};
    }

    static double pct(double[] xs, double p) {
        double[] s = xs.clone();
        java.util.Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.ceil(p / 100 * s.length) - 1)];
    }
}
