package io.laminar.schemas.codec;

import static io.laminar.schemas.codec.RoundTripTest.promptRequest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.laminar.schemas.ErrorCode;
import io.laminar.schemas.EventType;
import io.laminar.schemas.FinishReason;
import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.ResponseEvent;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.SchemaStore;
import org.junit.jupiter.api.Test;

/**
 * The evolution rules of docs/schemas.md, checked on fixtures: an older version (v0) and a newer one
 * (v2) of each schema, round-tripped both ways through single-object encoding with a SchemaStore.
 */
class EvolutionTest {

    static final Schema REQUEST_V0 = fixture("InferenceRequest-v0.avsc");
    static final Schema REQUEST_V2 = fixture("InferenceRequest-v2.avsc");
    static final Schema REQUEST_BROKEN = fixture("InferenceRequest-incompatible.avsc");
    static final Schema RESPONSE_V0 = fixture("ResponseEvent-v0.avsc");
    static final Schema RESPONSE_V2 = fixture("ResponseEvent-v2.avsc");

    private final SchemasConfig config = SchemasConfig.defaults();

    @Test
    void oldRequestWriterToCurrentReader() throws IOException {
        GenericRecord old = new GenericRecordBuilder(REQUEST_V0)
                .set("request_id", "old-1").set("prompt", "Hello").set("temperature", 0.5f).build();
        byte[] bytes = encode(REQUEST_V0, old);

        RequestCodec codec = new RequestCodec(config, WireSchemas.store(WireSchemas.request(), List.of(REQUEST_V0)));
        InferenceRequest read = accepted(codec.decode(bytes));
        assertEquals("old-1", read.getRequestId());
        assertEquals(0.5f, read.getTemperature());
        assertNull(read.getMinP(), "a field the writer lacks takes the reader's default");
        assertEquals(Map.of(), read.getMetadata());

        RequestDecodeResult.Rejected unknown = assertInstanceOf(RequestDecodeResult.Rejected.class,
                new RequestCodec().decode(bytes), "v0 is not a built-in known version");
        assertEquals(ErrorCode.UNKNOWN_SCHEMA, unknown.code());
        assertEquals("old-1", unknown.requestId());
    }

    @Test
    void currentRequestWriterToOldReader() throws IOException {
        InferenceRequest current = InferenceRequest.newBuilder(promptRequest("cur-1", "Hello"))
                .setMinP(0.2f).setTopK(7).setMetadata(Map.of("a", "b")).build();
        byte[] bytes = new RequestCodec().encode(current, WireFormat.AVRO);

        GenericRecord old = decode(REQUEST_V0, WireSchemas.request(), bytes);
        assertEquals("cur-1", old.get("request_id").toString());
        assertEquals(7, old.get("top_k"));
        assertNull(old.getSchema().getField("min_p"), "a field the reader lacks is skipped");
    }

    @Test
    void newerRequestWriterToCurrentReaderAndBack() throws IOException {
        GenericRecord newer = new GenericRecordBuilder(REQUEST_V2)
                .set("request_id", "new-1").set("prompt", "Hello").set("max_tokens", 3)
                .set("model", "qwen").set("logit_bias", Map.of("42", -1.0f)).build();
        byte[] bytes = encode(REQUEST_V2, newer);

        RequestCodec codec = new RequestCodec(config, WireSchemas.store(WireSchemas.request(), List.of(REQUEST_V2)));
        InferenceRequest read = accepted(codec.decode(bytes));
        assertEquals("new-1", read.getRequestId());
        assertEquals(3, read.getMaxTokens());

        byte[] current = codec.encode(read, WireFormat.AVRO);
        GenericRecord back = decode(REQUEST_V2, WireSchemas.request(), current);
        assertNull(back.get("model"));
        assertEquals(Map.of(), back.get("logit_bias"));
    }

    @Test
    void aNewWriterSchemaCanBeAnnouncedByFile() throws IOException, URISyntaxException {
        String path = Path.of(EvolutionTest.class.getResource("/evolution/InferenceRequest-v2.avsc").toURI()).toString();
        RequestCodec codec = new RequestCodec(new SchemasConfig(Map.of(SchemasConfig.SCHEMAS_EXTRA_FILES_CONFIG, path)));
        GenericRecord newer = new GenericRecordBuilder(REQUEST_V2).set("request_id", "f").set("prompt", "p").build();
        accepted(codec.decode(encode(REQUEST_V2, newer)));
    }

