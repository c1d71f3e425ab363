package io.laminar.app.http.openai;

import com.sun.net.httpserver.HttpExchange;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Reading bodies within a limit and writing JSON answers, for the door's handlers. */
public final class HttpExchanges {
    /**
     * How much of a body over the limit is read and dropped before answering 413: a client still
     * sending when the server closes the connection may see a reset instead of the answer. Past
     * this the connection is closed after the answer anyway.
     */
    static final long DRAIN_LIMIT_BYTES = 64L << 20;

    private HttpExchanges() {
    }

    /**
     * The request body, at most {@code limit} bytes.
     *
     * @throws ApiError 413 when it is longer (by its Content-Length, or as it is read)
     */
    static byte[] readBody(HttpExchange ex, int limit) throws IOException {
        InputStream in = ex.getRequestBody();
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        int expected = 1024;
        if (length != null) {
            long declared;
            try {
                declared = Long.parseLong(length.strip());
            } catch (NumberFormatException e) {
                throw ApiError.invalid("Content-Length is not a number: " + length, null);
            }
            if (declared > limit) {
                drain(in);
                throw ApiError.tooLarge(limit);
            }
            expected = (int) Math.max(0, declared);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream(expected);
        byte[] buffer = new byte[8192];
        int n;
        while ((n = in.read(buffer)) > 0) {
            if (body.size() + n > limit) {
                drain(in);
                throw ApiError.tooLarge(limit);
            }
            body.write(buffer, 0, n);
        }
        return body.toByteArray();
    }

    private static void drain(InputStream in) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long read = 0;
        int n;
        while (read < DRAIN_LIMIT_BYTES && (n = in.read(buffer)) > 0) {
            read += n;
        }
    }

    public static void sendJson(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    public static void sendError(HttpExchange ex, ApiError error) throws IOException {
        sendJson(ex, error.status(), error.json());
    }

    /** Whether the status line is out already: then an error can only go into the stream. */
    static boolean answered(HttpExchange ex) {
        return ex.getResponseCode() != -1;
    }
}
