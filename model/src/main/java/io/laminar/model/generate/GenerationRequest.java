package io.laminar.model.generate;

import io.laminar.model.sampling.SamplingParams;

/**
 * One sequence to generate.
 *
 * @param promptIds the prompt's token ids, BOS included when the model wants it
 * @param maxTokens the most tokens to generate
 * @param sampling  how to choose tokens
 * @param listener  told of each token as it is chosen, and of the end
 */
public record GenerationRequest(int[] promptIds, int maxTokens, SamplingParams sampling, TokenListener listener) {
    public GenerationRequest {
        if (promptIds.length == 0) {
            throw new IllegalArgumentException("the prompt is empty");
        }
        if (maxTokens < 0) {
            throw new IllegalArgumentException("max_tokens=" + maxTokens + " must be >= 0");
        }
    }
}
