package io.laminar.schemas.codec;

import io.laminar.schemas.ErrorCode;

/** A record that cannot be decoded, with the error code that says why. */
public final class WireDecodeException extends RuntimeException {

    private final ErrorCode code;
    private final String detail;

    public WireDecodeException(ErrorCode code, String message, Throwable cause) {
        super(code + ": " + message, cause);
        this.code = code;
        this.detail = message;
    }

    /** UNDECODABLE or UNKNOWN_SCHEMA. */
    public ErrorCode code() {
        return code;
    }

    /** What went wrong, without the code. */
    public String detail() {
        return detail;
    }
}
