package io.laminar.model.gguf;

/** A GGUF file that cannot be read: truncated, corrupt, or of a version or layout we do not know. */
public final class GgufFormatException extends RuntimeException {
    public GgufFormatException(String message) {
        super(message);
    }

    public GgufFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
