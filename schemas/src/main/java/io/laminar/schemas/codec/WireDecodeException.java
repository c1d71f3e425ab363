package io.laminar.schemas.codec;

import io.laminar.schemas.ErrorCode;

/** A response record that cannot be decoded, with the error code that says why. */
public final class WireDecodeException extends RuntimeException {

    private final ErrorCode code;

    public WireDecodeException(ErrorCode code, String message, Throwable cause) {
        super(code + ": " + message, cause);
        this.code = code;
    }

    /** UNDECODABLE or UNKNOWN_SCHEMA. */
    public ErrorCode code() {
        return code;
    }
}
