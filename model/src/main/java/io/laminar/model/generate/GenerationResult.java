package io.laminar.model.generate;

/** What a sequence produced: its tokens, why it stopped, and its timings. */
public record GenerationResult(int[] tokens, FinishReason finishReason, GenerationStats stats) {
}
