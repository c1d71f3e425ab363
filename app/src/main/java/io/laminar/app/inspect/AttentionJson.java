package io.laminar.app.inspect;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.laminar.actors.inspect.Inspection;
import io.laminar.model.inspect.TopTokens;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * An {@link Inspection} as JSON, the one shape {@code GET /v1/laminar/attention/{id}}, the dashboard
 * and {@code laminar generate --attention} share (docs/dashboard.md describes it):
 * {@code attention[layer][head][query]} is the row of weights over key positions {@code 0..query},
 * or null where a stage has not reported it (yet). Streamed, since a long request's weights run to
 * megabytes.
 */
public final class AttentionJson {
    private static final JsonFactory JSON = new JsonFactory();

    private AttentionJson() {
    }

    /**
     * @param tokenText the text of a token id, as the tokenizer shows it alone; null leaves texts out
     */
    public static void write(Inspection inspection, IntFunction<String> tokenText, OutputStream out) throws IOException {
        try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("request_id", inspection.requestId());
            g.writeNumberField("layers", inspection.layers());
            g.writeNumberField("heads", inspection.heads());
            g.writeNumberField("prompt_tokens", inspection.promptTokens());
            g.writeBooleanField("finished", inspection.finished());
            g.writeBooleanField("truncated", inspection.truncated());
            g.writeNumberField("revision", inspection.revision());
            int tokens = inspection.tokenCount();
            g.writeArrayFieldStart("tokens");
            for (int p = 0; p < tokens; p++) {
                g.writeStartObject();
                g.writeNumberField("position", p);
                g.writeNumberField("id", inspection.token(p));
                if (tokenText != null && inspection.token(p) >= 0) {
                    g.writeStringField("text", tokenText.apply(inspection.token(p)));
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("attention");
            for (int l = 0; l < inspection.layers(); l++) {
                g.writeStartArray();
                for (int h = 0; h < inspection.heads(); h++) {
                    g.writeStartArray();
                    int queries = lastQuery(inspection, l, h, tokens) + 1;
                    for (int q = 0; q < queries; q++) {
                        float[] row = inspection.row(l, h, q);
                        if (row == null) {
                            g.writeNull();
                        } else {
                            g.writeStartArray();
                            for (float w : row) {
                                g.writeNumber(w);
                            }
                            g.writeEndArray();
                        }
                    }
                    g.writeEndArray();
                }
                g.writeEndArray();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("top");
            for (Map.Entry<Integer, TopTokens> e : inspection.top().entrySet()) {
                TopTokens t = e.getValue();
                g.writeStartObject();
                g.writeNumberField("position", t.position());
                g.writeNumberField("chosen", inspection.chosen(t.position()));
                g.writeArrayFieldStart("candidates");
                for (int i = 0; i < t.tokens().length; i++) {
                    g.writeStartObject();
                    g.writeNumberField("id", t.tokens()[i]);
                    if (tokenText != null) {
                        g.writeStringField("text", tokenText.apply(t.tokens()[i]));
                    }
                    g.writeNumberField("p", t.probabilities()[i]);
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
    }

    /** The highest query position with a row at this layer and head, or -1. */
    private static int lastQuery(Inspection inspection, int layer, int head, int limit) {
        for (int q = limit - 1; q >= 0; q--) {
            if (inspection.row(layer, head, q) != null) {
                return q;
            }
        }
        return -1;
    }
}
