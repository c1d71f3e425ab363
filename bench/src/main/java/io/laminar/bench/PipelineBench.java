package io.laminar.bench;

import io.laminar.actors.HostSettings;
import io.laminar.actors.PipelineClient;
import io.laminar.actors.PipelineHost;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.bench.ThroughputBenchmark;
import io.laminar.model.sampling.SamplingParams;
import io.laminar.model.testing.LlamaCppReference;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The pipeline's costs, measured through the actors (the serving path):
 * <ol>
 *   <li>single-stream decode through 1 and 2 in-process stages: milliseconds per token;</li>
 *   <li>aggregate tokens/s of 8 concurrent streams against a single stream (1 stage), over the steps
 *       in which all 8 decode (as llama.cpp's reference times them: its prompts go in first, untimed),
 *       and also from the first token of any stream, which counts the steps where the others join;</li>
 *   <li>the ceiling of that gain on this machine: the matrix products of a forward pass alone with 8
 *       tokens against 1 ({@link MatmulCeiling}), measured in the same repetitions.</li>
 * </ol>
 * Usage: {@code PipelineBench MODEL [threads] [tokens] [repetitions]}. Prints medians of the
 * repetitions, the stage overhead and the batching gain (docs/benchmarks.md, "Pipeline"), and,
 * where llama.cpp can be loaded, its own aggregate gain from 8 sequences per step on the same file
 * and threads in the same run.
 */
public final class PipelineBench {
    /** Tokens in each stream's prompt. */
    private static final int PROMPT_LENGTH = 3;

    public static void main(String[] args) throws Exception {
        StreamBenchArgs parsed = StreamBenchArgs.parse(args);
        Path model = parsed.model();
        int threads = parsed.threads();
        int tokens = parsed.tokens();
        int reps = parsed.repetitions();
        int layers = parsed.layers();
        System.out.printf(Locale.ROOT, "model %s, %d thread(s), %d tokens per stream, %d repetitions%n",
                model.getFileName(), threads, tokens, reps);

        HostSettings oneStage = HostSettings.local(model, List.of(new LayerRange(0, layers)), threads)
                .withBatch(128, 8, tokens + 64);
        HostSettings twoStages = HostSettings.local(model, List.of(LayerRange.split(layers, 2)), threads)
                .withBatch(128, 8, tokens + 64);
        LlamaCppReference ref = LlamaCppReference.available()
                ? LlamaCppReference.open(model, LlamaCppReference.Options.DEFAULT
                        .withContextLength(8 * (PROMPT_LENGTH + tokens)).withSequences(8))
                : null;
        // Every configuration is alive at once and the repetitions alternate between them, so a slow
        // minute of this shared machine (or the JIT still compiling) does not land on one of them only.
        double[] one = new double[reps];
        double[] two = new double[reps];
        double[] eight = new double[reps];
        double[] eightSpan = new double[reps];
        double[] refOne = new double[reps];
        double[] refEight = new double[reps];
        double[] ceiling = new double[reps];
        try (PipelineHost a = PipelineHost.start(oneStage); PipelineHost b = PipelineHost.start(twoStages);
             MatmulCeiling products = MatmulCeiling.open(model, threads, 8)) {
            PipelineClient first = new PipelineClient(a.system(), a.scheduler());
            PipelineClient second = new PipelineClient(b.system(), b.scheduler());
            first.awaitReady(Duration.ofSeconds(60));
            second.awaitReady(Duration.ofSeconds(60));
            for (int r = -1; r < reps; r++) {
                double msOne = 1000 / tokensPerSecond(first, 1, tokens, r)[0];
                double msTwo = 1000 / tokensPerSecond(second, 1, tokens, r)[0];
                double[] rateEight = tokensPerSecond(first, 8, tokens, r);
                double rOne = ref == null ? 0 : ref.batchedDecodeTokensPerSecond(1, PROMPT_LENGTH, tokens, threads);
                double rEight = ref == null ? 0 : ref.batchedDecodeTokensPerSecond(8, PROMPT_LENGTH, tokens, threads);
                double[] passes = products.measure(8, 3);
                if (r >= 0) {
                    one[r] = msOne;
                    two[r] = msTwo;
                    eight[r] = rateEight[0];
                    eightSpan[r] = rateEight[1];
                    refOne[r] = rOne;
                    refEight[r] = rEight;
                    ceiling[r] = 8 * passes[0] / passes[1];
                }
            }
        } finally {
            if (ref != null) {
                ref.close();
            }
        }
        double msOne = ThroughputBenchmark.median(one);
        double msTwo = ThroughputBenchmark.median(two);
        System.out.printf(Locale.ROOT, "stage overhead, single stream: 1 stage %.2f ms/token, 2 stages %.2f ms/token, %+.1f%%%n",
                msOne, msTwo, (msTwo / msOne - 1) * 100);
        double single = 1000 / msOne;
        double many = ThroughputBenchmark.median(eight);
        double manySpan = ThroughputBenchmark.median(eightSpan);
        System.out.printf(Locale.ROOT, "batching gain: 1 stream %.1f tokens/s, 8 streams %.1f tokens/s, ratio %.2fx"
                + " (while all 8 decode; from the first token of any: %.1f tokens/s, %.2fx)%n",
                single, many, many / single, manySpan, manySpan / single);
        System.out.printf(Locale.ROOT, "    ceiling on this machine: the matrix products alone gain %.2fx with 8 tokens"
                + " per pass (attention, norms and the actors only lower it)%n", ThroughputBenchmark.median(ceiling));
        if (ref != null) {
            // The reference: llama.cpp decoding 1 and 8 sequences per llama_decode call, same file and
            // threads, prompts as short as ours, in the same repetitions.
            double r1 = ThroughputBenchmark.median(refOne);
            double r8 = ThroughputBenchmark.median(refEight);
            System.out.printf(Locale.ROOT, "    llama.cpp, same file and threads: 1 stream %.1f tokens/s, 8 streams"
                    + " %.1f tokens/s, ratio %.2fx%n", r1, r8, r8 / r1);
        } else {
            System.out.println("    (llama.cpp reference not available here)");
        }
    }

    /**
     * Runs {@code streams} concurrent greedy requests of {@code tokens} tokens and returns their
     * aggregate decode rate, {@link TimedStream#steadyTokensPerSecond while all of them decode} and
     * {@link TimedStream#spanTokensPerSecond from the first token of any}. For one stream both are
     * 1000 / (milliseconds per token).
     */
    private static double[] tokensPerSecond(PipelineClient client, int streams, int tokens, int rep) throws Exception {
        List<CompletableFuture<long[]>> done = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            int[] prompt = {1, 100 + i, 200 + rep + 1}; // PROMPT_LENGTH tokens
            TimedStream stream = new TimedStream(tokens);
            client.submit("bench-" + rep + "-" + i, prompt, tokens, SamplingParams.greedy(), stream);
            done.add(stream.done);
        }
        List<long[]> times = new ArrayList<>();
        for (CompletableFuture<long[]> f : done) {
            times.add(f.get(10, TimeUnit.MINUTES));
        }
        return new double[] {TimedStream.steadyTokensPerSecond(times), TimedStream.spanTokensPerSecond(times)};
    }
}
