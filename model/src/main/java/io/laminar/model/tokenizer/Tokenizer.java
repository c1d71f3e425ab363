package io.laminar.model.tokenizer;

/**
 * Turns text into token ids and back, reproducing llama.cpp's tokenizer for the same GGUF
 * vocabulary id for id. Implementations are immutable and safe to share between threads.
 *
 * <p>Create one with {@link Tokenizers#fromGguf}.
 */
public interface Tokenizer {

    /**
     * Encodes text, as llama.cpp's {@code llama_tokenize}.
     *
     * @param addSpecial   add BOS (and EOS) where the vocabulary asks for them ({@link #addBos()}, {@link #addEos()})
     * @param parseSpecial treat texts of control tokens in the input (e.g. {@code <|im_start|>}) as
     *                     those tokens; when false they are encoded as plain text. User-defined tokens
     *                     are always recognised.
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /** Decodes ids to text, hiding control tokens (BOS, {@code <|im_end|>}...): {@code decode(ids, false)}. */
    default String decode(int[] ids) {
        return decode(ids, false);
    }

    /**
     * Decodes ids to text as llama.cpp's {@code llama_detokenize(remove_special=false)}: token bytes
     * concatenated, the {@link DecodeRules} applied, invalid UTF-8 replaced by U+FFFD.
     *
     * @param renderSpecial show control tokens as their text instead of hiding them
     */
    default String decode(int[] ids, boolean renderSpecial) {
        StreamingDecoder decoder = StreamingDecoder.forSequence(this, renderSpecial);
        StringBuilder text = new StringBuilder();
        for (int id : ids) {
            decoder.appendTo(id, text);
        }
        decoder.flushTo(text);
        return text.toString();
    }

    /**
     * The raw bytes a token stands for, as llama.cpp's {@code token_to_piece(special=true)}: byte
     * tokens give their byte, U+2581 or byte-level characters are decoded, control tokens give their
     * text. May be a partial UTF-8 character. Callers must not modify the array.
     */
    byte[] tokenBytes(int id);

    /** The token as stored in the vocabulary, e.g. {@code "▁Hello"} or {@code "ĠHello"}; for templates and logs. */
    String tokenText(int id);

    /** Control and unknown tokens: hidden by {@link #decode(int[])} unless special tokens are rendered. */
    boolean isControl(int id);

    int vocabSize();

    /** Beginning-of-sequence token, or -1. */
    int bos();

    /** End-of-sequence token, or -1. */
    int eos();

    /** End-of-turn token (e.g. {@code <|eot_id|>}, {@code <|im_end|>}), or -1. */
    int eot();

    /** Whether generation should stop at this token: EOS, EOT and the tokens llama.cpp treats alike. */
    boolean isEndOfGeneration(int id);

    /** Whether {@code encode(text, addSpecial=true, ...)} starts with BOS. */
    boolean addBos();

    /** Whether {@code encode(text, addSpecial=true, ...)} ends with EOS. */
    boolean addEos();

    DecodeRules decodeRules();

    Vocabulary vocabulary();
}
