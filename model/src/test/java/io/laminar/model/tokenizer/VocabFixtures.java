package io.laminar.model.tokenizer;

import io.laminar.model.testing.TestData;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ConcurrentHashMap;

/** Tokenizers of the shared vocabulary files, loaded once per test run (the BPE ones take a moment). */
final class VocabFixtures {
    private static final ConcurrentHashMap<String, Tokenizer> LOADED = new ConcurrentHashMap<>();

    private VocabFixtures() {
    }

    /** The tokenizer of {@code vocab/ggml-vocab-<name>.gguf}; skips the test when the file is absent. */
    static Tokenizer tokenizer(String name) {
        var path = TestData.require("vocab/ggml-vocab-" + name + ".gguf");
        return LOADED.computeIfAbsent(name, n -> {
            try {
                return Tokenizers.fromGguf(path);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
