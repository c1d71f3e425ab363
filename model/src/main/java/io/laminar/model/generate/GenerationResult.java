package io.laminar.model.generate;

/** What a sequence produced: its tokens, why its generation ended, and its timings. */
public record GenerationResult(int[] tokens, GenerationEnd end, GenerationStats stats) {
}
