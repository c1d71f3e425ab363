package io.laminar.app.http.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.laminar.actors.inspect.AttentionStore;
import io.laminar.actors.inspect.Inspection;
import io.laminar.app.http.openai.ApiError;
import io.laminar.app.http.openai.ApiKeys;
import io.laminar.app.http.openai.HttpExchanges;
import io.laminar.app.inspect.AttentionJson;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.function.IntFunction;

/**
 * {@code GET /v1/laminar/attention}: the inspected requests this process keeps, newest last;
 * {@code GET /v1/laminar/attention/{request_id}}: one of them as {@link AttentionJson} (docs/dashboard.md),
 * while it runs too (rows not reported yet are null), or a 404 error for an id it does not keep.
 */
public final class AttentionRoute extends LaminarRoute {
    public static final String PATH = "/v1/laminar/attention";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AttentionStore store;
    private final IntFunction<String> tokenText;

    /** @param tokenText the text of a token id alone, as the tokenizer shows it */
    public AttentionRoute(AttentionStore store, IntFunction<String> tokenText, ApiKeys keys) {
        super(keys);
        this.store = store;
        this.tokenText = tokenText;
    }

    @Override
    void get(HttpExchange ex, String path) throws IOException {
        if (path.equals(PATH)) {
            ObjectNode body = JSON.createObjectNode().put("object", "list");
            ArrayNode data = body.putArray("data");
            for (Inspection i : store.recent()) {
                data.addObject().put("request_id", i.requestId()).put("finished", i.finished())
                        .put("tokens", i.tokenCount()).put("prompt_tokens", i.promptTokens())
                        .put("revision", i.revision());
            }
            HttpExchanges.sendJson(ex, 200, JSON.writeValueAsBytes(body));
            return;
        }
        if (!path.startsWith(PATH + "/")) {
            throw ApiError.notFound(ex.getRequestMethod(), path);
        }
        String id = path.substring(PATH.length() + 1); // the URI's path comes percent-decoded
        Inspection inspection = store.find(id).orElseThrow(() -> ApiError.notFound("No inspected request '" + id
                + "' is kept here: it was not marked with inspect, ran on another gateway, or was dropped for newer ones.",
                "request_id", "request_not_found"));
        ByteArrayOutputStream body = new ByteArrayOutputStream(64 * 1024);
        AttentionJson.write(inspection, tokenText, body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, body.size());
        try (OutputStream out = ex.getResponseBody()) {
            body.writeTo(out);
        }
    }
}
