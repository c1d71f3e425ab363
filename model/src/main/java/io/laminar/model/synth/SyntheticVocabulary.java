package io.laminar.model.synth;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A synthetic SentencePiece-style vocabulary (GGUF {@code tokenizer.ggml.model = "llama"}) of any size
 * from {@value #MIN_SIZE} up, laid out like Llama 2's:
 *
 * <pre>
 *   id 0          &lt;unk&gt;              UNKNOWN (type 2)
 *   id 1          &lt;s&gt;                CONTROL (type 3), BOS
 *   id 2          &lt;/s&gt;               CONTROL (type 3), EOS
 *   ids 3..258    &lt;0x00&gt;..&lt;0xFF&gt;    BYTE (type 6), byte fallback
 *   ids 259..     ▁, ▁a..▁z, ▁aa..▁zz, ▁aaa..   NORMAL (type 1), "words"
 * </pre>
 *
 * <p>Words are U+2581 followed by lowercase ASCII letters, enumerated shortest first, then
 * alphabetically, so the word set is prefix-closed: every prefix of a word that starts with U+2581 is
 * itself a word. Two consequences:
 * <ul>
 *   <li>llama.cpp's SentencePiece tokenizer turns text made of such words (single spaces between
 *       them) into exactly those words' ids: its bigram merges can only grow a symbol from its
 *       U+2581, one letter at a time ({@link #encode}).</li>
 *   <li>Generated text parses back into ids uniquely: every word token prints as a space followed by
 *       its letters, and no token prints a space anywhere else ({@link #parse}). Only the byte and
 *       control tokens would break this, which is why {@link SyntheticModelWriter} gives them zero
 *       output-head rows.</li>
 * </ul>
 * Scores decrease with the id (the word {@code ▁} scores 0, the next -1, ...), as SentencePiece
 * orders pieces by frequency.
 */
public final class SyntheticVocabulary {
    /** U+2581, SentencePiece's visible space. */
    public static final char SPACE = '\u2581';
    public static final int UNK_ID = 0;
    public static final int BOS_ID = 1;
    public static final int EOS_ID = 2;
    public static final int FIRST_BYTE_ID = 3;
    public static final int FIRST_WORD_ID = FIRST_BYTE_ID + 256;
    /** The smallest vocabulary: the specials, the 256 bytes, {@code ▁} and the 26 one-letter words. */
    public static final int MIN_SIZE = FIRST_WORD_ID + 27;

    // tokenizer.ggml.token_type values (llama.cpp's enum llama_token_type)
    public static final int TYPE_NORMAL = 1;
    public static final int TYPE_UNKNOWN = 2;
    public static final int TYPE_CONTROL = 3;
    public static final int TYPE_USER_DEFINED = 4;
    public static final int TYPE_UNUSED = 5;
    public static final int TYPE_BYTE = 6;

    private static final int LETTERS = 26;

    private final String[] tokens;
    private final float[] scores;
    private final int[] types;
    private final Map<String, Integer> wordIds;

    private SyntheticVocabulary(int size) {
        tokens = new String[size];
        scores = new float[size];
        types = new int[size];
        tokens[UNK_ID] = "<unk>";
        types[UNK_ID] = TYPE_UNKNOWN;
        tokens[BOS_ID] = "<s>";
        types[BOS_ID] = TYPE_CONTROL;
        tokens[EOS_ID] = "</s>";
        types[EOS_ID] = TYPE_CONTROL;
        for (int b = 0; b < 256; b++) {
            tokens[FIRST_BYTE_ID + b] = String.format("<0x%02X>", b);
            types[FIRST_BYTE_ID + b] = TYPE_BYTE;
        }
        wordIds = new HashMap<>(2 * (size - FIRST_WORD_ID));
        for (int id = FIRST_WORD_ID; id < size; id++) {
            String letters = letters(id - FIRST_WORD_ID);
            tokens[id] = SPACE + letters;
            types[id] = TYPE_NORMAL;
            scores[id] = -(id - FIRST_WORD_ID);
            wordIds.put(letters, id);
        }
    }

    /** The vocabulary of {@code size} tokens. */
    public static SyntheticVocabulary of(int size) {
        if (size < MIN_SIZE) {
            throw new IllegalArgumentException("vocabulary size=" + size + " is below the minimum " + MIN_SIZE
                    + " (3 specials, 256 bytes, 27 words)");
        }
        return new SyntheticVocabulary(size);
    }

    /**
     * The letters of word number {@code k} (0 is the empty word {@code ▁}): words of length L come
     * after all shorter ones, alphabetically among themselves.
     */
    static String letters(int k) {
        int length = 0;
        long block = 1;
        while (k >= block) {
            k -= (int) block;
            length++;
            block *= LETTERS;
        }
        char[] c = new char[length];
        for (int i = length - 1; i >= 0; i--) {
            c[i] = (char) ('a' + k % LETTERS);
            k /= LETTERS;
        }
        return new String(c);
    }

    public int size() {
        return tokens.length;
    }

    /** {@code tokenizer.ggml.tokens}. */
    public String[] tokens() {
        return tokens.clone();
    }

    /** {@code tokenizer.ggml.scores}. */
    public float[] scores() {
        return scores.clone();
    }

    /** {@code tokenizer.ggml.token_type}. */
    public int[] tokenTypes() {
        return types.clone();
    }

    public String token(int id) {
        return tokens[id];
    }

    public boolean isWord(int id) {
        return id >= FIRST_WORD_ID && id < tokens.length;
    }

    /**
     * The text llama.cpp prints for {@code id}: a word is a space and its letters, a special token
     * prints nothing.
     *
     * @throws IllegalArgumentException for a byte token, whose single byte is not text on its own
     */
    public String text(int id) {
        if (isWord(id)) {
            return " " + tokens[id].substring(1);
        }
        if (id >= FIRST_BYTE_ID && id < FIRST_WORD_ID) {
            throw new IllegalArgumentException("token " + id + " " + tokens[id] + " is a byte, not text");
        }
        return "";
    }

    /** The concatenated {@link #text} of word ids. */
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            sb.append(text(id));
        }
        return sb.toString();
    }

    /**
     * The word ids of generated text, the inverse of {@link #decode} for words: the text is cut before
     * every space, and each piece (a space and zero or more letters) names one word.
     *
     * @throws IllegalArgumentException if the text does not start with a space, holds a character
     *                                  other than a space or a-z, or names a word outside this vocabulary
     */
    public int[] parse(String text) {
        if (text.isEmpty()) {
            return new int[0];
        }
        if (text.charAt(0) != ' ') {
            throw new IllegalArgumentException("generated text must start with a space: \"" + abbreviate(text) + "\"");
        }
        int[] out = new int[text.length()];
        int n = 0;
        int start = 0;
        for (int i = 1; i <= text.length(); i++) {
            if (i == text.length() || text.charAt(i) == ' ') {
                String letters = text.substring(start + 1, i);
                Integer id = wordIds.get(letters);
                if (id == null) {
                    throw new IllegalArgumentException("\"" + letters + "\" at offset " + start
                            + " is not a word of this vocabulary (size " + size() + ")");
                }
                out[n++] = id;
                start = i;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * The ids llama.cpp's tokenizer gives {@code text} without BOS: SentencePiece prefixes a space,
     * so {@code "ab c"} is {@code [▁ab, ▁c]}.
     */
    public int[] encode(String text) {
        return parse(" " + text);
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
