package io.laminar.model.sampling;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplerTest {
    /** Logits whose softmax is {0.5, 0.3, 0.15, 0.05}. */
    static final float[] LOGITS = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.15),
            (float) Math.log(0.05)};

    static SamplingParams params(float temp, int topK, float topP, float minP, float penalty, long seed) {
        return new SamplingParams(temp, topK, topP, minP, penalty, 64, seed);
    }

    static int[] histogram(SamplingParams p, int draws) {
        Sampler s = new Sampler(p, LOGITS.length);
        int[] h = new int[LOGITS.length];
        for (int i = 0; i < draws; i++) {
            h[s.sample(LOGITS, 0)]++;
        }
        return h;
    }

    @Test
    void greedyPicksTheLargestLogit() {
        assertEquals(0, new Sampler(SamplingParams.greedy(), 4).sample(LOGITS, 0));
        float[] shifted = {0, 0, 1, 5, 2};
        assertEquals(2, new Sampler(SamplingParams.greedy(), 4).sample(shifted, 1));
    }

    @Test
    void repeatPenaltyDemotesRecentTokens() {
        Sampler s = new Sampler(params(0, 40, 1, 0, 2f, 0), 4);
        s.accept(0);
        // log(0.5)*2 < log(0.3): token 0's negative logit is multiplied by the penalty.
        assertEquals(1, s.sample(LOGITS, 0));
        float[] positive = {3f, 2f, 1f, 0f};
        Sampler s2 = new Sampler(params(0, 40, 1, 0, 2f, 0), 4);
        s2.accept(0);
        s2.accept(0);
        assertEquals(1, s2.sample(positive, 0), "3/2 = 1.5 < 2, penalized once however often it was seen");
    }

    @Test
    void temperatureOneDrawsFromTheSoftmax() {
        int draws = 40_000;
        int[] h = histogram(params(1f, 0, 1f, 0f, 1f, 42), draws);
        double[] expected = {0.5, 0.3, 0.15, 0.05};
        for (int i = 0; i < 4; i++) {
            assertEquals(expected[i], h[i] / (double) draws, 0.01, "token " + i);
        }
    }

    @Test
    void topKTopPAndMinPTruncate() {
        assertArrayEquals(new int[] {1000, 0, 0, 0}, histogram(params(1f, 1, 1f, 0f, 1f, 1), 1000));
        int[] topK2 = histogram(params(1f, 2, 1f, 0f, 1f, 1), 1000);
        assertTrue(topK2[0] > 0 && topK2[1] > 0 && topK2[2] == 0 && topK2[3] == 0);
        // 0.5 + 0.3 reaches 0.75: tokens 0 and 1 only.
        int[] topP = histogram(params(1f, 0, 0.75f, 0f, 1f, 1), 1000);
        assertTrue(topP[0] > 0 && topP[1] > 0 && topP[2] == 0 && topP[3] == 0);
        // min_p 0.25: keeps p >= 0.125: tokens 0, 1, 2.
        int[] minP = histogram(params(1f, 0, 1f, 0.25f, 1f, 1), 3000);
        assertTrue(minP[2] > 0 && minP[3] == 0);
    }

    /**
     * Top-k over a vocabulary of real size keeps exactly the k best logits, ties going to the lower
     * id: with a high temperature every kept token gets drawn, and no other.
     */
    @Test
    void topKKeepsTheKBestOfALargeVocabularyWithTiesToLowerIds() {
        int vocab = 32000;
        int k = 40;
        float[] logits = new float[vocab];
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < vocab; i++) {
            logits[i] = (float) random.nextInt(-50_000, 50_000) / 1000f; // many exact ties
        }
        Integer[] order = new Integer[vocab];
        for (int i = 0; i < vocab; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a]) : a - b);
        Set<Integer> best = new HashSet<>(Arrays.asList(order).subList(0, k));
        Sampler s = new Sampler(params(1000f, k, 1f, 0f, 1f, 3), vocab);
        Set<Integer> drawn = new HashSet<>();
        for (int i = 0; i < 20_000; i++) {
            int t = s.sample(logits, 0);
            assertTrue(best.contains(t), "token " + t + " is not among the " + k + " best");
            drawn.add(t);
        }
        assertEquals(best, drawn);

        float[] flat = new float[vocab];
        Sampler s2 = new Sampler(params(1f, k, 1f, 0f, 1f, 3), vocab);
        for (int i = 0; i < 2_000; i++) {
            assertTrue(s2.sample(flat, 0) < k, "all logits equal: the k lowest ids are kept");
        }
    }

    @Test
    void seedMakesDrawsReproducible() {
        float[] flat = new float[1000];
        int[] a = new int[50];
        int[] b = new int[50];
        int[] c = new int[50];
        Sampler sa = new Sampler(params(1f, 0, 1f, 0f, 1f, 7), flat.length);
        Sampler sb = new Sampler(params(1f, 0, 1f, 0f, 1f, 7), flat.length);
        Sampler sc = new Sampler(params(1f, 0, 1f, 0f, 1f, 8), flat.length);
        for (int i = 0; i < 50; i++) {
            a[i] = sa.sample(flat, 0);
            b[i] = sb.sample(flat, 0);
            c[i] = sc.sample(flat, 0);
        }
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
    }

    /**
     * A sampler opened after k tokens, fed the same context, chooses what an uninterrupted one chooses
     * from there on: including steps where top-k of 1 or a sharp min-p leave a single candidate,
     * which must still cost their draw.
     */
    @Test
    void aResumedSamplerContinuesAsIfUninterrupted() {
        int vocab = 50;
        int steps = 60;
        float[][] logits = new float[steps][vocab];
        SplittableRandom r = new SplittableRandom(3);
        for (int t = 0; t < steps; t++) {
            for (int i = 0; i < vocab; i++) {
                logits[t][i] = (float) r.nextGaussian();
            }
            if (t % 7 == 3) {
                logits[t][t % vocab] = 40f; // min-p leaves only this one
            }
        }
        int[] prompt = {4, 9, 4, 17};
        for (SamplingParams p : new SamplingParams[] {
                new SamplingParams(0.9f, 10, 0.9f, 0.05f, 1.3f, 16, 11),
                new SamplingParams(0.7f, 1, 1f, 0f, 1.1f, 8, 12),
                new SamplingParams(0f, 40, 0.95f, 0.05f, 1.2f, 8, 13)}) {
            int[] whole = new int[steps];
            Sampler uninterrupted = new Sampler(p, vocab);
            for (int t : prompt) {
                uninterrupted.accept(t);
            }
            for (int t = 0; t < steps; t++) {
                whole[t] = uninterrupted.sample(logits[t], 0);
                uninterrupted.accept(whole[t]);
            }
            for (int k : new int[] {0, 1, 3, 30, steps - 1}) {
                Sampler resumed = new Sampler(p, vocab, k);
                for (int t : prompt) {
                    resumed.accept(t);
                }
                for (int t = 0; t < k; t++) {
                    resumed.accept(whole[t]);
                }
                for (int t = k; t < steps; t++) {
                    int token = resumed.sample(logits[t], 0);
                    assertEquals(whole[t], token, p + ", resumed after " + k + ", token " + t);
                    resumed.accept(token);
                }
            }
        }
    }

    @Test
    void impossibleValuesAreRejectedWithTheirName() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> params(-1f, 0, 1f, 0f, 1f, 0))
                .getMessage().contains("temperature"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> params(1f, 0, 0f, 0f, 1f, 0))
                .getMessage().contains("top_p"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> params(1f, 0, 1f, 2f, 1f, 0))
                .getMessage().contains("min_p"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> params(1f, 0, 1f, 0f, 0f, 0))
                .getMessage().contains("repeat_penalty"));
    }
}
