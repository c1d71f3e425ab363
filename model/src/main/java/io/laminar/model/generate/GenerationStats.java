package io.laminar.model.generate;

/**
 * Counts and timings of one sequence. With several sequences batched together, the times are
 * those of the steps the sequence took part in.
 *
 * @param promptTokens    tokens of the prompt
 * @param generatedTokens tokens generated
 * @param promptNanos     time from the first prompt step to the first token's logits
 * @param generateNanos   time of the decode steps after that
 */
public record GenerationStats(int promptTokens, int generatedTokens, long promptNanos, long generateNanos) {
    public double promptTokensPerSecond() {
        return promptNanos == 0 ? 0 : promptTokens * 1e9 / promptNanos;
    }

    /** Decode rate: tokens after the first over the time of the steps that produced them. */
    public double generatedTokensPerSecond() {
        return generateNanos == 0 ? 0 : Math.max(0, generatedTokens - 1) * 1e9 / generateNanos;
    }
}
