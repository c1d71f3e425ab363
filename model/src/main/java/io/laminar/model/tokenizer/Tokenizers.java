package io.laminar.model.tokenizer;

import io.laminar.model.gguf.GgufFile;
import io.laminar.model.gguf.GgufMetadata;

import java.io.IOException;
import java.nio.file.Path;

/** Creates the {@link Tokenizer} a GGUF file describes. */
public final class Tokenizers {
    private Tokenizers() {
    }

    /** The tokenizer of a GGUF file (a full model or a vocabulary-only file). */
    public static Tokenizer fromGguf(Path path) throws IOException {
        try (GgufFile file = GgufFile.open(path)) {
            return fromGguf(file.metadata());
        }
    }

    /**
     * The tokenizer described by {@code tokenizer.ggml.*} metadata, with llama.cpp's defaults for
     * whatever the metadata leaves out.
     *
     * @throws UnsupportedTokenizerException for an unknown {@code tokenizer.ggml.model} or
     *                                       {@code tokenizer.ggml.pre}, or inconsistent metadata; the
     *                                       message names the key and value
     */
    public static Tokenizer fromGguf(GgufMetadata metadata) {
        String modelName = metadata.findString(TokenizerModel.GGUF_KEY).orElseThrow(() ->
                new UnsupportedTokenizerException("no tokenizer: metadata key=" + TokenizerModel.GGUF_KEY + " is missing"));
        TokenizerModel model = TokenizerModel.forGgufName(modelName);
        return switch (model) {
            case SENTENCEPIECE -> {
                Vocabulary vocabulary = Vocabulary.read(metadata, model.defaultRoles());
                TokenizerSettings settings = new TokenizerSettings(
                        metadata.getBoolean(TokenizerSettings.ADD_BOS_KEY, true),
                        metadata.getBoolean(TokenizerSettings.ADD_EOS_KEY, false),
                        metadata.getBoolean(TokenizerSettings.ADD_SPACE_PREFIX_KEY, true),
                        false);
                yield new SentencePieceTokenizer(vocabulary, settings);
            }
            case BYTE_PAIR -> {
                // Resolve the pre-tokenizer first: an unsupported one should fail before the heavy loading.
                PreTokenizer pre = PreTokenizer.forGgufName(metadata.findString(PreTokenizer.GGUF_KEY).orElse(null));
                Vocabulary vocabulary = Vocabulary.read(metadata, model.defaultRoles());
                TokenizerSettings settings = new TokenizerSettings(
                        metadata.getBoolean(TokenizerSettings.ADD_BOS_KEY, pre.addsBos()),
                        metadata.getBoolean(TokenizerSettings.ADD_EOS_KEY, false),
                        metadata.getBoolean(TokenizerSettings.ADD_SPACE_PREFIX_KEY, false),
                        pre.cleansUpSpaces());
                yield new BytePairTokenizer(vocabulary, settings, pre, BpeMerges.read(metadata, vocabulary));
            }
        };
    }
}
