package io.laminar.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.laminar.actors.SoloRuns;
import io.laminar.model.testing.TestData;
import io.laminar.model.testing.TestModels;
import io.laminar.model.tokenizer.Tokenizer;
import io.laminar.model.tokenizer.Tokenizers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The commands as a user runs them: arguments in, stdout out. */
class CommandLineTest {
    /** llama.cpp's greedy continuation of "Once upon a time" on stories260K (../shared/testdata/README.md). */
    static final List<Integer> EXPECTED = List.of(432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396,
            267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394);

    @TempDir
    Path tmp;

    record Run(int code, String out) {
    }

    static Run run(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            code = Main.commandLine().execute(args);
        } finally {
            System.setOut(original);
        }
        return new Run(code, captured.toString(StandardCharsets.UTF_8));
    }

    /** With --json, stdout is exactly one line of JSON: nothing else may write there. */
    static String lastLine(String out) {
        String[] lines = out.strip().split("\n");
        assertEquals(1, lines.length, "stdout holds only the JSON object:\n" + out);
        return lines[0];
    }

    static List<Integer> ids(JsonNode array) {
        List<Integer> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asInt()));
        return out;
    }

    @Test
    void generateGivesLlamaCppsGreedyTokens() throws Exception {
        String model = TestData.stories260K().toString();
        for (String stages : List.of("1", "2", "5")) {
            Run r = run("generate", "-m", model, "-p", "Once upon a time", "-n", "32", "--temp", "0", "--json",
                    "--stages", stages, "-t", "1");
            assertEquals(0, r.code(), r.out());
            JsonNode json = new ObjectMapper().readTree(lastLine(r.out()));
            assertEquals(List.of(1, 403, 407, 261, 378), ids(json.get("prompt_ids")));
            assertEquals(EXPECTED, ids(json.get("gen_ids")), stages + " stage(s)");
            assertEquals(", there was a little girl named Lily. She loved to play outside in the park. One day, she saw",
                    json.get("text").asText());
            assertTrue(json.get("gen_tokens_per_s").asDouble() > 0);
        }
    }

    /** The same, without ../shared: whatever the stages, a single process's greedy tokens and their text. */
    @Test
    void generateGivesASingleProcesssTokensWhateverTheStages() throws Exception {
        Path model = TestModels.storiesSized();
        Tokenizer tokenizer = Tokenizers.fromGguf(model);
        int[] prompt = tokenizer.encode("ab cd e fg", true, true);
        int[] solo = SoloRuns.greedy(model, new int[][] {prompt}, new int[] {32}, 512)[0];
        List<Integer> expected = Arrays.stream(solo).boxed().toList();
        for (String stages : List.of("1", "2", "5")) {
            Run r = run("generate", "-m", model.toString(), "-p", "ab cd e fg", "-n", "32", "--temp", "0", "--json",
                    "--stages", stages, "-t", "1");
            assertEquals(0, r.code(), r.out());
            JsonNode json = new ObjectMapper().readTree(lastLine(r.out()));
            assertEquals(Arrays.stream(prompt).boxed().toList(), ids(json.get("prompt_ids")));
            assertEquals(expected, ids(json.get("gen_ids")), stages + " stage(s)");
            assertEquals(tokenizer.decode(solo).strip(), json.get("text").asText().strip());
        }
    }

    /** {@code --attention} writes every layer's and head's weights for every query token, rows summing to 1. */
    @Test
    void generateWritesTheAttentionOfATwoStageRun() throws Exception {
        Path file = tmp.resolve("attention.json");
        Run r = run("generate", "-m", TestModels.storiesSized().toString(), "-p", "ab cd e fg", "-n", "6", "--temp",
                "0", "--json", "--stages", "2", "-t", "1", "--attention", file.toString());
        assertEquals(0, r.code(), r.out());
        JsonNode gen = new ObjectMapper().readTree(lastLine(r.out()));
        JsonNode a = new ObjectMapper().readTree(file.toFile());
        int prompt = gen.get("prompt_ids").size();
        assertEquals(prompt, a.get("prompt_tokens").asInt());
        assertEquals(5, a.get("layers").asInt());
        assertEquals(8, a.get("heads").asInt());
        assertEquals(prompt + 6, a.get("tokens").size(), "the prompt and every generated token");
        List<Integer> generated = new java.util.ArrayList<>();
        for (int p = prompt; p < a.get("tokens").size(); p++) {
            generated.add(a.get("tokens").get(p).get("id").asInt());
        }
        assertEquals(ids(gen.get("gen_ids")), generated);
        assertEquals(5, a.get("attention").size());
        for (JsonNode layer : a.get("attention")) {
            assertEquals(8, layer.size());
            for (JsonNode head : layer) {
                assertEquals(prompt + 5, head.size(), "the last token chosen is never a query");
                for (int q = 0; q < head.size(); q++) {
                    assertEquals(q + 1, head.get(q).size());
                    double sum = 0;
                    for (JsonNode w : head.get(q)) {
                        sum += w.asDouble();
                    }
                    assertEquals(1, sum, 1e-5);
                }
            }
        }
        assertEquals(6, a.get("top").size());
        for (JsonNode step : a.get("top")) {
            assertEquals(step.get("chosen").asInt(), step.get("candidates").get(0).get("id").asInt(), "greedy");
            assertTrue(step.get("candidates").get(0).has("text"));
        }
    }

    @Test
    void benchPrintsMediansAsJson() throws Exception {
        Run r = run("bench", "-m", TestModels.storiesSized().toString(), "-p", "16", "-n", "8", "-r", "2", "-t", "1",
                "--streams", "4", "--json");
        assertEquals(0, r.code(), r.out());
        JsonNode json = new ObjectMapper().readTree(lastLine(r.out()));
        assertTrue(json.get("prompt_tokens_per_s").asDouble() > 0 && json.get("gen_tokens_per_s").asDouble() > 0);
        assertEquals(4, json.get("streams").asInt());
        assertEquals(2, json.get("batched_gen_tokens_per_s_samples").size());
        assertTrue(json.get("batched_gen_tokens_per_s").asDouble() > 0);
        assertEquals(1, run("bench", "-m", TestModels.storiesSized().toString(), "--streams", "0").code());
    }

    @Test
    void synthWritesModelsThatGenerate() throws Exception {
        for (String[] shapeAndType : new String[][] {{"tiny", "Q4_K"}, {"qwen3-tiny", "Q8_0"}, {"qwen2-tiny", "BF16"}}) {
            Path model = tmp.resolve(shapeAndType[0] + "-" + shapeAndType[1] + ".gguf");
            Run synth = run("synth", "-o", model.toString(), "--shape", shapeAndType[0], "-t", shapeAndType[1]);
            assertEquals(0, synth.code(), synth.out());
            assertTrue(Files.size(model) > 0);
            Run gen = run("generate", "-m", model.toString(), "-p", "ab cd", "-n", "16", "--temp", "0", "--json",
                    "-t", "1");
            assertEquals(0, gen.code(), gen.out());
            assertEquals(16, new ObjectMapper().readTree(lastLine(gen.out())).get("gen_ids").size(), String.join(" ", shapeAndType));
        }
    }

    @Test
    void badInputGetsOneClearLineAndANonZeroExit() {
        assertEquals(1, run("generate", "-m", tmp.resolve("missing.gguf").toString(), "-p", "x").code());
        assertEquals(1, run("synth", "-o", tmp.resolve("x.gguf").toString(), "-t", "Q5_K").code());
        assertEquals(1, run("serve", "-m", TestModels.storiesSized().toString(), "--warm-up", "-1").code());
        // the test model has layers 0-4
        assertEquals(1, run("serve", "-m", TestModels.storiesSized().toString(), "--layers", "0-5").code());
        assertEquals(1, run("serve", "-m", TestModels.storiesSized().toString(), "--layers", "0-2", "--stages", "2").code());
        // The OpenAI door: beyond loopback only with API keys; on its own, only with a model name.
        assertEquals(1, run("serve", "-m", TestModels.storiesSized().toString(), "--http", "0.0.0.0:0").code());
        assertEquals(1, run("http", "--bootstrap-servers", "127.0.0.1:1", "--http", "0").code());
        assertEquals(1, run("http", "--bootstrap-servers", "127.0.0.1:1", "--http", "0.0.0.0:0",
                "--served-model-name", "m").code());
    }

    @Test
    void promptHonoursItsTimeoutAndNamesABrokerThatDoesNotAnswer() {
        StringWriter err = new StringWriter();
        long start = System.nanoTime();
        int code = Main.commandLine().setErr(new PrintWriter(err, true))
                .execute("prompt", "--bootstrap-servers", "127.0.0.1:1", "--timeout", "3", "hi");
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(1, code, err.toString());
        assertTrue(err.toString().contains("127.0.0.1:1") && err.toString().contains("within 3 s"), err.toString());
        assertTrue(seconds < 8, "took " + seconds + " s for --timeout 3");
    }

    @Test
    void serveNamesABrokerThatDoesNotAnswer() throws Exception {
        Path config = Files.writeString(tmp.resolve("kafka.properties"), "laminar.topic.setup.timeout.ms=2000\n");
        StringWriter err = new StringWriter();
        int code = Main.commandLine().setErr(new PrintWriter(err, true)).execute("serve",
                "-m", TestModels.storiesSized().toString(), "--bootstrap-servers", "127.0.0.1:1",
                "--kafka-config", config.toString());
        assertEquals(1, code, err.toString());
        assertTrue(err.toString().contains("no Kafka broker at 127.0.0.1:1 answered within 2 s"), err.toString());
    }
}
