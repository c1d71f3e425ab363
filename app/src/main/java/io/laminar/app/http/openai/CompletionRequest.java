package io.laminar.app.http.openai;

import io.laminar.schemas.ChatMessage;
import io.laminar.schemas.InferenceRequest;

import java.util.List;
import java.util.Map;

/**
 * An OpenAI completion request as the door understood it: what Laminar's request gets, and how the
 * answer is to be shaped ({@link CompletionParser} reads one from the body).
 *
 * @param endpoint     which API was called: the answer's object names follow it
 * @param model        the model asked for, as given
 * @param stream       answer with server-sent events, one chunk per token
 * @param includeUsage streaming: add the usage chunk before {@code [DONE]}
 * @param prompt       the completion's prompt; null for a chat
 * @param messages     the chat's messages; null for a completion
 * @param maxTokens    null: the server's default
 * @param inspect      Laminar's own field: capture the request's attention weights (docs/dashboard.md)
 */
record CompletionRequest(Endpoint endpoint, String model, boolean stream, boolean includeUsage, String prompt,
                         List<ChatMessage> messages, Integer maxTokens, float temperature, float topP, int topK,
                         float minP, float repeatPenalty, Integer repeatLastN, Long seed, List<String> stop,
                         Map<String, String> metadata, boolean inspect) {

    /** The two OpenAI APIs that generate text. */
    enum Endpoint {
        /** {@code /v1/chat/completions}: messages in, {@code chat.completion} objects out. */
        CHAT("chatcmpl-", "chat.completion", "chat.completion.chunk"),
        /** {@code /v1/completions}: a prompt in, {@code text_completion} objects out. */
        TEXT("cmpl-", "text_completion", "text_completion");

        final String idPrefix;
        final String object;
        final String chunkObject;

        Endpoint(String idPrefix, String object, String chunkObject) {
            this.idPrefix = idPrefix;
            this.object = object;
            this.chunkObject = chunkObject;
        }
    }

    /**
     * Laminar's request: {@code id} is both its request id (the Kafka key of its events) and the
     * OpenAI response's {@code id}, so one name follows it through both worlds.
     *
     * @param deadlineEpochMs after this the server stops it (DEADLINE); a server that reads it only
     *                        later, after a backlog, drops it at once
     */
    InferenceRequest toLaminar(String id, long deadlineEpochMs) {
        return InferenceRequest.newBuilder()
                .setRequestId(id)
                .setPrompt(prompt)
                .setMessages(messages)
                .setMaxTokens(maxTokens)
                .setTemperature(temperature)
                .setTopP(topP)
                .setTopK(topK)
                .setMinP(minP)
                .setRepeatPenalty(repeatPenalty)
                .setRepeatLastN(repeatLastN)
                .setSeed(seed)
                .setStop(stop)
                .setMetadata(metadata)
                .setInspect(inspect ? Boolean.TRUE : null)
                .setDeadlineEpochMs(deadlineEpochMs)
                .build();
    }
}
