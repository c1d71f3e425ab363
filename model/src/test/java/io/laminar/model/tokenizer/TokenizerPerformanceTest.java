package io.laminar.model.tokenizer;

import io.laminar.model.testing.TestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Encoding a prompt of several thousand tokens takes milliseconds. The bound asserted is loose (the
 * build machine is shared); the measured time is printed.
 */
class TokenizerPerformanceTest {
    private static final long BOUND_NANOS = 250_000_000L;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama-spm", "llama-bpe", "qwen2", "gpt-2"})
    void longPromptEncodesInMilliseconds(String name) throws IOException {
        long loadStart = System.nanoTime();
        Tokenizer tokenizer = Tokenizers.fromGguf(TestData.require("vocab/ggml-vocab-" + name + ".gguf"));
        long loadNanos = System.nanoTime() - loadStart;
        StringBuilder text = new StringBuilder();
        for (String s : VocabTestCases.load(name).inputs()) {
            text.append(s).append('\n');
        }
        String once = text.toString();
        while (text.length() < 20_000) {
            text.append(once);
        }
        String prompt = text.toString();
        int[] ids = tokenizer.encode(prompt, true, false);
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 20; i++) {
            long t0 = System.nanoTime();
            int[] again = tokenizer.encode(prompt, true, false);
            best = Math.min(best, System.nanoTime() - t0);
            assertEquals(ids.length, again.length);
        }
        long decodeStart = System.nanoTime();
        tokenizer.decode(ids);
        long decodeNanos = System.nanoTime() - decodeStart;
        System.out.printf("%s: load %.0f ms; encode %,d chars -> %,d tokens in %.2f ms (best of 20); decode %.2f ms%n",
                name, loadNanos / 1e6, prompt.length(), ids.length, best / 1e6, decodeNanos / 1e6);
        assertTrue(ids.length > 2_000);
        assertTrue(best < BOUND_NANOS, name + " took " + best / 1e6 + " ms");
    }
}
