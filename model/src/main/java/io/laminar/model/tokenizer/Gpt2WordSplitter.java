package io.laminar.model.tokenizer;

/**
 * GPT-2's pre-tokenizer regex
 * {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}, hand-coded as
 * llama.cpp does (its {@code unicode_regex_split_custom_gpt2}), which is both faster than a regex
 * engine and what the reference token ids were produced with.
 */
final class Gpt2WordSplitter extends HandCodedSplitter {
    static final Gpt2WordSplitter INSTANCE = new Gpt2WordSplitter();

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
            int c = cps[first];
            if (CodepointClass.isLetter(c)) {
                pos = first + 1;
                while (pos < end && CodepointClass.isLetter(cps[pos])) {
                    pos++;
                }
                out.add(pos - start);
                return pos;
            }
            if (CodepointClass.isNumber(c)) {
                pos = first + 1;
                while (pos < end && CodepointClass.isNumber(cps[pos])) {
                    pos++;
                }
                out.add(pos - start);
                return pos;
            }
            if (isOther(c)) {
                pos = first + 1;
                while (pos < end && isOther(cps[pos])) {
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
}
