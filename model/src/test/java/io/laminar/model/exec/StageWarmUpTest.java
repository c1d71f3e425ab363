package io.laminar.model.exec;

import io.laminar.model.arch.ModelConfig;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.testing.TestData;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The warm-up leaves a stage as it found it: an empty KV cache and the same results. */
class StageWarmUpTest {
    private static final int[] PROMPT = {1, 403, 407, 261, 378};

    @Test
    void warmUpLeavesTheCacheEmptyAndTheTokensUnchanged() throws IOException {
        try (GgufFile f = GgufFile.open(TestData.stories260K())) {
            ModelConfig c = ModelConfig.fromGguf(f);
            try (LocalPipeline cold = new LocalPipeline(f, c, LayerRange.split(c.layers(), 2), 1, 8, 4, 32);
                 LocalPipeline warm = new LocalPipeline(f, c, LayerRange.split(c.layers(), 2), 1, 8, 4, 32)) {
                for (int s = 0; s < warm.stageCount(); s++) {
                    StageExecutor stage = warm.stage(s);
                    assertTrue(StageWarmUp.run(stage, Duration.ofMillis(50)) >= 1, "stage " + s + " ran no round");
                    assertEquals(stage.kvCache().blockCount(), stage.kvCache().freeBlocks(), "stage " + s + " kept blocks");
                }
                assertArrayEquals(greedy(cold, 20), greedy(warm, 20));
            }
        }
    }

    @Test
    void noBudgetNoRoundAndOneSlotIsEnough() throws IOException {
        try (GgufFile f = GgufFile.open(TestData.stories260K())) {
            ModelConfig c = ModelConfig.fromGguf(f);
            try (LocalPipeline p = new LocalPipeline(f, c, LayerRange.split(c.layers(), 1), 1, 8, 1, 16)) {
                assertEquals(0, StageWarmUp.run(p.stage(0), Duration.ZERO));
                assertTrue(StageWarmUp.run(p.stage(0), Duration.ofMillis(20)) >= 1);
                assertEquals(p.stage(0).kvCache().blockCount(), p.stage(0).kvCache().freeBlocks());
            }
        }
    }

    private static int[] greedy(LocalPipeline p, int steps) {
        assertTrue(p.reserve(0, PROMPT.length + steps));
        TokenBatch batch = new TokenBatch(8);
        for (int i = 0; i < PROMPT.length; i++) {
            batch.add(PROMPT[i], 0, i, i == PROMPT.length - 1);
        }
        int[] out = new int[steps];
        int[] next = new int[1];
        for (int i = 0; i < steps; i++) {
            p.stepGreedy(batch, next);
            out[i] = next[0];
            batch.clear();
            batch.add(next[0], 0, PROMPT.length + i, true);
        }
        p.release(0);
        return out;
    }
}
