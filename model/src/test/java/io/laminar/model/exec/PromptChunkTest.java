package io.laminar.model.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.laminar.model.arch.ModelConfig;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.testing.TestModels;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Prompt chunks: the tokens of a sequence with several entries in a step read its cached rows from
 * one copy widened per layer (attention's shared rows), where a lone token widens each row itself.
 * Every entry's logits must equal those of the same sequence fed one token per step, bit for bit:
 * two chunks in one step, a lone decode token beside them, and a second chunk that reads the first's
 * rows.
 */
class PromptChunkTest {
    private static final int[][] PROMPTS = {
            {1, 403, 407, 261, 378, 290, 301, 266, 311, 270, 284, 345, 259, 430, 377, 262, 298, 312, 444, 268,
             276, 309, 400, 331, 283, 265, 297, 318, 356, 281},
            {1, 333, 271, 420, 288, 302, 267, 350, 299},
            {1, 260, 381, 292, 315, 273}};

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(ints = {1, 2})
    void chunkedPromptsGiveTheLogitsOfOneTokenPerStep(int threads) throws IOException {
        try (GgufFile f = GgufFile.open(TestModels.storiesSized())) {
            ModelConfig c = ModelConfig.fromGguf(f);
            int vocab = c.vocabSize();
            float[][][] expected = new float[PROMPTS.length][][];
            try (LocalPipeline solo = new LocalPipeline(f, c, LayerRange.split(c.layers(), 1), threads, 32, 3, 32)) {
                for (int s = 0; s < PROMPTS.length; s++) {
                    solo.reserve(s, PROMPTS[s].length);
                    expected[s] = new float[PROMPTS[s].length][vocab];
                    TokenBatch one = new TokenBatch(1);
                    for (int p = 0; p < PROMPTS[s].length; p++) {
                        one.clear();
                        one.add(PROMPTS[s][p], s, p, true);
                        solo.step(one, expected[s][p]);
                    }
                    solo.release(s);
                }
            }
            try (LocalPipeline chunked = new LocalPipeline(f, c, LayerRange.split(c.layers(), 1), threads, 32, 3, 32)) {
                for (int s = 0; s < PROMPTS.length; s++) {
                    chunked.reserve(s, PROMPTS[s].length);
                }
                for (int p = 0; p < 4; p++) { // sequence 2 starts alone, one token per step
                    check(chunked, expected, vocab, new int[][] {{2, p, p + 1}});
                }
                // sequence 0's first chunk, all of sequence 1, and sequence 2's next token
                check(chunked, expected, vocab, new int[][] {{0, 0, 20}, {1, 0, 9}, {2, 4, 5}});
                // sequence 0's second chunk reads the first's rows; sequence 2's last token
                check(chunked, expected, vocab, new int[][] {{0, 20, 30}, {2, 5, 6}});
            }
        }
    }

    /** Runs one step of positions {@code [from, to)} of each {@code {sequence, from, to}} and compares every entry's logits. */
    private static void check(LocalPipeline pipeline, float[][][] expected, int vocab, int[][] parts) {
        TokenBatch batch = new TokenBatch(32);
        for (int[] part : parts) {
            for (int p = part[1]; p < part[2]; p++) {
                batch.add(PROMPTS[part[0]][p], part[0], p, true);
            }
        }
        float[] logits = new float[batch.size() * vocab];
        pipeline.step(batch, logits);
        int row = 0;
        for (int[] part : parts) {
            for (int p = part[1]; p < part[2]; p++, row++) {
                assertArrayEquals(expected[part[0]][p], Arrays.copyOfRange(logits, row * vocab, (row + 1) * vocab),
                        "sequence " + part[0] + ", position " + p + ", batch " + Arrays.deepToString(parts));
            }
        }
    }
}
