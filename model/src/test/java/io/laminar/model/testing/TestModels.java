package io.laminar.model.testing;

import io.laminar.model.synth.ModelShape;
import io.laminar.model.synth.SyntheticModelWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Synthetic models for tests whose subject is not a real model's numbers (scheduling, stages,
 * batching, serving): the project writes them itself, so these tests run on any clone, with or
 * without {@code ../shared/testdata} ({@link TestData}, which is for llama.cpp goldens and tokenizer
 * vocabularies). Each model is written once per build into {@link #cacheDir} and reused by every
 * module's tests; a file already there is taken as it is, since its name changes with every setting
 * ({@link SyntheticModelWriter#fileName}).
 */
public final class TestModels {
    /** System property (set by the build) naming the folder the models are cached in. */
    public static final String CACHE_PROPERTY = "laminar.synth-cache";

    /**
     * stories260K's sizes with random weights: 5 layers of 64, 8 heads of 8, 4 KV heads, an MLP of 172,
     * 512 tokens, a context of 512. The tests that used stories260K keep their layer splits (up to 5
     * stages), their token ids (all below 512, 1 is BOS, 2 EOS) and their cost per token, so their
     * timings still hold. The vocabulary is {@link io.laminar.model.synth.SyntheticVocabulary}'s: its
     * words are {@code ▁} plus one or two lowercase letters ({@code a} to {@code ir}), so text prompts
     * for it are made of such words (e.g. {@code "ab cd ef"}).
     */
    public static final ModelShape STORIES_SIZED = new ModelShape("stories-sized", ModelShape.Architecture.LLAMA,
            64, 5, 8, 4, 8, 172, 512, 512, 10000f, 1e-5f, false, null);

    private TestModels() {
    }

    /** The {@link #STORIES_SIZED} model in F32, as stories260K stores its weights. */
    public static Path storiesSized() {
        return cached(new SyntheticModelWriter(STORIES_SIZED));
    }

    /** The model {@code writer} describes, written into {@link #cacheDir} unless it is there already. */
    public static Path cached(SyntheticModelWriter writer) {
        // One writer at a time in this JVM; other processes are kept apart by the writer's own
        // temporary file, moved into place when complete.
        synchronized (TestModels.class) {
            try {
                return writer.writeCached(cacheDir());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the synthetic test model " + writer.fileName(), e);
            }
        }
    }

    /** {@value #CACHE_PROPERTY} if set (the build's {@code target/synthetic-models}), else {@code target/synthetic-models} here. */
    public static Path cacheDir() {
        String p = System.getProperty(CACHE_PROPERTY);
        return (p != null ? Path.of(p) : Path.of("target", "synthetic-models")).toAbsolutePath();
    }
}
