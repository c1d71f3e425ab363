package io.laminar.bench;

import io.laminar.app.client.RequestProducer;
import io.laminar.app.kafka.KafkaSettings;
import io.laminar.schemas.EventType;
import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.WireFormat;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The client side of bench/netns/chaos.sh: sends requests to a Laminar on other network hosts and
 * measures what comes back on the responses topic, without deduplicating, so that faults show as
 * what a client would have to cope with.
 *
 * <pre>
 * ChaosClient topics --bootstrap H:P [--timeout S]
 *     creates Laminar's topics once the broker answers, as a deployment would before serve starts
 * ChaosClient probe --bootstrap H:P [--timeout S] [--warm N]
 *     sends a 2-token request until one finishes (the pipeline is ready), then N warm-up requests
 * ChaosClient run --bootstrap H:P --scenario NAME [--requests 8] [--tokens 300] [--reference FILE]
 *                 [--save-reference] [--timeout S] [--settle S] [--mark FILE] [--exits FILE]
 *                 [--label TEXT] [--results FILE] [--events FILE]
 *     sends the requests at once (greedy, fixed seed), reads the responses topic from its start
 *     for their ids until each has ended (FINISH or ERROR) and --settle more seconds passed
 *     without an event, or --timeout; prints a summary and one JSON line (also appended to
 *     --results); --events writes every token event with its wall-clock time of receipt
 * ChaosClient table FILE
 *     the JSON lines of FILE as a table
 * </pre>
 *
 * <p>Request i always has the same prompt and seed, so the token ids of a run without faults
 * ({@code --save-reference}) are what every other run should produce.
 */
