package io.laminar.app.http.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.laminar.actors.PipelineClient;
import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.app.client.ResponseStream;
import io.laminar.app.http.HttpAddress;
import io.laminar.app.http.HttpFront;
import io.laminar.schemas.EventType;
import io.laminar.schemas.FinishReason;
import io.laminar.schemas.ResponseEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.laminar.app.http.openai.DoorServing.JSON;
import static io.laminar.app.http.openai.DoorServing.MODEL_NAME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The OpenAI-compatible door in front of {@code serve} on an embedded broker: shapes, streaming, cancellation. */
class OpenAiDoorTest {
    static DoorServing serving;

    @BeforeAll
    static void start() throws Exception {
        serving = DoorServing.start(4);
    }

    @AfterAll
    static void stop() {
        if (serving != null) {
            serving.close();
        }
    }

    @Test
    void modelsListsTheServedModel() throws Exception {
        HttpResponse<String> list = serving.get("/v1/models");
        assertEquals(200, list.statusCode());
        JsonNode body = JSON.readTree(list.body());
        assertEquals("list", body.get("object").asText());
        assertEquals(MODEL_NAME, body.get("data").get(0).get("id").asText());
        assertEquals("model", body.get("data").get(0).get("object").asText());
        assertTrue(body.get("data").get(0).get("created").isIntegralNumber());
        assertEquals(MODEL_NAME, JSON.readTree(serving.get("/v1/models/" + MODEL_NAME).body()).get("id").asText());
        HttpResponse<String> other = serving.get("/v1/models/gpt-4o");
        assertEquals(404, other.statusCode());
        assertEquals("model_not_found", JSON.readTree(other.body()).get("error").get("code").asText());
    }

