package io.laminar.app.http.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.laminar.actors.HostSettings;
import io.laminar.app.Main;
import io.laminar.app.http.HttpAddress;
import io.laminar.app.http.HttpFront;
import io.laminar.app.http.LoopbackServing;
import io.laminar.app.kafka.KafkaSettings;
import io.laminar.app.serve.LaminarServer;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.exec.WarmUpBudget;
import io.laminar.model.testing.TestModels;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Test helper: {@code serve --http} in-process, on an embedded broker and the synthetic
 * stories-sized model (5 layers, context 512), with the OpenAI door on a loopback port.
 */
final class DoorServing extends LoopbackServing {
    static final String MODEL_NAME = "stories-sized";
    static final ObjectMapper JSON = new ObjectMapper();

    final Path model;

    private DoorServing(Path model, LaminarServer server, HttpFront front, OpenAiDoor door) {
        super(server, front, door);
        this.model = model;
    }

    static DoorServing start(int maxSequences) throws Exception {
        Path model = TestModels.storiesSized();
        // No warm-up: these tests check what the door answers, not how fast.
        HostSettings host = HostSettings.local(model, List.of(new LayerRange(0, 5)), 1).withBatch(64, maxSequences, 512)
                .withWarmUp(WarmUpBudget.NONE);
        LaminarServer server = LaminarServer.start(new LaminarServer.Options(model, host, KafkaSettings.defaults(), 0,
                null, 64, "openai-test-" + System.nanoTime()));
        HttpFront front = HttpFront.bind(HttpAddress.parse("0")).start();
        OpenAiDoor door = OpenAiDoor.open(front, OpenAiSettings.defaults(MODEL_NAME), server.kafka());
        return new DoorServing(model, server, front, door);
    }

    /**
     * The text {@code laminar generate --temp 0} prints for this prompt (its {@code --json} "text"),
     * run in this JVM: the reference for the door's greedy answers.
     */
    String generate(String prompt, int maxTokens, boolean chat) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("generate", "-m", model.toString(), "-p", prompt, "-n",
                "" + maxTokens, "--temp", "0", "--seed", "42", "--json", "-t", "1"));
        if (chat) {
            args.add("--chat");
        }
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            code = Main.commandLine().execute(args.toArray(String[]::new));
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8).strip();
        if (code != 0) {
            throw new AssertionError("generate failed: " + out);
        }
        JsonNode json = JSON.readTree(out.substring(out.lastIndexOf('\n') + 1));
        return json.get("text").asText();
    }
}
