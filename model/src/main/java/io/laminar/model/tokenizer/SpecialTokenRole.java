package io.laminar.model.tokenizer;

import java.util.List;

/**
 * The roles a vocabulary gives some of its tokens, each with its GGUF metadata key and, for roles
 * that conversions often leave out of the metadata, the token texts llama.cpp recognises the role
 * by (first listed wins here; llama.cpp takes whichever its hash map yields first).
 */
public enum SpecialTokenRole {
    BOS("tokenizer.ggml.bos_token_id"),
    EOS("tokenizer.ggml.eos_token_id"),
    /** End of turn: what chat models emit when their reply is done. */
    EOT("tokenizer.ggml.eot_token_id",
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
            "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"),
    /** End of message: Llama 3.1 ends a tool call with it. */
    EOM("tokenizer.ggml.eom_token_id", "<|eom_id|>"),
    UNKNOWN("tokenizer.ggml.unknown_token_id"),
    /** llama.cpp spells this key "seperator"; GGUF files follow it. */
    SEPARATOR("tokenizer.ggml.seperator_token_id"),
    PADDING("tokenizer.ggml.padding_token_id"),
    MASK("tokenizer.ggml.mask_token_id"),
    FIM_PREFIX("tokenizer.ggml.fim_pre_token_id",
            "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>",
            "<|code_prefix|>", "<|prefix|>"),
    FIM_SUFFIX("tokenizer.ggml.fim_suf_token_id",
            "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>",
            "<|code_suffix|>", "<|suffix|>"),
    FIM_MIDDLE("tokenizer.ggml.fim_mid_token_id",
            "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>",
            "<|code_middle|>", "<|middle|>"),
    FIM_PAD("tokenizer.ggml.fim_pad_token_id", "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"),
    FIM_REPO("tokenizer.ggml.fim_rep_token_id", "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"),
    FIM_SEPARATOR("tokenizer.ggml.fim_sep_token_id", "<|file_sep|>");

    private final String ggufKey;
    private final List<String> recognisedTexts;

    SpecialTokenRole(String ggufKey, String... recognisedTexts) {
        this.ggufKey = ggufKey;
        this.recognisedTexts = List.of(recognisedTexts);
    }

    /** The metadata key holding this role's token id. */
    public String ggufKey() {
        return ggufKey;
    }

    /** Token texts that give a token this role when the metadata names none. */
    List<String> recognisedTexts() {
        return recognisedTexts;
    }
}
