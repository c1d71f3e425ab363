package io.laminar.model.tokenizer;

/**
 * A piece of input text after special tokens were cut out of it: either a special token, or a range
 * of the text left for the tokenizer's own algorithm.
 *
 * @param token a token id, or {@link Vocabulary#NO_TOKEN} for a text range
 * @param start first char of the range (UTF-16 index into the input)
 * @param end   one past the last char of the range
 */
record TextFragment(int token, int start, int end) {
    static TextFragment text(int start, int end) {
        return new TextFragment(Vocabulary.NO_TOKEN, start, end);
    }

    static TextFragment token(int id) {
        return new TextFragment(id, 0, 0);
    }

    boolean isToken() {
        return token != Vocabulary.NO_TOKEN;
    }
}
