package io.laminar.model.sampling;

import java.util.SplittableRandom;

/**
 * Chooses tokens for one sequence, in llama.cpp's order: repetition penalty, top-k, top-p, min-p,
 * temperature, then a seeded random draw (or the most likely token when greedy). Holds the
 * sequence's recent tokens and random state; scratch is allocated once for the vocabulary.
 */
public final class Sampler {
    private final SamplingParams params;
    private final SplittableRandom random;
    private final int vocab;
    private final int[] recent;
    private int recentCount;
    private int recentNext;
    // Candidates: token ids and their (working) logits, the first `n` of them live.
    private final int[] ids;
    private final float[] values;

    public Sampler(SamplingParams params, int vocabSize) {
        this(params, vocabSize, 0);
    }

    /**
     * A sampler for a sequence resuming after {@code generatedBefore} tokens: its random state is that
     * of an uninterrupted run's after choosing them, since every token {@link #sample} chooses costs
     * exactly one draw (none when greedy). The recent tokens are not restored here: they come
     * through {@link #accept} as the prompt and those tokens are read again.
     */
    public Sampler(SamplingParams params, int vocabSize, int generatedBefore) {
        if (generatedBefore < 0) {
            throw new IllegalArgumentException("generatedBefore=" + generatedBefore + " must be >= 0");
        }
        this.params = params;
        this.random = new SplittableRandom(params.seed());
        if (!params.isGreedy()) {
            for (int i = 0; i < generatedBefore; i++) {
                random.nextDouble();
            }
        }
        this.vocab = vocabSize;
        this.recent = new int[Math.max(1, params.repeatLastN())];
        this.ids = new int[vocabSize];
        this.values = new float[vocabSize];
    }

    public SamplingParams params() {
        return params;
    }

    /** Records a token of the context (prompt or generated) for the repetition penalty. */
    public void accept(int token) {
        if (params.repeatLastN() == 0) {
            return;
        }
        recent[recentNext] = token;
        recentNext = (recentNext + 1) % recent.length;
        recentCount = Math.min(recentCount + 1, recent.length);
    }

    /**
     * Chooses the next token from {@code logits[off, off+vocab)}, which is left unchanged. Draws
     * from the random state exactly once unless greedy, whatever the candidates left, so that a
     * resumed sequence can skip one draw per token (see the three-argument constructor).
     */
    public int sample(float[] logits, int off) {
        for (int i = 0; i < vocab; i++) {
            ids[i] = i;
            values[i] = logits[off + i];
        }
        applyRepeatPenalty();
        if (params.isGreedy()) {
            int best = 0;
            for (int i = 1; i < vocab; i++) {
                if (values[i] > values[best]) {
                    best = i;
                }
            }
            return best;
        }
        int n = vocab;
        if (params.topK() > 0 && params.topK() < n) {
            n = selectTop(params.topK());
        }
        sortDescending(n);
        n = topP(n);
        n = minP(n);
        return draw(n);
    }

    private void applyRepeatPenalty() {
        float penalty = params.repeatPenalty();
        if (penalty == 1f || recentCount == 0) {
            return;
        }
        // Penalize each distinct recent token once; values[] is indexed by token id here.
        for (int i = 0; i < recentCount; i++) {
            int t = recent[i];
            boolean seenBefore = false;
            for (int j = 0; j < i; j++) {
                if (recent[j] == t) {
                    seenBefore = true;
                    break;
                }
            }
            if (!seenBefore && t >= 0 && t < vocab) {
                values[t] = values[t] > 0 ? values[t] / penalty : values[t] * penalty;
            }
        }
    }

    /**
     * Moves the k best candidates (by value, ties to the lower id) to the front, unordered; returns k.
     * One pass over the vocabulary against a min-heap of the k best so far: after the first few
     * thousand tokens a candidate rarely beats the heap's worst, so this costs about one comparison
     * per token, where a quickselect over 32000 candidates moved both arrays around several times.
     */
    private int selectTop(int k) {
        for (int i = k / 2 - 1; i >= 0; i--) {
            siftDown(i, k);
        }
        for (int i = k; i < vocab; i++) {
            if (before(i, 0)) {
                swap(0, i);
                siftDown(0, k);
            }
        }
        return k;
    }

    /** Restores the min-heap order (the worst candidate at the root) below {@code i} in {@code [0, n)}. */
    private void siftDown(int i, int n) {
        while (true) {
            int worst = i;
            int l = 2 * i + 1;
            int r = l + 1;
            if (l < n && before(worst, l)) {
                worst = l;
            }
            if (r < n && before(worst, r)) {
                worst = r;
            }
            if (worst == i) {
                return;
            }
            swap(i, worst);
            i = worst;
        }
    }

    private void swap(int a, int b) {
        float v = values[a];
        values[a] = values[b];
        values[b] = v;
        int id = ids[a];
        ids[a] = ids[b];
        ids[b] = id;
    }

    /** Sorts the first n candidates by value, largest first (ties by lower id, for determinism). */
    private void sortDescending(int n) {
        quicksort(0, n - 1);
    }

    private void quicksort(int lo, int hi) {
        while (hi - lo > 16) {
            int p = partitionOrdered(lo, hi);
            if (p - lo < hi - p) {
                quicksort(lo, p - 1);
                lo = p + 1;
            } else {
                quicksort(p + 1, hi);
                hi = p - 1;
            }
        }
        for (int i = lo + 1; i <= hi; i++) {
            for (int j = i; j > lo && before(j, j - 1); j--) {
                swap(j, j - 1);
            }
        }
    }

    private int partitionOrdered(int lo, int hi) {
        swap(lo + (hi - lo) / 2, hi);
        int store = lo;
        for (int i = lo; i < hi; i++) {
            if (before(i, hi)) {
                swap(i, store++);
            }
        }
        swap(store, hi);
        return store;
    }

    private boolean before(int a, int b) {
        return values[a] > values[b] || (values[a] == values[b] && ids[a] < ids[b]);
    }

    /** Keeps the shortest sorted prefix whose softmax mass reaches top_p (at least one token). */
    private int topP(int n) {
        if (params.topP() >= 1f) {
            return n;
        }
        float max = values[0];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(values[i] - max);
        }
        double cumulative = 0;
        for (int i = 0; i < n; i++) {
            cumulative += Math.exp(values[i] - max) / sum;
            if (cumulative >= params.topP()) {
                return i + 1;
            }
        }
        return n;
    }

    /** Keeps tokens whose probability is at least min_p of the most likely one's. */
    private int minP(int n) {
        if (params.minP() <= 0f) {
            return n;
        }
        float threshold = values[0] + (float) Math.log(params.minP());
        int keep = 1;
        while (keep < n && values[keep] >= threshold) {
            keep++;
        }
        return keep;
    }

    /** Applies the temperature and draws from the softmax of the first n (sorted) candidates. */
    private int draw(int n) {
        float t = params.temperature();
        float max = values[0];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            values[i] = (float) Math.exp((values[i] - max) / t);
            sum += values[i];
        }
        double r = random.nextDouble() * sum;
        double cumulative = 0;
        for (int i = 0; i < n; i++) {
            cumulative += values[i];
            if (r < cumulative) {
                return ids[i];
            }
        }
        return ids[n - 1];
    }
}
