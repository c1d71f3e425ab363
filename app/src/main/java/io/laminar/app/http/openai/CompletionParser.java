package io.laminar.app.http.openai;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import io.laminar.app.http.openai.CompletionRequest.Endpoint;
import io.laminar.schemas.ChatMessage;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Reads an OpenAI completion request body into a {@link CompletionRequest}, or throws the
 * {@link ApiError} OpenAI would answer. Fields fall in four groups:
 *
 * <ul>
 * <li>honoured: mapped onto Laminar's request (messages or prompt, temperature, top_p, max_tokens
 *     and max_completion_tokens, stop, seed, metadata, user...);
 * <li>OpenAI's fields Laminar cannot honour: refused by name, unless they hold the value that
 *     means "off" (presence_penalty 0, logprobs false, tools [], n 1...), which changes nothing;
 * <li>Laminar's own sampling fields, an extension as vLLM and llama.cpp's server have: top_k,
 *     min_p, repeat_penalty, repeat_last_n;
 * <li>anything else: refused as unrecognized, as OpenAI's API does, so that a misspelt field is
 *     never silently ignored.
 * </ul>
 *
 * <p>JSON {@code null} means absent for every optional field, as in OpenAI's API. Values that are
 * not OpenAI's defaults when absent: temperature 1 and top_p 1 (OpenAI's), and Laminar's own
 * filters off (top_k 0, min_p 0, repeat_penalty 1), so a request samples as it would at OpenAI.
 */
final class CompletionParser {
    /** OpenAI's defaults for the sampling fields it has. */
    static final float DEFAULT_TEMPERATURE = 1f;
    static final float DEFAULT_TOP_P = 1f;
    /** OpenAI's default for /v1/completions; a chat without max_tokens gets the server's default. */
    static final int DEFAULT_COMPLETION_MAX_TOKENS = 16;
    /** OpenAI's upper bound on temperature. */
    static final float MAX_TEMPERATURE = 2f;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private static final Set<String> COMMON = Set.of("model", "stream", "stream_options", "temperature", "top_p",
            "max_tokens", "stop", "seed", "n", "user", "top_k", "min_p", "repeat_penalty", "repeat_last_n", "inspect");
    private static final Set<String> CHAT_ONLY = Set.of("messages", "max_completion_tokens", "metadata",
            "safety_identifier", "prompt_cache_key", "prompt_cache_retention");
    private static final Set<String> TEXT_ONLY = Set.of("prompt");

    private static final Predicate<JsonNode> ZERO = n -> n.isNumber() && n.doubleValue() == 0;
    private static final Predicate<JsonNode> FALSE = n -> n.isBoolean() && !n.booleanValue();
    private static final Predicate<JsonNode> EMPTY = n -> n.isContainerNode() && n.isEmpty();
    private static final Predicate<JsonNode> NONE = n -> n.isTextual() && n.textValue().equals("none");
    private static final Predicate<JsonNode> NEVER = n -> false;

    /** OpenAI's chat fields Laminar cannot honour, each with what it accepts as "off", and why. */
    private static final Map<String, Refused> CHAT_REFUSED = refused(
            new Refused("audio", NEVER, "no audio output"),
            new Refused("frequency_penalty", ZERO, "use repeat_penalty"),
            new Refused("presence_penalty", ZERO, "use repeat_penalty"),
            new Refused("function_call", NONE, "no function calling"),
            new Refused("functions", EMPTY, "no function calling"),
            new Refused("logit_bias", EMPTY, "no logit bias"),
            new Refused("logprobs", FALSE, "log probabilities are not returned"),
            new Refused("top_logprobs", ZERO, "log probabilities are not returned"),
            new Refused("modalities", n -> n.isArray() && n.size() == 1 && "text".equals(n.get(0).asText()),
                    "text is the only modality"),
            new Refused("parallel_tool_calls", JsonNode::isBoolean, "no tool calling"),
            new Refused("prediction", NEVER, "no predicted outputs"),
            new Refused("reasoning_effort", NEVER, "no reasoning controls"),
            new Refused("response_format", n -> n.isObject() && n.size() == 1 && "text".equals(n.path("type").asText()),
                    "no structured output; only {\"type\": \"text\"}"),
            new Refused("service_tier", n -> n.isTextual() && Set.of("auto", "default").contains(n.textValue()),
                    "one service tier: auto (or default)"),
            new Refused("store", FALSE, "completions are not stored"),
            new Refused("tool_choice", NONE, "no tool calling"),
            new Refused("tools", EMPTY, "no tool calling"),
            new Refused("verbosity", NEVER, "no verbosity control"),
            new Refused("web_search_options", NEVER, "no web search"));

