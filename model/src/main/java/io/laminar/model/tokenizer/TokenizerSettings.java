package io.laminar.model.tokenizer;

/**
 * The switches llama.cpp derives from the tokenizer model, the pre-tokenizer and the metadata keys
 * {@code tokenizer.ggml.add_bos_token}, {@code add_eos_token} and {@code add_space_prefix}.
 *
 * @param addBos         encode with {@code addSpecial} starts with BOS
 * @param addEos         encode with {@code addSpecial} ends with EOS
 * @param addSpacePrefix SentencePiece: a space is put in front of the text (and of text after a
 *                       special token) before encoding, and removed again when decoding
 * @param cleanUpSpaces  decoding applies {@link SpaceCleanup}
 */
record TokenizerSettings(boolean addBos, boolean addEos, boolean addSpacePrefix, boolean cleanUpSpaces) {
    static final String ADD_BOS_KEY = "tokenizer.ggml.add_bos_token";
    static final String ADD_EOS_KEY = "tokenizer.ggml.add_eos_token";
    static final String ADD_SPACE_PREFIX_KEY = "tokenizer.ggml.add_space_prefix";
}
