package io.laminar.model.tokenizer;

/**
 * A pre-tokenizer regex hand-coded as llama.cpp's {@code unicode_regex_split_custom_*} functions are:
 * each segment is cut on its own, by code points, never looking past its end. The regexes all begin
 * with the English contractions ({@code 's|'t|'re|'ve|'m|'ll|'d}), which are matched here; what the
 * other branches match is the subclass's.
 */
abstract class HandCodedSplitter implements WordSplitter {
    /** Whether the contractions match in any case, as Llama 3's {@code (?i:...)} makes them. */
    private final boolean contractionsIgnoreCase;

    HandCodedSplitter(boolean contractionsIgnoreCase) {
        this.contractionsIgnoreCase = contractionsIgnoreCase;
    }

    @Override
    public final IntList split(CodepointText text, IntList segments) {
        IntList out = new IntList(segments.size() * 4);
        int start = 0;
        for (int s = 0; s < segments.size(); s++) {
            int end = start + segments.get(s);
            splitSegment(text.codepoints(), start, end, out);
            start = end;
        }
        return out;
    }

    private void splitSegment(int[] cps, int begin, int end, IntList out) {
        int pos = begin;
        while (pos < end) {
            int contraction = contraction(cps, pos, end);
            if (contraction > 0) {
                out.add(contraction);
                pos += contraction;
            } else {
                pos = words(cps, pos, end, out);
            }
        }
    }

    /** Length of the contraction at {@code pos}, or 0 when none starts there. */
    private int contraction(int[] cps, int pos, int end) {
        if (cps[pos] != '\'' || pos + 1 >= end) {
            return 0;
        }
        int next = letter(cps[pos + 1]);
        if (next == 's' || next == 't' || next == 'm' || next == 'd') {
            return 2;
        }
        if (pos + 2 < end) {
            int nextNext = letter(cps[pos + 2]);
            if ((next == 'r' && nextNext == 'e') || (next == 'v' && nextNext == 'e')
                    || (next == 'l' && nextNext == 'l')) {
                return 3;
            }
        }
        return 0;
    }

    private int letter(int cp) {
        return contractionsIgnoreCase ? Character.toLowerCase(cp) : cp;
    }

    /**
     * Appends the length of the word at {@code pos} of {@code cps[pos, end)}, which is no contraction,
     * to {@code out} (or of the words, where one branch of the regex matches several in a row), and
     * returns where it ends.
     */
    abstract int words(int[] cps, int pos, int end, IntList out);
}
