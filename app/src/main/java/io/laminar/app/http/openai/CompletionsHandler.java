package io.laminar.app.http.openai;

import com.sun.net.httpserver.HttpExchange;
import io.laminar.app.http.openai.CompletionRequest.Endpoint;
import io.laminar.app.http.openai.PendingRequest.Arrival;
import io.laminar.schemas.FinishEvent;
import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.RequestDecodeResult;
import io.laminar.schemas.codec.RequestValidator;
import io.laminar.schemas.codec.SchemasConfig;
import io.laminar.schemas.codec.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@code POST /v1/chat/completions} and {@code POST /v1/completions}: reads the request, sends it to
 * the requests topic, and answers from its events, as they arrive (server-sent events, one chunk
 * per token, flushed each) or all at once. Runs on the exchange's virtual thread and blocks there.
 *
 * <p>A streamed answer's status line goes out with its first token, so that an error the server
 * finds before any token (a prompt longer than the context, a pipeline not ready) still gets its
 * own status; after it, an error can only be a {@code data: {"error": ...}} event. A client that
 * goes away mid-stream makes the next write fail: the request is cancelled then (a tombstone under
 * its id), so the server stops generating for nobody.
 */
final class CompletionsHandler {
    private static final Logger LOG = LoggerFactory.getLogger(CompletionsHandler.class);
    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.UTF_8);
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);
    /** Past the request's own deadline, how long the door still waits for the server's last event. */
    private static final long GRACE_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final Endpoint endpoint;
    private final OpenAiSettings settings;
    private final RequestSender sender;
    private final ResponseRouter router;
    /** The server's checks with their default limits: most bad requests get their 400 without a round trip. */
    private final RequestValidator validator = new RequestValidator(SchemasConfig.defaults());

    CompletionsHandler(Endpoint endpoint, OpenAiSettings settings, RequestSender sender, ResponseRouter router) {
        this.endpoint = endpoint;
        this.settings = settings;
        this.sender = sender;
        this.router = router;
    }

    /** Serves one exchange whose method, path and key were checked. */
    void serve(HttpExchange ex) throws IOException, InterruptedException {
        byte[] body = HttpExchanges.readBody(ex, settings.maxBodyBytes());
        CompletionRequest request = CompletionParser.parse(endpoint, body, settings.servedModel());
        String id = endpoint.idPrefix + HexFormat.of().formatHex(randomBytes());
        long now = System.currentTimeMillis();
        long deadline = now + settings.requestTimeout().toMillis();
        InferenceRequest laminar = request.toLaminar(id, deadline);
        if (validator.validate(laminar, WireFormat.AVRO) instanceof RequestDecodeResult.Rejected r) {
            throw ApiError.fromLaminar(r.code(), r.message());
        }
        CompletionJson json = new CompletionJson(endpoint, id, now / 1000, request.model());
        PendingRequest pending = router.open(id);
        try {
            sender.send(laminar, e -> pending.fail(ApiError.unavailable("Kafka did not take the request: "
                    + e.getMessage())));
            long waitUntil = System.nanoTime() + settings.requestTimeout().toNanos() + GRACE_NANOS;
            ex.getResponseHeaders().set("x-request-id", id);
            if (request.stream()) {
                stream(ex, request, json, pending, waitUntil);
            } else {
                whole(ex, json, pending, waitUntil);
            }
        } finally {
            router.close(pending);
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[16];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    /** The next arrival; past {@code waitUntil}, the request is cancelled and 504 thrown. */
    private Arrival next(PendingRequest pending, long waitUntil) throws InterruptedException {
        Arrival a = pending.next(Math.max(0, waitUntil - System.nanoTime()));
        if (a == null) {
            sender.cancel(pending.id());
            throw ApiError.timedOut(settings.requestTimeout().toSeconds());
        }
        if (a.failure() != null) {
            throw a.failure();
        }
        if (a.event().getError() != null) {
            throw ApiError.fromLaminar(a.event().getError().getCode(), a.event().getError().getMessage());
        }
        return a;
    }

    private void whole(HttpExchange ex, CompletionJson json, PendingRequest pending, long waitUntil)
            throws IOException, InterruptedException {
        StringBuilder text = new StringBuilder();
        while (true) {
            ResponseEvent e = next(pending, waitUntil).event();
            if (e.getToken() != null) {
                text.append(e.getToken().getText());
            } else if (e.getFinish() != null) {
                FinishEvent f = e.getFinish();
                HttpExchanges.sendJson(ex, 200, json.complete(text.toString(),
                        CompletionJson.finishReason(f.getFinishReason()), usage(f)));
                return;
            }
        }
    }

    private void stream(HttpExchange ex, CompletionRequest request, CompletionJson json, PendingRequest pending,
                        long waitUntil) throws IOException, InterruptedException {
        OutputStream out = null;
        boolean first = endpoint == Endpoint.CHAT;
        try {
            while (true) {
                ResponseEvent e;
                try {
                    e = next(pending, waitUntil).event();
                } catch (ApiError error) {
                    if (out == null) {
                        throw error;
                    }
                    // The status line is out: the error goes into the stream, as OpenAI's does.
                    event(out, error.json());
                    out.write(DONE);
                    out.flush();
                    return;
                }
                if (out == null) {
                    ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
                    ex.getResponseHeaders().set("Cache-Control", "no-cache");
                    ex.sendResponseHeaders(200, 0);
                    out = ex.getResponseBody();
                }
                if (e.getToken() != null) {
                    String text = e.getToken().getText();
                    // Text held back (part of a character, a possible stop string) comes with a later token.
                    if (first || !text.isEmpty()) {
                        event(out, json.chunk(text, null, first, request.includeUsage()));
                        first = false;
                    }
                } else if (e.getFinish() != null) {
                    FinishEvent f = e.getFinish();
                    if (first) {
                        event(out, json.chunk("", null, true, request.includeUsage()));
                    }
                    event(out, json.chunk(null, CompletionJson.finishReason(f.getFinishReason()), false,
                            request.includeUsage()));
                    if (request.includeUsage()) {
                        event(out, json.usageChunk(usage(f)));
                    }
                    out.write(DONE);
                    out.flush();
                    return;
                }
            }
        } catch (IOException gone) {
            // The client closed the connection: nobody reads the rest.
            sender.cancel(pending.id());
            LOG.debug("{}: client gone ({}), request cancelled", pending.id(), gone.toString());
            throw gone;
        }
    }

    /** One server-sent event, flushed so that it leaves now. */
    private static void event(OutputStream out, byte[] json) throws IOException {
        byte[] frame = new byte[DATA.length + json.length + END.length];
        System.arraycopy(DATA, 0, frame, 0, DATA.length);
        System.arraycopy(json, 0, frame, DATA.length, json.length);
        System.arraycopy(END, 0, frame, DATA.length + json.length, END.length);
        out.write(frame);
        out.flush();
    }

    private static CompletionJson.Usage usage(FinishEvent f) {
        return new CompletionJson.Usage(f.getUsage().getPromptTokens(), f.getUsage().getGeneratedTokens());
    }
}
