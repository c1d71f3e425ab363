package io.laminar.model.exec;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Runs dummy steps through a stage before it serves, so that the first real requests do not pay
 * for the JIT. Until C2 has compiled them, the Vector API kernels run boxed, one to two orders of
 * magnitude slower: a cold process needs 3-4 s for a short prompt of a 110M model, and the
 * first batched decode steps (which use other token tiles than single-sequence ones) stall the same
 * way. A round is what serving does, small: one prompt chunk on slot 0, then decode steps of 1, 2,
 * 3 and 4 sequences at once, with logits or greedy ids at the end on the last stage. Rounds repeat
 * while C2 compiles in the background, until the JIT has settled or the {@link WarmUpBudget} is
 * spent.
 *
 * <p>Settled means: over the last {@value #SETTLE_ROUNDS} rounds or more, spanning at least
 * {@value #SETTLE_WINDOW_MILLIS} ms, the JIT's compilation time (all compiler threads) grew by at
 * most {@value #SETTLE_JIT_PERCENT}% of that wall time. On 2 vCPUs and a 110M model the first round
 * takes ~3.8 s on cold code, compilations go on for ~2.5 s of rounds after it (some of 100-200 ms,
 * after which rounds get 15-20% faster), then stay under 1% of the time; a fixed 2 s budget stops
 * after the first round, and the first requests then decode at about half the speed of later ones.
 *
 * <p>The stage's KV slots must all be free; the ones a round uses are released after it, so the
 * cache is as empty afterwards as before. A cache too small for a round makes the warm-up stop early.
 */
public final class StageWarmUp {
    /**
     * Most sequences a decode step of the warm-up carries: 1 to 4 covers every token tile of the
     * kernels (Q8_0 tiles of 1-4 tokens, Q4_0 1, 2 and 4), so 8-sequence steps and long prompts run
     * compiled code too. A round stays small because the first one runs on cold, boxed kernels.
     */
    static final int MAX_STREAMS = 4;
    /** Prompt tokens of a round's prefill step: several tiles at once, and attention over a prompt. */
    static final int PROMPT = 5;
    /** Fewest rounds in the window that decides whether the JIT has settled. */
    static final int SETTLE_ROUNDS = 8;
    /** Shortest wall time of that window. */
    static final long SETTLE_WINDOW_MILLIS = 1000;
    /** Most compilation time in the window, in percent of its wall time, for the JIT to count as settled. */
    static final int SETTLE_JIT_PERCENT = 3;

    /**
     * @param rounds  rounds run (0 when the budget is none or the cache cannot hold a round)
     * @param settled whether the warm-up stopped because the JIT had settled (false: the budget ran out first)
     */
    public record Outcome(int rounds, boolean settled) {
    }

    private StageWarmUp() {
    }

    /** Warms {@code stage} up within {@code budget}: at least one round unless the budget is none. */
    public static Outcome run(StageExecutor stage, WarmUpBudget budget) {
        if (budget.isNone()) {
            return new Outcome(0, false);
        }
        KvCache kv = stage.kvCache();
        int streams = Math.min(MAX_STREAMS, Math.min(stage.maxBatch(), kv.maxSequences()));
        int prompt = Math.min(PROMPT, Math.min(stage.maxBatch(), kv.maxContext() - streams));
        if (streams < 1 || prompt < 1) {
            return new Outcome(0, false);
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
        long start = System.nanoTime();
        long earliest = start + budget.atLeast().toNanos();
        long deadline = start + budget.atMost().toNanos();
        JitWatch jit = new JitWatch();
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
                    return new Outcome(rounds, false);
                }
                for (int n = 1; n <= streams; n++) {
                    batch.clear();
                    for (int s = 0; s < n; s++) {
                        batch.add(random.nextInt(vocab), s, positions[s]++, true);
                    }
                    if (!step(stage, batch, x, logits, ids, random, first, last)) {
                        return new Outcome(rounds, false);
                    }
                }
                rounds++;
            } finally {
                for (int s = 0; s < streams; s++) {
                    kv.release(s);
                }
            }
            long now = System.nanoTime();
            if (jit.settledAfterRound(now) && now >= earliest) {
                return new Outcome(rounds, true);
            }
        } while (System.nanoTime() < deadline);
        return new Outcome(rounds, false);
    }

    /** Whether the JIT has settled, from its compilation time at the end of each round. */
    private static final class JitWatch {
        private final CompilationMXBean bean = ManagementFactory.getCompilationMXBean();
        private final boolean supported = bean != null && bean.isCompilationTimeMonitoringSupported();
        /** {end of round in nanos, total compilation millis then}, oldest first. */
        private final ArrayDeque<long[]> window = new ArrayDeque<>();

        boolean settledAfterRound(long now) {
            if (!supported) {
                return false;
            }
            window.addLast(new long[] {now, bean.getTotalCompilationTime()});
            long windowNanos = SETTLE_WINDOW_MILLIS * 1_000_000L;
            // Drop the oldest while the window stays wide enough without it.
            while (window.size() > SETTLE_ROUNDS + 1 && now - second()[0] >= windowNanos) {
                window.removeFirst();
            }
            long[] oldest = window.getFirst();
            long span = now - oldest[0];
            long jitNanos = (window.getLast()[1] - oldest[1]) * 1_000_000L;
            return window.size() > SETTLE_ROUNDS && span >= windowNanos && jitNanos * 100 <= span * SETTLE_JIT_PERCENT;
        }

        private long[] second() {
            var it = window.iterator();
            it.next();
            return it.next();
        }
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