    /** OpenAI's legacy completion fields Laminar cannot honour. */
    private static final Map<String, Refused> TEXT_REFUSED = refused(
            new Refused("best_of", n -> n.isIntegralNumber() && n.longValue() == 1, "one completion per request"),
            new Refused("echo", FALSE, "the prompt is not echoed"),
            new Refused("frequency_penalty", ZERO, "use repeat_penalty"),
            new Refused("presence_penalty", ZERO, "use repeat_penalty"),
            new Refused("logit_bias", EMPTY, "no logit bias"),
            new Refused("logprobs", NEVER, "log probabilities are not returned"),
            new Refused("suffix", n -> n.isTextual() && n.textValue().isEmpty(), "no insertion (suffix)"));

    /** Message fields Laminar cannot honour. */
    private static final Map<String, Refused> MESSAGE_REFUSED = refused(
            new Refused("name", NEVER, "participant names are not passed to the chat template"),
            new Refused("tool_calls", EMPTY, "no tool calling"),
            new Refused("tool_call_id", NEVER, "no tool calling"),
            new Refused("function_call", NEVER, "no function calling"),
            new Refused("audio", NEVER, "no audio"),
            new Refused("refusal", NEVER, "no refusals in prompts"));

    private record Refused(String field, Predicate<JsonNode> off, String why) {
    }

    private static Map<String, Refused> refused(Refused... fields) {
        Map<String, Refused> map = new HashMap<>();
        for (Refused r : fields) {
            map.put(r.field(), r);
        }
        return map;
    }

    private CompletionParser() {
    }

