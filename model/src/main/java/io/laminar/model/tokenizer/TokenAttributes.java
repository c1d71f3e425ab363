package io.laminar.model.tokenizer;

/**
 * Per-token attribute bits, as llama.cpp keeps them ({@code llama_token_attr}). A token can carry
 * several: loading adds CONTROL to end-of-turn tokens that a conversion left as user-defined, and
 * Phi-3 marks its special tokens RSTRIP. GGUF stores only a token type per token
 * ({@code tokenizer.ggml.token_type}); {@link #fromGgufTokenType} maps it.
 */
public final class TokenAttributes {
    public static final int UNDEFINED = 0;
    public static final int UNKNOWN = 1;
    public static final int UNUSED = 1 << 1;
    public static final int NORMAL = 1 << 2;
    /** Special tokens such as BOS or {@code <|im_end|>}: hidden by decode, matched only when parsing special text. */
    public static final int CONTROL = 1 << 3;
    /** Added tokens that are always matched as a whole in input text and always shown. */
    public static final int USER_DEFINED = 1 << 4;
    /** SentencePiece byte-fallback tokens {@code <0xNN>}. */
    public static final int BYTE = 1 << 5;
    /** Whitespace before this special token in input text is dropped. */
    public static final int LSTRIP = 1 << 7;
    /** Whitespace after this special token in input text is dropped. */
    public static final int RSTRIP = 1 << 8;

    /** GGUF token types ({@code tokenizer.ggml.token_type} values). */
    static final int GGUF_NORMAL = 1;
    static final int GGUF_UNKNOWN = 2;
    static final int GGUF_CONTROL = 3;
    static final int GGUF_USER_DEFINED = 4;
    static final int GGUF_UNUSED = 5;
    static final int GGUF_BYTE = 6;

    private TokenAttributes() {
    }

    static int fromGgufTokenType(int type) {
        return switch (type) {
            case GGUF_NORMAL -> NORMAL;
            case GGUF_UNKNOWN -> UNKNOWN;
            case GGUF_CONTROL -> CONTROL;
            case GGUF_USER_DEFINED -> USER_DEFINED;
            case GGUF_UNUSED -> UNUSED;
            case GGUF_BYTE -> BYTE;
            default -> UNDEFINED;
        };
    }

    /** Tokens that {@code encode} may cut out of input text before the model's own algorithm runs. */
    static boolean isSpecialCandidate(int attributes) {
        return (attributes & (CONTROL | USER_DEFINED | UNKNOWN)) != 0;
    }

    /** Tokens that decode hides unless asked to render special tokens. */
    static boolean isHiddenByDefault(int attributes) {
        return (attributes & (CONTROL | UNKNOWN)) != 0;
    }
}
