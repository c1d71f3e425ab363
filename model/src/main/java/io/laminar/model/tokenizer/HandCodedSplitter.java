package io.laminar.model.tokenizer;

/**
 * A pre-tokenizer regex hand-coded as llama.cpp's {@code unicode_regex_split_custom_*} functions are:
 * each segment is cut on its own, by code points, never looking past its end.
 */
abstract class HandCodedSplitter implements WordSplitter {
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

    /** Appends the lengths of the words of {@code cps[begin, end)} to {@code out}. */
    abstract void splitSegment(int[] cps, int begin, int end, IntList out);
}
