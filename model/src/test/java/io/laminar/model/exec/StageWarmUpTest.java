package io.laminar.model.exec;

import io.laminar.model.arch.ModelConfig;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.testing.TestModels;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The warm-up leaves a stage as it found it (an empty KV cache, the same results) and stops once the JIT has settled. */
class StageWarmUpTest {
    private static final int[] PROMPT = {1, 403, 407, 261, 378};

    @Test
    void warmUpLeavesTheCacheEmptyAndTheTokensUnchanged() throws IOException {
        try (GgufFile f = GgufFile.open(TestModels.storiesSized())) {
            ModelConfig c = ModelConfig.fromGguf(f);
            try (LocalPipeline cold = new LocalPipeline(f, c, LayerRange.split(c.layers(), 2), 1, 8, 4, 32);
                 LocalPipeline warm = new LocalPipeline(f, c, LayerRange.split(c.layers(), 2), 1, 8, 4, 32)) {
                for (int s = 0; s < warm.stageCount(); s++) {
                    StageExecutor stage = warm.stage(s);
                    assertTrue(StageWarmUp.run(stage, WarmUpBudget.exactly(Duration.ofMillis(50))).rounds() >= 1, "stage " + s + " ran no round");
                    assertEquals(stage.kvCache().blockCount(), stage.kvCache().freeBlocks(), "stage " + s + " kept blocks");
                }
                assertArrayEquals(greedy(cold, 20), greedy(warm, 20));
            }
        }
    }

    @Test
    void noBudgetNoRoundAndOneSlotIsEnough() throws IOException {
        try (GgufFile f = GgufFile.open(TestModels.storiesSized())) {
            ModelConfig c = ModelConfig.fromGguf(f);
            try (LocalPipeline p = new LocalPipeline(f, c, LayerRange.split(c.layers(), 1), 1, 8, 1, 16)) {
                assertEquals(0, StageWarmUp.run(p.stage(0), WarmUpBudget.NONE).rounds());
                assertTrue(StageWarmUp.run(p.stage(0), WarmUpBudget.exactly(Duration.ofMillis(20))).rounds() >= 1);
                assertEquals(p.stage(0).kvCache().blockCount(), p.stage(0).kvCache().freeBlocks());
            }
        }
    }

    /**
     * Bounded only from above, the warm-up ends by itself once the JIT has gone quiet, after a full
     * quiet window and long before the bound (a round of the stories260K-sized test model takes
     * milliseconds once compiled).
     */
    @Test
    void stopsOnceTheJitHasSettled() throws IOException {
        try (GgufFile f = GgufFile.open(TestModels.storiesSized())) {
            ModelConfig c = ModelConfig.fromGguf(f);
            try (LocalPipeline p = new LocalPipeline(f, c, LayerRange.split(c.layers(), 1), 1, 8, 4, 32)) {
                long start = System.nanoTime();
                StageWarmUp.Outcome outcome = StageWarmUp.run(p.stage(0), WarmUpBudget.upTo(Duration.ofSeconds(60)));
                long millis = (System.nanoTime() - start) / 1_000_000;
                assertTrue(outcome.settled(), "ran the whole 60 s bound: " + outcome);
                assertTrue(outcome.rounds() > StageWarmUp.SETTLE_ROUNDS, "stopped before a full window: " + outcome);
                assertTrue(millis >= StageWarmUp.SETTLE_WINDOW_MILLIS, "stopped after " + millis + " ms");
                assertTrue(millis < 60_000, "stopped after " + millis + " ms");
            }
        }
    }

    @Test
    void budgetBoundsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new WarmUpBudget(Duration.ofSeconds(2), Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> WarmUpBudget.upTo(Duration.ofSeconds(-1)));
        assertTrue(WarmUpBudget.NONE.isNone());
        assertFalse(WarmUpBudget.exactly(Duration.ofMillis(1)).isNone());
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
