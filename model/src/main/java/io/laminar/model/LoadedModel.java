package io.laminar.model;

import io.laminar.model.arch.ModelConfig;
import io.laminar.model.chat.ChatPrompt;
import io.laminar.model.chat.ChatTemplate;
import io.laminar.model.chat.ChatTurn;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.tokenizer.Tokenizer;
import io.laminar.model.tokenizer.Tokenizers;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A model file opened for use: the mapped GGUF, its configuration, tokenizer and chat template.
 * Weights are not touched until a stage loads its layer range.
 */
public final class LoadedModel implements AutoCloseable {
    private final GgufFile file;
    private final ModelConfig config;
    private final Tokenizer tokenizer;
    private ChatTemplate chatTemplate;

    private LoadedModel(GgufFile file, ModelConfig config, Tokenizer tokenizer) {
        this.file = file;
        this.config = config;
        this.tokenizer = tokenizer;
    }

    public static LoadedModel open(Path path) throws IOException {
        GgufFile file = GgufFile.open(path);
        try {
            return new LoadedModel(file, ModelConfig.fromGguf(file), Tokenizers.fromGguf(file.metadata()));
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    public GgufFile file() {
        return file;
    }

    public ModelConfig config() {
        return config;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The model's chat template (ChatML, as llama.cpp, when the file has none). */
    public synchronized ChatTemplate chatTemplate() {
        if (chatTemplate == null) {
            chatTemplate = ChatTemplate.fromGguf(file.metadata(), tokenizer);
        }
        return chatTemplate;
    }

    /** Chat messages to prompt ids with the model's template (see {@link ChatPrompt}). */
    public int[] encodeChat(java.util.List<ChatTurn> messages) {
        return ChatPrompt.encode(tokenizer, chatTemplate(), messages);
    }

    @Override
    public void close() {
        file.close();
    }
}
