package io.laminar.model.generate;

import io.laminar.model.arch.ModelConfig;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.exec.LocalPipeline;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.sampling.SamplingParams;
import io.laminar.model.testing.TestData;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class GeneratorTest {
    static final int[] EXPECTED = {432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337,
            410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394};

    @Test
    void singleSequenceMatchesLlamaCppWithChunkedPrefill() throws IOException {
        try (GgufFile f = GgufFile.open(TestData.stories260K())) {
            ModelConfig c = ModelConfig.fromGguf(f);
            // A batch of 2 splits the 5-token prompt into three chunks.
            try (LocalPipeline p = new LocalPipeline(f, c, LayerRange.split(c.layers(), 1), 1, 2, 1, 128)) {
                List<Integer> streamed = new ArrayList<>();
                GenerationResult r = new Generator(p, t -> t == 2, 1).generate(new GenerationRequest(
                        new int[] {1, 403, 407, 261, 378}, 32, SamplingParams.greedy(),
                        (i, t) -> streamed.add(t)));
                assertArrayEquals(EXPECTED, r.tokens());
                assertEquals(FinishReason.LENGTH, r.finishReason());
                assertArrayEquals(EXPECTED, streamed.stream().mapToInt(Integer::intValue).toArray());
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
        try (GgufFile f = GgufFile.open(TestData.stories260K())) {
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
        try (GgufFile f = GgufFile.open(TestData.stories260K())) {
            ModelConfig c = ModelConfig.fromGguf(f);
            try (LocalPipeline p = new LocalPipeline(f, c, LayerRange.split(c.layers(), 1), 1, 16, 2, 128)) {
                Generator g = new Generator(p, t -> t == 2, 2);
                SamplingParams s = new SamplingParams(0.9f, 40, 0.95f, 0.05f, 1.1f, 64, 1234);
                GenerationRequest r = new GenerationRequest(new int[] {1, 403, 407, 261, 378}, 30, s, TokenListener.NONE);
                int[] a = g.generate(r).tokens();
                List<GenerationResult> both = g.generateAll(List.of(r, r));
                assertArrayEquals(a, both.get(0).tokens());
                assertArrayEquals(a, both.get(1).tokens());
            }
        }
    }
}
