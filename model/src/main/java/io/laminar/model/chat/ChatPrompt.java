package io.laminar.model.chat;

import io.laminar.model.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.List;

/**
 * Chat messages to prompt token ids: rendered with the model's template (with the assistant's
 * generation prompt), tokenized with special-token texts recognized, and BOS added only when the
 * model wants it and the template did not already write it.
 */
public final class ChatPrompt {
    private ChatPrompt() {
    }

    public static int[] encode(Tokenizer tokenizer, ChatTemplate template, List<ChatTurn> messages) {
        int[] ids = tokenizer.encode(template.render(messages, true), tokenizer.addBos(), true);
        if (ids.length >= 2 && ids[0] == tokenizer.bos() && ids[1] == tokenizer.bos()) {
            return Arrays.copyOfRange(ids, 1, ids.length);
        }
        return ids;
    }
}
