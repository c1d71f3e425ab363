package io.laminar.schemas.codec;

import io.laminar.schemas.ChatMessage;
import io.laminar.schemas.ErrorCode;
import io.laminar.schemas.InferenceRequest;
import java.util.List;
import java.util.Map;

/**
 * The checks a decoded request must pass, each mapped to a stable error code (docs/schemas.md,
 * "Validation"). The first failing check is reported; the order is: id, prompt, sampling, stop
 * strings, deadline, metadata.
 */
public final class RequestValidator {

    /** Longest request id, in UTF-16 chars; part of the contract, not a setting. */
    public static final int MAX_REQUEST_ID_CHARS = 256;
    /** Longest chat role name. */
    public static final int MAX_ROLE_CHARS = 32;

    private final SchemasConfig config;

    public RequestValidator(SchemasConfig config) {
        this.config = config;
    }

    /** Accepted when the request passes every check, else the first failure. */
    public RequestDecodeResult validate(InferenceRequest request, WireFormat format) {
        String id = request.getRequestId();
        Map<String, String> metadata = request.getMetadata();
        if (id == null || id.isEmpty()) {
            return new RequestDecodeResult.Rejected(ErrorCode.INVALID_REQUEST, "request_id is missing or empty",
                    null, metadata);
        }
        String problem = idProblem(id);
        if (problem != null) {
            return new RequestDecodeResult.Rejected(ErrorCode.INVALID_REQUEST, problem, null, metadata);
        }
        Problem found = promptProblem(request);
        if (found == null) {
            found = Problem.of(ErrorCode.INVALID_SAMPLING, samplingProblem(request));
        }
        if (found == null) {
            found = Problem.of(ErrorCode.INVALID_REQUEST, otherProblem(request));
        }
        if (found != null) {
            return new RequestDecodeResult.Rejected(found.code(), found.message(), id, metadata);
        }
        return new RequestDecodeResult.Accepted(request, format);
    }

    private record Problem(ErrorCode code, String message) {
        /** The problem, or null when there is no message (no problem). */
        static Problem of(ErrorCode code, String message) {
            return message == null ? null : new Problem(code, message);
        }
    }

    /** Why a string cannot be a request id, or null if it can (a usable Kafka key, sans control chars). */
    static String idProblem(String id) {
        if (id.length() > MAX_REQUEST_ID_CHARS) {
            return "request_id is " + id.length() + " chars long, more than " + MAX_REQUEST_ID_CHARS;
        }
        for (int i = 0; i < id.length(); i++) {
            if (Character.isISOControl(id.charAt(i))) {
                return "request_id contains a control character at index " + i;
            }
        }
        return null;
    }

