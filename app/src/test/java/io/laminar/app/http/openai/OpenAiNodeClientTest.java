package io.laminar.app.http.openai;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.laminar.app.http.openai.DoorServing.JSON;
import static io.laminar.app.http.openai.DoorServing.MODEL_NAME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The official {@code openai} npm client (pinned in app/src/test/node, installed by {@code npm ci}
 * there) streams a chat completion and a completion through the door of {@code serve --http} on
 * the embedded broker; the texts are those of {@code laminar generate --temp 0}. Skipped where
 * node or the package is missing.
 */
class OpenAiNodeClientTest {
    static final Path NODE_DIR = Path.of("src", "test", "node").toAbsolutePath();
    static DoorServing serving;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Files.isDirectory(NODE_DIR.resolve("node_modules").resolve("openai")),
                "the openai package is not installed: npm ci in " + NODE_DIR);
        assumeTrue(nodeRuns(), "node is not installed");
        serving = DoorServing.start(4);
    }

    @AfterAll
    static void stop() {
        if (serving != null) {
            serving.close();
        }
    }

    private static boolean nodeRuns() {
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void theOpenAiClientStreamsGreedyTextOfGenerate() throws Exception {
        String prompt = "ab cd e fg";
        int maxTokens = 24;
        Process node = new ProcessBuilder(List.of("node", "stream.mjs", "http://" + serving.front.address() + "/v1",
                MODEL_NAME, prompt, "" + maxTokens, "42")).directory(NODE_DIR.toFile()).redirectErrorStream(true).start();
        assertTrue(node.waitFor(120, TimeUnit.SECONDS), "node finished");
        String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, node.exitValue(), out);
        JsonNode result = JSON.readTree(out.substring(out.lastIndexOf('\n') + 1));

        JsonNode chat = result.get("chat");
        assertEquals(serving.generate(prompt, maxTokens, true), chat.get("text").asText());
        assertEquals(chat.get("usage").get("completion_tokens").asInt(), chat.get("chunks").asInt(), "a chunk per token");
        assertTrue(chat.get("chunks").asInt() > 1, out);

        JsonNode completion = result.get("completion");
        assertEquals(serving.generate(prompt, maxTokens, false), completion.get("text").asText());
        assertEquals(maxTokens, completion.get("usage").get("completion_tokens").asInt(), out);
        assertEquals("length", completion.get("finish").asText());
        assertEquals(MODEL_NAME, result.get("models").get(0).asText());
    }
}
