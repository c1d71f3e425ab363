package io.laminar.actors.gateway;

import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.actors.scheduler.SequenceEvent;
import io.laminar.model.generate.GenerationEnd;
import io.laminar.model.tokenizer.StreamingDecoder;
import io.laminar.schemas.ErrorCode;
import io.laminar.schemas.FinishReason;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.ResponseEvents;
import org.apache.kafka.common.TopicPartition;

import java.util.Arrays;
import java.util.Map;

/** The state of one record a {@link GatewayActor} serves, from its reading to its last event written. */
final class Session {
    final String id;
    final TopicPartition partition;
    final long offset;
    final long receivedAtMs;
    /** Null while unknown, and in the ERROR for a record whose id could not be read. */
    String requestId;
    /** The request record's Kafka key: the key of the responses for it when its id could not be read. */
    byte[] recordKey;
    /** Made once, at its first event, not for each of its tokens. */
    private byte[] responseKey;
    private byte[] source;
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
    GenerationEnd endedBy;
    /** Where its attention weights are kept when it asked for inspection, else null. */
    io.laminar.actors.inspect.Inspection inspection;
    FinishReason stopReason;

    Session(String id, TopicPartition partition, long offset, long receivedAtMs) {
        this.id = id;
        this.partition = partition;
        this.offset = offset;
        this.receivedAtMs = receivedAtMs;
    }

    /** The key of its response records: its request id, or its record's own key when the id could not be read. */
    byte[] responseKey() {
        if (responseKey == null && requestId != null) {
            responseKey = requestId.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        return responseKey != null ? responseKey : recordKey;
    }

    /** Its record, as the events answering it name it ({@link PriorOutput#source}), in UTF-8. */
    byte[] source() {
        if (source == null) {
            source = PriorOutput.source(partition.topic(), partition.partition(), offset)
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        return source;
    }

    /**
     * Takes over a stream an earlier gateway started: its tokens count as received and sent, and the
     * run about to start resumes after them (the scheduler reads them with the prompt), so the next
     * token has the next index, as after a lost stage. The decoder reads them to continue the text
     * where it stopped; the stop-string filter starts empty, since what was sent was settled text.
     */
    void resumeAfter(PriorOutput.Written prior) {
        int[] ids = prior.tokenIds();
        received = Arrays.copyOf(ids, Math.max(16, ids.length));
        receivedCount = ids.length;
        tokensSent = ids.length;
        interrupted = ids.length > 0;
        for (int token : ids) {
            decoder.accept(token);
        }
        if (ids.length > 0) {
            firstTokenAtMs = prior.firstTokenAtMs();
        }
    }

    /**
     * The seed of a request that gave none: derived from the record, not drawn at random, so that a
     * record served again after a crash generates the same tokens and its repeated events
     * (same request id and token index) are true duplicates.
     */
    long defaultSeed() {
        long h = 0x9E3779B97F4A7C15L;
        for (char c : (requestId + "@" + id).toCharArray()) {
            h = (h ^ c) * 0x100000001B3L;
        }
        return h;
    }

    /** The finish reason its FINISH event carries: a stop the gateway decided, else the pipeline's. */
    FinishReason finishReason() {
        if (stopReason != null) {
            return stopReason;
        }
        return switch (endedBy) {
            case STOP -> FinishReason.STOP;
            case LENGTH -> FinishReason.LENGTH;
            case CONTEXT -> FinishReason.CONTEXT;
            case CANCELLED -> FinishReason.CANCELLED;
        };
    }

    /**
     * The FINISH event of the request and the figures the metrics take from it (seconds; -1 where
     * there is none): queue time, time to first token, time per generated token, total.
     */
    record Finish(ResponseEvent event, double ttftS, double perTokenS, double totalS, double queueS) {
    }

    Finish finish(long promptNanos, long generateNanos, long now) {
        Long ttft = firstTokenAtMs == 0 ? null : firstTokenAtMs - receivedAtMs;
        long queueMs = ttft == null ? now - receivedAtMs : Math.max(0, ttft - promptNanos / 1_000_000);
        // The rate of the run that finished: a resumed one's time covers only the tokens it generated.
        int generatedHere = receivedCount - resumedAfter;
        boolean timed = generateNanos > 0 && generatedHere > 1;
        double tps = timed ? (generatedHere - 1) * 1e9 / generateNanos : 0;
        ResponseEvent event = ResponseEvents.finish(requestId, metadata, finishReason(),
                ResponseEvents.usage(promptTokens, tokensSent),
                ResponseEvents.timings(queueMs, ttft, now - receivedAtMs, tps), now);
        return new Finish(event, ttft == null ? -1 : ttft / 1e3, timed ? generateNanos / 1e9 / (generatedHere - 1) : -1,
                (now - receivedAtMs) / 1e3, ttft == null ? -1 : queueMs / 1e3);
    }

    /** The error code the client sees for a pipeline failure. */
    static ErrorCode errorCode(SequenceEvent.FailureKind kind) {
        return switch (kind) {
            case INVALID_REQUEST -> ErrorCode.INVALID_REQUEST;
            case PROMPT_TOO_LONG -> ErrorCode.PROMPT_TOO_LONG;
            case PIPELINE_NOT_READY -> ErrorCode.PIPELINE_NOT_READY;
            case STAGE_FAILED, STAGE_LOST -> ErrorCode.STAGE_FAILED;
        };
    }
}