    @Test
    void newerResponseSymbolsReadAsUnrecognized() throws IOException {
        ResponseCodec codec = new ResponseCodec(config, WireSchemas.store(WireSchemas.response(), List.of(RESPONSE_V2)));
        Schema finishSchema = RESPONSE_V2.getField("finish").schema().getTypes().get(1);
        Schema reasonSchema = finishSchema.getField("finish_reason").schema();
        Schema usageSchema = finishSchema.getField("usage").schema();
        Schema timingsSchema = finishSchema.getField("timings").schema();
        GenericRecord finish = new GenericRecordBuilder(RESPONSE_V2)
                .set("request_id", "r").set("type", new GenericData.EnumSymbol(RESPONSE_V2.getField("type").schema(), "FINISH"))
                .set("timestamp_ms", 1L)
                .set("finish", new GenericRecordBuilder(finishSchema)
                        .set("finish_reason", new GenericData.EnumSymbol(reasonSchema, "TOOL_CALL"))
                        .set("usage", new GenericRecordBuilder(usageSchema).set("prompt_tokens", 1).set("generated_tokens", 2).build())
                        .set("timings", new GenericRecordBuilder(timingsSchema).set("queue_ms", 0L).set("total_ms", 9L)
                                .set("tokens_per_second", 1.0).build())
                        .build())
                .build();
        ResponseEvent read = codec.decode(encode(RESPONSE_V2, finish));
        assertEquals(EventType.FINISH, read.getType());
        assertEquals(FinishReason.UNRECOGNIZED, read.getFinish().getFinishReason());
        assertEquals(2, read.getFinish().getUsage().getGeneratedTokens());

        Schema progressSchema = RESPONSE_V2.getField("progress").schema().getTypes().get(1);
        GenericRecord progress = new GenericRecordBuilder(RESPONSE_V2)
                .set("request_id", "r").set("type", new GenericData.EnumSymbol(RESPONSE_V2.getField("type").schema(), "PROGRESS"))
                .set("timestamp_ms", 2L)
                .set("progress", new GenericRecordBuilder(progressSchema).set("prompt_tokens_done", 10).build())
                .build();
        ResponseEvent unknownType = codec.decode(encode(RESPONSE_V2, progress));
        assertEquals(EventType.UNRECOGNIZED, unknownType.getType(), "an old reader sees a new event type and skips it");
        assertNull(unknownType.getToken());
        assertNull(unknownType.getFinish());
        assertNull(unknownType.getError());

        Schema errorSchema = RESPONSE_V2.getField("error").schema().getTypes().get(1);
        GenericRecord error = new GenericRecordBuilder(RESPONSE_V2)
                .set("type", new GenericData.EnumSymbol(RESPONSE_V2.getField("type").schema(), "ERROR"))
                .set("timestamp_ms", 3L)
                .set("error", new GenericRecordBuilder(errorSchema)
                        .set("code", new GenericData.EnumSymbol(errorSchema.getField("code").schema(), "OVERLOADED"))
                        .set("message", "busy").build())
                .build();
        ResponseEvent unknownCode = codec.decode(encode(RESPONSE_V2, error));
        assertEquals(ErrorCode.UNRECOGNIZED, unknownCode.getError().getCode());
        assertEquals("busy", unknownCode.getError().getMessage());
    }

    @Test
    void currentResponseWriterToOldAndNewerReaders() throws IOException {
        ResponseEvent token = ResponseEvents.token("r", Map.of("k", "v"), 4, 99, "hi", -0.5f, 10L);
        byte[] bytes = new ResponseCodec().encode(token, WireFormat.AVRO);

        GenericRecord old = decode(RESPONSE_V0, WireSchemas.response(), bytes);
        assertEquals("TOKEN", old.get("type").toString());
        assertEquals(4, ((GenericRecord) old.get("token")).get("token_index"));

        GenericRecord newer = decode(RESPONSE_V2, WireSchemas.response(), bytes);
        assertEquals(Map.of(), ((GenericRecord) newer.get("token")).get("top_logprobs"));
        assertNull(newer.get("progress"));
    }

