package io.laminar.schemas.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laminar.schemas.ChatMessage;
import io.laminar.schemas.ErrorCode;
import io.laminar.schemas.EventType;
import io.laminar.schemas.FinishReason;
import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.ResponseEvent;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.junit.jupiter.api.Test;

class RoundTripTest {

    private final RequestCodec requests = new RequestCodec();
    private final ResponseCodec responses = new ResponseCodec();

    static InferenceRequest fullRequest() {
        return InferenceRequest.newBuilder()
                .setRequestId("req-1")
                .setMessages(List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi ✓")))
                .setMaxTokens(20)
                .setTemperature(0.7f)
                .setTopK(50)
                .setTopP(0.9f)
                .setMinP(0.1f)
                .setRepeatPenalty(1.1f)
                .setRepeatLastN(32)
                .setSeed(-42L)
                .setStop(List.of("\n\n", "User:"))
                .setDeadlineEpochMs(1_900_000_000_000L)
                .setTimeoutMs(30_000L)
                .setMetadata(Map.of("tenant", "acme", "trace", "abc"))
                .build();
    }

    static InferenceRequest promptRequest(String id, String prompt) {
        return InferenceRequest.newBuilder().setRequestId(id).setPrompt(prompt).build();
    }

    @Test
    void fullRequestRoundTripsThroughAvroAndJson() {
        InferenceRequest request = fullRequest();
        for (WireFormat format : WireFormat.values()) {
            byte[] bytes = requests.encode(request, format);
            assertEquals(format, WireFormat.detect(bytes).orElseThrow());
            RequestDecodeResult.Accepted accepted = assertInstanceOf(RequestDecodeResult.Accepted.class,
                    requests.decode(bytes), format.name());
            assertEquals(request, accepted.request(), format.name());
            assertEquals(format, accepted.format());
        }
    }

    @Test
    void minimalRequestGetsTheSchemaDefaults() {
        InferenceRequest request = promptRequest("r0", "Hello");
        assertEquals(List.of(), request.getStop());
        assertEquals(Map.of(), request.getMetadata());
        assertEquals(RequestDefaults.DEFAULT_MAX_TOKENS, RequestDefaults.maxTokens(request));
        assertEquals(RequestDefaults.DEFAULT_TEMPERATURE, RequestDefaults.temperature(request));
        assertTrue(RequestDefaults.seed(request).isEmpty());
        assertEquals(Long.MAX_VALUE, RequestDefaults.deadlineEpochMs(request, 1000));
        for (WireFormat format : WireFormat.values()) {
            assertEquals(request, accepted(requests.encode(request, format)));
        }
    }

    @Test
    void jsonRequestsAsTypedByHand() {
        InferenceRequest r1 = accepted(utf8(
                "{\"request_id\":\"r1\",\"prompt\":\"Once upon a time\",\"max_tokens\":20,\"temperature\":0}"));
        assertEquals("r1", r1.getRequestId());
        assertEquals("Once upon a time", r1.getPrompt());
        assertEquals(20, r1.getMaxTokens());
        assertEquals(0f, r1.getTemperature());
        assertNull(r1.getMessages());
        assertNull(r1.getTopK());

        InferenceRequest r2 = accepted(utf8(
                "  \n{\"request_id\":\"r2\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":8}"));
        assertEquals(List.of(new ChatMessage("user", "Hi")), r2.getMessages());
        assertEquals(8, r2.getMaxTokens());

        // null is the same as leaving the field out; a BOM is tolerated
        InferenceRequest r3 = accepted(utf8("\uFEFF{\"request_id\":\"r3\",\"prompt\":\"x\",\"seed\":null,\"stop\":null}"));
        assertNull(r3.getSeed());
        assertEquals(List.of(), r3.getStop());
    }

    @Test
    void jsonOmitsUnsetFields() {
        String json = new String(requests.encode(promptRequest("r1", "Once upon a time"), WireFormat.JSON),
                StandardCharsets.UTF_8);
        assertEquals("{\"request_id\":\"r1\",\"prompt\":\"Once upon a time\"}", json);
    }

    @Test
    void avroIsSingleObjectEncodingThatPlainAvroDecodesFromTheSchemaFileAlone() throws Exception {
        byte[] bytes = requests.encode(fullRequest(), WireFormat.AVRO);
        assertEquals((byte) 0xC3, bytes[0]);
        assertEquals((byte) 0x01, bytes[1]);
        // The .avsc as users get it (no Java-specific properties) has the same fingerprint.
        Schema fromFile = new Schema.Parser().parse(Path.of("src/main/avro/InferenceRequest.avsc").toFile());
        long fingerprint = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(WireSchemas.fingerprint(fromFile), fingerprint);
        assertEquals(WireSchemas.fingerprint(WireSchemas.request()), fingerprint);

        GenericRecord generic = new BinaryMessageDecoder<GenericRecord>(GenericData.get(), fromFile).decode(bytes);
        assertEquals("req-1", generic.get("request_id").toString());
        assertEquals(0.7f, generic.get("temperature"));
        assertEquals(-42L, generic.get("seed"));
        GenericRecord second = (GenericRecord) ((List<?>) generic.get("messages")).get(1);
        assertEquals("Hi ✓", second.get("content").toString());
    }

    @Test
    void responseEventsRoundTripThroughAvroAndJson() {
        Map<String, String> metadata = Map.of("tenant", "acme");
        List<ResponseEvent> events = List.of(
                ResponseEvents.token("r1", metadata, 0, 9038, "Once", -0.25f, 1_700_000_000_000L),
                ResponseEvents.token("r1", metadata, 1, 2501, "", null, 1_700_000_000_001L),
                ResponseEvents.finish("r1", metadata, FinishReason.STOP_STRING, ResponseEvents.usage(5, 2),
                        ResponseEvents.timings(3, 40L, 55, 66.5), 1_700_000_000_002L),
                ResponseEvents.finish("r1", metadata, FinishReason.DEADLINE, ResponseEvents.usage(5, 0),
                        ResponseEvents.timings(3, null, 55, 0), 1_700_000_000_002L),
                ResponseEvents.error("r2", Map.of(), ErrorCode.INVALID_SAMPLING, "top_p=2.0 must be in (0, 1]", 7L),
                ResponseEvents.error(null, null, ErrorCode.UNDECODABLE, "garbage", 8L));
        for (ResponseEvent event : events) {
            assertTrue(ResponseEvents.isWellFormed(event));
            for (WireFormat format : WireFormat.values()) {
                byte[] bytes = responses.encode(event, format);
                assertEquals(event, responses.decode(bytes), format + " " + event);
            }
        }
    }

    @Test
    void responseJsonHasTheSchemaFieldNames() {
        ResponseEvent token = ResponseEvents.token("r1", Map.of(), 0, 9038, "Once", null, 1_700_000_000_000L);
        assertEquals("{\"request_id\":\"r1\",\"type\":\"TOKEN\",\"timestamp_ms\":1700000000000,"
                + "\"token\":{\"token_index\":0,\"token_id\":9038,\"text\":\"Once\"}}", json(token));

        ResponseEvent finish = ResponseEvents.finish("r1", Map.of("k", "v"), FinishReason.LENGTH,
                ResponseEvents.usage(4, 20), ResponseEvents.timings(1, 30L, 400, 52.5), 5L);
        assertEquals("{\"request_id\":\"r1\",\"type\":\"FINISH\",\"timestamp_ms\":5,\"metadata\":{\"k\":\"v\"},"
                + "\"finish\":{\"finish_reason\":\"LENGTH\",\"usage\":{\"prompt_tokens\":4,\"generated_tokens\":20},"
                + "\"timings\":{\"queue_ms\":1,\"time_to_first_token_ms\":30,\"total_ms\":400,"
                + "\"tokens_per_second\":52.5}}}", json(finish));

        ResponseEvent error = ResponseEvents.error(null, Map.of(), ErrorCode.UNDECODABLE, "bad", 6L);
        assertEquals("{\"type\":\"ERROR\",\"timestamp_ms\":6,\"error\":{\"code\":\"UNDECODABLE\",\"message\":\"bad\"}}",
                json(error));
    }

    @Test
    void nonFiniteNumbersSurviveJson() {
        ResponseEvent event = ResponseEvents.finish("r1", Map.of(), FinishReason.STOP, ResponseEvents.usage(1, 1),
                ResponseEvents.timings(0, 0L, 0, Double.POSITIVE_INFINITY), 1L);
        assertTrue(json(event).contains("\"tokens_per_second\":\"Infinity\""));
        assertEquals(event, responses.decode(responses.encode(event, WireFormat.JSON)));
    }

    @Test
    void responseJsonReaderToleratesUnknownFieldsAndSymbols() {
        ResponseEvent event = responses.decode(utf8("{\"request_id\":\"r1\",\"type\":\"FINISH\",\"timestamp_ms\":1,"
                + "\"future\":{\"x\":1},\"finish\":{\"finish_reason\":\"TOOL_CALL\",\"usage\":{\"prompt_tokens\":1,"
                + "\"generated_tokens\":0},\"timings\":{\"queue_ms\":0,\"total_ms\":1,\"tokens_per_second\":0}}}"));
        assertEquals(EventType.FINISH, event.getType());
        assertEquals(FinishReason.UNRECOGNIZED, event.getFinish().getFinishReason());
        assertNull(event.getFinish().getTimings().getTimeToFirstTokenMs());
    }

    @Test
    void responseDecoderRejectsGarbageWithACode() {
        WireDecodeException e = assertThrows(WireDecodeException.class, () -> responses.decode(utf8("hello")));
        assertEquals(ErrorCode.UNDECODABLE, e.code());
        byte[] unknown = {(byte) 0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0};
        assertEquals(ErrorCode.UNKNOWN_SCHEMA,
                assertThrows(WireDecodeException.class, () -> responses.decode(unknown)).code());
    }

    @Test
    void dedupKeys() {
        ResponseEvent a = ResponseEvents.token("r1", Map.of(), 3, 1, "a", null, 1L);
        ResponseEvent b = ResponseEvents.token("r1", Map.of(), 3, 1, "a", null, 2L);
        assertEquals(ResponseEvents.dedupKey(a), ResponseEvents.dedupKey(b));
        assertEquals(new ResponseEvents.DedupKey("r1", EventType.FINISH, -1), ResponseEvents.dedupKey(
                ResponseEvents.finish("r1", Map.of(), FinishReason.STOP, ResponseEvents.usage(1, 1),
                        ResponseEvents.timings(0, 0L, 0, 0), 1L)));
    }

    @Test
    void deadlineIsTheEarlierOfAbsoluteAndRelative() {
        InferenceRequest both = InferenceRequest.newBuilder(promptRequest("r", "p"))
                .setDeadlineEpochMs(10_000L).setTimeoutMs(5_000L).build();
        assertEquals(6_000L, RequestDefaults.deadlineEpochMs(both, 1_000));
        assertEquals(10_000L, RequestDefaults.deadlineEpochMs(both, 9_000));
        InferenceRequest huge = InferenceRequest.newBuilder(promptRequest("r", "p")).setTimeoutMs(Long.MAX_VALUE).build();
        assertEquals(Long.MAX_VALUE, RequestDefaults.deadlineEpochMs(huge, 1_000));
    }

    @Test
    void encodedBytesAreStable() {
        // Same request, same bytes: what producers retrying with idempotence rely on.
        assertArrayEquals(requests.encode(fullRequest(), WireFormat.AVRO), requests.encode(fullRequest(), WireFormat.AVRO));
    }

    private InferenceRequest accepted(byte[] bytes) {
        RequestDecodeResult result = requests.decode(bytes);
        return assertInstanceOf(RequestDecodeResult.Accepted.class, result, result.toString()).request();
    }

    private String json(ResponseEvent event) {
        return new String(responses.encode(event, WireFormat.JSON), StandardCharsets.UTF_8);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
