package io.laminar.app.http.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.laminar.actors.HostSettings;
import io.laminar.app.http.HttpAddress;
import io.laminar.app.http.HttpFront;
import io.laminar.app.http.LoopbackServing;
import io.laminar.app.http.openai.ApiKeys;
import io.laminar.app.http.openai.OpenAiDoor;
import io.laminar.app.http.openai.OpenAiSettings;
import io.laminar.app.kafka.KafkaSettings;
import io.laminar.app.serve.LaminarServer;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.exec.WarmUpBudget;
import io.laminar.model.testing.TestModels;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Test helper: what {@code serve --http 127.0.0.1:0 --stages 2} runs, in-process: the embedded
 * broker, the synthetic stories-sized model (5 layers) in two stages, the OpenAI door and the
 * dashboard's routes on one loopback port.
 */
final class DashboardServing extends LoopbackServing {
    static final String MODEL_NAME = "stories-sized";
    static final ObjectMapper JSON = new ObjectMapper();


    private DashboardServing(LaminarServer server, HttpFront front, OpenAiDoor door) {
        super(server, front, door);
    }

    static DashboardServing start() throws Exception {
        Path model = TestModels.storiesSized();
        HostSettings host = HostSettings.local(model, List.of(new LayerRange(0, 2), new LayerRange(2, 5)), 1)
                .withBatch(64, 4, 512).withWarmUp(WarmUpBudget.NONE);
        LaminarServer server = LaminarServer.start(new LaminarServer.Options(model, host, KafkaSettings.defaults(), 0,
                null, 64, "dashboard-test-" + System.nanoTime()));
        HttpFront front = HttpFront.bind(HttpAddress.parse("127.0.0.1:0")).start();
        OpenAiDoor door = OpenAiDoor.open(front, OpenAiSettings.defaults(MODEL_NAME), server.kafka());
        Dashboard.addTo(front, server.pipeline(), server.kafka(), ApiKeys.NONE);
        return new DashboardServing(server, front, door);
    }

    /** Sends a greedy completion and returns its id, which is also its Laminar request id. */
    String complete(String prompt, int maxTokens, boolean inspect) throws Exception {
        HttpResponse<String> r = post("/v1/completions", JSON.createObjectNode().put("model", MODEL_NAME)
                .put("prompt", prompt).put("max_tokens", maxTokens).put("temperature", 0).put("inspect", inspect)
                .toString());
        if (r.statusCode() != 200) {
            throw new AssertionError(r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body()).get("id").asText();
    }

    /** The attention JSON of {@code id} once its request finished and every row arrived. */
    JsonNode attention(String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        JsonNode a = null;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = get("/v1/laminar/attention/" + id);
            if (r.statusCode() == 200) {
                a = JSON.readTree(r.body());
                if (a.get("finished").asBoolean() && whole(a)) {
                    return a;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the attention of " + id + " did not arrive whole: " + a);
    }

    private static boolean whole(JsonNode a) {
        int queries = a.get("tokens").size() - 1;
        for (JsonNode layer : a.get("attention")) {
            for (JsonNode head : layer) {
                if (head.size() != queries) {
                    return false;
                }
                for (JsonNode row : head) {
                    if (row.isNull()) {
                        return false;
                    }
                }
            }
        }
        return a.get("attention").size() == a.get("layers").asInt();
    }
}
