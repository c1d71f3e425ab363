package io.laminar.model.exec;

import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Runs dummy steps through a stage before it serves, so that the first real requests do not pay
 * for the JIT. Until C2 has compiled them, the Vector API kernels run boxed, one to two orders of
 * magnitude slower: a cold process needs 3-4 s for a short prompt of a 110M model, and the
 * first batched decode steps (which use other token tiles than single-sequence ones) stall the same
 * way. A round is what serving does, small: one prompt chunk on slot 0, then decode steps of 1, 2,
 * 3 and 4 sequences at once, with logits or greedy ids at the end on the last stage. Rounds repeat
 * until the budget is spent; C2 compiles in the background meanwhile.
 *
 * <p>The stage's KV slots must all be free; the ones a round uses are released after it, so the
 * cache is as empty afterwards as before. A cache too small for a round makes the warm-up stop early.
 */
public final class StageWarmUp {
    /**
     * Most sequences a decode step of the warm-up carries: 1 to 4 covers every token tile of the
     * kernels (Q8_0 tiles 1-3 tokens, Q4_0 1, 2 and 4), so 8-sequence steps and long prompts run
     * compiled code too. A round stays small because the first one runs on cold, boxed kernels.
     */
    static final int MAX_STREAMS = 4;
    /** Prompt tokens of a round's prefill step: several tiles at once, and attention over a prompt. */
    static final int PROMPT = 5;

    private StageWarmUp() {
    }

    /**
     * Warms {@code stage} up for about {@code budget} (at least one round when the budget is positive).
     *
     * @return the rounds run (0 when the budget is zero or the cache cannot hold a round)
     */
    public static int run(StageExecutor stage, Duration budget) {
        if (budget.isZero() || budget.isNegative()) {
            return 0;
        }
        KvCache kv = stage.kvCache();
        int streams = Math.min(MAX_STREAMS, Math.min(stage.maxBatch(), kv.maxSequences()));
        int prompt = Math.min(PROMPT, Math.min(stage.maxBatch(), kv.maxContext() - streams));
        if (streams < 1 || prompt < 1) {
            return 0;
        }
        int dim = stage.config().dim();
        int vocab = stage.config().vocabSize();
        boolean first = stage.weights().first();
        boolean last = stage.weights().last();
        int width = Math.max(prompt, streams);
        TokenBatch batch = new TokenBatch(width);
        float[] x = new float[width * dim];
        float[] logits = last ? new float[width * vocab] : null;
        int[] ids = last ? new int[width] : null;
        int[] positions = new int[streams];
        SplittableRandom random = new SplittableRandom(42);
        long deadline = System.nanoTime() + budget.toNanos();
        int rounds = 0;
        do {
            try {
                Arrays.fill(positions, 0);
                batch.clear();
                for (int i = 0; i < prompt; i++) {
                    batch.add(random.nextInt(vocab), 0, i, i == prompt - 1);
                }
                positions[0] = prompt;
                if (!step(stage, batch, x, logits, ids, random, first, last)) {
                    return rounds;
                }
                for (int n = 1; n <= streams; n++) {
                    batch.clear();
                    for (int s = 0; s < n; s++) {
                        batch.add(random.nextInt(vocab), s, positions[s]++, true);
                    }
                    if (!step(stage, batch, x, logits, ids, random, first, last)) {
                        return rounds;
                    }
                }
                rounds++;
            } finally {
                for (int s = 0; s < streams; s++) {
                    kv.release(s);
                }
            }
        } while (System.nanoTime() < deadline);
        return rounds;
    }

    /** One step of the round; false when the KV cache has no room for it. */
    private static boolean step(StageExecutor stage, TokenBatch batch, float[] x, float[] logits, int[] ids,
                                SplittableRandom random, boolean first, boolean last) {
        KvCache kv = stage.kvCache();
        for (int i = 0; i < batch.size(); i++) {
            if (!kv.reserve(batch.slot(i), batch.position(i) + 1)) {
                return false;
            }
        }
        int n = batch.size() * stage.config().dim();
        if (first) {
            stage.embed(batch, x);
        } else {
            for (int i = 0; i < n; i++) {
                x[i] = (float) random.nextGaussian();
            }
        }
        stage.forward(batch, x);
        if (last) {
            if (batch.size() == 1 || batch.logitsCount() < batch.size()) {
                stage.logits(batch, x, logits);
            } else {
                stage.greedy(batch, x, ids);
            }
        }
        return true;
    }
}
