package io.laminar.bench;

import io.laminar.kernels.VectorOps;
import io.laminar.model.arch.ModelConfig;
import io.laminar.model.bench.ThroughputBenchmark;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.exec.LocalPipeline;
import io.laminar.model.exec.TokenBatch;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.inspect.AttentionCapture;
import io.laminar.model.inspect.TopTokens;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * The cost of attention capture on a decode step, without the actors' and the host's noise: one
 * 2-stage {@link LocalPipeline} decodes {@value #SEQUENCES} sequences together, and every other step
 * one of them is marked for inspection (its rows copied into an {@link AttentionCapture} on each stage,
 * its top-10 next tokens computed), so both kinds of step have the same batch at nearly the same
 * positions. Usage: {@code CaptureCostBench MODEL [threads] [steps]}. Prints the median step time
 * of each kind.
 */
public final class CaptureCostBench {
    private static final int SEQUENCES = 5;
    private static final int PROMPT = 3;

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        try (GgufFile f = GgufFile.open(model)) {
            ModelConfig c = ModelConfig.fromGguf(f);
            int context = PROMPT + steps + 1;
            try (LocalPipeline p = new LocalPipeline(f, c, LayerRange.split(c.layers(), 2), threads,
                    SEQUENCES * PROMPT, SEQUENCES, context)) {
                int vocab = c.vocabSize();
                float[] logits = new float[SEQUENCES * PROMPT * vocab];
                TokenBatch batch = new TokenBatch(SEQUENCES * PROMPT);
                batch.clear();
                for (int s = 0; s < SEQUENCES; s++) {
                    p.reserve(s, context);
                    for (int i = 0; i < PROMPT; i++) {
                        batch.add(i == 0 ? 1 : 100 + 7 * s + i, s, i, i == PROMPT - 1);
                    }
                }
                p.step(batch, logits);
                AttentionCapture[] captures = new AttentionCapture[2];
                for (int st = 0; st < 2; st++) {
                    LayerRange r = p.stage(st).weights().range();
                    captures[st] = new AttentionCapture(r.start(), r.size(), c.heads());
                }
                int inspected = SEQUENCES - 1;
                long[] plain = new long[steps / 2];
                long[] marked = new long[steps / 2];
                for (int step = 0; step < steps; step++) {
                    boolean mark = step % 2 == 1;
                    for (int st = 0; st < 2; st++) {
                        p.stage(st).inspect(inspected, mark ? captures[st] : null);
                    }
                    batch.clear();
                    for (int s = 0; s < SEQUENCES; s++) {
                        batch.add(VectorOps.argmax(logits, s * vocab, vocab), s, PROMPT + step, true);
                    }
                    long start = System.nanoTime();
                    p.step(batch, logits);
                    if (mark) {
                        TopTokens.of(PROMPT + step, logits, inspected * vocab, vocab, TopTokens.DEFAULT_COUNT);
                    }
                    long nanos = System.nanoTime() - start;
                    (mark ? marked : plain)[step / 2] = nanos;
                }
                // The first quarter warms the JIT up.
                double a = medianMs(plain, steps / 8);
                double b = medianMs(marked, steps / 8);
                System.out.printf(Locale.ROOT, "model %s, %d thread(s), %d sequences per decode step, %d steps%n",
                        model.getFileName(), threads, SEQUENCES, steps);
                System.out.printf(Locale.ROOT, "median step: %.3f ms with none inspected, %.3f ms with one inspected"
                        + " (%+.1f%%)%n", a, b, (b / a - 1) * 100);
            }
        }
    }

    private static double medianMs(long[] nanos, int skip) {
        double[] ms = Arrays.stream(nanos).skip(skip).mapToDouble(n -> n / 1e6).toArray();
        return ThroughputBenchmark.median(ms);
    }
}
