package io.laminar.actors.gateway;

import io.laminar.model.chat.ChatMessage;
import io.laminar.model.chat.ChatPrompt;
import io.laminar.model.chat.ChatTemplate;
import io.laminar.model.tokenizer.Tokenizer;
import io.laminar.schemas.InferenceRequest;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns a request's prompt into token ids as llama.cpp's server does: raw prompt text is tokenized
 * with BOS and with special-token texts recognized; chat messages go through {@link ChatPrompt}.
 */
public final class PromptEncoder {
    private final Tokenizer tokenizer;
    private final ChatTemplate template;

    public PromptEncoder(Tokenizer tokenizer, ChatTemplate template) {
        this.tokenizer = tokenizer;
        this.template = template;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** @throws RuntimeException when the chat template refuses the messages (its message says why) */
    public int[] encode(InferenceRequest request) {
        if (request.getPrompt() != null) {
            return tokenizer.encode(request.getPrompt(), tokenizer.addBos(), true);
        }
        List<ChatMessage> messages = new ArrayList<>();
        for (io.laminar.schemas.ChatMessage m : request.getMessages()) {
            messages.add(new ChatMessage(m.getRole(), m.getContent()));
        }
        return ChatPrompt.encode(tokenizer, template, messages);
    }
}
