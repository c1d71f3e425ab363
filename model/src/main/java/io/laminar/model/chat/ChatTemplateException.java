package io.laminar.model.chat;

/**
 * A chat template could not be rendered: it called {@code raise_exception} (the message is the
 * template's own, e.g. "Conversation roles must alternate user/assistant/user/assistant/..."), or
 * it has a syntax or evaluation error.
 */
public final class ChatTemplateException extends RuntimeException {
    public ChatTemplateException(String message) {
        super(message);
    }

    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
