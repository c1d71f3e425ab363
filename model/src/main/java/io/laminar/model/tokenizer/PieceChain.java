package io.laminar.model.tokenizer;

/**
 * The pieces of a text being merged, as the byte-pair and SentencePiece mergers keep them: parallel
 * arrays indexed by a piece's first position, linked in text order by {@code prev} and {@code next}
 * (-1 at the ends), with a merged-away piece's length 0.
 */
final class PieceChain {
    private PieceChain() {
    }

    /** Merges the piece after {@code left} into {@code left}, which grows by its length, and unlinks it. */
    static void absorbNext(int left, int[] length, int[] prev, int[] next) {
        int right = next[left];
        length[left] += length[right];
        length[right] = 0;
        next[left] = next[right];
        if (next[right] >= 0) {
            prev[next[right]] = left;
        }
    }
}