    private Problem promptProblem(InferenceRequest request) {
        String prompt = request.getPrompt();
        List<ChatMessage> messages = request.getMessages();
        if (prompt != null && messages != null) {
            return new Problem(ErrorCode.INVALID_REQUEST, "prompt and messages are both set; send exactly one");
        }
        if (prompt == null && messages == null) {
            return new Problem(ErrorCode.EMPTY_PROMPT, "neither prompt nor messages is set");
        }
        if (prompt != null) {
            if (prompt.isEmpty()) {
                return new Problem(ErrorCode.EMPTY_PROMPT, "prompt is empty");
            }
            if (prompt.length() > config.requestMaxPromptChars()) {
                return new Problem(ErrorCode.PROMPT_TOO_LONG, "prompt is " + prompt.length() + " chars, more than "
                        + SchemasConfig.REQUEST_MAX_PROMPT_CHARS_CONFIG + "=" + config.requestMaxPromptChars());
            }
            return null;
        }
        if (messages.isEmpty()) {
            return new Problem(ErrorCode.EMPTY_PROMPT, "messages is empty");
        }
        if (messages.size() > config.requestMaxMessages()) {
            return new Problem(ErrorCode.PROMPT_TOO_LONG, messages.size() + " messages, more than "
                    + SchemasConfig.REQUEST_MAX_MESSAGES_CONFIG + "=" + config.requestMaxMessages());
        }
        long chars = 0;
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage message = messages.get(i);
            String role = message.getRole();
            if (role == null || role.isEmpty() || role.length() > MAX_ROLE_CHARS || !isRoleName(role)) {
                return new Problem(ErrorCode.INVALID_REQUEST, "messages[" + i + "].role must be 1 to "
                        + MAX_ROLE_CHARS + " lowercase letters, digits or '_' (system, user, assistant, tool)");
            }
            if (message.getContent() == null) {
                return new Problem(ErrorCode.INVALID_REQUEST, "messages[" + i + "].content is missing");
            }
            chars += message.getContent().length();
        }
        if (chars == 0) {
            return new Problem(ErrorCode.EMPTY_PROMPT, "every message's content is empty");
        }
        if (chars > config.requestMaxPromptChars()) {
            return new Problem(ErrorCode.PROMPT_TOO_LONG, "messages hold " + chars + " chars, more than "
                    + SchemasConfig.REQUEST_MAX_PROMPT_CHARS_CONFIG + "=" + config.requestMaxPromptChars());
        }
        return null;
    }

    private static boolean isRoleName(String role) {
        for (int i = 0; i < role.length(); i++) {
            char c = role.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
                return false;
            }
        }
        return true;
    }

    private String samplingProblem(InferenceRequest request) {
        Integer maxTokens = request.getMaxTokens();
        if (maxTokens != null && (maxTokens < 1 || maxTokens > config.requestMaxTokensLimit())) {
            return "max_tokens=" + maxTokens + " must be in [1, " + config.requestMaxTokensLimit() + "] ("
                    + SchemasConfig.REQUEST_MAX_TOKENS_LIMIT_CONFIG + ")";
        }
        Float temperature = request.getTemperature();
        if (temperature != null && !(temperature >= 0 && Float.isFinite(temperature))) {
            return "temperature=" + temperature + " must be a finite number >= 0";
        }
        Integer topK = request.getTopK();
        if (topK != null && topK < 0) {
            return "top_k=" + topK + " must be >= 0 (0 keeps all tokens)";
        }
        Float topP = request.getTopP();
        if (topP != null && !(topP > 0 && topP <= 1)) {
            return "top_p=" + topP + " must be in (0, 1]";
        }
        Float minP = request.getMinP();
        if (minP != null && !(minP >= 0 && minP <= 1)) {
            return "min_p=" + minP + " must be in [0, 1]";
        }
        Float repeatPenalty = request.getRepeatPenalty();
        if (repeatPenalty != null && !(repeatPenalty > 0 && Float.isFinite(repeatPenalty))) {
            return "repeat_penalty=" + repeatPenalty + " must be a finite number > 0 (1 is off)";
        }
        Integer repeatLastN = request.getRepeatLastN();
        if (repeatLastN != null && repeatLastN < 0) {
            return "repeat_last_n=" + repeatLastN + " must be >= 0";
        }
        return null;
    }

    private String otherProblem(InferenceRequest request) {
        List<String> stop = request.getStop();
        if (stop != null) {
            if (stop.size() > config.requestMaxStopStrings()) {
                return stop.size() + " stop strings, more than "
                        + SchemasConfig.REQUEST_MAX_STOP_STRINGS_CONFIG + "=" + config.requestMaxStopStrings();
            }
            for (int i = 0; i < stop.size(); i++) {
                String s = stop.get(i);
                if (s == null || s.isEmpty()) {
                    return "stop[" + i + "] is empty";
                }
                if (s.length() > config.requestMaxStopStringChars()) {
                    return "stop[" + i + "] is " + s.length() + " chars, more than "
                            + SchemasConfig.REQUEST_MAX_STOP_STRING_CHARS_CONFIG + "="
                            + config.requestMaxStopStringChars();
                }
            }
        }
        Long deadline = request.getDeadlineEpochMs();
        if (deadline != null && deadline < 0) {
            return "deadline_epoch_ms=" + deadline + " must be >= 0 (epoch milliseconds)";
        }
        Long timeout = request.getTimeoutMs();
        if (timeout != null && timeout <= 0) {
            return "timeout_ms=" + timeout + " must be > 0";
        }
        Map<String, String> metadata = request.getMetadata();
        if (metadata != null && metadata.size() > config.requestMaxMetadataEntries()) {
            return metadata.size() + " metadata entries, more than "
                    + SchemasConfig.REQUEST_MAX_METADATA_ENTRIES_CONFIG + "=" + config.requestMaxMetadataEntries();
        }
        return null;
    }
}
