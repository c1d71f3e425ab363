package io.laminar.model.synth;

import io.laminar.kernels.GgmlType;
import io.laminar.model.testing.LlamaCppReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Manual measurements, not part of the normal build: how fast the big presets are written, and how
 * fast llama.cpp runs a synthetic stories110M on one thread. Run with
 * {@code mvn -pl kernels,model test -Dtest=SyntheticModelSpeedTest -Dlaminar.synth.speed=true}; it
 * needs several GB of free space in the temporary folder.
 */
@EnabledIfSystemProperty(named = "laminar.synth.speed", matches = "true")
class SyntheticModelSpeedTest {
    @TempDir
    Path tmp;

    @Test
    void writesTheBigPresetsAndRunsThemInLlamaCpp() throws IOException {
        for (GgmlType type : List.of(GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_K)) {
            if (!SyntheticModelWriterTest.encodes(type)) {
                System.out.println("skipping " + type + ": Quantization.quantizeRow does not encode it yet");
                continue;
            }
            Path p = timedWrite(ModelShape.STORIES_110M, type);
            LlamaCppReference.assumeAvailable();
            try (LlamaCppReference ref = LlamaCppReference.open(p, new LlamaCppReference.Options(1024, 512, 512))) {
                LlamaCppReference.Speed s = ref.speed(128, 64, 1);
                System.out.println("stories110M " + type + " " + s);
                LlamaCppReference.Generation g = ref.greedy(ref.tokenize("a b c"), 64, 1);
                System.out.println("  greedy: " + g.tokens().length + " tokens, "
                        + java.util.Arrays.stream(g.tokens()).distinct().count() + " distinct, min margin " + g.minMargin());
            }
            Files.delete(p);
        }
        for (GgmlType type : List.of(GgmlType.F16, GgmlType.Q8_0)) {
            if (SyntheticModelWriterTest.encodes(type)) {
                Files.delete(timedWrite(ModelShape.LLAMA_3_2_1B, type));
            }
        }
    }

    private Path timedWrite(ModelShape shape, GgmlType type) throws IOException {
        long t0 = System.nanoTime();
        Path p = SyntheticModelWriter.write(shape, type, 1, tmp.resolve(shape.name() + "-" + type + ".gguf"));
        double s = (System.nanoTime() - t0) / 1e9;
        long bytes = Files.size(p);
        System.out.printf(Locale.ROOT, "write %s %s: %,d parameters, %,d bytes in %.2f s (%.0f MB/s, %d cores)%n",
                shape.name(), type, shape.parameterCount(), bytes, s, bytes / s / 1e6,
                Runtime.getRuntime().availableProcessors());
        assertTrue(bytes > shape.parameterCount() * 4 / 8, "at least 4 bits per parameter");
        return p;
    }
}
