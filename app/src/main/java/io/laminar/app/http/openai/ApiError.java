package io.laminar.app.http.openai;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laminar.schemas.ErrorCode;

import java.nio.charset.StandardCharsets;

/**
 * An answer that is an error, in OpenAI's shape:
 * {@code {"error": {"message", "type", "param", "code"}}} with its HTTP status. Thrown anywhere
 * while a request is read or served, and written by the handler that catches it.
 */
public final class ApiError extends RuntimeException {
    static final String INVALID_REQUEST = "invalid_request_error";
    static final String SERVER_ERROR = "server_error";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final int status;
    private final String type;
    private final String param;
    private final String code;
    /** The methods a 405 names in its Allow header; null otherwise. */
    private final String allow;

    ApiError(int status, String type, String message, String param, String code) {
        this(status, type, message, param, code, null);
    }

    private ApiError(int status, String type, String message, String param, String code, String allow) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.allow = allow;
    }

    /** 400: the request is wrong; {@code param} names the field, or is null. */
    public static ApiError invalid(String message, String param) {
        return new ApiError(400, INVALID_REQUEST, message, param, null);
    }

    /** 400: a field OpenAI defines that Laminar cannot honour. */
    static ApiError unsupported(String param, String why) {
        return new ApiError(400, INVALID_REQUEST, "'" + param + "' is not supported by Laminar: " + why, param,
                "unsupported_parameter");
    }

    static ApiError modelNotFound(String model) {
        return new ApiError(404, INVALID_REQUEST, "The model '" + model + "' does not exist or you do not have access"
                + " to it.", "model", "model_not_found");
    }

    static ApiError missingKey() {
        return new ApiError(401, INVALID_REQUEST, "You didn't provide an API key. You need to provide your API key in"
                + " an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", null, null);
    }

    static ApiError wrongKey() {
        return new ApiError(401, INVALID_REQUEST, "Incorrect API key provided.", null, "invalid_api_key");
    }

    /** 500: what failed, for a route that caught it. */
    public static ApiError serverError(String what) {
        return new ApiError(500, SERVER_ERROR, "The server had an error while processing your request: " + what,
                null, null);
    }

    /** 404: no such thing as {@code what} names; {@code code} says what kind. */
    public static ApiError notFound(String what, String param, String code) {
        return new ApiError(404, INVALID_REQUEST, what, param, code);
    }

    public static ApiError notFound(String method, String path) {
        return new ApiError(404, INVALID_REQUEST, "Invalid URL (" + method + " " + path + ")", null, null);
    }

    public static ApiError methodNotAllowed(String method, String path, String allowed) {
        return new ApiError(405, INVALID_REQUEST, "Method " + method + " is not allowed on " + path + "; use "
                + allowed + ".", null, "method_not_allowed", allowed);
    }

    static ApiError tooLarge(long limit) {
        return new ApiError(413, INVALID_REQUEST, "The request body is larger than " + limit + " bytes.", null,
                "request_too_large");
    }

    /** 503: Kafka did not take the request (no broker, no topic). */
    public static ApiError unavailable(String message) {
        return new ApiError(503, SERVER_ERROR, message, null, "service_unavailable");
    }

    /** 504: no answer from any {@code serve} within the door's request timeout. */
    static ApiError timedOut(long seconds) {
        return new ApiError(504, SERVER_ERROR, "No answer from the model server within " + seconds + " s; the request"
                + " was cancelled.", null, "timeout");
    }

    /**
     * The error a Laminar ERROR event becomes: what the client got wrong is a 400, a pipeline that
     * is not (or no longer) able to serve is a 503 or 500.
     */
    static ApiError fromLaminar(ErrorCode code, String message) {
        return switch (code) {
            case PROMPT_TOO_LONG -> new ApiError(400, INVALID_REQUEST, message, null, "context_length_exceeded");
            case INVALID_REQUEST, EMPTY_PROMPT, INVALID_SAMPLING, UNDECODABLE, UNKNOWN_SCHEMA ->
                    new ApiError(400, INVALID_REQUEST, message, null, code.name().toLowerCase(java.util.Locale.ROOT));
            case DUPLICATE_REQUEST -> new ApiError(409, INVALID_REQUEST, message, null, "duplicate_request");
            case PIPELINE_NOT_READY -> new ApiError(503, SERVER_ERROR, message, null, "pipeline_not_ready");
            case STAGE_FAILED, INTERNAL, UNRECOGNIZED ->
                    new ApiError(500, SERVER_ERROR, message, null, code.name().toLowerCase(java.util.Locale.ROOT));
        };
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }

    public String allow() {
        return allow;
    }

    /** The {@code {"error": {...}}} object. */
    ObjectNode body() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", getMessage());
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return root;
    }

    public byte[] json() {
        return body().toString().getBytes(StandardCharsets.UTF_8);
    }
}
