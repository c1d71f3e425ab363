package io.laminar.app.http.openai;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.laminar.app.http.openai.CompletionRequest.Endpoint;
import io.laminar.schemas.FinishReason;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The bodies the door answers with, in the shapes of OpenAI's API reference: {@code chat.completion}
 * and its {@code chat.completion.chunk}s, {@code text_completion} (whole and streamed), the usage
 * object, and the model objects of {@code /v1/models}. Written field by field with Jackson's
 * streaming generator: a chunk per token is the door's hot path.
 *
 * @param endpoint which API the answer is for
 * @param id       the completion's id (also Laminar's request id)
 * @param created  Unix seconds when the request arrived, the same on every chunk
 * @param model    the model's name as served
 */
record CompletionJson(Endpoint endpoint, String id, long created, String model) {
    private static final JsonFactory FACTORY = new JsonFactory();

    /** Token counts, as a FINISH event gives them. */
    record Usage(int promptTokens, int completionTokens) {
    }

    /** OpenAI's finish_reason for Laminar's: a limit that cut the text short is "length". */
    static String finishReason(FinishReason reason) {
        return switch (reason) {
            case STOP, STOP_STRING, UNRECOGNIZED -> "stop";
            case LENGTH, CONTEXT, DEADLINE, CANCELLED -> "length";
        };
    }

    /**
     * One streamed chunk: text (may be null for none), and on the last one its finish reason.
     *
     * @param first       a chat's first chunk names the role
     * @param usageField  with {@code stream_options.include_usage}: every chunk but the usage one has {@code "usage": null}
     */
    byte[] chunk(String text, String finishReason, boolean first, boolean usageField) {
        return write(g -> {
            oneChoice(g, endpoint.chunkObject, finishReason, c -> {
                if (endpoint == Endpoint.CHAT) {
                    c.writeObjectFieldStart("delta");
                    if (first) {
                        c.writeStringField("role", "assistant");
                    }
                    if (text != null) {
                        c.writeStringField("content", text);
                    }
                    c.writeEndObject();
                } else {
                    c.writeStringField("text", text == null ? "" : text);
                }
            });
            if (usageField) {
                g.writeNullField("usage");
            }
        });
    }

    /** The chunk before {@code [DONE]} that {@code include_usage} asks for: no choices, the usage. */
    byte[] usageChunk(Usage usage) {
        return write(g -> {
            head(g, endpoint.chunkObject);
            g.writeArrayFieldStart("choices");
            g.writeEndArray();
            usage(g, usage);
        });
    }

    /** The whole answer of a request that did not stream. */
    byte[] complete(String text, String finishReason, Usage usage) {
        return write(g -> {
            oneChoice(g, endpoint.object, finishReason, c -> {
                if (endpoint == Endpoint.CHAT) {
                    c.writeObjectFieldStart("message");
                    c.writeStringField("role", "assistant");
                    c.writeStringField("content", text);
                    c.writeNullField("refusal");
                    c.writeEndObject();
                } else {
                    c.writeStringField("text", text);
                }
            });
            usage(g, usage);
        });
    }

    /** A model object of {@code /v1/models}. */
    static byte[] modelObject(String model, long created) {
        return write(g -> model(g, model, created));
    }

    /** The list {@code GET /v1/models} answers: the one model this door serves. */
    static byte[] modelList(String model, long created) {
        return write(g -> {
            g.writeStringField("object", "list");
            g.writeArrayFieldStart("data");
            g.writeStartObject();
            model(g, model, created);
            g.writeEndObject();
            g.writeEndArray();
        });
    }

    private static void model(JsonGenerator g, String model, long created) throws IOException {
        g.writeStringField("id", model);
        g.writeStringField("object", "model");
        g.writeNumberField("created", created);
        g.writeStringField("owned_by", "laminar");
    }

    private void head(JsonGenerator g, String object) throws IOException {
        g.writeStringField("id", id);
        g.writeStringField("object", object);
        g.writeNumberField("created", created);
        g.writeStringField("model", model);
        g.writeNullField("system_fingerprint");
    }

    /** The head of an answer whose {@code choices} hold one choice, with what {@code content} writes in it. */
    private void oneChoice(JsonGenerator g, String object, String finishReason, Fields content) throws IOException {
        head(g, object);
        g.writeArrayFieldStart("choices");
        g.writeStartObject();
        g.writeNumberField("index", 0);
        content.write(g);
        g.writeNullField("logprobs");
        g.writeStringField("finish_reason", finishReason);
        g.writeEndObject();
        g.writeEndArray();
    }

    private static void usage(JsonGenerator g, Usage usage) throws IOException {
        g.writeObjectFieldStart("usage");
        g.writeNumberField("prompt_tokens", usage.promptTokens());
        g.writeNumberField("completion_tokens", usage.completionTokens());
        g.writeNumberField("total_tokens", usage.promptTokens() + usage.completionTokens());
        g.writeEndObject();
    }

    private interface Fields {
        void write(JsonGenerator g) throws IOException;
    }

    /** One JSON object holding what {@code fields} writes. */
    private static byte[] write(Fields fields) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartObject();
            fields.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
