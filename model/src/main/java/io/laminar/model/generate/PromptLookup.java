package io.laminar.model.generate;

/**
 * Drafts for speculative decoding without a second model ("prompt lookup"): the tokens that
 * followed the latest earlier occurrence of the sequence's last n tokens, in its prompt or its
 * output, for n from {@link #MAX_NGRAM} down to 1. Text that repeats itself (code, quotes, a
 * document the answer refers to, the model's own loops) is drafted right, and one step then checks
 * several tokens; anything else drafts nothing or is rejected at the first token, at the cost of
 * wider steps only.
 */
public final class PromptLookup {
    /** The longest n-gram matched; longer matches predict better and are tried first. */
    static final int MAX_NGRAM = 3;
    /**
     * The shortest: a single recurring token predicts what follows it too rarely to pay for the wider
     * step: on stories260K, a greedy story drafted with single tokens too kept 18% of its drafts,
     * with this floor 37%, and drafted a third as much.
     */
    static final int MIN_NGRAM = 2;

    private final int maxDraft;

    /** @param maxDraft the most tokens drafted per step */
    public PromptLookup(int maxDraft) {
        if (maxDraft < 1) {
            throw new IllegalArgumentException("a draft of " + maxDraft + " tokens: at least 1");
        }
        this.maxDraft = maxDraft;
    }

    public int maxDraft() {
        return maxDraft;
    }

    /**
     * Writes into {@code out} up to {@code limit} (and {@link #maxDraft()}) tokens expected after
     * {@code history[0, length)}, and returns how many; 0 when no n-gram recurs.
     */
    public int draft(int[] history, int length, int limit, int[] out) {
        int most = Math.min(limit, maxDraft);
        if (most <= 0) {
            return 0;
        }
        for (int n = Math.min(MAX_NGRAM, length - 1); n >= MIN_NGRAM; n--) {
            int tail = length - n;
            // The latest earlier occurrence: its continuation is what the text did most recently.
            for (int start = tail - 1; start >= 0; start--) {
                if (matches(history, start, tail, n)) {
                    int from = start + n;
                    int count = Math.min(most, length - from);
                    System.arraycopy(history, from, out, 0, count);
                    return count;
                }
            }
        }
        return 0;
    }

    private static boolean matches(int[] history, int a, int b, int n) {
        for (int i = 0; i < n; i++) {
            if (history[a + i] != history[b + i]) {
                return false;
            }
        }
        return true;
    }
}
