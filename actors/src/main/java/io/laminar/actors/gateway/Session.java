package io.laminar.actors.gateway;

import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.model.generate.FinishReason;
import io.laminar.model.tokenizer.StreamingDecoder;
import org.apache.kafka.common.TopicPartition;

import java.util.Map;

/** The state of one record a {@link GatewayActor} serves, from its reading to its last event written. */
final class Session {
    final String id;
    final TopicPartition partition;
    final long offset;
    final long receivedAtMs;
    String requestId;
    Map<String, String> metadata = Map.of();
    StreamingDecoder decoder;
    StopStringFilter filter;
    int promptTokens;
    int tokensSent;
    long firstTokenAtMs;
    int pendingWrites;
    boolean finalQueued;
    boolean submitted;
    boolean writeFailed;
    /** The request holds its id in the gateway's {@link RecentRequestIds}: it was accepted and is served. */
    boolean holdsId;
    /** It ended with an ERROR event. */
    boolean failed;
    /** What was submitted, to submit again after a stage was lost. */
    PipelineScheduler.Submit submit;
    int retries;
    /**
     * It had started before (a stage was lost under it, or an earlier gateway wrote its first
     * tokens): it waits for the pipeline as long as its own deadline allows.
     */
    boolean interrupted;
    /** Token ids received so far, by index: a retry resumes after them. */
    int[] received = new int[16];
    int receivedCount;
    /** Tokens the latest submission carried, generated before it: its run's times do not cover them. */
    int resumedAfter;
    FinishReason endedBy;
    /** Where its attention weights are kept when it asked for inspection, else null. */
    io.laminar.actors.inspect.Inspection inspection;
    io.laminar.schemas.FinishReason stopReason;

    Session(String id, TopicPartition partition, long offset, long receivedAtMs) {
        this.id = id;
        this.partition = partition;
        this.offset = offset;
        this.receivedAtMs = receivedAtMs;
    }

    /** The finish reason its FINISH event carries: a stop the gateway decided, else the pipeline's. */
    io.laminar.schemas.FinishReason finishReason() {
        if (stopReason != null) {
            return stopReason;
        }
        return switch (endedBy) {
            case STOP -> io.laminar.schemas.FinishReason.STOP;
            case LENGTH -> io.laminar.schemas.FinishReason.LENGTH;
            case CONTEXT -> io.laminar.schemas.FinishReason.CONTEXT;
            case CANCELLED -> io.laminar.schemas.FinishReason.CANCELLED;
        };
    }
}
