package io.laminar.app.http.openai;

import io.laminar.app.http.openai.CompletionRequest.Endpoint;
import io.laminar.schemas.InferenceRequest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What each OpenAI field becomes in Laminar's request, and what is refused by name. */
class CompletionParserTest {
    static CompletionRequest parse(Endpoint endpoint, String json) {
        return CompletionParser.parse(endpoint, json.getBytes(StandardCharsets.UTF_8), "m");
    }

    static ApiError refused(Endpoint endpoint, String json) {
        return assertThrows(ApiError.class, () -> parse(endpoint, json), json);
    }

    @Test
    void honouredFieldsMapOntoLaminarsRequest() {
        CompletionRequest r = parse(Endpoint.CHAT, """
                {"model": "m", "messages": [{"role": "developer", "content": "be brief"},
                  {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}],
                 "max_tokens": 5, "max_completion_tokens": 7, "temperature": 0.5, "top_p": 0.9, "stop": "x",
                 "seed": 12345678901, "n": 1, "stream": true, "stream_options": {"include_usage": true},
                 "metadata": {"k": "v"}, "user": "u1", "top_k": 3, "presence_penalty": 0, "tools": [],
                 "response_format": {"type": "text"}, "logprobs": false, "frequency_penalty": null}""");
        InferenceRequest l = r.toLaminar("id1", 99L);
        assertEquals("system", l.getMessages().get(0).getRole());
        assertEquals("a\\nb", l.getMessages().get(1).getContent().replace("\n", "\\n"));
        assertEquals(7, l.getMaxTokens(), "max_completion_tokens wins");
        assertEquals(0.5f, l.getTemperature());
        assertEquals(0.9f, l.getTopP());
        assertEquals(3, l.getTopK());
        assertEquals(0f, l.getMinP());
        assertEquals(1f, l.getRepeatPenalty());
        assertEquals(List.of("x"), l.getStop());
        assertEquals(12345678901L, l.getSeed());
        assertEquals(Map.of("k", "v", "user", "u1"), l.getMetadata());
        assertEquals(99L, l.getDeadlineEpochMs());
        assertTrue(r.stream() && r.includeUsage());
    }

    @Test
    void absentFieldsTakeOpenAisDefaults() {
        InferenceRequest text = parse(Endpoint.TEXT, "{\"model\": \"m\", \"prompt\": [\"p\"]}").toLaminar("i", 1);
        assertEquals("p", text.getPrompt());
        assertEquals(16, text.getMaxTokens());
        assertEquals(1f, text.getTemperature());
        assertEquals(1f, text.getTopP());
        assertEquals(0, text.getTopK());
        InferenceRequest chat = parse(Endpoint.CHAT, "{\"model\": \"m\", \"messages\": [{\"role\": \"user\","
                + " \"content\": \"p\"}]}").toLaminar("i", 1);
        assertNull(chat.getMaxTokens(), "a chat without max_tokens gets the server's default");
    }

    @Test
    void fieldsLaminarCannotHonourAreRefusedByName() {
        String chat = "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"p\"}], ";
        for (String[] c : new String[][] {{"presence_penalty", "0.5"}, {"logprobs", "true"}, {"n", "2"},
                {"tools", "[{\"type\": \"function\"}]"}, {"response_format", "{\"type\": \"json_object\"}"},
                {"store", "true"}, {"audio", "{}"}, {"stream_options", "{\"include_usage\": true}"}}) {
            ApiError e = refused(Endpoint.CHAT, chat + "\"" + c[0] + "\": " + c[1] + "}");
            assertEquals(400, e.status());
            assertEquals(c[0], e.param(), e.getMessage());
        }
        assertEquals("messages[0].name", refused(Endpoint.CHAT, "{\"model\": \"m\", \"messages\": [{\"role\":"
                + " \"user\", \"content\": \"p\", \"name\": \"bob\"}]}").param());
        assertEquals("messages[0].role", refused(Endpoint.CHAT, "{\"model\": \"m\", \"messages\": [{\"role\":"
                + " \"tool\", \"content\": \"p\"}]}").param());
        assertEquals("echo", refused(Endpoint.TEXT, "{\"model\": \"m\", \"prompt\": \"p\", \"echo\": true}").param());
        assertEquals("prompt", refused(Endpoint.TEXT, "{\"model\": \"m\", \"prompt\": [1, 2]}").param());
        ApiError unknown = refused(Endpoint.TEXT, "{\"model\": \"m\", \"prompt\": \"p\", \"messages\": []}");
        assertEquals("unknown_parameter", unknown.code(), "chat fields are unknown to completions");
        assertEquals(404, refused(Endpoint.TEXT, "{\"model\": \"other\", \"prompt\": \"p\"}").status());
        assertEquals("invalid_type", refused(Endpoint.TEXT, "{\"model\": \"m\", \"prompt\": \"p\", \"seed\": 1.5}")
                .code());
        assertEquals(400, refused(Endpoint.TEXT, "{\"model\": \"m\", \"prompt\": \"p\"} trailing").status());
    }
}