    @Test
    void aChatCompletionHasOpenAisShapeAndGreedyText() throws Exception {
        String prompt = "ab cd e fg";
        HttpResponse<String> r = serving.post("/v1/chat/completions", """
                {"model": "%s", "messages": [{"role": "user", "content": "%s"}], "max_tokens": 12,
                 "temperature": 0, "seed": 42}""".formatted(MODEL_NAME, prompt));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElseThrow());
        JsonNode body = JSON.readTree(r.body());
        assertTrue(body.get("id").asText().startsWith("chatcmpl-"));
        assertEquals(body.get("id").asText(), r.headers().firstValue("x-request-id").orElseThrow());
        assertEquals("chat.completion", body.get("object").asText());
        assertEquals(MODEL_NAME, body.get("model").asText());
        assertTrue(Math.abs(body.get("created").asLong() - System.currentTimeMillis() / 1000) < 60);
        JsonNode choice = body.get("choices").get(0);
        assertEquals(0, choice.get("index").asInt());
        assertEquals("assistant", choice.get("message").get("role").asText());
        assertTrue(choice.get("logprobs").isNull());
        JsonNode usage = body.get("usage");
        assertEquals(usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt(),
                usage.get("total_tokens").asInt());
        int tokens = usage.get("completion_tokens").asInt();
        assertEquals(tokens == 12 ? "length" : "stop", choice.get("finish_reason").asText());
        assertEquals(serving.generate(prompt, 12, true), choice.get("message").get("content").asText());
    }

    @Test
    void aCompletionHasOpenAisShapeAndGreedyText() throws Exception {
        String prompt = "hi a bc";
        HttpResponse<String> r = serving.post("/v1/completions", """
                {"model": "%s", "prompt": "%s", "max_tokens": 10, "temperature": 0, "stop": null}"""
                .formatted(MODEL_NAME, prompt));
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = JSON.readTree(r.body());
        assertTrue(body.get("id").asText().startsWith("cmpl-"));
        assertEquals("text_completion", body.get("object").asText());
        JsonNode choice = body.get("choices").get(0);
        assertEquals(serving.generate(prompt, 10, false), choice.get("text").asText());
        assertEquals(10, body.get("usage").get("completion_tokens").asInt());
        assertEquals("length", choice.get("finish_reason").asText());
    }

    @Test
    void aStreamSendsOneChunkPerTokenAsItIsGenerated() throws Exception {
        HttpResponse<java.io.InputStream> r = serving.client.send(HttpRequest.newBuilder(serving.uri("/v1/completions"))
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"model": "%s", "prompt": "de fa", "max_tokens": 200, "temperature": 0, "stream": true,
                         "stream_options": {"include_usage": true}}""".formatted(MODEL_NAME))).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElseThrow().startsWith("text/event-stream"));
        List<Long> arrivals = new ArrayList<>();
        List<JsonNode> chunks = new ArrayList<>();
        boolean done = false;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) {
                    continue;
                }
                assertTrue(line.startsWith("data: "), line);
                assertFalse(done, "nothing after [DONE]");
                if (line.equals("data: [DONE]")) {
                    done = true;
                    continue;
                }
                arrivals.add(System.nanoTime());
                chunks.add(JSON.readTree(line.substring(6)));
            }
        }
        assertTrue(done, "ends with [DONE]");
        JsonNode usageChunk = chunks.getLast();
        assertEquals(0, usageChunk.get("choices").size(), "the usage chunk has no choices");
        int tokens = usageChunk.get("usage").get("completion_tokens").asInt();
        List<JsonNode> content = chunks.subList(0, chunks.size() - 2);
        JsonNode last = chunks.get(chunks.size() - 2);
        assertEquals(tokens == 200 ? "length" : "stop", last.get("choices").get(0).get("finish_reason").asText());
        assertEquals(tokens, content.size(), "one chunk per token");
        String id = chunks.getFirst().get("id").asText();
        for (JsonNode c : chunks) {
            assertEquals(id, c.get("id").asText());
            assertEquals("text_completion", c.get("object").asText());
            assertTrue(c.has("usage"), "include_usage: every chunk has a usage field");
        }
        for (JsonNode c : content) {
            assertTrue(c.get("choices").get(0).get("finish_reason").isNull());
            assertTrue(c.get("usage").isNull());
        }
        // Streamed as generated, not all at the end: the chunks arrive over the generation's time, in
        // many separate moments. (The gateway's producer lingers up to 5 ms, Kafka's default, so a
        // few tokens may share a moment: at least one moment per 10 ms is asked.)
        List<Long> contentArrivals = arrivals.subList(0, content.size());
        long spanMs = TimeUnit.NANOSECONDS.toMillis(contentArrivals.getLast() - contentArrivals.getFirst());
        int moments = 1;
        for (int i = 1; i < contentArrivals.size(); i++) {
            if (contentArrivals.get(i) - contentArrivals.get(i - 1) > TimeUnit.MICROSECONDS.toNanos(200)) {
                moments++;
            }
        }
        assertTrue(spanMs >= 10 && moments >= Math.max(5, spanMs / 10), "chunks over " + spanMs + " ms in " + moments
                + " moments for " + content.size() + " tokens");
    }

    @Test
    void aClientThatDisconnectsMidStreamCancelsItsRequest() throws Exception {
        String body = """
                {"model": "%s", "messages": [{"role": "user", "content": "ab"}], "max_tokens": 480,
                 "temperature": 0, "stream": true}""".formatted(MODEL_NAME);
        String id;
        List<ResponseEvent> events = new ArrayList<>();
        try (ResponseStream responses = new ResponseStream(serving.server.kafka().consumerConfig("x"),
                serving.server.kafka().responsesTopic())) {
            try (Socket socket = new Socket("127.0.0.1", serving.front.address().port())) {
                OutputStream out = socket.getOutputStream();
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
                out.write(bytes);
                out.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                        StandardCharsets.UTF_8));
                String line;
                while (!(line = in.readLine()).startsWith("data: ")) {
                    // headers, then the chunk size line
                }
                id = JSON.readTree(line.substring(6)).get("id").asText();
            } // closed after the first chunk: the client is gone
            assertTrue(responses.follow(Set.of(id), Duration.ofSeconds(60), events::add).isEmpty(), "the request ended");
        }
        ResponseEvent last = events.getLast();
        assertEquals(EventType.FINISH, last.getType(), last.toString());
        assertEquals(FinishReason.CANCELLED, last.getFinish().getFinishReason());
        assertTrue(last.getFinish().getUsage().getGeneratedTokens() < 480, last.toString());
        PipelineScheduler.Status status = new PipelineClient(serving.server.pipeline().system(),
                serving.server.pipeline().scheduler()).status().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertEquals(0, status.active(), "its sequence is freed: " + status);
        assertNothingWaits(serving.door);
        aGoodRequestSucceeds();
    }

    @Test
    void badInputGetsOpenAisErrorAndTheDoorServesOn() throws Exception {
        String ok = "{\"model\": \"" + MODEL_NAME + "\", \"prompt\": \"ab\", \"max_tokens\": 2";
        record Bad(String path, String body, int status, String param) {
        }
        List<Bad> cases = List.of(
                new Bad("/v1/completions", "{\"model\": ", 400, null),
                new Bad("/v1/completions", "[1, 2]", 400, null),
                new Bad("/v1/completions", ok + ", \"temperature\": \"hot\"}", 400, "temperature"),
                new Bad("/v1/completions", ok + ", \"max_tokens\": 2}", 400, null),
                new Bad("/v1/completions", ok + ", \"stream\": \"yes\"}", 400, "stream"),
                new Bad("/v1/chat/completions", "{\"model\": \"" + MODEL_NAME + "\", \"messages\": \"hi\"}", 400,
                        "messages"),
                new Bad("/v1/completions", "{\"model\": \"gpt-4o\", \"prompt\": \"ab\"}", 404, "model"),
                new Bad("/v1/completions", ok + ", \"n\": 5}", 400, "n"),
                new Bad("/v1/completions", ok + ", \"logprobs\": 3}", 400, "logprobs"),
                new Bad("/v1/chat/completions", "{\"model\": \"" + MODEL_NAME + "\", \"messages\": [{\"role\": \"user\","
                        + " \"content\": \"x\"}], \"tools\": [{\"type\": \"function\"}]}", 400, "tools"),
                new Bad("/v1/completions", ok + ", \"temprature\": 0}", 400, "temprature"),
                new Bad("/v1/completions", "{\"model\": \"" + MODEL_NAME + "\", \"prompt\": \"ab\", \"max_tokens\": 0}",
                        400, "max_tokens"),
                new Bad("/v1/completions", ok + ", \"top_p\": 1.5}", 400, "top_p"),
                new Bad("/v1/embeddings", "{}", 404, null),
                new Bad("/v1/completions", "{\"model\": \"" + MODEL_NAME + "\", \"prompt\": \"" + "ab ".repeat(3_500_000)
                        + "\"}", 413, null));
        for (Bad bad : cases) {
            HttpResponse<String> r = serving.post(bad.path(), bad.body());
            String what = bad.path() + " " + bad.body().substring(0, Math.min(80, bad.body().length()));
            assertEquals(bad.status(), r.statusCode(), what + " -> " + r.body());
            assertOpenAiError(r.body(), bad.param(), what);
            aGoodRequestSucceeds();
        }
        HttpResponse<String> get = serving.get("/v1/chat/completions");
        assertEquals(405, get.statusCode());
        assertEquals("POST", get.headers().firstValue("Allow").orElseThrow());
        assertOpenAiError(get.body(), null, "GET");
        aGoodRequestSucceeds();
    }

    @Test
    void apiKeysAreCheckedAndRequiredBeyondLoopback() throws Exception {
        OpenAiSettings keyed = OpenAiSettings.defaults(MODEL_NAME).withKeys(ApiKeys.of(List.of("sk-one", "sk-two")));
        try (HttpFront front = HttpFront.bind(HttpAddress.parse("0")).start();
             OpenAiDoor door = OpenAiDoor.open(front, keyed, serving.server.kafka())) {
            String base = "http://" + front.address();
            String body = "{\"model\": \"" + MODEL_NAME + "\", \"prompt\": \"ab\", \"max_tokens\": 2}";
            for (String auth : new String[] {null, "Bearer sk-three", "Basic c2stb25l", "Bearer "}) {
                HttpRequest.Builder b = HttpRequest.newBuilder(java.net.URI.create(base + "/v1/completions"))
                        .POST(HttpRequest.BodyPublishers.ofString(body));
                if (auth != null) {
                    b.header("Authorization", auth);
                }
                HttpResponse<String> r = serving.client.send(b.build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(401, r.statusCode(), auth);
                assertOpenAiError(r.body(), null, "" + auth);
            }
            HttpResponse<String> r = serving.client.send(HttpRequest.newBuilder(java.net.URI.create(base
                            + "/v1/completions")).header("Authorization", "Bearer sk-two")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertNothingWaits(door);
        }
        IllegalArgumentException open = assertThrows(IllegalArgumentException.class, () ->
                OpenAiDoor.checkExposure(HttpAddress.parse("0.0.0.0:8000"), OpenAiSettings.defaults(MODEL_NAME)));
        assertTrue(open.getMessage().contains("--http-api-keys"), open.getMessage());
        OpenAiDoor.checkExposure(HttpAddress.parse("0.0.0.0:8000"), keyed);
    }

    /** The handler forgets its request after the client has read the answer, so the count may lag a moment. */
    static void assertNothingWaits(OpenAiDoor door) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (door.waiting() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, door.waiting(), "the door waits on nothing");
    }

    static void assertOpenAiError(String body, String param, String what) throws Exception {
        JsonNode error = JSON.readTree(body).get("error");
        assertTrue(error != null && error.get("message").isTextual() && error.get("type").isTextual()
                && error.has("param") && error.has("code"), what + ": " + body);
        if (param != null) {
            assertEquals(param, error.get("param").asText(), what + ": " + body);
        }
    }

    static void aGoodRequestSucceeds() throws Exception {
        HttpResponse<String> r = serving.post("/v1/chat/completions", """
                {"model": "%s", "messages": [{"role": "user", "content": "ab"}], "max_tokens": 3}"""
                .formatted(MODEL_NAME));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("chat.completion", JSON.readTree(r.body()).get("object").asText(), r.body());
    }
}
