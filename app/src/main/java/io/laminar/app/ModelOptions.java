package io.laminar.app;

import io.laminar.actors.HostSettings;
import io.laminar.app.models.ModelResolver;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;

/** Options every command that runs a model shares. */
public final class ModelOptions {
    @Option(names = {"-m", "--model"}, paramLabel = "MODEL",
            description = "A GGUF file, or hf:ORG/REPO/FILE.gguf[@REVISION] (downloaded once into the model cache).")
    String model;

    private Path resolved;

    @Option(names = {"-t", "--threads"}, paramLabel = "T",
            description = "Worker threads for the kernels (default: the number of available processors).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--stages", paramLabel = "K", defaultValue = "1",
            description = "Split the layers into K pipeline stages (default: ${DEFAULT-VALUE}).")
    int stages;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", defaultValue = "" + HostSettings.DEFAULT_CONTEXT,
            description = "Context size in tokens, capped at the model's (default: ${DEFAULT-VALUE}).")
    int context;

    @Option(names = {"-b", "--batch-size"}, paramLabel = "N", defaultValue = "" + HostSettings.DEFAULT_MAX_BATCH,
            description = "Most tokens per forward step; longer prompts are processed in chunks (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--backend", split = ",", paramLabel = "NAME",
            description = "Kernel backend: cpu or tornadovm (a GPU, FPGA or other OpenCL/PTX/SPIR-V device through TornadoVM; see docs/tornadovm.md). One for all stages, or one per stage, e.g. cpu,tornadovm with --stages 2 (default: cpu).")
    List<String> backends = List.of("cpu");

    /** The model file: a local path, or the cached download of an hf: reference (fetched on first use). */
    Path path() {
        if (resolved == null) {
            if (model == null) {
                throw new IllegalArgumentException("no model given: pass -m MODEL.gguf (or -m hf:ORG/REPO/FILE.gguf)");
            }
            resolved = new ModelResolver().resolve(model);
        }
        return resolved;
    }

    void validate() {
        if (threads < 1) {
            throw new IllegalArgumentException("--threads=" + threads + " must be at least 1");
        }
        if (stages < 1) {
            throw new IllegalArgumentException("--stages=" + stages + " must be at least 1");
        }
        if (context < 2) {
            throw new IllegalArgumentException("--ctx-size=" + context + " must be at least 2");
        }
        if (batch < 1) {
            throw new IllegalArgumentException("--batch-size=" + batch + " must be at least 1");
        }
    }
}
