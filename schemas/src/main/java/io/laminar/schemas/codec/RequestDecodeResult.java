package io.laminar.schemas.codec;

import io.laminar.schemas.ErrorCode;
import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.ResponseEvent;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a request record decodes to: an {@link Accepted} request that passed validation, or a
 * {@link Rejected} one with the error code to answer it with. Decoding never throws on bad input.
 */
public sealed interface RequestDecodeResult {

    /**
     * A valid request.
     *
     * @param request the request, resolved to the current schema
     * @param format  the encoding it arrived in
     */
    record Accepted(InferenceRequest request, WireFormat format) implements RequestDecodeResult {
        public Accepted {
            Objects.requireNonNull(request, "request");
            Objects.requireNonNull(format, "format");
        }
    }

    /**
     * A record that cannot be served.
     *
     * @param code      why, as the error event will say
     * @param message   what exactly, for people
     * @param requestId the request's id when it could be read, else null: the key of the error event
     * @param metadata  the request's metadata when it could be read, else empty: echoed on the error
     */
    record Rejected(ErrorCode code, String message, String requestId, Map<String, String> metadata)
            implements RequestDecodeResult {
        public Rejected {
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(message, "message");
            metadata = metadata == null ? Map.of() : metadata;
        }

        /** A rejection of a record whose id and metadata are unknown. */
        public Rejected(ErrorCode code, String message) {
            this(code, message, null, Map.of());
        }

        /** The request id, if it could be read. */
        public Optional<String> knownRequestId() {
            return Optional.ofNullable(requestId);
        }

        /** The ERROR event answering this rejection. */
        public ResponseEvent toErrorEvent(long timestampMs) {
            return ResponseEvents.error(requestId, metadata, code, message, timestampMs);
        }
    }

    default boolean isAccepted() {
        return this instanceof Accepted;
    }
}
