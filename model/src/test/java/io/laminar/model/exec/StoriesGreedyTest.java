package io.laminar.model.exec;

import io.laminar.kernels.VectorOps;
import io.laminar.model.arch.ModelConfig;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.testing.TestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The real stories260K model reproduces llama.cpp's greedy tokens, whole and split into stages. */
class StoriesGreedyTest {
    static final int[] PROMPT = {1, 403, 407, 261, 378};
    static final int[] EXPECTED = {432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337,
            410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394};

    @ParameterizedTest(name = "{0} stage(s)")
    @ValueSource(ints = {1, 2, 5})
    void greedyTokensMatchLlamaCpp(int stages) throws IOException {
        try (GgufFile f = GgufFile.open(TestData.stories260K())) {
            ModelConfig c = ModelConfig.fromGguf(f);
            try (LocalPipeline p = new LocalPipeline(f, c, LayerRange.split(c.layers(), stages), 1, 8, 1, 64)) {
                assertArrayEquals(EXPECTED, greedy(p, PROMPT, EXPECTED.length));
            }
        }
    }

    static int[] greedy(LocalPipeline p, int[] prompt, int steps) {
        int vocab = p.config().vocabSize();
        float[] logits = new float[vocab * p.maxBatch()];
        TokenBatch batch = new TokenBatch(p.maxBatch());
        int[] out = new int[steps];
        p.reserve(0, prompt.length + steps);
        int pos = 0;
        for (int i = 0; i < prompt.length; i += p.maxBatch()) {
            batch.clear();
            for (int j = i; j < Math.min(prompt.length, i + p.maxBatch()); j++) {
                batch.add(prompt[j], 0, pos++, j == prompt.length - 1);
            }
            p.step(batch, logits);
        }
        for (int s = 0; s < steps; s++) {
            int next = VectorOps.argmax(logits, 0, vocab);
            out[s] = next;
            batch.clear();
            batch.add(next, 0, pos++, true);
            p.step(batch, logits);
        }
        return out;
    }
}
