package io.laminar.bench;

import io.laminar.kernels.GgmlType;
import io.laminar.kernels.Quantization;
import io.laminar.model.synth.ModelShape;
import io.laminar.model.synth.SyntheticModelWriter;
import io.laminar.model.testing.LlamaCppReference;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How fast {@link SyntheticModelWriter} writes the big presets (stories110M in F32, F16, Q8_0 and
 * Q4_K; Llama 3.2 1B in F16 and Q8_0), and how fast llama.cpp runs each synthetic stories110M on
 * one thread (pp128/tg64), with how varied its greedy tokens are. Files are written to a temporary
 * folder and deleted one by one; the largest needs about 2.5 GB.
 *
 * <p>Usage: {@code bench/run SyntheticModelSpeed [dir]}.
 */
public final class SyntheticModelSpeed {
    private SyntheticModelSpeed() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = args.length > 0 ? Files.createDirectories(Path.of(args[0]))
                : Files.createTempDirectory("laminar-synth-speed");
        boolean llamaCpp = LlamaCppReference.available();
        if (!llamaCpp) {
            System.out.println("llama.cpp reference not available on this platform: writing only");
        }
        for (GgmlType type : List.of(GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_K)) {
            if (!encodes(type)) {
                System.out.println("skipping " + type + ": Quantization.quantizeRow does not encode it");
                continue;
            }
            Path p = timedWrite(ModelShape.STORIES_110M, type, dir);
            if (llamaCpp) {
                try (LlamaCppReference ref = LlamaCppReference.open(p, new LlamaCppReference.Options(1024, 512, 512))) {
                    LlamaCppReference.Speed s = ref.speed(128, 64, 1);
                    System.out.println("stories110M " + type + " " + s);
                    LlamaCppReference.Generation g = ref.greedy(ref.tokenize("a b c"), 64, 1);
                    System.out.println("  greedy: " + g.tokens().length + " tokens, "
                            + Arrays.stream(g.tokens()).distinct().count() + " distinct, min margin " + g.minMargin());
                }
            }
            Files.delete(p);
        }
        for (GgmlType type : List.of(GgmlType.F16, GgmlType.Q8_0)) {
            if (encodes(type)) {
                Files.delete(timedWrite(ModelShape.LLAMA_3_2_1B, type, dir));
            }
        }
    }

    private static Path timedWrite(ModelShape shape, GgmlType type, Path dir) throws IOException {
        long t0 = System.nanoTime();
        Path p = SyntheticModelWriter.write(shape, type, 1, dir.resolve(shape.name() + "-" + type + ".gguf"));
        double s = (System.nanoTime() - t0) / 1e9;
        long bytes = Files.size(p);
        System.out.printf(Locale.ROOT, "write %s %s: %,d parameters, %,d bytes in %.2f s (%.0f MB/s, %d cores)%n",
                shape.name(), type, shape.parameterCount(), bytes, s, bytes / s / 1e6,
                Runtime.getRuntime().availableProcessors());
        return p;
    }

    private static boolean encodes(GgmlType type) {
        try (Arena a = Arena.ofConfined()) {
            Quantization.quantizeRow(type, new float[256], 0, 256, a.allocate(type.bytesFor(256)), 0);
            return true;
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }
}
