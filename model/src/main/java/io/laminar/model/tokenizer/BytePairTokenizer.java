package io.laminar.model.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * GPT-2-style byte-level BPE ({@code tokenizer.ggml.model = "gpt2"}), as llama.cpp's
 * {@code llm_tokenizer_bpe}: the {@link PreTokenizer} cuts text into words, each word's UTF-8 bytes
 * are written in the {@link ByteLevelAlphabet}, and adjacent symbols are merged in the order of the
 * merge list (lowest rank first, leftmost on ties) until no listed pair is adjacent.
 *
 * <p>Symbols are interned ints ({@link BpeMerges}), linked in a list, with candidate pairs in a
 * priority queue: O(n log n) per word, no strings built while merging.
 */
final class BytePairTokenizer extends VocabularyTokenizer {
    private final PreTokenizer preTokenizer;
    private final BpeMerges merges;
    /** Symbol of each single byte, or NO_SYMBOL. */
    private final int[] byteSymbols = new int[256];

    BytePairTokenizer(Vocabulary vocabulary, TokenizerSettings settings, PreTokenizer preTokenizer, BpeMerges merges) {
        super(vocabulary, settings, BytePairTokenizer::byteLevelBytes);
        this.preTokenizer = preTokenizer;
        this.merges = merges;
        for (int b = 0; b < 256; b++) {
            byteSymbols[b] = merges.symbol(String.valueOf(ByteLevelAlphabet.charOf(b)));
        }
    }

    /**
     * Decodes byte-level text. A character outside the alphabet is shown as llama.cpp shows it,
     * {@code [UNK_BYTE_0x<its UTF-8 in hex><token text>]}.
     */
    private static byte[] byteLevelBytes(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        text.codePoints().forEach(cp -> {
            int b = ByteLevelAlphabet.byteOf(cp);
            if (b >= 0) {
                out.write(b);
            } else {
                StringBuilder unknown = new StringBuilder("[UNK_BYTE_0x");
                for (byte u : Character.toString(cp).getBytes(StandardCharsets.UTF_8)) {
                    unknown.append(String.format("%02x", u & 0xFF));
                }
                unknown.append(text).append(']');
                out.writeBytes(unknown.toString().getBytes(StandardCharsets.UTF_8));
            }
        });
        return out.toByteArray();
    }

    @Override
    void encodeText(String text, boolean afterSpecial, IntList out) {
        CodepointText codepoints = new CodepointText(text);
        IntList words = preTokenizer.split(codepoints);
        Merger merger = new Merger();
        int[] cps = codepoints.codepoints();
        int start = 0;
        for (int w = 0; w < words.size(); w++) {
            int end = start + words.get(w);
            merger.encodeWord(new String(cps, start, end - start).getBytes(StandardCharsets.UTF_8), out);
            start = end;
        }
    }

    /** Merge state reused across the words of one text. */
    private final class Merger {
        private int[] symbol = new int[32];
        private int[] start = new int[32];
        private int[] length = new int[32];
        private int[] prev = new int[32];
        private int[] next = new int[32];
        private final BigramQueue queue = new BigramQueue();

        void encodeWord(byte[] word, IntList out) {
            int n = word.length;
            if (n == 0) {
                return;
            }
            if (preTokenizer.ignoresMerges()) {
                int id = vocabulary.id(byteLevelText(word, 0, n));
                if (id != Vocabulary.NO_TOKEN) {
                    out.add(id);
                    return;
                }
            }
            ensureCapacity(n);
            for (int i = 0; i < n; i++) {
                symbol[i] = byteSymbols[word[i] & 0xFF];
                start[i] = i;
                length[i] = 1;
                prev[i] = i - 1;
                next[i] = i + 1 < n ? i + 1 : -1;
            }
            queue.clear();
            for (int i = 1; i < n; i++) {
                offer(i - 1, i);
            }
            while (!queue.isEmpty()) {
                long key = queue.peekKey();
                queue.pop();
                int left = BigramQueue.leftIndex(key);
                int rank = BigramQueue.order(key);
                int right = next[left];
                // Stale if either symbol changed since the pair was offered: a rank names one exact pair.
                if (length[left] == 0 || right < 0 || merges.rank(symbol[left], symbol[right]) != rank) {
                    continue;
                }
                symbol[left] = merges.mergedSymbol(rank);
                PieceChain.absorbNext(left, length, prev, next);
                offer(prev[left], left);
                offer(left, next[left]);
            }
            for (int i = 0; i != -1; i = next[i]) {
                int id = merges.token(symbol[i]);
                if (id != Vocabulary.NO_TOKEN) {
                    out.add(id);
                } else {
                    addSingleCharacterTokens(word, start[i], length[i], out);
                }
            }
        }

        private void offer(int left, int right) {
            if (left < 0 || right < 0) {
                return;
            }
            int rank = merges.rank(symbol[left], symbol[right]);
            if (rank >= 0) {
                queue.push(BigramQueue.key(rank, left), 0);
            }
        }

        private void ensureCapacity(int n) {
            if (symbol.length < n) {
                int c = Math.max(n, symbol.length * 2);
                symbol = new int[c];
                start = new int[c];
                length = new int[c];
                prev = new int[c];
                next = new int[c];
            }
        }
    }

    /**
     * A symbol that is not a token: llama.cpp looks up each byte of its (UTF-8 encoded, byte-level)
     * text as a one-character token, which can only succeed for the printable ASCII characters.
     */
    private void addSingleCharacterTokens(byte[] word, int start, int length, IntList out) {
        for (int i = start; i < start + length; i++) {
            char c = ByteLevelAlphabet.charOf(word[i]);
            if (c < 0x80) {
                int id = vocabulary.id(String.valueOf(c));
                if (id != Vocabulary.NO_TOKEN) {
                    out.add(id);
                }
            }
        }
    }

    private static String byteLevelText(byte[] bytes, int start, int length) {
        char[] chars = new char[length];
        for (int i = 0; i < length; i++) {
            chars[i] = ByteLevelAlphabet.charOf(bytes[start + i]);
        }
        return new String(chars);
    }
}
