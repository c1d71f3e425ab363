package io.laminar.actors.gateway;

import io.laminar.model.chat.ChatPrompt;
import io.laminar.model.chat.ChatTemplate;
import io.laminar.model.chat.ChatTurn;
import io.laminar.model.tokenizer.Tokenizer;
import io.laminar.schemas.ChatMessage;
import io.laminar.schemas.InferenceRequest;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Turns a request's prompt into token ids as llama.cpp's server does: raw prompt text is tokenized
 * with BOS and with special-token texts recognized; chat messages go through {@link ChatPrompt}.
 */
public final class PromptEncoder {
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final ThreadPoolExecutor worker = new ThreadPoolExecutor(0, 1, 30, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "laminar-prompt-encoder");
                t.setDaemon(true);
                return t;
            });

    public PromptEncoder(Tokenizer tokenizer, ChatTemplate template) {
        this.tokenizer = tokenizer;
        this.template = template;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * {@link #encode} on the encoder's own thread. A chat template and BPE over a prompt of up to
     * the request size limit can take a good part of a second, which on the gateway's thread would
     * hold up every other request's tokens. One thread, so prompts are encoded in the order they
     * come; it ends when idle.
     *
     * @return the ids, or a failure with what {@link #encode} threw
     */
    public CompletableFuture<int[]> encodeLater(InferenceRequest request) {
        return CompletableFuture.supplyAsync(() -> encode(request), worker);
    }

    /** @throws RuntimeException when the chat template refuses the messages (its message says why) */
    public int[] encode(InferenceRequest request) {
        if (request.getPrompt() != null) {
            return tokenizer.encode(request.getPrompt(), tokenizer.addBos(), true);
        }
        List<ChatTurn> messages = new ArrayList<>();
        for (ChatMessage m : request.getMessages()) {
            messages.add(new ChatTurn(m.getRole(), m.getContent()));
        }
        return ChatPrompt.encode(tokenizer, template, messages);
    }
}
