package io.laminar.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.laminar.model.ModelSummary;
import io.laminar.model.arch.ModelConfig;
import io.laminar.model.bench.ThroughputBenchmark;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.exec.LocalPipeline;
import io.laminar.model.gguf.GgufFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code laminar bench}: prompt processing and generation speed, as llama-bench reports them, and
 * with {@code --streams} the aggregate speed of several sequences decoded together (what continuous
 * batching gains on this machine, without the actors).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measures prompt processing (ppN) and generation (tgN) speed in tokens/s, llama-bench style: random tokens from an empty cache, one warm-up, then repetitions reported as median and spread.")
public final class BenchCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = {"-p", "--n-prompt"}, defaultValue = "128", description = "Prompt tokens of the pp test (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = {"-n", "--n-gen"}, defaultValue = "64", description = "Generated tokens of the tg test (default: ${DEFAULT-VALUE}).")
    int genTokens;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "5", description = "Measured repetitions (default: ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = {"-s", "--streams"}, paramLabel = "S", defaultValue = "1", description = "Also measure S sequences generating together, one token of each per step (test tgN xS, aggregate tokens/s); 1 skips it (default: ${DEFAULT-VALUE}).")
    int streams;

    @Option(names = "--json", description = "Print one JSON object with the medians instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        model.validate();
        if (repetitions < 1) {
            throw new IllegalArgumentException("--repetitions must be at least 1");
        }
        if (streams < 1 || streams > 256) {
            throw new IllegalArgumentException("--streams must be in [1, 256], got " + streams);
        }
        if (streams > 1 && genTokens < 1) {
            throw new IllegalArgumentException("--streams needs generated tokens (-n)");
        }
        try (GgufFile file = GgufFile.open(model.path())) {
            ModelConfig config = ModelConfig.fromGguf(file);
            int context = Math.max(promptTokens, genTokens) + 1;
            try (LocalPipeline pipeline = new LocalPipeline(file, config,
                    LayerRange.split(config.layers(), model.stages), model.backends, model.threads,
                    Math.max(Math.max(promptTokens, 1), streams), streams, context)) {
                ThroughputBenchmark bench = new ThroughputBenchmark(pipeline);
                double[] pp = promptTokens > 0 ? bench.promptProcessing(promptTokens, repetitions) : new double[0];
                double[] tg = genTokens > 0 ? bench.generation(genTokens, repetitions) : new double[0];
                double[] batched = streams > 1 ? bench.batchedGeneration(streams, genTokens, repetitions) : new double[0];
                ModelSummary summary = ModelSummary.of(file, config);
                if (json) {
                    Map<String, Object> out = new LinkedHashMap<>();
                    out.put("model", summary.description());
                    out.put("size_bytes", summary.bytes());
                    out.put("params", summary.parameters());
                    out.put("backends", pipeline.backends());
                    out.put("threads", model.threads);
                    out.put("stages", model.stages);
                    out.put("n_prompt", promptTokens);
                    out.put("n_gen", genTokens);
                    out.put("repetitions", repetitions);
                    out.put("prompt_tokens_per_s", pp.length > 0 ? ThroughputBenchmark.median(pp) : 0.0);
                    out.put("gen_tokens_per_s", tg.length > 0 ? ThroughputBenchmark.median(tg) : 0.0);
                    out.put("prompt_tokens_per_s_samples", pp);
                    out.put("gen_tokens_per_s_samples", tg);
                    if (batched.length > 0) {
                        out.put("streams", streams);
                        out.put("batched_gen_tokens_per_s", ThroughputBenchmark.median(batched));
                        out.put("batched_gen_tokens_per_s_samples", batched);
                    }
                    System.out.println(new ObjectMapper().writeValueAsString(out));
                } else {
                    String backend = String.join(",", new java.util.LinkedHashSet<>(pipeline.backends()));
                    String fmt = "| %-24s | %10s | %8s | %-" + Math.max(7, backend.length()) + "s | %7s | %6s | %9s | %25s |%n";
                    System.out.printf(fmt, "model", "size", "params", "backend", "threads", "stages", "test",
                            "t/s (median ± half-range)");
                    System.out.printf(fmt, "-".repeat(24), "-".repeat(10), "-".repeat(8),
                            "-".repeat(Math.max(7, backend.length())),
                            "-".repeat(7), "-".repeat(6), "-".repeat(9), "-".repeat(25));
                    if (pp.length > 0) {
                        row(fmt, summary, backend, "pp" + promptTokens, pp);
                    }
                    if (tg.length > 0) {
                        row(fmt, summary, backend, "tg" + genTokens, tg);
                    }
                    if (batched.length > 0) {
                        row(fmt, summary, backend, "tg" + genTokens + " x" + streams, batched);
                    }
                }
            }
        }
        return 0;
    }

    private void row(String fmt, ModelSummary summary, String backend, String test, double[] samples) {
        System.out.printf(Locale.ROOT, fmt, summary.description(), summary.humanSize(),
                ModelSummary.humanCount(summary.parameters()), backend.toUpperCase(Locale.ROOT), model.threads, model.stages, test,
                String.format(Locale.ROOT, "%.2f ± %.2f", ThroughputBenchmark.median(samples),
                        ThroughputBenchmark.halfRange(samples)));
    }
}
