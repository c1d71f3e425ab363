package io.laminar.model.generate;

/** Why generation of a sequence ended. */
public enum GenerationEnd {
    /** It produced an end-of-generation token (not reported as a token). */
    STOP,
    /** It reached its {@code maxTokens}. */
    LENGTH,
    /** It filled the context window. */
    CONTEXT,
    /** It was stopped from outside (cancelled, or failed elsewhere). */
    CANCELLED
}
