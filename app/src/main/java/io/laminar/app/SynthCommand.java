package io.laminar.app;

import io.laminar.kernels.GgmlType;
import io.laminar.model.synth.ModelShape;
import io.laminar.model.synth.SyntheticModelWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code laminar synth}: a GGUF model with random weights in a real shape, for tests and benchmarks. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Writes a GGUF model with random weights (deterministic from --seed) in the shape of a real "
                + "model and any supported weight type, loadable by Laminar and llama.cpp. Its vocabulary is "
                + "synthetic unless --vocab-from copies a real one.")
public final class SynthCommand implements Callable<Integer> {
    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "Where to write the GGUF file.")
    Path output;

    @Option(names = "--shape", defaultValue = "stories110M", paramLabel = "PRESET",
            description = "Model shape: tiny, tiny-llama3, qwen2-tiny, qwen3-tiny, stories110M, llama-3.2-1B, "
                    + "qwen2.5-0.5B, qwen3-0.6B (default: ${DEFAULT-VALUE}).")
    String shape;

    @Option(names = {"-t", "--type"}, defaultValue = "Q8_0", paramLabel = "TYPE",
            description = "Weight type: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K (default: ${DEFAULT-VALUE}).")
    String type;

    @Option(names = "--layers", paramLabel = "N", description = "Override the preset's number of layers.")
    Integer layers;

    @Option(names = "--ctx-size", paramLabel = "N", description = "Override the preset's context length (metadata).")
    Integer context;

    @Option(names = "--mixed", description = "Mix types as llama-quantize's Q4_K_M does (Q6_K output head, some attn_v/ffn_down).")
    boolean mixed;

    @Option(names = "--vocab-from", paramLabel = "GGUF", description = "Copy the tokenizer of this GGUF (its vocabulary size then sets the model's).")
    Path vocabFrom;

    @Option(names = {"-s", "--seed"}, defaultValue = "" + SyntheticModelWriter.DEFAULT_SEED,
            description = "Seed of the weights (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        GgmlType t;
        try {
            t = GgmlType.valueOf(type.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--type=" + type + " is not a type; supported: " + GgmlType.supportedNames());
        }
        if (!t.supported()) {
            throw new IllegalArgumentException("--type=" + t + " is not supported; supported: " + GgmlType.supportedNames());
        }
        ModelShape s = ModelShape.preset(shape);
        if (layers != null) {
            s = s.withLayers(layers);
        }
        if (context != null) {
            s = s.withContextLength(context);
        }
        SyntheticModelWriter writer = new SyntheticModelWriter(s).weightType(t).seed(seed).mixedLikeLlamaCpp(mixed);
        if (vocabFrom != null) {
            writer.vocabularyFrom(vocabFrom);
        }
        long t0 = System.nanoTime();
        writer.write(output);
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "%s: %s %s, %,d parameters, %.1f MiB, written in %.1f s%n", output, s.name(), t,
                s.parameterCount(), Files.size(output) / 1048576.0, secs);
        return 0;
    }
}
