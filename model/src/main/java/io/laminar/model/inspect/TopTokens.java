package io.laminar.model.inspect;

import io.laminar.kernels.VectorOps;

/**
 * The most likely next tokens of one step of an inspected sequence, by the model's own distribution
 * (softmax of the logits at temperature 1, before any sampling setting reshapes it), so what is
 * shown is what the model predicts, whatever the request's sampler then does with it.
 *
 * @param position the position of the token whose logits these are (the next token goes to position + 1)
 * @param tokens   token ids, most likely first
 * @param probabilities their probabilities, in the same order
 */
public record TopTokens(int position, int[] tokens, float[] probabilities) {

    /** The default count kept per step. */
    public static final int DEFAULT_COUNT = 10;

    /** The {@code k} most likely tokens of {@code logits[offset, offset + vocab)} (ties: the lower id first). */
    public static TopTokens of(int position, float[] logits, int offset, int vocab, int k) {
        k = Math.min(k, vocab);
        // The kernels' vectorized softmax, on a copy: a step's exponentials over a 32k vocabulary take
        // microseconds this way, and the caller's logits stay as the sampler needs them.
        float[] p = java.util.Arrays.copyOfRange(logits, offset, offset + vocab);
        VectorOps.softmax(p, 0, vocab);
        // Insertion into a k-long list kept in descending order: k is small (10), vocab large.
        int[] ids = new int[k];
        float[] best = new float[k];
        int filled = 0;
        for (int i = 0; i < vocab; i++) {
            float v = logits[offset + i];
            if (filled == k && v <= best[k - 1]) {
                continue;
            }
            int j = filled < k ? filled++ : k - 1;
            while (j > 0 && best[j - 1] < v) {
                best[j] = best[j - 1];
                ids[j] = ids[j - 1];
                j--;
            }
            best[j] = v;
            ids[j] = i;
        }
        float[] probabilities = new float[k];
        for (int j = 0; j < k; j++) {
            probabilities[j] = p[ids[j]];
        }
        return new TopTokens(position, ids, probabilities);
    }
}
