package io.laminar.actors.scheduler;

import io.laminar.actors.PipelineMessage;
import io.laminar.model.generate.GenerationEnd;

/** What the scheduler tells a request's submitter, in order: tokens, then one finish or failure. */
public sealed interface SequenceEvent extends PipelineMessage {
    String requestId();

    /** The {@code index}-th generated token. */
    record Token(String requestId, int index, int tokenId) implements SequenceEvent {
    }

    /** The sequence ended normally. Times are those of the steps it took part in. */
    record Finished(String requestId, GenerationEnd reason, int promptTokens, int generatedTokens,
                    long promptNanos, long generateNanos) implements SequenceEvent {
    }

    /**
     * The sequence could not be (fully) generated; tokens sent before stay valid.
     *
     * @param kind    a stable machine-readable cause
     * @param message what happened, for people
     */
    record Failed(String requestId, FailureKind kind, String message) implements SequenceEvent {
    }

    /** What kind of failure ended a sequence; the gateway maps it to a wire {@code ErrorCode}. */
    enum FailureKind {
        /** The request itself is invalid (empty prompt, impossible values). */
        INVALID_REQUEST,
        /** The prompt, or prompt plus requested tokens, can never fit the context or the KV cache. */
        PROMPT_TOO_LONG,
        /** The pipeline did not become ready in time: some layers are hosted by no stage. */
        PIPELINE_NOT_READY,
        /** A stage threw while running a step with this sequence. */
        STAGE_FAILED,
        /** A stage hosting part of the pipeline left while the sequence was running. */
        STAGE_LOST
    }
}
