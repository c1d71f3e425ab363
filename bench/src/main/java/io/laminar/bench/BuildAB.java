package io.laminar.bench;

import io.laminar.model.bench.ThroughputBenchmark;

import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Compares two builds of Laminar in one JVM, step by step. Separate runs of a benchmark on a shared
 * machine swing by ±15% from one minute to the next, more than most changes are worth; here each
 * build's {@code laminar.jar} gets a class loader of its own, both open the same model as a
 * one-stage {@code LocalPipeline}, and they decode alternately, one step each, so that the host's
 * slow and fast moments land on both alike.
 *
 * <p>Each repetition decodes 1 sequence and then 8 for {@code tokens} steps from position
 * {@code start} (the positions before it are cached but never written: attention's cost depends on
 * how many there are, not on their values). Printed: median step times and the ratio B / A.
 *
 * <p>The build loaded second has run ~2.5% faster than an identical first one (an A/A check), so run
 * both orders and take the geometric mean of the ratios: {@code sqrt((B/A) / (A/B swapped))}.
 *
 * <p>Usage: {@code BuildAB A.jar B.jar MODEL [threads=1] [start=0] [repetitions=6] [tokens=64]}, with
 * jars built by {@code mvn -DskipTests package} (app/target/laminar.jar) from each version.
 */
public final class BuildAB {
    private BuildAB() {
    }

    /** One build's pipeline, driven through reflection so that its classes stay in its own loader. */
    private static final class Build implements AutoCloseable {
        final Object file;
        final Object pipeline;
        final Object[] batches = new Object[9];
        final Method step;
        final Method reserve;
        final Method release;
        final Method add;
        final Method clear;
        final float[] logits;

        Build(Path jar, Path model, int threads, int context) throws Exception {
            ClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
            Class<?> gguf = loader.loadClass("io.laminar.model.gguf.GgufFile");
            file = gguf.getMethod("open", Path.class).invoke(null, model);
            Class<?> modelConfig = loader.loadClass("io.laminar.model.arch.ModelConfig");
            Object config = modelConfig.getMethod("fromGguf", gguf).invoke(null, file);
            int layers = (int) modelConfig.getMethod("layers").invoke(config);
            int vocab = (int) modelConfig.getMethod("vocabSize").invoke(config);
            Object ranges = loader.loadClass("io.laminar.model.exec.LayerRange")
                    .getMethod("split", int.class, int.class).invoke(null, layers, 1);
            Class<?> localPipeline = loader.loadClass("io.laminar.model.exec.LocalPipeline");
            pipeline = localPipeline.getConstructor(gguf, modelConfig, ranges.getClass(), int.class, int.class, int.class,
                    int.class).newInstance(file, config, ranges, threads, 8, 8, context);
            Class<?> tokenBatch = loader.loadClass("io.laminar.model.exec.TokenBatch");
            batches[1] = tokenBatch.getConstructor(int.class).newInstance(1);
            batches[8] = tokenBatch.getConstructor(int.class).newInstance(8);
            add = tokenBatch.getMethod("add", int.class, int.class, int.class, boolean.class);
            clear = tokenBatch.getMethod("clear");
            step = localPipeline.getMethod("step", tokenBatch, float[].class);
            reserve = localPipeline.getMethod("reserve", int.class, int.class);
            release = localPipeline.getMethod("release", int.class);
            logits = new float[8 * vocab];
        }

        /** Nanoseconds of one step of {@code streams} sequences at {@code position}. */
        long step(int streams, int position, SplittableRandom random) throws Exception {
            Object batch = batches[streams];
            clear.invoke(batch);
            for (int s = 0; s < streams; s++) {
                add.invoke(batch, random.nextInt(1000), s, position, true);
            }
            long start = System.nanoTime();
            step.invoke(pipeline, batch, logits);
            return System.nanoTime() - start;
        }

        @Override
        public void close() throws Exception {
            pipeline.getClass().getMethod("close").invoke(pipeline);
            file.getClass().getMethod("close").invoke(file);
        }
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[2]);
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        int start = args.length > 4 ? Integer.parseInt(args[4]) : 0;
        int reps = args.length > 5 ? Integer.parseInt(args[5]) : 6;
        int tokens = args.length > 6 ? Integer.parseInt(args[6]) : 64;
        Build[] builds = {new Build(Path.of(args[0]), model, threads, start + tokens),
                new Build(Path.of(args[1]), model, threads, start + tokens)};
        SplittableRandom random = new SplittableRandom(1);
        int[] streamCounts = {1, 8};
        // milliseconds[streams index][build][sample]
        double[][][] times = new double[2][2][reps * tokens];
        for (int r = -2; r < reps; r++) { // two warm-up repetitions
            for (int si = 0; si < 2; si++) {
                int streams = streamCounts[si];
                for (Build b : builds) {
                    for (int s = 0; s < streams; s++) {
                        b.reserve.invoke(b.pipeline, s, start + tokens);
                    }
                }
                for (int i = 0; i < tokens; i++) {
                    for (int k = 0; k < 2; k++) {
                        int which = (i + r + k) & 1; // each build goes first in half the steps
                        long nanos = builds[which].step(streams, start + i, random);
                        if (r >= 0) {
                            times[si][which][r * tokens + i] = nanos / 1e6;
                        }
                    }
                }
                for (Build b : builds) {
                    for (int s = 0; s < streams; s++) {
                        b.release.invoke(b.pipeline, s);
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "%s, %d thread(s), positions %d-%d:%n", model.getFileName(), threads, start,
                start + tokens - 1);
        for (int si = 0; si < 2; si++) {
            double a = ThroughputBenchmark.median(times[si][0]);
            double b = ThroughputBenchmark.median(times[si][1]);
            System.out.printf(Locale.ROOT, "  %d sequence(s): A %.3f ms/step, B %.3f ms/step, B/A %.3f%n",
                    streamCounts[si], a, b, b / a);
        }
        for (Build b : builds) {
            b.close();
        }
    }
}
