package io.laminar.model.arch;

/** A well-formed model file that uses something Laminar does not implement; the message names it. */
public final class UnsupportedModelException extends RuntimeException {
    public UnsupportedModelException(String message) {
        super(message);
    }
}
