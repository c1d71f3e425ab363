package io.laminar.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.laminar.actors.CompletingListener;
import io.laminar.actors.HostSettings;
import io.laminar.actors.PipelineClient;
import io.laminar.actors.PipelineHost;
import io.laminar.actors.inspect.Inspection;
import io.laminar.actors.metrics.LaminarMetrics;
import io.laminar.actors.scheduler.SchedulerSettings;
import io.laminar.actors.scheduler.SequenceEvent;
import io.laminar.app.inspect.AttentionJson;
import io.laminar.model.LoadedModel;
import io.laminar.model.chat.ChatTurn;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.exec.StageBackend;
import io.laminar.model.generate.GenerationStats;
import io.laminar.model.generate.TokenListener;
import io.laminar.model.sampling.SamplingParams;
import io.laminar.model.tokenizer.StreamingDecoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code laminar generate}: completes a prompt, streaming the text as it is produced. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generates text from a prompt and streams it to stdout as it is produced. Greedy decoding is --temp 0. With --chat the prompt is a user message rendered with the model's own chat template, and generation stops at the model's end-of-turn token.")
public final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = {"-p", "--prompt"}, required = true, description = "The prompt text.")
    String prompt;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "128", description = "Tokens to generate at most (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temp", defaultValue = "0.8", description = "Temperature; 0 is greedy (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-k", defaultValue = "40", description = "Top-k; 0 disables (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", defaultValue = "0.95", description = "Top-p; 1 disables (default: ${DEFAULT-VALUE}).")
    float topP;

    @Option(names = "--min-p", defaultValue = "0.05", description = "Min-p; 0 disables (default: ${DEFAULT-VALUE}).")
    float minP;

    @Option(names = "--repeat-penalty", defaultValue = "1.0", description = "Repetition penalty; 1 disables (default: ${DEFAULT-VALUE}).")
    float repeatPenalty;

    @Option(names = "--repeat-last-n", defaultValue = "64", description = "Tokens the repetition penalty looks back at (default: ${DEFAULT-VALUE}).")
    int repeatLastN;

    @Option(names = {"-s", "--seed"}, description = "Seed of the sampler; the same seed gives the same text (default: random).")
    Long seed;

    @Option(names = "--chat", description = "Treat the prompt as a user message and apply the model's chat template.")
    boolean chat;

    @Option(names = "--system", description = "A system message to put before the user message (implies --chat).")
    String system;

    @Option(names = "--prompt-lookup", paramLabel = "N", defaultValue = "0",
            description = "Speculative decoding with drafts from the text itself: check up to N tokens that followed the latest earlier occurrence of the last tokens, in one step; the same output, in fewer steps when text repeats. 0 turns it off (default: ${DEFAULT-VALUE}).")
    int promptLookup;

    @Option(names = "--attention", paramLabel = "FILE", description = "Capture the attention weights of every layer and head for every token, and the top next-token probabilities of each step, and write them to FILE as JSON (docs/dashboard.md). CPU stages only.")
    Path attention;

    @Option(names = "--json", description = "Print one JSON object at the end (prompt_ids, gen_ids, text, speeds) instead of streaming.")
    boolean json;

    /** What prompt lookup drafted and how much of it was kept, for the summary line; empty without drafts. */
    private String drafts(LaminarMetrics metrics) {
        long drafted = metrics.draftTokens();
        return promptLookup == 0 ? "" : String.format(Locale.ROOT, "; %d of %d drafted tokens kept (%.0f%%)",
                metrics.draftTokensAccepted(), drafted, drafted == 0 ? 0.0 : 100.0 * metrics.draftTokensAccepted() / drafted);
    }

    @Override
    public Integer call() throws Exception {
        model.validate();
        SamplingParams sampling = new SamplingParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN,
                seed != null ? seed : System.nanoTime());
        try (LoadedModel m = LoadedModel.open(model.path())) {
            int[] promptIds = encodePrompt(m);
            int context = Math.min(model.context, m.config().contextLength());
            if (promptIds.length >= context) {
                throw new IllegalArgumentException("the prompt has " + promptIds.length
                        + " tokens, which does not fit the context of " + context + " tokens");
            }
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            StreamingDecoder decoder = StreamingDecoder.continuing(m.tokenizer());
            StringBuilder text = new StringBuilder();
            TokenListener listener = (index, token) -> {
                String piece = decoder.accept(token);
                text.append(piece);
                if (!json && !piece.isEmpty()) {
                    out.print(piece);
                    out.flush();
                }
            };
            HostSettings settings = HostSettings.local(model.path(),
                    List.of(LayerRange.split(m.config().layers(), model.stages)), model.threads)
                    .withBatch(Math.min(model.batch, context), 1, context)
                    .withBackends(StageBackend.perStage(model.backends, model.stages))
                    .withScheduling(new HostSettings.Scheduling(0, SchedulerSettings.DEFAULT_ADMISSION_TIMEOUT,
                            PipelineOptions.promptLookup(promptLookup)));
            try (PipelineHost host = PipelineHost.start(settings)) {
                PipelineClient client = new PipelineClient(host.system(), host.scheduler());
                client.awaitReady(Duration.ofSeconds(30));
                List<Integer> ids = new ArrayList<>();
                CompletingListener request = new CompletingListener() {
                    @Override
                    public void onToken(int index, int tokenId) {
                        ids.add(tokenId);
                        listener.onToken(index, tokenId);
                    }
                };
                Inspection inspection = client.submit("generate", promptIds, maxTokens, sampling, request,
                        attention != null);
                SequenceEvent result = request.end.get();
                if (result instanceof SequenceEvent.Failed f) {
                    throw new IllegalStateException(f.kind() + ": " + f.message());
                }
                SequenceEvent.Finished r = (SequenceEvent.Finished) result;
                GenerationStats stats = new GenerationStats(r.promptTokens(), r.generatedTokens(), r.promptNanos(),
                        r.generateNanos());
                if (attention != null) {
                    writeAttention(m, inspection, promptIds.length + ids.size() - 1);
                }
                String rest = decoder.flush();
                text.append(rest);
                if (json) {
                    Map<String, Object> o = new LinkedHashMap<>();
                    o.put("prompt_ids", promptIds);
                    o.put("gen_ids", ids);
                    o.put("text", text.toString());
                    o.put("finish_reason", r.reason().name().toLowerCase(Locale.ROOT));
                    o.put("prompt_tokens_per_s", stats.promptTokensPerSecond());
                    o.put("gen_tokens_per_s", stats.generatedTokensPerSecond());
                    out.println(new ObjectMapper().writeValueAsString(o));
                } else {
                    out.print(rest);
                    out.println();
                    System.err.printf(Locale.ROOT, "%nlaminar: %d prompt tokens at %.1f t/s, %d generated at %.1f t/s (%s)%s%n",
                            stats.promptTokens(), stats.promptTokensPerSecond(), stats.generatedTokens(),
                            stats.generatedTokensPerSecond(), r.reason().name().toLowerCase(Locale.ROOT),
                            drafts(LaminarMetrics.get(host.system())));
                }
            }
        }
        return 0;
    }

    /** Waits for every stage's last report (they may trail the end of the request), then writes the file. */
    private void writeAttention(LoadedModel m, Inspection inspection, int queries) throws Exception {
        if (!inspection.awaitQueries(queries, 30_000)) {
            System.err.println("laminar: the attention capture is incomplete"
                    + (inspection.truncated() ? " (over its size bound)" : ""));
        }
        try (OutputStream out = Files.newOutputStream(attention)) {
            AttentionJson.write(inspection, id -> m.tokenizer().decode(new int[] {id}, true), out);
        }
    }

    private int[] encodePrompt(LoadedModel m) {
        if (!chat && system == null) {
            return m.tokenizer().encode(prompt, true, false);
        }
        List<ChatTurn> messages = new ArrayList<>();
        if (system != null) {
            messages.add(new ChatTurn("system", system));
        }
        messages.add(new ChatTurn("user", prompt));
        return m.encodeChat(messages);
    }
}
