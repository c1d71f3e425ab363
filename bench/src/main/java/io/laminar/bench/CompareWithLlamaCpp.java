package io.laminar.bench;

import io.laminar.kernels.GgmlType;
import io.laminar.model.ModelSummary;
import io.laminar.model.arch.ModelConfig;
import io.laminar.model.bench.ThroughputBenchmark;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.exec.LocalPipeline;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.synth.ModelShape;
import io.laminar.model.synth.SyntheticModelWriter;
import io.laminar.model.testing.LlamaCppReference;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Laminar's {@code bench} against llama.cpp (b4916, through {@link LlamaCppReference}) on the same
 * synthetic stories110M-shaped files, in one run: prompt processing of 128 tokens (pp128) and
 * generation of 64 (tg64), each the median of several repetitions, alternating between the two
 * engines so that both see the same machine load. Prints a Markdown table with the ratios
 * (Laminar / llama.cpp; above 1 means Laminar is faster).
 *
 * <p>Usage: {@code CompareWithLlamaCpp [types=F32,Q8_0,Q4_0] [threads=1,2] [reps=5] [dir]}.
 */
public final class CompareWithLlamaCpp {
    public static void main(String[] args) throws Exception {
        List<GgmlType> types = new ArrayList<>();
        for (String t : (args.length > 0 ? args[0] : "F32,Q8_0,Q4_0").split(",")) {
            types.add(GgmlType.valueOf(t));
        }
        int[] threads = Arrays.stream((args.length > 1 ? args[1] : "1,2").split(",")).mapToInt(Integer::parseInt)
                .toArray();
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        Path dir = Path.of(args.length > 3 ? args[3] : System.getProperty("java.io.tmpdir") + "/laminar-bench-models");
        Files.createDirectories(dir);
        if (!LlamaCppReference.available()) {
            System.err.println("llama.cpp reference not available on this platform");
            return;
        }
        System.out.printf(Locale.ROOT, "Laminar vs llama.cpp b4916, synthetic stories110M shape, pp128 / tg64,"
                + " median of %d, %s, %s cores%n%n", reps, System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors());
        System.out.println("| model | threads | test | Laminar t/s | llama.cpp t/s | ratio |");
        System.out.println("|---|---:|---|---:|---:|---:|");
        for (GgmlType type : types) {
            Path model = new SyntheticModelWriter(ModelShape.STORIES_110M).weightType(type).writeCached(dir);
            for (int t : threads) {
                double[] ourPp = new double[reps];
                double[] ourTg = new double[reps];
                double[] refPp = new double[reps];
                double[] refTg = new double[reps];
                String name;
                try (GgufFile file = GgufFile.open(model)) {
                    ModelConfig c = ModelConfig.fromGguf(file);
                    name = ModelSummary.of(file, c).description();
                    try (LocalPipeline p = new LocalPipeline(file, c, LayerRange.split(c.layers(), 1), t, 128, 1, 256);
                         LlamaCppReference ref = LlamaCppReference.open(model,
                                 LlamaCppReference.Options.DEFAULT.withContextLength(256))) {
                        ThroughputBenchmark ours = new ThroughputBenchmark(p);
                        ours.promptProcessing(128, 1);
                        ours.generation(16, 1);
                        for (int r = 0; r < reps; r++) {
                            ourPp[r] = ours.promptProcessing(128, 1)[0];
                            ourTg[r] = ours.generation(64, 1)[0];
                            LlamaCppReference.Speed s = ref.speed(128, 64, t);
                            refPp[r] = s.promptTokensPerSecond();
                            refTg[r] = s.generationTokensPerSecond();
                        }
                    }
                }
                row(name, t, "pp128", ourPp, refPp);
                row(name, t, "tg64", ourTg, refTg);
            }
        }
    }

    private static void row(String model, int threads, String test, double[] ours, double[] ref) {
        double o = ThroughputBenchmark.median(ours);
        double r = ThroughputBenchmark.median(ref);
        System.out.printf(Locale.ROOT, "| %s | %d | %s | %.1f ± %.1f | %.1f ± %.1f | %.2f |%n", model, threads, test, o,
                ThroughputBenchmark.halfRange(ours), r, ThroughputBenchmark.halfRange(ref), o / r);
    }
}
