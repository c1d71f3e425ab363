package io.laminar.model.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * SentencePiece-style BPE ({@code tokenizer.ggml.model = "llama"}), as llama.cpp's
 * {@code llm_tokenizer_spm}: spaces are written U+2581, a space is put in front of the text, then
 * adjacent pieces are merged greedily, always the pair whose merged text is the highest-scoring
 * token (leftmost on ties), until no adjacent pair forms a token. Pieces left that are not tokens
 * become byte tokens {@code <0xNN>}.
 *
 * <p>Pieces are linked in a list and candidate pairs wait in a priority queue, so encoding is
 * O(n log n) in the text length.
 */
final class SentencePieceTokenizer extends VocabularyTokenizer {
    /** SentencePiece writes spaces as U+2581 LOWER ONE EIGHTH BLOCK. */
    static final char ESCAPED_SPACE = '\u2581';

    /** Token of each byte value for the fallback, or NO_TOKEN. */
    private final int[] byteTokens = new int[256];

    SentencePieceTokenizer(Vocabulary vocabulary, TokenizerSettings settings) {
        super(vocabulary, settings, SentencePieceTokenizer::unescapedBytes);
        for (int b = 0; b < 256; b++) {
            int id = vocabulary.id(String.format("<0x%02X>", b));
            if (id == Vocabulary.NO_TOKEN && b < 128) {
                id = vocabulary.id(String.valueOf((char) b)); // vocabularies without byte tokens
            }
            byteTokens[b] = id;
        }
    }

    private static byte[] unescapedBytes(String text) {
        return text.replace(ESCAPED_SPACE, ' ').getBytes(StandardCharsets.UTF_8);
    }

    @Override
    void encodeText(String text, boolean afterSpecial, IntList out) {
        String prefixed = settings.addSpacePrefix() && afterSpecial ? " " + text : text;
        new Merger(prefixed.replace(' ', ESCAPED_SPACE)).mergeInto(out);
    }

    /** One merge session over one text: the linked pieces and the queue of candidate pairs. */
    private final class Merger {
        private final String text;
        private final int[] start;
        private final int[] length;
        private final int[] prev;
        private final int[] next;
        private final BigramQueue queue = new BigramQueue();

        Merger(String text) {
            this.text = text;
            int n = text.codePointCount(0, text.length());
            start = new int[n];
            length = new int[n];
            prev = new int[n];
            next = new int[n];
            for (int i = 0, offset = 0; i < n; i++) {
                start[i] = offset;
                length[i] = Character.charCount(text.codePointAt(offset));
                offset += length[i];
                prev[i] = i - 1;
                next[i] = i + 1 < n ? i + 1 : -1;
            }
        }

        void mergeInto(IntList out) {
            int n = start.length;
            if (n == 0) {
                return;
            }
            for (int i = 1; i < n; i++) {
                offer(i - 1, i);
            }
            while (!queue.isEmpty()) {
                int left = BigramQueue.leftIndex(queue.peekKey());
                int size = queue.peekPayload();
                queue.pop();
                int right = next[left];
                // Stale if either piece has changed since the pair was offered: the lengths no longer add up.
                if (length[left] == 0 || right < 0 || length[left] + length[right] != size) {
                    continue;
                }
                PieceChain.absorbNext(left, length, prev, next);
                offer(prev[left], left);
                offer(left, next[left]);
            }
            // Every merged piece is a token, so only unmerged single characters can fall back to bytes.
            for (int i = 0; i != -1; i = next[i]) {
                String piece = text.substring(start[i], start[i] + length[i]);
                int id = vocabulary.id(piece);
                if (id != Vocabulary.NO_TOKEN) {
                    out.add(id);
                } else {
                    for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
                        out.add(byteToken(b));
                    }
                }
            }
        }

        private void offer(int left, int right) {
            if (left < 0 || right < 0) {
                return;
            }
            int size = length[left] + length[right];
            int id = vocabulary.id(text.substring(start[left], start[left] + size));
            if (id != Vocabulary.NO_TOKEN) {
                queue.push(BigramQueue.key(BigramQueue.orderOfScore(vocabulary.score(id)), left), size);
            }
        }
    }

    private int byteToken(byte b) {
        int id = byteTokens[b & 0xFF];
        if (id == Vocabulary.NO_TOKEN) {
            id = vocabulary.role(SpecialTokenRole.UNKNOWN);
            if (id == Vocabulary.NO_TOKEN) {
                throw new IllegalStateException(String.format(
                        "vocabulary has no token for byte 0x%02X and no unknown token", b & 0xFF));
            }
        }
        return id;
    }
}
