package io.laminar.model.generate;

import io.laminar.kernels.VectorOps;
import io.laminar.model.arch.ModelConfig;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.exec.LocalPipeline;
import io.laminar.model.exec.TokenBatch;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.sampling.SamplingParams;
import io.laminar.model.testing.TestModels;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GeneratorTest {
    static final int[] PROMPT = {1, 403, 407, 261, 378};

    /**
     * The reference: the prompt fed one token per step, then the argmax of each step's logits (no
     * chunking, no batching, no Generator). llama.cpp's agreement with this path is StoriesGreedyTest's.
     */
    static int[] oneTokenPerStep(GgufFile f, ModelConfig c, int[] prompt, int steps) {
        try (LocalPipeline p = new LocalPipeline(f, c, LayerRange.split(c.layers(), 1), 1, 1, 1, 128)) {
            p.reserve(0, prompt.length + steps);
            float[] logits = new float[c.vocabSize()];
            TokenBatch one = new TokenBatch(1);
            for (int i = 0; i < prompt.length; i++) {
                one.clear();
                one.add(prompt[i], 0, i, true);
                p.step(one, logits);
            }
            int[] out = new int[steps];
            for (int s = 0; s < steps; s++) {
                out[s] = VectorOps.argmax(logits, 0, c.vocabSize());
                one.clear();
                one.add(out[s], 0, prompt.length + s, true);
                p.step(one, logits);
            }
            return out;
        }
    }

    @Test
    void singleSequenceMatchesOneTokenPerStepWithChunkedPrefill() throws IOException {
        try (GgufFile f = GgufFile.open(TestModels.storiesSized())) {
            ModelConfig c = ModelConfig.fromGguf(f);
            int[] expected = oneTokenPerStep(f, c, PROMPT, 32);
            // A model stuck on one token would make this comparison say little.
            assertTrue(Arrays.stream(expected).distinct().count() >= 8, Arrays.toString(expected));
            // A batch of 2 splits the 5-token prompt into three chunks.
            try (LocalPipeline p = new LocalPipeline(f, c, LayerRange.split(c.layers(), 1), 1, 2, 1, 128)) {
                List<Integer> streamed = new ArrayList<>();
                GenerationResult r = new Generator(p, t -> t == 2, 1).generate(new GenerationRequest(
                        PROMPT, 32, SamplingParams.greedy(), (i, t) -> streamed.add(t)));
                assertArrayEquals(expected, r.tokens());
                assertEquals(GenerationEnd.LENGTH, r.end());
                assertArrayEquals(expected, streamed.stream().mapToInt(Integer::intValue).toArray());
                assertEquals(5, r.stats().promptTokens());
            }
        }
    }

    @Test
    void batchedSequencesEqualTheirSoloRuns() throws IOException {
        int[][] prompts = {
                {1, 403, 407, 261, 378},
                {1, 403, 407},
                {1, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401},
                {1, 432},
        };
        int[] lengths = {32, 20, 25, 40};
        try (GgufFile f = GgufFile.open(TestModels.storiesSized())) {
            ModelConfig c = ModelConfig.fromGguf(f);
            int[][] solo = new int[prompts.length][];
            try (LocalPipeline p = new LocalPipeline(f, c, LayerRange.split(c.layers(), 1), 1, 16, 1, 128)) {
                Generator g = new Generator(p, t -> t == 2, 1);
                for (int i = 0; i < prompts.length; i++) {
                    solo[i] = g.generate(new GenerationRequest(prompts[i], lengths[i], SamplingParams.greedy(),
                            TokenListener.NONE)).tokens();
                }
            }
            // Three slots for four requests: the last waits for a slot; batch of 6 forces chunking.
            try (LocalPipeline p = new LocalPipeline(f, c, LayerRange.split(c.layers(), 2), 2, 6, 3, 128)) {
                List<GenerationRequest> reqs = new ArrayList<>();
                for (int i = 0; i < prompts.length; i++) {
                    reqs.add(new GenerationRequest(prompts[i], lengths[i], SamplingParams.greedy(), TokenListener.NONE));
                }
                List<GenerationResult> batched = new Generator(p, t -> t == 2, 3).generateAll(reqs);
                for (int i = 0; i < prompts.length; i++) {
                    assertArrayEquals(solo[i], batched.get(i).tokens(), "sequence " + i);
                }
            }
        }
    }

    @Test
    void seededSamplingIsReproducibleAcrossBatching() throws IOException {
        try (GgufFile f = GgufFile.open(TestModels.storiesSized())) {
            ModelConfig c = ModelConfig.fromGguf(f);
            try (LocalPipeline p = new LocalPipeline(f, c, LayerRange.split(c.layers(), 1), 1, 16, 2, 128)) {
                Generator g = new Generator(p, t -> t == 2, 2);
                SamplingParams s = new SamplingParams(0.9f, 40, 0.95f, 0.05f, 1.1f, 64, 1234);
                GenerationRequest r = new GenerationRequest(PROMPT, 30, s, TokenListener.NONE);
                int[] a = g.generate(r).tokens();
                List<GenerationResult> both = g.generateAll(List.of(r, r));
                assertArrayEquals(a, both.get(0).tokens());
                assertArrayEquals(a, both.get(1).tokens());
            }
        }
    }
}
