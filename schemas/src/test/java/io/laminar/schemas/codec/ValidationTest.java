package io.laminar.schemas.codec;

import static io.laminar.schemas.codec.RoundTripTest.promptRequest;
import static io.laminar.schemas.codec.RoundTripTest.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laminar.schemas.ChatMessage;
import io.laminar.schemas.ErrorCode;
import io.laminar.schemas.EventType;
import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.ResponseEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ValidationTest {

    private static final RequestCodec CODEC = new RequestCodec();

    /** Each case: a change to a valid prompt request, the code it must give, whether the id survives. */
    static Stream<Arguments> invalidRequests() {
        return Stream.of(
                bad("empty id", b -> b.setRequestId(""), ErrorCode.INVALID_REQUEST, false),
                bad("id too long", b -> b.setRequestId("x".repeat(257)), ErrorCode.INVALID_REQUEST, false),
                bad("id with newline", b -> b.setRequestId("a\nb"), ErrorCode.INVALID_REQUEST, false),
                bad("empty prompt", b -> b.setPrompt(""), ErrorCode.EMPTY_PROMPT, true),
                bad("neither prompt nor messages", b -> b.setPrompt(null), ErrorCode.EMPTY_PROMPT, true),
                bad("both prompt and messages", b -> b.setMessages(List.of(new ChatMessage("user", "hi"))),
                        ErrorCode.INVALID_REQUEST, true),
                bad("empty messages", b -> b.setPrompt(null).setMessages(List.of()), ErrorCode.EMPTY_PROMPT, true),
                bad("all contents empty", b -> b.setPrompt(null).setMessages(List.of(new ChatMessage("user", ""))),
                        ErrorCode.EMPTY_PROMPT, true),
                bad("empty role", b -> b.setPrompt(null).setMessages(List.of(new ChatMessage("", "hi"))),
                        ErrorCode.INVALID_REQUEST, true),
                bad("odd role", b -> b.setPrompt(null).setMessages(List.of(new ChatMessage("User!", "hi"))),
                        ErrorCode.INVALID_REQUEST, true),
                bad("prompt too long", b -> b.setPrompt("a".repeat(SchemasConfig.DEFAULT_REQUEST_MAX_PROMPT_CHARS + 1)),
                        ErrorCode.PROMPT_TOO_LONG, true),
                bad("messages too long", b -> b.setPrompt(null).setMessages(List.of(
                        new ChatMessage("system", "a".repeat(SchemasConfig.DEFAULT_REQUEST_MAX_PROMPT_CHARS)),
                        new ChatMessage("user", "b"))), ErrorCode.PROMPT_TOO_LONG, true),
                bad("too many messages", b -> b.setPrompt(null).setMessages(manyMessages(
                        SchemasConfig.DEFAULT_REQUEST_MAX_MESSAGES + 1)), ErrorCode.PROMPT_TOO_LONG, true),
                bad("temperature < 0", b -> b.setTemperature(-0.1f), ErrorCode.INVALID_SAMPLING, true),
                bad("temperature NaN", b -> b.setTemperature(Float.NaN), ErrorCode.INVALID_SAMPLING, true),
                bad("temperature infinite", b -> b.setTemperature(Float.POSITIVE_INFINITY), ErrorCode.INVALID_SAMPLING, true),
                bad("top_p 0", b -> b.setTopP(0f), ErrorCode.INVALID_SAMPLING, true),
                bad("top_p > 1", b -> b.setTopP(1.5f), ErrorCode.INVALID_SAMPLING, true),
                bad("top_p NaN", b -> b.setTopP(Float.NaN), ErrorCode.INVALID_SAMPLING, true),
                bad("min_p < 0", b -> b.setMinP(-0.01f), ErrorCode.INVALID_SAMPLING, true),
                bad("min_p > 1", b -> b.setMinP(1.01f), ErrorCode.INVALID_SAMPLING, true),
                bad("repeat_penalty 0", b -> b.setRepeatPenalty(0f), ErrorCode.INVALID_SAMPLING, true),
                bad("repeat_penalty < 0", b -> b.setRepeatPenalty(-1f), ErrorCode.INVALID_SAMPLING, true),
                bad("repeat_penalty NaN", b -> b.setRepeatPenalty(Float.NaN), ErrorCode.INVALID_SAMPLING, true),
                bad("repeat_last_n < 0", b -> b.setRepeatLastN(-1), ErrorCode.INVALID_SAMPLING, true),
                bad("top_k < 0", b -> b.setTopK(-1), ErrorCode.INVALID_SAMPLING, true),
                bad("max_tokens 0", b -> b.setMaxTokens(0), ErrorCode.INVALID_SAMPLING, true),
                bad("max_tokens absurd", b -> b.setMaxTokens(2_000_000_000), ErrorCode.INVALID_SAMPLING, true),
                bad("empty stop string", b -> b.setStop(List.of("ok", "")), ErrorCode.INVALID_REQUEST, true),
                bad("too many stop strings", b -> b.setStop(nCopies(17, "s")), ErrorCode.INVALID_REQUEST, true),
                bad("stop string too long", b -> b.setStop(List.of("s".repeat(257))), ErrorCode.INVALID_REQUEST, true),
                bad("negative deadline", b -> b.setDeadlineEpochMs(-1L), ErrorCode.INVALID_REQUEST, true),
                bad("zero timeout", b -> b.setTimeoutMs(0L), ErrorCode.INVALID_REQUEST, true),
                bad("too much metadata", b -> b.setMetadata(manyEntries(65)), ErrorCode.INVALID_REQUEST, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidRequests")
    void rejectedInBothFormatsWithTheCodeAndTheId(String name, UnaryOperator<InferenceRequest.Builder> change,
                                                  ErrorCode code, boolean idKnown) {
        InferenceRequest request = change.apply(InferenceRequest.newBuilder(promptRequest("req-7", "Hello"))
                .setMetadata(Map.of("trace", "t1"))).build();
        for (WireFormat format : WireFormat.values()) {
            RequestDecodeResult.Rejected rejected = rejected(CODEC.encode(request, format));
            assertEquals(code, rejected.code(), format + ": " + rejected.message());
            if (idKnown) {
                assertEquals("req-7", rejected.requestId(), format.name());
            } else {
                assertNull(rejected.requestId(), format.name());
            }
            ResponseEvent error = rejected.toErrorEvent(1L);
            assertEquals(EventType.ERROR, error.getType());
            assertEquals(code, error.getError().getCode());
            assertTrue(ResponseEvents.isWellFormed(error));
        }
    }

    @Test
    void edgeValuesAreAccepted() {
        InferenceRequest request = InferenceRequest.newBuilder(promptRequest("r", "p"))
                .setTemperature(0f).setTopK(0).setTopP(1f).setMinP(0f).setRepeatPenalty(0.01f).setRepeatLastN(0)
                .setMaxTokens(SchemasConfig.DEFAULT_REQUEST_MAX_TOKENS_LIMIT).setSeed(Long.MIN_VALUE)
                .setDeadlineEpochMs(0L).setTimeoutMs(1L).setStop(nCopies(16, "s"))
                .setMetadata(manyEntries(64)).build();
        for (WireFormat format : WireFormat.values()) {
            assertInstanceOf(RequestDecodeResult.Accepted.class, CODEC.decode(CODEC.encode(request, format)));
        }
        InferenceRequest chat = InferenceRequest.newBuilder().setRequestId("c").setMessages(List.of(
                new ChatMessage("system", ""), new ChatMessage("user", "hi"), new ChatMessage("tool_result", "x")))
                .build();
        assertInstanceOf(RequestDecodeResult.Accepted.class, CODEC.decode(CODEC.encode(chat, WireFormat.JSON)));
    }

    @Test
    void limitsFollowTheSettings() {
        RequestCodec strict = new RequestCodec(new SchemasConfig(Map.of(
                SchemasConfig.REQUEST_MAX_PROMPT_CHARS_CONFIG, "5",
                SchemasConfig.REQUEST_MAX_TOKENS_LIMIT_CONFIG, 10)));
        assertEquals(ErrorCode.PROMPT_TOO_LONG, rejected(strict, utf8("{\"request_id\":\"a\",\"prompt\":\"123456\"}")).code());
        assertEquals(ErrorCode.INVALID_SAMPLING,
                rejected(strict, utf8("{\"request_id\":\"a\",\"prompt\":\"1\",\"max_tokens\":11}")).code());
    }

    @Test
    void undecodableRecords() {
        assertEquals(ErrorCode.UNDECODABLE, rejected(null).code());
        assertEquals(ErrorCode.UNDECODABLE, rejected(new byte[0]).code());
        assertEquals(ErrorCode.UNDECODABLE, rejected(utf8("Once upon a time")).code());
        assertEquals(ErrorCode.UNDECODABLE, rejected(utf8("[1,2]")).code());
        assertEquals(ErrorCode.UNDECODABLE, rejected(new byte[] {(byte) 0xC3}).code());
        assertEquals(ErrorCode.UNDECODABLE, rejected(new byte[] {(byte) 0xC3, 0x01, 1, 2}).code());
        assertEquals(ErrorCode.UNDECODABLE, rejected(new byte[] {(byte) 0xC3, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0}).code());
        RequestDecodeResult.Rejected truncated = rejected(utf8("{\"request_id\":\"r9\",\"prompt\":\"Once"));
        assertEquals(ErrorCode.UNDECODABLE, truncated.code());
        assertEquals("r9", truncated.requestId(), "the id is read up to where the JSON breaks");
        RequestDecodeResult.Rejected two = rejected(utf8("{\"request_id\":\"r9\",\"prompt\":\"a\"} {\"x\":1}"));
        assertEquals(ErrorCode.UNDECODABLE, two.code());
        assertEquals("r9", two.requestId());
        RequestDecodeResult.Rejected duplicate = rejected(utf8("{\"request_id\":\"r9\",\"prompt\":\"a\",\"prompt\":\"b\"}"));
        assertEquals(ErrorCode.UNDECODABLE, duplicate.code());
        assertEquals(ErrorCode.UNDECODABLE, rejected(utf8("{\"request_id\":\"r9\",\"prompt\":NaN}")).code());
        assertEquals(ErrorCode.UNDECODABLE, rejected(new byte[] {'{', '"', (byte) 0xFF, '"', ':', '1', '}'}).code());

        // A truncated Avro body still gives its id: request_id is the first field.
        byte[] avro = CODEC.encode(promptRequest("r10", "Once upon a time"), WireFormat.AVRO);
        byte[] cut = java.util.Arrays.copyOf(avro, avro.length - 5);
        RequestDecodeResult.Rejected cutRejected = rejected(cut);
        assertEquals(ErrorCode.UNDECODABLE, cutRejected.code());
        assertEquals("r10", cutRejected.requestId());
    }

    @Test
    void unknownSchemaIsItsOwnCodeAndStillGivesTheId() {
        byte[] avro = CODEC.encode(promptRequest("r11", "x"), WireFormat.AVRO);
        avro[5] ^= 0x40; // another fingerprint
        RequestDecodeResult.Rejected rejected = rejected(avro);
        assertEquals(ErrorCode.UNKNOWN_SCHEMA, rejected.code());
        assertEquals("r11", rejected.requestId());
        assertTrue(rejected.message().contains("fingerprint"), rejected.message());
    }

    @Test
    void jsonShapeErrorsAreInvalidRequestsWithTheIdAndMetadata() {
        RequestDecodeResult.Rejected wrongType = rejected(utf8(
                "{\"request_id\":\"r12\",\"prompt\":42,\"metadata\":{\"trace\":\"t\"}}"));
        assertEquals(ErrorCode.INVALID_REQUEST, wrongType.code());
        assertEquals("r12", wrongType.requestId());
        assertEquals(Map.of("trace", "t"), wrongType.metadata());
        assertTrue(wrongType.message().startsWith("prompt: expected a string"), wrongType.message());

        RequestDecodeResult.Rejected typo = rejected(utf8("{\"request_id\":\"r13\",\"prompt\":\"x\",\"max_token\":5}"));
        assertEquals(ErrorCode.INVALID_REQUEST, typo.code());
        assertTrue(typo.message().contains("max_token"), typo.message());
        assertEquals("r13", typo.requestId());

        RequestDecodeResult.Rejected noId = rejected(utf8("{\"prompt\":\"x\"}"));
        assertEquals(ErrorCode.INVALID_REQUEST, noId.code());
        assertNull(noId.requestId());

        assertEquals(ErrorCode.INVALID_REQUEST, rejected(utf8("{\"request_id\":7,\"prompt\":\"x\"}")).code());
        assertEquals(ErrorCode.INVALID_REQUEST,
                rejected(utf8("{\"request_id\":\"r\",\"prompt\":\"x\",\"max_tokens\":2.5}")).code());
        assertEquals(ErrorCode.INVALID_REQUEST,
                rejected(utf8("{\"request_id\":\"r\",\"messages\":[{\"role\":\"user\"}]}")).code());
        assertEquals(ErrorCode.INVALID_REQUEST,
                rejected(utf8("{\"request_id\":\"r\",\"messages\":[null]}")).code());

        RequestDecodeResult.Rejected huge = rejected(utf8(
                "{\"request_id\":\"r14\",\"prompt\":\"x\",\"max_tokens\":10000000000}"));
        assertEquals(ErrorCode.INVALID_SAMPLING, huge.code());
        assertEquals("r14", huge.requestId());
        assertEquals(ErrorCode.INVALID_SAMPLING,
                rejected(utf8("{\"request_id\":\"r\",\"prompt\":\"x\",\"temperature\":\"NaN\"}")).code());
        assertEquals(ErrorCode.INVALID_SAMPLING,
                rejected(utf8("{\"request_id\":\"r\",\"prompt\":\"x\",\"temperature\":1e400}")).code());
    }

    @Test
    void unknownJsonFieldsCanBeIgnored() {
        RequestCodec lenient = new RequestCodec(new SchemasConfig(Map.of(
                SchemasConfig.REQUEST_JSON_UNKNOWN_FIELDS_CONFIG, "ignore")));
        RequestDecodeResult result = lenient.decode(utf8(
                "{\"request_id\":\"r\",\"prompt\":\"x\",\"model\":\"next-version-field\",\"extra\":{\"a\":[1]}}"));
        assertInstanceOf(RequestDecodeResult.Accepted.class, result, result.toString());
    }

    @Test
    void oversizedRecordsAreRejectedBeforeDecodingButKeepTheirId() {
        RequestCodec small = new RequestCodec(new SchemasConfig(Map.of(SchemasConfig.REQUEST_MAX_BYTES_CONFIG, 100)));
        InferenceRequest big = promptRequest("r15", "y".repeat(200));
        for (WireFormat format : WireFormat.values()) {
            RequestDecodeResult.Rejected rejected = rejected(small, small.encode(big, format));
            assertEquals(ErrorCode.INVALID_REQUEST, rejected.code(), format.name());
            assertTrue(rejected.message().contains(SchemasConfig.REQUEST_MAX_BYTES_CONFIG), rejected.message());
            assertEquals("r15", rejected.requestId(), format.name());
        }
    }

    private static RequestDecodeResult.Rejected rejected(byte[] value) {
        return rejected(CODEC, value);
    }

    private static RequestDecodeResult.Rejected rejected(RequestCodec codec, byte[] value) {
        RequestDecodeResult result = codec.decode(value);
        return assertInstanceOf(RequestDecodeResult.Rejected.class, result, String.valueOf(result));
    }

    private static Arguments bad(String name, UnaryOperator<InferenceRequest.Builder> change, ErrorCode code,
                                 boolean idKnown) {
        return Arguments.of(name, change, code, idKnown);
    }

    private static List<ChatMessage> manyMessages(int n) {
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            messages.add(new ChatMessage("user", "m"));
        }
        return messages;
    }

    private static List<String> nCopies(int n, String s) {
        return new ArrayList<>(java.util.Collections.nCopies(n, s));
    }

    private static Map<String, String> manyEntries(int n) {
        Map<String, String> map = new HashMap<>();
        for (int i = 0; i < n; i++) {
            map.put("k" + i, "v");
        }
        return map;
    }
}
