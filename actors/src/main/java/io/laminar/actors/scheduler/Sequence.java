package io.laminar.actors.scheduler;

import io.laminar.actors.scheduler.PipelineScheduler.Submit;
import io.laminar.model.generate.PromptLookup;
import io.laminar.model.generate.SequenceProgress;

/** A request and its progress, from arrival until it finishes or fails. */
final class Sequence {
    final Submit request;
    final long arrivedNanos;
    /** Set when admitted, with its KV slot. */
    SequenceProgress progress;
    /** KV blocks reserved for it on every stage. */
    int blocks;
    boolean samplingSent;
    /** A Failed event was sent: no Finished follows. */
    boolean failed;
    long firstStepNanos;
    long firstTokenNanos;
    /** The prompt and the output so far, for prompt-lookup drafts; made at the first draft. */
    private int[] history;

    Sequence(Submit request, long arrivedNanos) {
        this.request = request;
        this.arrivedNanos = arrivedNanos;
    }

    String id() {
        return request.requestId();
    }

    /** Up to {@code limit} tokens {@code lookup} drafts after this sequence's tokens so far, into {@code out}. */
    int draft(PromptLookup lookup, int limit, int[] out) {
        if (history == null) {
            history = new int[progress.maxLength() + 1];
        }
        return lookup.draft(history, progress.history(history), limit, out);
    }
}