public final class ChaosClient {
    private static final String[] PROMPTS = {
            "Once upon a time", "The little dog", "In the morning the sun", "She opened the door and",
            "Tom had a red ball", "The old tree said", "A cat sat on the", "Every day after school",
    };

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage();
        }
        Map<String, String> o = options(args);
        switch (args[0]) {
            case "topics" -> System.exit(topics(o));
            case "probe" -> System.exit(probe(o));
            case "run" -> run(o);
            case "table" -> table(Path.of(args[1]));
            default -> usage();
        }
        System.exit(0);
    }

    private static void usage() {
        System.err.println("usage: ChaosClient probe|run|table ... (see the class comment)");
        System.exit(2);
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> o = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            if (args[i].startsWith("--")) {
                boolean flag = i + 1 >= args.length || args[i + 1].startsWith("--");
                o.put(args[i].substring(2), flag ? "true" : args[++i]);
            }
        }
        return o;
    }

    private static KafkaSettings kafka(Map<String, String> o) {
        String bootstrap = o.get("bootstrap");
        if (bootstrap == null) {
            throw new IllegalArgumentException("--bootstrap HOST:PORT is required");
        }
        return KafkaSettings.defaults().withBootstrapServers(bootstrap);
    }

    private static InferenceRequest request(String id, int i, int tokens) {
        return InferenceRequest.newBuilder()
                .setRequestId(id)
                .setPrompt(PROMPTS[i % PROMPTS.length] + (i >= PROMPTS.length ? " " + i : ""))
                .setMaxTokens(tokens)
                .setTemperature(0f)
                .setSeed(1000L + i)
                .build();
    }

    /**
     * Exit status 0 once the topics exist, 1 if the broker did not let them be created within
     * --timeout. Made before serve starts, because serve that cannot create them (a broker still
     * starting) exits, and its restart would be timed as a slow start of the scenario.
     */
    private static int topics(Map<String, String> o) throws InterruptedException {
        KafkaSettings kafka = kafka(o);
        long deadline = System.nanoTime() + Duration.ofSeconds(Long.parseLong(o.getOrDefault("timeout", "120"))).toNanos();
        while (true) {
            try {
                io.laminar.app.kafka.TopicSetup.ensure(kafka);
                return 0;
            } catch (RuntimeException brokerNotUpYet) {
                if (System.nanoTime() > deadline) {
                    System.err.println("topics: " + brokerNotUpYet.getMessage());
                    return 1;
                }
                Thread.sleep(1000);
            }
        }
    }

    /** Exit status 0 once a request has finished end to end, 1 if none did within --timeout. */
    private static int probe(Map<String, String> o) throws Exception {
        KafkaSettings kafka = kafka(o);
        long deadline = System.nanoTime() + Duration.ofSeconds(Long.parseLong(o.getOrDefault("timeout", "240"))).toNanos();
        int warm = Integer.parseInt(o.getOrDefault("warm", "0"));
        String run = UUID.randomUUID().toString().substring(0, 8);
        try (ChaosResponses responses = new ChaosResponses(kafka);
             RequestProducer producer = new RequestProducer(kafka.producerConfig(), kafka.requestsTopic(), WireFormat.AVRO)) {
            for (int attempt = 1; System.nanoTime() < deadline; attempt++) {
                String id = "probe-" + run + "-" + attempt;
                producer.send(request(id, 0, 2));
                // The scheduler answers PIPELINE_NOT_READY after its admission timeout (30 s) while
                // layers are missing; then the probe is sent again.
                EventType end = responses.awaitEnd(id, deadline);
                if (end == EventType.FINISH) {
                    if (warm > 0) {
                        List<InferenceRequest> batch = new ArrayList<>();
                        for (int i = 0; i < warm; i++) {
                            batch.add(request("warm-" + run + "-" + i, i, 32));
                        }
                        producer.sendAll(batch);
                        for (InferenceRequest r : batch) {
                            responses.awaitEnd(r.getRequestId(), deadline);
                        }
                    }
                    return 0;
                }
                System.err.println("probe " + attempt + ": " + (end == null ? "no answer" : end) + ", again");
            }
        }
        System.err.println("probe: the pipeline did not answer within the timeout");
        return 1;
    }

    private static void run(Map<String, String> o) throws Exception {
        KafkaSettings kafka = kafka(o);
        String scenario = o.getOrDefault("scenario", "none");
        int n = Integer.parseInt(o.getOrDefault("requests", "8"));
        int tokens = Integer.parseInt(o.getOrDefault("tokens", "300"));
        long timeoutNs = Duration.ofSeconds(Long.parseLong(o.getOrDefault("timeout", "240"))).toNanos();
        long settleNs = Duration.ofMillis(Math.round(Double.parseDouble(o.getOrDefault("settle", "3")) * 1000)).toNanos();
        Path referenceFile = o.containsKey("reference") ? Path.of(o.get("reference")) : null;
        Map<Integer, List<Integer>> reference = referenceFile != null && Files.exists(referenceFile)
                && !o.containsKey("save-reference") ? readReference(referenceFile) : null;

        String run = scenario + "-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, Integer> index = new LinkedHashMap<>();
        List<InferenceRequest> requests = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String id = run + "-" + i;
            index.put(id, i);
            requests.add(request(id, i, tokens));
        }
        Stream[] streams = new Stream[n];
        for (int i = 0; i < n; i++) {
            streams[i] = new Stream();
        }
        long sent;
        long wallAtSent;
        long end;
        try (ChaosResponses responses = new ChaosResponses(kafka);
             RequestProducer producer = new RequestProducer(kafka.producerConfig(), kafka.requestsTopic(), WireFormat.AVRO)) {
            sent = System.nanoTime();
            wallAtSent = System.currentTimeMillis();
            producer.sendAll(requests);
            long deadline = sent + timeoutNs;
            long lastEvent = sent;
            boolean marked = false;
            while (true) {
                long now = System.nanoTime();
                boolean allEnded = true;
                for (Stream s : streams) {
                    allEnded &= s.ended();
                }
                // Ended requests can still get events (a request served again after a crash): wait
                // until the topic has been quiet for --settle, bounded by --timeout.
                if (now >= deadline || (allEnded && now - lastEvent >= settleNs)) {
                    end = now;
                    break;
                }
                for (ConsumerRecord<byte[], byte[]> r : responses.poll()) {
                    long at = System.nanoTime();
                    ResponseEvent e = responses.decode(r);
                    Integer i = e == null ? null : index.get(e.getRequestId());
                    if (i == null) {
                        continue;
                    }
                    streams[i].add(e, at - sent);
                    lastEvent = at;
                    if (!marked && e.getType() == EventType.TOKEN && o.containsKey("mark")) {
                        // chaos.sh starts its fault a few seconds after this file appears
                        Files.writeString(Path.of(o.get("mark")), "generating\n");
                        marked = true;
                    }
                }
            }
        }
        Result result = Result.of(scenario, o.getOrDefault("label", ""), streams, reference, tokens, (end - sent) / 1e9,
                o.containsKey("exits") ? exits(Path.of(o.get("exits"))) : "");
        if (o.containsKey("save-reference") && referenceFile != null) {
            writeReference(referenceFile, streams);
        }
        if (o.containsKey("events")) {
            writeEvents(Path.of(o.get("events")), streams, wallAtSent);
        }
        System.err.println(result.summary());
        String json = result.json();
        System.out.println(json);
        if (o.containsKey("results")) {
            Files.writeString(Path.of(o.get("results")), json + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }

    /**
     * Every token event as received: request, token index, token id and the wall-clock time in
     * milliseconds, to line a stall up with the processes' logs.
     */
    private static void writeEvents(Path file, Stream[] streams, long wallAtSent) throws IOException {
        StringBuilder out = new StringBuilder("request token_index token_id received_ms\n");
        for (int i = 0; i < streams.length; i++) {
            for (long[] t : streams[i].tokens) {
                out.append(i).append(' ').append(t[0]).append(' ').append(t[1]).append(' ')
                        .append(wallAtSent + t[2] / 1_000_000).append('\n');
            }
        }
        Files.writeString(file, out, StandardCharsets.UTF_8);
    }

    private static String exits(Path file) throws IOException {
        if (!Files.exists(file)) {
            return "";
        }
        return String.join("; ", Files.readAllLines(file)).replace("\"", "'");
    }

    /** What one request got, in arrival order, repeats included. */
    static final class Stream {
        final List<long[]> tokens = new ArrayList<>(); // {token index, token id, nanos since sent}
        final List<Long> eventTimes = new ArrayList<>();
        int finishes;
        int errors;
        Integer generated; // the last FINISH's generated_tokens
        String errorCode;
        String errorMessage;

        void add(ResponseEvent e, long at) {
            eventTimes.add(at);
            switch (e.getType()) {
                case TOKEN -> tokens.add(new long[] {e.getToken().getTokenIndex(), e.getToken().getTokenId(), at});
                case FINISH -> {
                    finishes++;
                    generated = e.getFinish().getUsage().getGeneratedTokens();
                }
                case ERROR -> {
                    errors++;
                    errorCode = String.valueOf(e.getError().getCode());
                    errorMessage = String.valueOf(e.getError().getMessage());
                }
                default -> { }
            }
        }

        boolean ended() {
            return finishes > 0 || errors > 0;
        }

        /** The first token id seen at each index. */
        TreeMap<Integer, Integer> distinct() {
            TreeMap<Integer, Integer> m = new TreeMap<>();
            for (long[] t : tokens) {
                m.putIfAbsent((int) t[0], (int) t[1]);
            }
            return m;
        }
    }

    record Result(String scenario, String label, int requests, int completed, int errored, int unfinished,
                  long tokenEvents, long distinct, long missing, long repeated, long conflicting,
                  int matching, boolean haveReference, double stallS, double ttftMaxS, double totalS,
                  double tokensPerS, String errorCodes, String firstError, String exits) {

        static Result of(String scenario, String label, Stream[] streams, Map<Integer, List<Integer>> reference,
                         int maxTokens, double totalS, String exits) {
            int completed = 0;
            int errored = 0;
            int unfinished = 0;
            int matching = 0;
            long events = 0;
            long distinct = 0;
            long missing = 0;
            long conflicting = 0;
            long stall = 0;
            long ttftMax = 0;
            long lastToken = 0;
            TreeMap<String, Integer> codes = new TreeMap<>();
            String firstError = "";
            for (int i = 0; i < streams.length; i++) {
                Stream s = streams[i];
                TreeMap<Integer, Integer> d = s.distinct();
                events += s.tokens.size();
                distinct += d.size();
                for (long[] t : s.tokens) {
                    if (d.get((int) t[0]) != (int) t[1]) {
                        conflicting++;
                    }
                    lastToken = Math.max(lastToken, t[2]);
                }
                // Expected: what the server says it generated, else what the reference run got,
                // else what was asked for.
                int expected = s.generated != null ? s.generated
                        : reference != null && reference.containsKey(i) ? reference.get(i).size() : maxTokens;
                long got = d.keySet().stream().filter(k -> k < expected).count();
                missing += expected - got;
                if (s.finishes > 0 && got == expected) {
                    completed++;
                } else if (s.errors > 0) {
                    errored++;
                    codes.merge(s.errorCode, 1, Integer::sum);
                    if (firstError.isEmpty()) {
                        firstError = s.errorCode + ": " + s.errorMessage;
                    }
                } else {
                    unfinished++;
                }
                if (reference != null && new ArrayList<>(d.values()).equals(reference.get(i))) {
                    matching++;
                }
                if (!s.tokens.isEmpty()) {
                    ttftMax = Math.max(ttftMax, s.tokens.get(0)[2]);
                }
                for (int k = 1; k < s.tokens.size(); k++) {
                    stall = Math.max(stall, s.tokens.get(k)[2] - s.tokens.get(k - 1)[2]);
                }
            }
            StringBuilder errorCodes = new StringBuilder();
            codes.forEach((c, k) -> errorCodes.append(errorCodes.isEmpty() ? "" : ",").append(c).append('x').append(k));
            double tps = lastToken > 0 ? distinct / (lastToken / 1e9) : 0;
            return new Result(scenario, label, streams.length, completed, errored, unfinished, events, distinct,
                    missing, events - distinct, conflicting, matching, reference != null, stall / 1e9, ttftMax / 1e9,
                    totalS, tps, errorCodes.toString(), firstError.replace("\"", "'").replace("\\", "/").replace("\n", " "), exits);
        }

        String summary() {
            return String.format(Locale.ROOT, "%s: %d/%d completed, %d errored, %d unfinished; %d token events, %d missing,"
                            + " %d repeated, %d conflicting; %s match the reference; longest stall %.2f s;"
                            + " %.1f tokens/s; %.1f s%s%s",
                    scenario, completed, requests, errored, unfinished, tokenEvents, missing, repeated, conflicting,
                    haveReference ? matching + "/" + requests : "none to", stallS, tokensPerS, totalS,
                    errorCodes.isEmpty() ? "" : "; errors " + errorCodes + " (" + firstError + ")", exits.isEmpty() ? "" : "; exits: " + exits);
        }

        String json() {
            return String.format(Locale.ROOT, "{\"scenario\":\"%s\",\"link\":\"%s\",\"requests\":%d,\"completed\":%d,"
                            + "\"errored\":%d,\"unfinished\":%d,\"token_events\":%d,\"distinct_tokens\":%d,\"missing\":%d,"
                            + "\"repeated\":%d,\"conflicting\":%d,\"match_reference\":%s,\"longest_stall_s\":%.3f,"
                            + "\"max_ttft_s\":%.3f,\"total_s\":%.3f,\"tokens_per_s\":%.1f,\"error_codes\":\"%s\","
                            + "\"first_error\":\"%s\",\"exits\":\"%s\"}",
                    scenario, label, requests, completed, errored, unfinished, tokenEvents, distinct, missing, repeated,
                    conflicting, haveReference ? String.valueOf(matching) : "null", stallS, ttftMaxS, totalS, tokensPerS,
                    errorCodes, firstError, exits);
        }
    }

    private static Map<Integer, List<Integer>> readReference(Path file) throws IOException {
        Map<Integer, List<Integer>> m = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            String[] parts = line.split(" ", 2);
            List<Integer> ids = new ArrayList<>();
            if (parts.length > 1 && !parts[1].isBlank()) {
                for (String t : parts[1].split(",")) {
                    ids.add(Integer.parseInt(t));
                }
            }
            m.put(Integer.parseInt(parts[0]), ids);
        }
        return m;
    }

    private static void writeReference(Path file, Stream[] streams) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < streams.length; i++) {
            sb.append(i).append(' ');
            StringBuilder ids = new StringBuilder();
            for (int id : streams[i].distinct().values()) {
                ids.append(ids.isEmpty() ? "" : ",").append(id);
            }
            sb.append(ids).append('\n');
        }
        Files.writeString(file, sb);
    }

    private static final Pattern FIELD = Pattern.compile("\"([a-z_0-9]+)\":(\"[^\"]*\"|[^,}]+)");

    /** The results file as a fixed-width table, one row per JSON line. */
    private static void table(Path file) throws IOException {
        String[][] columns = {
                {"scenario", "scenario"}, {"link", "link"}, {"completed", "done"}, {"requests", "of"},
                {"errored", "err"}, {"unfinished", "open"}, {"missing", "missing"}, {"repeated", "repeated"},
                {"match_reference", "=ref"}, {"longest_stall_s", "stall_s"}, {"max_ttft_s", "ttft_s"},
                {"total_s", "total_s"}, {"tokens_per_s", "tok/s"}, {"error_codes", "errors"}, {"exits", "exits"},
        };
        List<String[]> rows = new ArrayList<>();
        String[] header = new String[columns.length];
        for (int c = 0; c < columns.length; c++) {
            header[c] = columns[c][1];
        }
        rows.add(header);
        for (String line : Files.readAllLines(file)) {
            if (line.isBlank()) {
                continue;
            }
            Map<String, String> f = new HashMap<>();
            Matcher m = FIELD.matcher(line);
            while (m.find()) {
                f.put(m.group(1), m.group(2).replace("\"", ""));
            }
            String[] row = new String[columns.length];
            for (int c = 0; c < columns.length; c++) {
                row[c] = f.getOrDefault(columns[c][0], "");
            }
            rows.add(row);
        }
        int[] width = new int[columns.length];
        for (String[] row : rows) {
            for (int c = 0; c < row.length; c++) {
                width[c] = Math.max(width[c], row[c].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder sb = new StringBuilder();
            for (int c = 0; c < row.length; c++) {
                sb.append(String.format("%-" + (width[c] + 2) + "s", row[c]));
            }
            System.out.println(sb.toString().stripTrailing());
        }
    }
}
