/**
 * Tokenizers read from GGUF metadata, reproducing llama.cpp's token ids exactly.
 *
 * <p>{@link io.laminar.model.tokenizer.Tokenizers#fromGguf} reads {@code tokenizer.ggml.*} and returns a
 * {@link io.laminar.model.tokenizer.Tokenizer}: SentencePiece-style for {@code model = "llama"},
 * byte-level BPE for {@code model = "gpt2"} with the {@link io.laminar.model.tokenizer.PreTokenizer}
 * named by {@code tokenizer.ggml.pre}. Anything else fails with
 * {@link io.laminar.model.tokenizer.UnsupportedTokenizerException} naming the key and value, rather
 * than tokenizing differently from the model's training.
 *
 * <h2>What follows llama.cpp, and where to look</h2>
 * <ul>
 *   <li>Encoding: special tokens are cut out first ({@code SpecialTokenSplitter}, llama.cpp's
 *       {@code tokenizer_st_partition}); the remaining text goes to {@code SentencePieceTokenizer}
 *       ({@code llm_tokenizer_spm}) or {@code BytePairTokenizer} ({@code llm_tokenizer_bpe}).
 *       Both keep symbols in a linked list and candidate merges in a heap ({@code BigramQueue}),
 *       so a prompt of thousands of tokens encodes in milliseconds.</li>
 *   <li>Pre-tokenizers: GPT-2's and Llama 3's regexes are hand-coded as llama.cpp hand-codes them
 *       (Qwen2's is Llama 3's with one-digit numbers; a test checks each against its regex on
 *       random text). Other regexes run on llama.cpp's "collapsed" text
 *       ({@code CollapsedRegexSplitter}).</li>
 *   <li>Loading fix-ups ({@link io.laminar.model.tokenizer.Vocabulary}): end-of-turn and
 *       fill-in-the-middle tokens recognised by text, CONTROL added to end-of-generation tokens,
 *       Phi-3's RSTRIP. When several texts could name the end-of-turn token, the first in
 *       {@link io.laminar.model.tokenizer.SpecialTokenRole}'s list wins; llama.cpp takes whichever its
 *       hash map yields first.</li>
 *   <li>Decoding ({@code llama_detokenize} with {@code remove_special=false}): token bytes
 *       concatenated, one leading space removed from the first token when SentencePiece added it
 *       ({@code add_space_prefix}), Hugging Face's space clean-up for the vocabularies llama.cpp
 *       applies it to. As in llama.cpp, "the first token" is the first of the sequence even when it
 *       is BOS and renders empty, so {@code decode([BOS, "▁Hello"])} is {@code " Hello"} while
 *       {@code decode(["▁Hello"])} is {@code "Hello"}.</li>
 * </ul>
 *
 * <p>{@link io.laminar.model.tokenizer.StreamingDecoder} decodes token by token, holding back split
 * UTF-8 characters and undecided spaces; {@code decode} is built on it, so both always agree.
 */
package io.laminar.model.tokenizer;
