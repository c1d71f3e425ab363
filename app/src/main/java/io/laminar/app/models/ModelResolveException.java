package io.laminar.app.models;

import java.util.Objects;

/**
 * A model named by {@code -m} cannot be used: the local file is missing, or the Hugging Face file
 * could not be downloaded or verified. The message is one or two sentences meant for the user as
 * they are: what failed, why, and what to do about it. {@link #reason()} lets callers (and tests)
 * tell the cases apart without reading the message.
 */
public final class ModelResolveException extends RuntimeException {

    /** Why a model could not be resolved. */
    public enum Reason {
        /** {@code -m} names a local path that does not exist or is not a file. */
        LOCAL_FILE_NOT_FOUND,
        /** {@code hf:...} that does not parse. */
        INVALID_REFERENCE,
        /** The server could not be reached: unknown host, connection refused, timeout, TLS failure. */
        UNREACHABLE,
        /** HTTP 401: a gated or private repository and no token, or a token that was refused. */
        UNAUTHORIZED,
        /** HTTP 403: the token's account has not been granted access (gated model). */
        FORBIDDEN,
        /** HTTP 404: no such repository, revision or file. */
        NOT_FOUND,
        /** Any other HTTP status, or a reply that makes no sense (a redirect loop, a wrong range). */
        HTTP_ERROR,
        /** The connection broke during the download; what arrived is kept to resume from. */
        INTERRUPTED,
        /** The downloaded file's size differs from the one the server announced. */
        SIZE_MISMATCH,
        /** The downloaded file's sha256 differs from the one the server announced. */
        CHECKSUM_MISMATCH,
        /** Reading or writing the cache folder failed. */
        CACHE_IO
    }

    private final Reason reason;

    public ModelResolveException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** Why the model could not be resolved. */
    public Reason reason() {
        return reason;
    }
}
