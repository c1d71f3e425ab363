package io.laminar.schemas.codec;

import io.laminar.schemas.ErrorCode;
import io.laminar.schemas.ErrorEvent;
import io.laminar.schemas.EventType;
import io.laminar.schemas.FinishEvent;
import io.laminar.schemas.FinishReason;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.Timings;
import io.laminar.schemas.TokenEvent;
import io.laminar.schemas.Usage;
import java.util.Map;
import java.util.Objects;

/**
 * Builds response events with their invariant kept: {@code type} names the one payload that is set.
 * The metadata map is referenced, not copied; pass the request's own.
 */
public final class ResponseEvents {

    private ResponseEvents() {
    }

    /** A TOKEN event: the {@code tokenIndex}-th generated token (0-based) of the request. */
    public static ResponseEvent token(String requestId, Map<String, String> metadata, int tokenIndex, int tokenId,
                                      String text, Float logprob, long timestampMs) {
        Objects.requireNonNull(requestId, "requestId");
        if (tokenIndex < 0) {
            throw new IllegalArgumentException("tokenIndex=" + tokenIndex + " must be >= 0");
        }
        TokenEvent token = new TokenEvent(tokenIndex, tokenId, Objects.requireNonNull(text, "text"), logprob);
        return new ResponseEvent(requestId, EventType.TOKEN, timestampMs, metadataOrEmpty(metadata), token, null, null);
    }

    /** A FINISH event, the last of a request that was served. */
    public static ResponseEvent finish(String requestId, Map<String, String> metadata, FinishReason reason,
                                       Usage usage, Timings timings, long timestampMs) {
        Objects.requireNonNull(requestId, "requestId");
        if (reason == FinishReason.UNRECOGNIZED) {
            throw new IllegalArgumentException("UNRECOGNIZED is for readers only, never written");
        }
        FinishEvent finish = new FinishEvent(Objects.requireNonNull(reason, "reason"),
                Objects.requireNonNull(usage, "usage"), Objects.requireNonNull(timings, "timings"));
        return new ResponseEvent(requestId, EventType.FINISH, timestampMs, metadataOrEmpty(metadata), null, finish, null);
    }

    /** An ERROR event; {@code requestId} may be null when the request's id could not be read. */
    public static ResponseEvent error(String requestId, Map<String, String> metadata, ErrorCode code, String message,
                                      long timestampMs) {
        if (code == ErrorCode.UNRECOGNIZED) {
            throw new IllegalArgumentException("UNRECOGNIZED is for readers only, never written");
        }
        ErrorEvent error = new ErrorEvent(Objects.requireNonNull(code, "code"), Objects.requireNonNull(message, "message"));
        return new ResponseEvent(requestId, EventType.ERROR, timestampMs, metadataOrEmpty(metadata), null, null, error);
    }

    /** Usage counts of a FINISH event. */
    public static Usage usage(int promptTokens, int generatedTokens) {
        return new Usage(promptTokens, generatedTokens);
    }

    /**
     * Timings of a FINISH event.
     *
     * @param timeToFirstTokenMs null when no token was generated
     */
    public static Timings timings(long queueMs, Long timeToFirstTokenMs, long totalMs, double tokensPerSecond) {
        return new Timings(queueMs, timeToFirstTokenMs, totalMs, tokensPerSecond);
    }

    /**
     * What identifies an event for deduplication: (request id, token index) for TOKEN events,
     * (request id, type) for the others, whose {@code tokenIndex} is -1.
     */
    public record DedupKey(String requestId, EventType type, int tokenIndex) {
    }

    /**
     * Whether the event refuses a record that repeated a request id ({@code DUPLICATE_REQUEST}). It
     * carries that id but is no part of its stream: the request holding the id goes on, so a client
     * neither ends the stream on it nor counts it as the stream's ERROR when dropping repeats.
     */
    public static boolean refusesRepeat(ResponseEvent event) {
        return event.getType() == EventType.ERROR && event.getError() != null
                && event.getError().getCode() == ErrorCode.DUPLICATE_REQUEST;
    }

    /** The deduplication key of an event. */
    public static DedupKey dedupKey(ResponseEvent event) {
        int index = event.getType() == EventType.TOKEN && event.getToken() != null
                ? event.getToken().getTokenIndex() : -1;
        return new DedupKey(event.getRequestId(), event.getType(), index);
    }

    /**
     * Whether the event keeps the invariant: its type is TOKEN, FINISH or ERROR, exactly the payload
     * field of that type is set, and only an ERROR may lack a request id.
     */
    public static boolean isWellFormed(ResponseEvent event) {
        boolean token = event.getToken() != null;
        boolean finish = event.getFinish() != null;
        boolean error = event.getError() != null;
        return switch (event.getType()) {
            case TOKEN -> token && !finish && !error && event.getRequestId() != null;
            case FINISH -> !token && finish && !error && event.getRequestId() != null;
            case ERROR -> !token && !finish && error;
            case UNRECOGNIZED -> false;
        };
    }

    private static Map<String, String> metadataOrEmpty(Map<String, String> metadata) {
        return metadata == null ? Map.of() : metadata;
    }
}
