package io.laminar.schemas.codec;

import io.laminar.schemas.InferenceRequest;
import java.util.OptionalLong;

/**
 * What an unset optional request field means. The sampling defaults are llama.cpp's, the same as
 * {@code io.laminar.model.sampling.SamplingParams} (this module cannot see that class; the actors
 * module's tests compare them).
 */
public final class RequestDefaults {

    /** max_tokens when unset. */
    public static final int DEFAULT_MAX_TOKENS = 128;
    public static final float DEFAULT_TEMPERATURE = 0.8f;
    public static final int DEFAULT_TOP_K = 40;
    public static final float DEFAULT_TOP_P = 0.95f;
    public static final float DEFAULT_MIN_P = 0.05f;
    public static final float DEFAULT_REPEAT_PENALTY = 1.0f;
    public static final int DEFAULT_REPEAT_LAST_N = 64;

    private RequestDefaults() {
    }

    public static int maxTokens(InferenceRequest request) {
        return request.getMaxTokens() != null ? request.getMaxTokens() : DEFAULT_MAX_TOKENS;
    }

    public static float temperature(InferenceRequest request) {
        return request.getTemperature() != null ? request.getTemperature() : DEFAULT_TEMPERATURE;
    }

    public static int topK(InferenceRequest request) {
        return request.getTopK() != null ? request.getTopK() : DEFAULT_TOP_K;
    }

    public static float topP(InferenceRequest request) {
        return request.getTopP() != null ? request.getTopP() : DEFAULT_TOP_P;
    }

    public static float minP(InferenceRequest request) {
        return request.getMinP() != null ? request.getMinP() : DEFAULT_MIN_P;
    }

    public static float repeatPenalty(InferenceRequest request) {
        return request.getRepeatPenalty() != null ? request.getRepeatPenalty() : DEFAULT_REPEAT_PENALTY;
    }

    public static int repeatLastN(InferenceRequest request) {
        return request.getRepeatLastN() != null ? request.getRepeatLastN() : DEFAULT_REPEAT_LAST_N;
    }

    /** The seed the request asks for; empty means the server picks one. */
    public static OptionalLong seed(InferenceRequest request) {
        return request.getSeed() != null ? OptionalLong.of(request.getSeed()) : OptionalLong.empty();
    }

    /**
     * The moment the request must finish by, epoch milliseconds: the earlier of deadline_epoch_ms
     * and receivedAtMs + timeout_ms; {@link Long#MAX_VALUE} when it sets neither.
     *
     * @param receivedAtMs when the gateway read the record, epoch milliseconds
     */
    public static long deadlineEpochMs(InferenceRequest request, long receivedAtMs) {
        long deadline = Long.MAX_VALUE;
        if (request.getDeadlineEpochMs() != null) {
            deadline = request.getDeadlineEpochMs();
        }
        if (request.getTimeoutMs() != null) {
            long relative = receivedAtMs + request.getTimeoutMs();
            if (relative < receivedAtMs) {
                relative = Long.MAX_VALUE; // overflow: as good as no timeout
            }
            deadline = Math.min(deadline, relative);
        }
        return deadline;
    }
}
