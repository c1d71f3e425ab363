package io.laminar.model.testing;

import io.laminar.kernels.GgmlType;
import io.laminar.kernels.VectorOps;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.gguf.GgufTensor;
import io.laminar.model.synth.ModelShape;
import io.laminar.model.synth.SyntheticModelWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LlamaCppReferenceTest {
    /** From shared/testdata/README.md: llama.cpp's greedy continuation of "Once upon a time". */
    static final int[] PROMPT = {1, 403, 407, 261, 378};
    static final int[] EXPECTED = {432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337,
            410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394};

    static Path model;
    static LlamaCppReference ref;

    @BeforeAll
    static void load() {
        model = TestData.stories260K();
        LlamaCppReference.assumeAvailable();
        ref = LlamaCppReference.open(model, LlamaCppReference.Options.DEFAULT.withContextLength(256));
    }

    @AfterAll
    static void close() {
        if (ref != null) {
            ref.close();
        }
    }

    @Test
    void describesTheModel() {
        assertEquals(512, ref.vocabSize());
        assertEquals(64, ref.embeddingLength());
        assertEquals(1, ref.bosId());
        assertTrue(ref.addsBos());
    }

    @Test
    void tokenizesLikeTheReadme() {
        assertArrayEquals(PROMPT, ref.tokenize("Once upon a time"));
    }

    @Test
    void reproducesTheReadmeGreedyIds() {
        LlamaCppReference.Generation g = ref.greedy(PROMPT, 32, 1);
        assertArrayEquals(EXPECTED, g.tokens(), g.toString());
        assertEquals(", there was a little girl named Lily. She loved to play outside in the park. One day, she saw",
                ref.detokenize(g.tokens()));
        assertTrue(g.minMargin() > 0, g.toString());
    }

    @Test
    void idsDoNotDependOnTheThreadCount() {
        assertArrayEquals(EXPECTED, ref.greedy(PROMPT, 32, 2).tokens());
    }

    @Test
    void lastLogitsPickTheFirstGeneratedToken() {
        float[] logits = ref.lastLogits(PROMPT, 1);
        assertEquals(512, logits.length);
        assertEquals(EXPECTED[0], VectorOps.argmax(logits, 0, logits.length));
        float[][] all = ref.logits(PROMPT, 1);
        assertEquals(PROMPT.length, all.length);
        assertArrayEquals(logits, all[PROMPT.length - 1], 1e-4f);
    }

    @Test
    void finalHiddenTimesTheOutputHeadGivesTheLogits() throws IOException {
        float[] h = ref.finalHidden(PROMPT, 1);
        float[] logits = ref.lastLogits(PROMPT, 1);
        assertEquals(64, h.length);
        try (GgufFile f = GgufFile.open(model)) {
            GgufTensor out = f.tensors().containsKey("output.weight") ? f.tensor("output.weight")
                    : f.tensor("token_embd.weight");
            for (int v = 0; v < 512; v++) {
                double dot = 0;
                for (int i = 0; i < 64; i++) {
                    dot += h[i] * out.data().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, (long) v * 64 + i);
                }
                assertEquals(logits[v], dot, 1e-3 * (1 + Math.abs(dot)), "token " + v);
            }
        }
    }

    @Test
    void speedUsesLlamaCppsOwnCounters() {
        LlamaCppReference.Speed s = ref.speed(16, 8, 1);
        assertEquals(16, s.promptTokens());
        assertEquals(8, s.generatedTokens());
        assertTrue(s.promptTokensPerSecond() > 0 && s.generationTokensPerSecond() > 0, s.toString());
        // The same numbers as llama.cpp's own timing lines (which round to 2 decimals).
        Matcher p = Pattern.compile("prompt eval time =\\s+([0-9.]+) ms /\\s+(\\d+) tokens .*?([0-9.]+) tokens per second")
                .matcher(s.llamaCppLog());
        assertTrue(p.find(), s.llamaCppLog());
        assertEquals(s.promptMillis(), Double.parseDouble(p.group(1)), 0.01);
        assertEquals(16, Integer.parseInt(p.group(2)));
        assertEquals(s.promptTokensPerSecond(), Double.parseDouble(p.group(3)), 0.01);
        Matcher e = Pattern.compile("\\seval time =\\s+([0-9.]+) ms /\\s+(\\d+) runs").matcher(s.llamaCppLog());
        assertTrue(e.find(), s.llamaCppLog());
        assertEquals(s.generationMillis(), Double.parseDouble(e.group(1)), 0.01);
        assertEquals(8, Integer.parseInt(e.group(2)));
    }

    @Test
    void decodesSeveralSequencesInOneBatch() {
        try (LlamaCppReference four = LlamaCppReference.open(model,
                LlamaCppReference.Options.DEFAULT.withContextLength(256).withSequences(4))) {
            double rate = four.batchedDecodeTokensPerSecond(4, 8, 8, 1);
            assertTrue(rate > 0 && Double.isFinite(rate), "rate " + rate);
            // more sequences than the context holds, or more tokens than fit
            assertThrows(IllegalArgumentException.class, () -> four.batchedDecodeTokensPerSecond(5, 8, 8, 1));
            assertThrows(IllegalArgumentException.class, () -> four.batchedDecodeTokensPerSecond(4, 32, 40, 1));
        }
        assertThrows(IllegalArgumentException.class, () -> ref.batchedDecodeTokensPerSecond(2, 8, 8, 1));
    }

    @Test
    void rejectsWhatDoesNotFit() {
        assertThrows(IllegalArgumentException.class, () -> ref.greedy(PROMPT, 300, 1));
        assertThrows(IllegalArgumentException.class, () -> ref.lastLogits(new int[] {1, 512}, 1));
        assertThrows(IllegalArgumentException.class, () -> ref.greedy(PROMPT, 4, 0));
    }

    @Test
    void greedyStepsAgreeWithFreshLogitsOnASyntheticModel(@TempDir Path tmp) throws IOException {
        Path p = SyntheticModelWriter.write(ModelShape.TINY_LLAMA3, GgmlType.F32, 2, tmp.resolve("m.gguf"));
        LlamaCppReference r = LlamaCppReference.open(p, LlamaCppReference.Options.DEFAULT.withContextLength(64));
        int[] prompt = r.tokenize("a b c");
        try {
            LlamaCppReference.Generation g = r.greedy(prompt, 12, 1);
            int[] seq = Arrays.copyOf(prompt, prompt.length + g.tokens().length);
            System.arraycopy(g.tokens(), 0, seq, prompt.length, g.tokens().length);
            float[][] all = r.logits(seq, 1);
            for (int i = 0; i < g.tokens().length; i++) {
                int pos = prompt.length - 1 + i;
                float[] fresh = r.lastLogits(Arrays.copyOf(seq, pos + 1), 1);
                assertEquals(g.tokens()[i], VectorOps.argmax(fresh, 0, fresh.length), "step " + i);
                assertArrayEquals(fresh, all[pos], 1e-3f, "position " + pos);
            }
            assertEquals(256, r.finalHidden(prompt, 1).length);
        } finally {
            r.close();
        }
        assertThrows(IllegalStateException.class, () -> r.greedy(prompt, 1, 1));
        assertThrows(IllegalStateException.class, () -> r.tokenize("a"));
        r.close(); // a second close is harmless
    }
}
