package io.laminar.actors.stage;

import akka.actor.typed.ActorRef;
import io.laminar.actors.inspect.AttentionReport;
import io.laminar.model.sampling.SamplingParams;

/**
 * What the stages need to open a sequence, sent with the sequence's first step: the last stage sets
 * up its sampler from it, and where the sequence is marked for inspection every stage captures its
 * attention weights from then on.
 *
 * @param sampling        how its tokens are chosen
 * @param generatedBefore tokens an earlier run of the request generated, read again with its prompt
 *                        (0 for a new request): the sampler's random state starts after their draws
 * @param inspector       where each stage sends its {@link AttentionReport}s, or null when the
 *                        sequence is not inspected
 */
public record SequenceOpening(SamplingParams sampling, int generatedBefore, ActorRef<AttentionReport> inspector) {
    public SequenceOpening {
        if (generatedBefore < 0) {
            throw new IllegalArgumentException("generatedBefore=" + generatedBefore + " must be >= 0");
        }
    }

    /** A sequence not inspected. */
    public SequenceOpening(SamplingParams sampling, int generatedBefore) {
        this(sampling, generatedBefore, null);
    }
}
