package io.laminar.bench;

import io.laminar.model.arch.ModelConfig;
import io.laminar.model.gguf.GgufFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * The arguments of the benchmarks that stream tokens through the actors,
 * {@code MODEL [threads] [tokens] [repetitions]} (1 thread, 64 tokens, 5 repetitions by default),
 * and the model's layer count, which they split into stages.
 */
record StreamBenchArgs(Path model, int threads, int tokens, int repetitions, int layers) {

    static StreamBenchArgs parse(String[] args) {
        Path model = Path.of(args[0]);
        return new StreamBenchArgs(model, args.length > 1 ? Integer.parseInt(args[1]) : 1,
                args.length > 2 ? Integer.parseInt(args[2]) : 64, args.length > 3 ? Integer.parseInt(args[3]) : 5,
                layersOf(model));
    }

    /** How many transformer layers {@code model} has. */
    static int layersOf(Path model) {
        try (GgufFile f = GgufFile.open(model)) {
            return ModelConfig.fromGguf(f).layers();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
