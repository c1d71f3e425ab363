package io.laminar.actors.stage;

import io.laminar.model.sampling.SamplingParams;

/**
 * What the last stage needs to open a sequence's sampler, sent with the sequence's first step.
 *
 * @param sampling        how its tokens are chosen
 * @param generatedBefore tokens an earlier run of the request generated, read again with its prompt
 *                        (0 for a new request): the sampler's random state starts after their draws
 */
public record SequenceOpening(SamplingParams sampling, int generatedBefore) {
    public SequenceOpening {
        if (generatedBefore < 0) {
            throw new IllegalArgumentException("generatedBefore=" + generatedBefore + " must be >= 0");
        }
    }
}
