package io.laminar.model.tokenizer;

/**
 * The GGUF metadata describes a tokenizer this implementation cannot reproduce faithfully (an
 * unknown {@code tokenizer.ggml.model} or {@code tokenizer.ggml.pre}), or is inconsistent. The
 * message names the key, the value found and what is supported.
 */
public final class UnsupportedTokenizerException extends IllegalArgumentException {
    public UnsupportedTokenizerException(String message) {
        super(message);
    }
}
