package io.laminar.model.chat;

import java.util.Objects;

/**
 * One turn of a conversation, as chat templates see it: {@code message['role']} and
 * {@code message['content']}.
 *
 * @param role    "system", "user", "assistant" or whatever role the template understands
 * @param content the text of the turn
 */
public record ChatTurn(String role, String content) {
    public ChatTurn {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    public static ChatTurn system(String content) {
        return new ChatTurn("system", content);
    }

    public static ChatTurn user(String content) {
        return new ChatTurn("user", content);
    }

    public static ChatTurn assistant(String content) {
        return new ChatTurn("assistant", content);
    }
}
