package io.laminar.bench;

import io.laminar.kernels.CpuKernels;
import io.laminar.kernels.WeightMatrix;
import io.laminar.model.arch.ModelConfig;
import io.laminar.model.bench.ThroughputBenchmark;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.weights.LayerWeights;
import io.laminar.model.weights.StageWeights;

import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The most that batching can gain on this machine with these kernels: the matrix products of one
 * forward pass alone, timed with 1 token and with several tokens per pass. A decode step is mostly
 * these products (about 90% of an 8-sequence step of a 110M model), and a pass is larger than the
 * caches, so each pass streams the weights from memory, as a real step does.
 *
 * <p>With one token the products are bound by memory bandwidth; with 8 they are bound by the
 * kernels' arithmetic rate. The ratio {@code n * (1-token pass time) / (n-token pass time)} is
 * therefore a ceiling for the aggregate gain of n streams: attention, norms, sampling and the
 * actors only add to the batched step. If the ceiling is below a target, no scheduling can reach
 * it; only faster batched kernels (or a machine with less bandwidth per core) can.
 *
 * <p>The calls are those of {@code StageRunner}: q/k/v and gate/up in one call each when the kernels
 * can multiply them together, then the output projection, down, and the output head. Activations
 * are random; the kernels' speed does not depend on their values.
 *
 * <p>Usage: {@code MatmulCeiling MODEL [threads=1] [tokens=8] [repetitions=9]}.
 */
final class MatmulCeiling implements AutoCloseable {
    private final GgufFile file;
    private final CpuKernels kernels;
    private final StageWeights weights;
    private final WeightMatrix[][] qkvGroups;
    private final WeightMatrix[][] gateUpGroups;
    private final float[] x;
    /** Outputs: one array per matrix of a group; their contents are never read. */
    private final float[][] ys;
    private final float[][] pair;

    private MatmulCeiling(GgufFile file, int threads, int maxTokens) {
        this.file = file;
        ModelConfig c = ModelConfig.fromGguf(file);
        int maxCols = Math.max(Math.max(c.dim(), c.qDim()), c.hiddenDim());
        this.kernels = new CpuKernels(threads, maxTokens, maxCols);
        this.weights = StageWeights.load(file, c, new LayerRange(0, c.layers())).prepared(kernels::prepare);
        LayerWeights[] ls = weights.layers();
        this.qkvGroups = new WeightMatrix[ls.length][];
        this.gateUpGroups = new WeightMatrix[ls.length][];
        for (int l = 0; l < ls.length; l++) {
            qkvGroups[l] = new WeightMatrix[] {ls[l].wq(), ls[l].wk(), ls[l].wv()};
            gateUpGroups[l] = new WeightMatrix[] {ls[l].gate(), ls[l].up()};
        }
        int maxRows = Math.max(Math.max(c.dim(), c.qDim()), Math.max(c.hiddenDim(), c.vocabSize()));
        this.x = new float[maxTokens * maxCols];
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        this.ys = new float[3][maxTokens * maxRows];
        this.pair = new float[][] {ys[0], ys[1]};
    }

    static MatmulCeiling open(Path model, int threads, int maxTokens) throws java.io.IOException {
        GgufFile file = GgufFile.open(model);
        try {
            return new MatmulCeiling(file, threads, maxTokens);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** Milliseconds of one pass of every matrix product of the model for {@code tokens} tokens. */
    double millisPerPass(int tokens) {
        long start = System.nanoTime();
        for (int l = 0; l < qkvGroups.length; l++) {
            multiply(qkvGroups[l], tokens);
            kernels.matmul(weights.layers()[l].wo(), x, tokens, ys[0]);
            multiply(gateUpGroups[l], tokens);
            kernels.matmul(weights.layers()[l].down(), x, tokens, ys[0]);
        }
        kernels.matmul(weights.output(), x, tokens, ys[0]);
        return (System.nanoTime() - start) / 1e6;
    }

    private void multiply(WeightMatrix[] group, int tokens) {
        if (CpuKernels.canMultiplyTogether(group)) {
            kernels.matmul(group, x, tokens, group.length == 2 ? pair : ys);
        } else {
            for (int i = 0; i < group.length; i++) {
                kernels.matmul(group[i], x, tokens, ys[i]);
            }
        }
    }

    /**
     * Medians of {@code repetitions} passes with 1 token and with {@code tokens} tokens, alternated,
     * after two warm-up rounds: {@code {ms per 1-token pass, ms per n-token pass}}.
     */
    double[] measure(int tokens, int repetitions) {
        double[] one = new double[repetitions];
        double[] many = new double[repetitions];
        for (int r = -2; r < repetitions; r++) {
            double a = millisPerPass(1);
            double b = millisPerPass(tokens);
            if (r >= 0) {
                one[r] = a;
                many[r] = b;
            }
        }
        return new double[] {ThroughputBenchmark.median(one), ThroughputBenchmark.median(many)};
    }

    @Override
    public void close() {
        kernels.close();
        file.close();
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int tokens = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 9;
        try (MatmulCeiling m = open(model, threads, tokens)) {
            double[] ms = m.measure(tokens, reps);
            System.out.printf(Locale.ROOT, "model %s, %d thread(s): matrix products alone, 1 token %.2f ms/pass"
                    + " (%.1f tokens/s), %d tokens %.2f ms/pass (%.1f tokens/s): ceiling of the %d-stream gain %.2fx%n",
                    model.getFileName(), threads, ms[0], 1000 / ms[0], tokens, ms[1], tokens * 1000 / ms[1], tokens,
                    tokens * ms[0] / ms[1]);
        }
    }
}