    @Test
    void oldResponseWriterToCurrentReader() throws IOException {
        Schema tokenSchema = RESPONSE_V0.getField("token").schema().getTypes().get(1);
        GenericRecord old = new GenericRecordBuilder(RESPONSE_V0)
                .set("request_id", "r").set("type", new GenericData.EnumSymbol(RESPONSE_V0.getField("type").schema(), "TOKEN"))
                .set("timestamp_ms", 5L)
                .set("token", new GenericRecordBuilder(tokenSchema).set("token_index", 0).set("token_id", 1)
                        .set("text", "a").build())
                .build();
        ResponseCodec codec = new ResponseCodec(config, WireSchemas.store(WireSchemas.response(), List.of(RESPONSE_V0)));
        ResponseEvent read = codec.decode(encode(RESPONSE_V0, old));
        assertEquals(Map.of(), read.getMetadata());
        assertNull(read.getToken().getLogprob());
    }

    @Test
    void everyKnownVersionIsCompatibleBothWays() {
        for (Schema current : List.of(WireSchemas.request(), WireSchemas.response())) {
            for (Schema other : WireSchemas.knownVersions()) {
                if (other.getFullName().equals(current.getFullName())) {
                    assertMutuallyCompatible(current, other);
                }
            }
        }
        assertMutuallyCompatible(WireSchemas.request(), REQUEST_V0);
        assertMutuallyCompatible(WireSchemas.request(), REQUEST_V2);
        assertMutuallyCompatible(WireSchemas.response(), RESPONSE_V0);
        assertMutuallyCompatible(WireSchemas.response(), RESPONSE_V2);
    }

    @Test
    void theCompatibilityCheckCatchesAForbiddenChange() {
        assertEquals(SchemaCompatibilityType.INCOMPATIBLE, SchemaCompatibility
                .checkReaderWriterCompatibility(REQUEST_BROKEN, WireSchemas.request()).getType());
        assertEquals(SchemaCompatibilityType.INCOMPATIBLE, SchemaCompatibility
                .checkReaderWriterCompatibility(WireSchemas.request(), REQUEST_BROKEN).getType());
    }

    @Test
    void versionsHaveDistinctFingerprintsButDocsDoNotCount() {
        assertNotEquals(WireSchemas.fingerprint(REQUEST_V0), WireSchemas.fingerprint(WireSchemas.request()));
        assertNotEquals(WireSchemas.fingerprint(REQUEST_V2), WireSchemas.fingerprint(WireSchemas.request()));
        Schema undocumented = new Schema.Parser().parse(WireSchemas.request().toString().replace("\"doc\":", "\"x-doc\":"));
        assertEquals(WireSchemas.fingerprint(WireSchemas.request()), WireSchemas.fingerprint(undocumented));
    }

    private static void assertMutuallyCompatible(Schema a, Schema b) {
        var readsB = SchemaCompatibility.checkReaderWriterCompatibility(a, b);
        assertEquals(SchemaCompatibilityType.COMPATIBLE, readsB.getType(), readsB.getDescription());
        var readsA = SchemaCompatibility.checkReaderWriterCompatibility(b, a);
        assertEquals(SchemaCompatibilityType.COMPATIBLE, readsA.getType(), readsA.getDescription());
    }

    private static InferenceRequest accepted(RequestDecodeResult result) {
        return assertInstanceOf(RequestDecodeResult.Accepted.class, result, result.toString()).request();
    }

    /** Single-object encoding by plain generic Avro, as any other client library would write. */
    private static byte[] encode(Schema writer, GenericRecord record) throws IOException {
        ByteBuffer buffer = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), writer).encode(record);
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    /** Decoding by plain generic Avro with {@code reader} as the reader schema, knowing {@code writer}. */
    private static GenericRecord decode(Schema reader, Schema writer, byte[] bytes) throws IOException {
        SchemaStore.Cache store = new SchemaStore.Cache();
        store.addSchema(writer);
        return new BinaryMessageDecoder<GenericRecord>(GenericData.get(), reader, store).decode(bytes);
    }

    private static Schema fixture(String name) {
        try (InputStream in = EvolutionTest.class.getResourceAsStream("/evolution/" + name)) {
            return new Schema.Parser().parse(in);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
