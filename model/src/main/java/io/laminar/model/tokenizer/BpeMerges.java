package io.laminar.model.tokenizer;

import io.laminar.model.gguf.GgufMetadata;

import java.util.HashMap;
import java.util.Map;

/**
 * The merge list of a byte-level BPE vocabulary ({@code tokenizer.ggml.merges}, one "left right"
 * string per rank, lowest rank merged first), interned so that merging compares ints: every string
 * that appears in a merge gets a symbol id, equal to its token id when it is a token and numbered
 * after the vocabulary otherwise.
 */
final class BpeMerges {
    static final String GGUF_KEY = "tokenizer.ggml.merges";
    static final int NO_SYMBOL = -1;

    private final Vocabulary vocabulary;
    private final Map<String, Integer> extraSymbolIds = new HashMap<>();
    private final LongIntHashMap rankOfPair;
    private final int[] mergedSymbolOfRank;

    private BpeMerges(Vocabulary vocabulary, String[] merges) {
        this.vocabulary = vocabulary;
        this.rankOfPair = new LongIntHashMap(merges.length, -1);
        this.mergedSymbolOfRank = new int[merges.length];
        for (int rank = 0; rank < merges.length; rank++) {
            String merge = merges[rank];
            // Split at the first space after the first character, so a left side may itself be a space.
            int space = merge.indexOf(' ', 1);
            String left = space < 0 ? "" : merge.substring(0, space);
            String right = space < 0 ? "" : merge.substring(space + 1);
            rankOfPair.putIfAbsent(pairKey(intern(left), intern(right)), rank);
            mergedSymbolOfRank[rank] = intern(left + right);
        }
    }

    static BpeMerges read(GgufMetadata metadata, Vocabulary vocabulary) {
        if (!metadata.has(GGUF_KEY)) {
            throw new UnsupportedTokenizerException("byte-level BPE tokenizer without merges: metadata key="
                    + GGUF_KEY + " is missing");
        }
        return new BpeMerges(vocabulary, metadata.getStringArray(GGUF_KEY));
    }

    /** The symbol id of a string, or {@link #NO_SYMBOL} if no token or merge has that text. */
    int symbol(String text) {
        int id = vocabulary.id(text);
        if (id != Vocabulary.NO_TOKEN) {
            return id;
        }
        Integer extra = extraSymbolIds.get(text);
        return extra == null ? NO_SYMBOL : extra;
    }

    /** The token id of a symbol, or {@link Vocabulary#NO_TOKEN} if the symbol is not a token. */
    int token(int symbol) {
        return symbol >= 0 && symbol < vocabulary.size() ? symbol : Vocabulary.NO_TOKEN;
    }

    /** The rank of merging left with right, or -1 if they do not merge. */
    int rank(int left, int right) {
        return left < 0 || right < 0 ? -1 : rankOfPair.get(pairKey(left, right));
    }

    /** The symbol a merge of this rank produces. */
    int mergedSymbol(int rank) {
        return mergedSymbolOfRank[rank];
    }

    private int intern(String text) {
        int id = symbol(text);
        if (id != NO_SYMBOL) {
            return id;
        }
        id = vocabulary.size() + extraSymbolIds.size();
        extraSymbolIds.put(text, id);
        return id;
    }

    private static long pairKey(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }
}