    /**
     * @param servedModel the one model name this door answers to
     * @throws ApiError 400 for malformed JSON, wrong types, refused or unknown fields and bad
     *                  values; 404 when {@code model} names another model
     */
    static CompletionRequest parse(Endpoint endpoint, byte[] body, String servedModel) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiError.invalid("We could not parse the JSON body of your request: " + e.getOriginalMessage(), null);
        } catch (IOException e) {
            throw ApiError.invalid("We could not parse the JSON body of your request: " + e.getMessage(), null);
        }
        if (root == null || !root.isObject()) {
            throw ApiError.invalid("The request body must be a JSON object.", null);
        }
        String model = requiredText(root, "model");
        if (!model.equals(servedModel)) {
            throw ApiError.modelNotFound(model);
        }
        boolean chat = endpoint == Endpoint.CHAT;
        Map<String, Refused> refused = chat ? CHAT_REFUSED : TEXT_REFUSED;
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            JsonNode value = field.getValue();
            Refused r = refused.get(name);
            if (r != null) {
                if (!value.isNull() && !r.off().test(value)) {
                    throw ApiError.unsupported(name, r.why());
                }
            } else if (!COMMON.contains(name) && !(chat ? CHAT_ONLY : TEXT_ONLY).contains(name)) {
                throw new ApiError(400, ApiError.INVALID_REQUEST, "Unrecognized request argument supplied: " + name,
                        name, "unknown_parameter");
            }
        }
        Integer n = integer(root, "n");
        if (n != null && n != 1) {
            throw ApiError.unsupported("n", "one choice per request (n=1); send " + n + " requests instead");
        }
        boolean stream = bool(root, "stream", false);
        boolean includeUsage = streamOptions(root, stream);
        String prompt = chat ? null : prompt(root);
        List<ChatMessage> messages = chat ? messages(root) : null;
        Integer maxTokens = integer(root, "max_tokens");
        if (chat && present(root, "max_completion_tokens")) {
            // The newer name wins: OpenAI deprecated max_tokens in its favour.
            maxTokens = integer(root, "max_completion_tokens");
        }
        if (!chat && maxTokens == null) {
            maxTokens = DEFAULT_COMPLETION_MAX_TOKENS;
        }
        if (maxTokens != null && maxTokens < 1) {
            throw invalidValue(chat && present(root, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens",
                    "must be at least 1");
        }
        float temperature = number(root, "temperature", DEFAULT_TEMPERATURE);
        if (!(temperature >= 0 && temperature <= MAX_TEMPERATURE)) {
            throw invalidValue("temperature", "must be between 0 and " + (int) MAX_TEMPERATURE);
        }
        float topP = number(root, "top_p", DEFAULT_TOP_P);
        if (!(topP > 0 && topP <= 1)) {
            throw invalidValue("top_p", "must be greater than 0 and at most 1");
        }
        Integer topK = integer(root, "top_k");
        float minP = number(root, "min_p", 0f);
        float repeatPenalty = number(root, "repeat_penalty", 1f);
        return new CompletionRequest(endpoint, model, stream, includeUsage, prompt, messages, maxTokens, temperature,
                topP, topK == null ? 0 : topK, minP, repeatPenalty, integer(root, "repeat_last_n"),
                longValue(root, "seed"), stop(root), metadata(root, chat), bool(root, "inspect", false));
    }

    private static boolean streamOptions(JsonNode root, boolean stream) {
        JsonNode options = root.get("stream_options");
        if (options == null || options.isNull()) {
            return false;
        }
        if (!options.isObject()) {
            throw invalidType("stream_options", "an object", options);
        }
        if (!stream) {
            throw ApiError.invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                    "stream_options");
        }
        boolean includeUsage = false;
        for (Iterator<Map.Entry<String, JsonNode>> it = options.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String param = "stream_options." + f.getKey();
            switch (f.getKey()) {
                case "include_usage" -> includeUsage = bool(options, "include_usage", false, param);
                case "include_obfuscation" -> {
                    if (bool(options, "include_obfuscation", false, param)) {
                        throw ApiError.unsupported(param, "chunks are not padded");
                    }
                }
                default -> throw new ApiError(400, ApiError.INVALID_REQUEST,
                        "Unrecognized request argument supplied: " + param, param, "unknown_parameter");
            }
        }
        return includeUsage;
    }

    private static String prompt(JsonNode root) {
        JsonNode p = root.get("prompt");
        if (p == null || p.isNull()) {
            throw ApiError.invalid("Missing required parameter: 'prompt'.", "prompt");
        }
        if (p.isTextual()) {
            return p.textValue();
        }
        if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
            return p.get(0).textValue();
        }
        if (p.isArray()) {
            throw ApiError.unsupported("prompt", "one prompt per request, as a string (not " + p.size()
                    + " items, nor token ids)");
        }
        throw invalidType("prompt", "a string", p);
    }

    private static List<ChatMessage> messages(JsonNode root) {
        JsonNode list = root.get("messages");
        if (list == null || list.isNull()) {
            throw ApiError.invalid("Missing required parameter: 'messages'.", "messages");
        }
        if (!list.isArray()) {
            throw invalidType("messages", "an array", list);
        }
        if (list.isEmpty()) {
            throw invalidValue("messages", "must hold at least one message");
        }
        List<ChatMessage> messages = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            messages.add(message(list.get(i), "messages[" + i + "]"));
        }
        return messages;
    }

    private static ChatMessage message(JsonNode m, String at) {
        if (!m.isObject()) {
            throw invalidType(at, "an object", m);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String param = at + "." + f.getKey();
            Refused r = MESSAGE_REFUSED.get(f.getKey());
            if (r != null) {
                if (!f.getValue().isNull() && !r.off().test(f.getValue())) {
                    throw ApiError.unsupported(param, r.why());
                }
            } else if (!f.getKey().equals("role") && !f.getKey().equals("content")) {
                throw new ApiError(400, ApiError.INVALID_REQUEST, "Unrecognized request argument supplied: " + param,
                        param, "unknown_parameter");
            }
        }
        String role = requiredText(m, "role", at + ".role");
        role = switch (role) {
            case "system", "user", "assistant" -> role;
            // OpenAI's newer name for the system prompt; chat templates know only "system".
            case "developer" -> "system";
            case "tool", "function" -> throw ApiError.unsupported(at + ".role", "no tool calling");
            default -> throw invalidValue(at + ".role", "must be one of system, developer, user, assistant");
        };
        JsonNode content = m.get("content");
        if (content == null || content.isNull()) {
            throw ApiError.invalid("Missing required parameter: '" + at + ".content'.", at + ".content");
        }
        return new ChatMessage(role, content(content, at + ".content"));
    }

    /** A string, or text parts joined by newlines (as vLLM joins them). */
    private static String content(JsonNode content, String at) {
        if (content.isTextual()) {
            return content.textValue();
        }
        if (!content.isArray()) {
            throw invalidType(at, "a string or an array of content parts", content);
        }
        StringBuilder text = new StringBuilder();
        for (int j = 0; j < content.size(); j++) {
            JsonNode part = content.get(j);
            String partAt = at + "[" + j + "]";
            if (!part.isObject()) {
                throw invalidType(partAt, "an object", part);
            }
            String type = requiredText(part, "type", partAt + ".type");
            if (!type.equals("text")) {
                throw ApiError.unsupported(partAt + ".type", "only text parts, not " + type);
            }
            if (j > 0) {
                text.append('\n');
            }
            text.append(requiredText(part, "text", partAt + ".text"));
        }
        return text.toString();
    }

    private static List<String> stop(JsonNode root) {
        JsonNode stop = root.get("stop");
        if (stop == null || stop.isNull()) {
            return List.of();
        }
        if (stop.isTextual()) {
            return List.of(stop.textValue());
        }
        if (!stop.isArray()) {
            throw invalidType("stop", "a string or an array of strings", stop);
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < stop.size(); i++) {
            if (!stop.get(i).isTextual()) {
                throw invalidType("stop[" + i + "]", "a string", stop.get(i));
            }
            out.add(stop.get(i).textValue());
        }
        return out;
    }

    /** OpenAI's metadata (string values), and the caller's identifiers, echoed on Laminar's events. */
    private static Map<String, String> metadata(JsonNode root, boolean chat) {
        Map<String, String> out = new LinkedHashMap<>();
        JsonNode metadata = chat ? root.get("metadata") : null;
        if (metadata != null && !metadata.isNull()) {
            if (!metadata.isObject()) {
                throw invalidType("metadata", "an object", metadata);
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = metadata.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                if (!f.getValue().isTextual()) {
                    throw invalidType("metadata." + f.getKey(), "a string", f.getValue());
                }
                out.put(f.getKey(), f.getValue().textValue());
            }
        }
        for (String id : List.of("user", "safety_identifier")) {
            JsonNode v = root.get(id);
            if (v != null && !v.isNull()) {
                if (!v.isTextual()) {
                    throw invalidType(id, "a string", v);
                }
                out.putIfAbsent(id, v.textValue());
            }
        }
        for (String hint : List.of("prompt_cache_key", "prompt_cache_retention")) {
            JsonNode v = root.get(hint);
            if (v != null && !v.isNull() && !v.isTextual()) {
                throw invalidType(hint, "a string", v);
            }
        }
        return out;
    }

    // ---- typed reads --------------------------------------------------------------------------

    private static boolean present(JsonNode o, String field) {
        JsonNode v = o.get(field);
        return v != null && !v.isNull();
    }

    private static String requiredText(JsonNode o, String field) {
        return requiredText(o, field, field);
    }

    private static String requiredText(JsonNode o, String field, String param) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            throw ApiError.invalid("Missing required parameter: '" + param + "'.", param);
        }
        if (!v.isTextual()) {
            throw invalidType(param, "a string", v);
        }
        return v.textValue();
    }

    private static boolean bool(JsonNode o, String field, boolean absent) {
        return bool(o, field, absent, field);
    }

    private static boolean bool(JsonNode o, String field, boolean absent, String param) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return absent;
        }
        if (!v.isBoolean()) {
            throw invalidType(param, "a boolean", v);
        }
        return v.booleanValue();
    }

    private static float number(JsonNode o, String field, float absent) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return absent;
        }
        if (!v.isNumber()) {
            throw invalidType(field, "a number", v);
        }
        float f = v.floatValue();
        if (!Float.isFinite(f)) {
            throw invalidValue(field, "must be a finite number");
        }
        return f;
    }

    private static Integer integer(JsonNode o, String field) {
        Long v = longValue(o, field);
        if (v == null) {
            return null;
        }
        if (v != v.intValue()) {
            throw invalidValue(field, "is out of range");
        }
        return v.intValue();
    }

    private static Long longValue(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber()) {
            throw invalidType(field, "an integer", v);
        }
        if (!v.canConvertToLong()) {
            throw invalidValue(field, "is out of range");
        }
        return v.longValue();
    }

    private static ApiError invalidType(String param, String expected, JsonNode got) {
        return new ApiError(400, ApiError.INVALID_REQUEST, "Invalid type for '" + param + "': expected " + expected
                + ", but got " + typeName(got) + " instead.", param, "invalid_type");
    }

    private static ApiError invalidValue(String param, String problem) {
        return new ApiError(400, ApiError.INVALID_REQUEST, "Invalid value for '" + param + "': " + problem + ".",
                param, "invalid_value");
    }

    private static String typeName(JsonNode v) {
        JsonNodeType t = v.getNodeType();
        return switch (t) {
            case STRING -> "a string";
            case NUMBER -> v.isIntegralNumber() ? "an integer" : "a decimal";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT, POJO -> "an object";
            case NULL, MISSING -> "null";
            case BINARY -> "binary data";
        };
    }
}
