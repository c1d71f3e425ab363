package io.laminar.model.tokenizer;

/**
 * GPT-2's pre-tokenizer regex
 * {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}, hand-coded as
 * llama.cpp does (its {@code unicode_regex_split_custom_gpt2}), which is both faster than a regex
 * engine and what the reference token ids were produced with.
 */
final class Gpt2WordSplitter extends HandCodedSplitter {
    static final Gpt2WordSplitter INSTANCE = new Gpt2WordSplitter();

    private static final int LETTER = 0;
    private static final int NUMBER = 1;
    private static final int OTHER = 2;
    private static final int SPACE = 3;

    private Gpt2WordSplitter() {
        super(false);
    }

    @Override
    int words(int[] cps, int pos, int end, IntList out) {
        int start = pos;
        int cpt = cps[pos];
        // " ?X+" branches: an optional leading space, then a run of one class.
        int first = cpt == ' ' ? pos + 1 : pos;
        if (first < end) {
            int run = runClass(cps[first]);
            if (run != SPACE) {
                pos = first + 1;
                while (pos < end && runClass(cps[pos]) == run) {
                    pos++;
                }
                out.add(pos - start);
                return pos;
            }
        }
        int spaces = 0;
        while (pos + spaces < end && CodepointClass.isWhitespace(cps[pos + spaces])) {
            spaces++;
        }
        if (spaces > 1 && pos + spaces < end) {
            // \s+(?!\S): leave the last space to prefix the word that follows.
            pos += spaces - 1;
        } else if (spaces > 0) {
            pos += spaces;
        } else {
            pos++;
        }
        out.add(pos - start);
        return pos;
    }

    /**
     * The class whose run {@code cp} belongs in: {@code \p{L}}, {@code \p{N}}, {@code [^\s\p{L}\p{N}]}
     * (OTHER), or SPACE for whitespace, which no {@code " ?X+"} branch takes.
     */
    private static int runClass(int cp) {
        if (CodepointClass.isLetter(cp)) {
            return LETTER;
        }
        if (CodepointClass.isNumber(cp)) {
            return NUMBER;
        }
        return CodepointClass.isWhitespace(cp) ? SPACE : OTHER;
    }
}
