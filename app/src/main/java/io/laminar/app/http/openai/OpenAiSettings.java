package io.laminar.app.http.openai;

import java.time.Duration;

/**
 * How the door behaves; each set by a command-line option of {@code serve} and {@code http}
 * (docs/http.md).
 *
 * @param servedModel    the model name clients give and {@code /v1/models} lists
 * @param maxBodyBytes   longest request body; longer ones get 413
 * @param requestTimeout how long a request may take in all: it is the deadline Laminar's request
 *                       carries, and past it (and a grace) the door answers 504 and cancels it
 * @param keys           API keys; {@link ApiKeys#NONE} allows any client (loopback only)
 */
public record OpenAiSettings(String servedModel, int maxBodyBytes, Duration requestTimeout, ApiKeys keys) {
    /** {@code --http-max-body-bytes}: 1 MiB, as the requests topic's default record limit. */
    public static final int DEFAULT_MAX_BODY_BYTES = 1 << 20;
    /** {@code --http-request-timeout}, seconds: OpenAI's clients wait 10 minutes by default too. */
    public static final long DEFAULT_REQUEST_TIMEOUT_SECONDS = 600;

    public OpenAiSettings {
        if (servedModel == null || servedModel.isBlank()) {
            throw new IllegalArgumentException("the served model name is empty");
        }
        if (maxBodyBytes < 1024) {
            throw new IllegalArgumentException("--http-max-body-bytes must be at least 1024, got " + maxBodyBytes);
        }
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("--http-request-timeout must be positive, got " + requestTimeout);
        }
    }

    /** Defaults for everything but the model name. */
    public static OpenAiSettings defaults(String servedModel) {
        return new OpenAiSettings(servedModel, DEFAULT_MAX_BODY_BYTES,
                Duration.ofSeconds(DEFAULT_REQUEST_TIMEOUT_SECONDS), ApiKeys.NONE);
    }

    public OpenAiSettings withKeys(ApiKeys keys) {
        return new OpenAiSettings(servedModel, maxBodyBytes, requestTimeout, keys);
    }

    public OpenAiSettings withRequestTimeout(Duration timeout) {
        return new OpenAiSettings(servedModel, maxBodyBytes, timeout, keys);
    }
}
