package io.laminar.model.tokenizer;

/**
 * One step of a byte-level BPE pre-tokenizer: cuts each segment of the text into smaller words, the
 * way one of llama.cpp's pre-tokenizer regexes does. Steps run in sequence; each sees the segments
 * the previous one produced and never merges across them.
 */
interface WordSplitter {
    /**
     * @param text     the text being split
     * @param segments lengths, in code points, of consecutive segments covering the text
     * @return lengths of the finer segments, covering the text in the same order
     */
    IntList split(CodepointText text, IntList segments);
}
