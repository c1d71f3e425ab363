package io.laminar.app;

import io.laminar.app.client.RequestProducer;
import io.laminar.app.client.ResponseStream;
import io.laminar.app.serve.LaminarServer;
import io.laminar.model.gguf.GgufFile;
import io.laminar.schemas.ChatMessage;
import io.laminar.schemas.EventType;
import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.WireFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code laminar demo}: the embedded default end to end. Starts a Kafka broker and the pipeline in
 * this process, sends a few prompts at once through the requests topic, and shows their token
 * streams arriving on the responses topic, interleaved, as they are generated.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        footer = {"", "Without -m the demo runs " + DemoCommand.DEFAULT_MODEL + ",",
                "downloaded once into the model cache; offline, pass a local file, e.g.",
                "  ./laminar demo -m ../shared/testdata/models/stories260K.gguf"},
        description = "Starts the embedded default (an in-process Kafka broker and a local pipeline), sends a few prompts concurrently through Kafka and shows their streams interleaving live.")
public final class DemoCommand implements Callable<Integer> {
    /** The small real chat model the demo runs when no -m is given. */
    public static final String DEFAULT_MODEL = "hf:bartowski/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct-Q8_0.gguf";

    @Mixin
    ModelOptions model;

    @Mixin
    PipelineOptions pipeline;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", defaultValue = "96", description = "Tokens per prompt (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "Prompts to send instead of the built-in ones (repeatable).")
    List<String> prompts = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (model.model == null) {
            model.model = DEFAULT_MODEL;
        }
        model.validate();
        boolean chat;
        try (GgufFile f = GgufFile.open(model.path())) {
            chat = f.metadata().has("tokenizer.chat_template");
        }
        List<String> texts = !prompts.isEmpty() ? prompts : chat
                ? List.of("Write a haiku about streams of data.", "What is pipeline parallelism, in two sentences?",
                "Name three colors and one fruit.", "Why do people like Kafka?")
                : List.of("Once upon a time", "Lily and Tom went to the park", "The little dog", "One sunny day");
        LaminarServer.Options options = ServeCommand.options(model, pipeline, ServeCommand.Membership.alone(),
                ServeCommand.Kafka.embedded(64, "laminar-demo"));
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (LaminarServer server = LaminarServer.start(options)) {
            out.println("kafka bootstrap: " + server.bootstrapServers());
            out.printf("sending %d %s concurrently to %s ...%n%n", texts.size(), chat ? "chat messages" : "prompts",
                    server.kafka().requestsTopic());
            Map<String, StringBuilder> streams = new LinkedHashMap<>();
            Map<String, String> labels = new LinkedHashMap<>();
            try (ResponseStream responses = new ResponseStream(server.kafka().consumerConfig("unused"),
                    server.kafka().responsesTopic());
                 RequestProducer producer = new RequestProducer(server.kafka().producerConfig(),
                         server.kafka().requestsTopic(), WireFormat.JSON)) {
                List<InferenceRequest> requests = new ArrayList<>();
                for (int i = 0; i < texts.size(); i++) {
                    String id = "demo-" + (i + 1);
                    InferenceRequest.Builder b = InferenceRequest.newBuilder().setRequestId(id).setMaxTokens(maxTokens)
                            .setTemperature(0.7f).setSeed(42L + i);
                    if (chat) {
                        b.setMessages(List.of(ChatMessage.newBuilder().setRole("user").setContent(texts.get(i)).build()));
                    } else {
                        b.setPrompt(texts.get(i));
                    }
                    requests.add(b.build());
                    streams.put(id, new StringBuilder());
                    labels.put(id, texts.get(i));
                }
                // All at once, so the gateway reads them together and they share the pipeline's steps.
                producer.sendAll(requests);
                LiveView view = new LiveView(out, labels, streams, System.console() != null);
                responses.follow(streams.keySet(), Duration.ofMinutes(10), e -> view.onEvent(e));
                view.finish();
            }
        }
        return 0;
    }

    /**
     * Shows the streams: on a terminal, one block per request redrawn in place as tokens arrive;
     * otherwise one line per event, tagged with its request, so the interleaving is visible in a log.
     */
    private static final class LiveView {
        private final PrintStream out;
        private final Map<String, String> labels;
        private final Map<String, StringBuilder> streams;
        private final boolean terminal;
        private final Map<String, String> endings = new LinkedHashMap<>();
        private int drawnLines;
        private long lastDraw;

        LiveView(PrintStream out, Map<String, String> labels, Map<String, StringBuilder> streams, boolean terminal) {
            this.out = out;
            this.labels = labels;
            this.streams = streams;
            this.terminal = terminal;
        }

        void onEvent(ResponseEvent e) {
            String id = e.getRequestId();
            if (e.getType() == EventType.TOKEN) {
                streams.get(id).append(e.getToken().getText());
                if (!terminal) {
                    out.printf("[%s] %s%n", id, e.getToken().getText().replace("\n", "\\n"));
                }
            } else if (e.getType() == EventType.FINISH) {
                var f = e.getFinish();
                endings.put(id, String.format("(%s, %d tokens, first after %s ms, %.1f t/s)",
                        f.getFinishReason(), f.getUsage().getGeneratedTokens(), f.getTimings().getTimeToFirstTokenMs(),
                        f.getTimings().getTokensPerSecond()));
            } else if (e.getType() == EventType.ERROR) {
                endings.put(id, "(error " + e.getError().getCode() + ": " + e.getError().getMessage() + ")");
            }
            if (terminal && System.nanoTime() - lastDraw > 50_000_000L) {
                draw();
            }
        }

        void finish() {
            if (terminal) {
                draw();
            } else {
                out.println();
                streams.forEach((id, text) -> out.printf("[%s] %s%n    %s %s%n", id, labels.get(id), text,
                        endings.getOrDefault(id, "")));
            }
        }

        private void draw() {
            lastDraw = System.nanoTime();
            StringBuilder sb = new StringBuilder();
            if (drawnLines > 0) {
                sb.append("\033[").append(drawnLines).append("F\033[J");
            }
            int lines = 0;
            for (Map.Entry<String, StringBuilder> s : streams.entrySet()) {
                String body = s.getValue().toString().replace('\n', ' ');
                sb.append("\033[1m").append(s.getKey()).append("\033[0m ").append(labels.get(s.getKey())).append('\n');
                sb.append("  ").append(body).append(' ').append(endings.getOrDefault(s.getKey(), "▌")).append("\n\n");
                lines += 3 + body.length() / 100;
            }
            drawnLines = lines;
            out.print(sb);
            out.flush();
        }
    }
}
