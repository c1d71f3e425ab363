package io.laminar.model.tokenizer;

import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The tokenization algorithm a GGUF file asks for in {@code tokenizer.ggml.model}, with the special
 * token ids llama.cpp assumes for it when the metadata names none.
 */
public enum TokenizerModel {
    /** SentencePiece-style: score-driven merges over characters, byte fallback, U+2581 for spaces. */
    SENTENCEPIECE("llama", Map.of(SpecialTokenRole.BOS, 1, SpecialTokenRole.EOS, 2, SpecialTokenRole.UNKNOWN, 0)),
    /** GPT-2-style byte-level BPE: a regex pre-tokenizer, then rank-ordered merges over bytes. */
    BYTE_PAIR("gpt2", Map.of(SpecialTokenRole.BOS, 11, SpecialTokenRole.EOS, 11));

    public static final String GGUF_KEY = "tokenizer.ggml.model";

    private final String ggufName;
    private final Map<SpecialTokenRole, Integer> defaultRoles;

    TokenizerModel(String ggufName, Map<SpecialTokenRole, Integer> defaultRoles) {
        this.ggufName = ggufName;
        this.defaultRoles = defaultRoles;
    }

    /** The value of {@code tokenizer.ggml.model} that selects this model. */
    public String ggufName() {
        return ggufName;
    }

    Map<SpecialTokenRole, Integer> defaultRoles() {
        return defaultRoles;
    }

    /** @throws UnsupportedTokenizerException naming the value and the supported ones */
    public static TokenizerModel forGgufName(String name) {
        for (TokenizerModel m : values()) {
            if (m.ggufName.equals(name)) {
                return m;
            }
        }
        throw new UnsupportedTokenizerException("unsupported tokenizer: " + GGUF_KEY + "='" + name
                + "'; supported: " + Arrays.stream(values()).map(m -> "'" + m.ggufName + "'")
                .collect(Collectors.joining(", ")));
    }
}
