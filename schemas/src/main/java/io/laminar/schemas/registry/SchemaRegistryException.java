package io.laminar.schemas.registry;

/**
 * A call to the schema registry that failed: the registry could not be reached, or it answered
 * with an error. {@link #status()} is the HTTP status (0 when there was no answer) and
 * {@link #errorCode()} the {@code error_code} of Confluent's error body (40401 subject not found,
 * 40403 schema not found, 409 incompatible, ...; 0 when the body had none).
 */
public final class SchemaRegistryException extends RuntimeException {
    private final int status;
    private final int errorCode;

    SchemaRegistryException(String message, int status, int errorCode, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.errorCode = errorCode;
    }

    /** The HTTP status of the registry's answer; 0 when it could not be reached. */
    public int status() {
        return status;
    }

    /** Confluent's {@code error_code} from the answer's body; 0 when there was none. */
    public int errorCode() {
        return errorCode;
    }

    /** Whether the registry answered that the subject, version or schema does not exist. */
    public boolean notFound() {
        return status == 404;
    }

    /** Whether trying again later may help: no answer, or a server error. */
    public boolean transientFailure() {
        return status == 0 || status >= 500;
    }
}
