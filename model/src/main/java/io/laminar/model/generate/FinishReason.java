package io.laminar.model.generate;

/** Why a sequence stopped generating. */
public enum FinishReason {
    /** It produced an end-of-generation token (not reported as a token). */
    STOP,
    /** It reached its {@code maxTokens}. */
    LENGTH,
    /** It filled the context window. */
    CONTEXT,
    /** It was stopped from outside (cancelled, or failed elsewhere). */
    CANCELLED
}
