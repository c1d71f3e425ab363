package io.laminar.model.tokenizer;

/**
 * How a tokenizer turns the concatenated bytes of its tokens into text, beyond concatenation.
 *
 * @param stripLeadingSpace drop one leading space from the first token of a decoded sequence: the
 *                          space SentencePiece added in front of the text when encoding
 *                          ({@code add_space_prefix}). As in llama.cpp, "first" is the first token
 *                          even when it renders empty, such as BOS.
 * @param cleanUpSpaces     apply {@link SpaceCleanup} (Hugging Face's {@code clean_up_tokenization_spaces},
 *                          as llama.cpp applies it for most GPT-2-style vocabularies)
 */
public record DecodeRules(boolean stripLeadingSpace, boolean cleanUpSpaces) {
}
