package io.laminar.model.generate;

/** Receives a sequence's tokens as they are chosen. Called on the generating thread: return quickly. */
public interface TokenListener {
    /** The {@code index}-th generated token (0-based). */
    void onToken(int index, int tokenId);

    /** The sequence ended; no more calls follow. */
    default void onFinish(GenerationEnd reason, GenerationStats stats) {
    }

    TokenListener NONE = (index, tokenId) -> { };
}
