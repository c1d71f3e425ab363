package io.laminar.model.tokenizer;

/**
 * The Llama 3 pre-tokenizer regex
 * {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+},
 * hand-coded as llama.cpp's {@code unicode_regex_split_custom_llama3}. Qwen2 uses the same regex with
 * {@code \p{N}} (one digit per word) in place of {@code \p{N}{1,3}}, hence {@link #maxDigits}.
 */
final class Llama3WordSplitter extends HandCodedSplitter {
    static final Llama3WordSplitter LLAMA3 = new Llama3WordSplitter(3);
    static final Llama3WordSplitter QWEN2 = new Llama3WordSplitter(1);

    /** Longest run of digits kept in one word. */
    private final int maxDigits;

    private Llama3WordSplitter(int maxDigits) {
        super(true);
        this.maxDigits = maxDigits;
    }

    @Override
    int words(int[] cps, int pos, int end, IntList out) {
        int start = pos;
        int cpt = cps[pos];
        boolean isNewline = cpt == '\r' || cpt == '\n';
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if (!isNewline && !CodepointClass.isNumber(cpt)) {
            if (CodepointClass.isLetter(cpt) || (pos + 1 < end && CodepointClass.isLetter(cps[pos + 1]))) {
                pos++;
                while (pos < end && CodepointClass.isLetter(cps[pos])) {
                    pos++;
                }
                out.add(pos - start);
                return pos;
            }
        }
        // \p{N}{1,maxDigits}
        if (CodepointClass.isNumber(cpt)) {
            int wordStart = pos;
            while (pos < end && CodepointClass.isNumber(cps[pos])) {
                pos++;
                if (pos - wordStart >= maxDigits) {
                    out.add(pos - wordStart);
                    wordStart = pos;
                }
            }
            if (pos > wordStart) {
                out.add(pos - wordStart);
            }
            return pos;
        }
        // " ?[^\s\p{L}\p{N}]+[\r\n]*". A lone trailing space also lands here (llama.cpp tests the
        // class of the character after the space, and past the end that class is empty); it ends
        // up as the same one-space word the whitespace branches would give.
        int first = cpt == ' ' ? pos + 1 : pos;
        if (first >= end || isOther(cps[first])) {
            pos = first;
            while (pos < end && isOther(cps[pos])) {
                pos++;
            }
            while (pos < end && (cps[pos] == '\r' || cps[pos] == '\n')) {
                pos++;
            }
            out.add(pos - start);
            return pos;
        }
        int spaces = 0;
        int afterLastNewline = -1;
        while (pos + spaces < end && CodepointClass.isWhitespace(cps[pos + spaces])) {
            int c = cps[pos + spaces];
            if (c == '\r' || c == '\n') {
                afterLastNewline = pos + spaces + 1;
            }
            spaces++;
        }
        if (afterLastNewline >= 0) {
            pos = afterLastNewline; // \s*[\r\n]+
        } else if (spaces > 1 && pos + spaces < end) {
            pos += spaces - 1; // \s+(?!\S)
        } else if (spaces > 0) {
            pos += spaces; // \s+
        } else {
            pos++;
        }
        out.add(pos - start);
        return pos;
    }

    /** {@code [^\s\p{L}\p{N}]} */
    private static boolean isOther(int cp) {
        return !CodepointClass.isWhitespace(cp) && !CodepointClass.isLetter(cp) && !CodepointClass.isNumber(cp);
    }
}
