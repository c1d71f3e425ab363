package io.laminar.schemas.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laminar.schemas.ErrorCode;
import io.laminar.schemas.FinishReason;
import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.kafka.RequestDeserializer;
import io.laminar.schemas.kafka.RequestSerializer;
import io.laminar.schemas.kafka.ResponseDeserializer;
import io.laminar.schemas.kafka.ResponseSerializer;
import io.laminar.schemas.testing.FakeSchemaRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Avro in Confluent's wire format against a registry speaking Confluent's REST API: the bytes are
 * exactly magic byte, big-endian id and plain Avro binary; other writers' schema versions resolve
 * as with single-object encoding; every failure is an error code, never an exception.
 */
class ConfluentWireFormatTest {
    private static final String REQUESTS = "laminar.requests";
    private static final String RESPONSES = "laminar.responses";

    private FakeSchemaRegistry registry;

    @BeforeEach
    void start() throws IOException {
        registry = FakeSchemaRegistry.start();
    }

    @AfterEach
    void stop() {
        registry.close();
    }

    private Map<String, Object> config(Object... more) {
        Map<String, Object> config = new HashMap<>();
        config.put(SchemasConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url());
        for (int i = 0; i < more.length; i += 2) {
            config.put((String) more[i], more[i + 1]);
        }
        return config;
    }

    private static <T> T configured(T serde, Map<String, Object> config) {
        if (serde instanceof org.apache.kafka.common.serialization.Serializer<?> s) {
            s.configure(config, false);
        } else if (serde instanceof org.apache.kafka.common.serialization.Deserializer<?> d) {
            d.configure(config, false);
        }
        return serde;
    }

    /** The record as plain Avro binary with {@code schema}, by Avro's generic writer: what Confluent's serializer writes after the header. */
    private static byte[] plainAvro(Schema schema, Object datum) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<>(schema, GenericData.get()).write(datum, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    private static byte[] framed(int id, byte[] body) {
        return ByteBuffer.allocate(5 + body.length).put((byte) 0).putInt(id).put(body).array();
    }

    @Test
    void requestsAreRegisteredAndFramedAsConfluentSerializersFrameThem() throws IOException {
        InferenceRequest request = RoundTripTest.fullRequest();
        byte[] bytes = configured(new RequestSerializer(), config()).serialize(REQUESTS, request);

        List<Integer> versions = registry.versions(REQUESTS + "-value");
        assertEquals(1, versions.size(), "the request schema is registered under TopicNameStrategy's subject");
        int id = versions.getFirst();
        assertEquals(0, bytes[0], "magic byte");
        assertEquals(id, ByteBuffer.wrap(bytes, 1, 4).getInt(), "schema id, big endian");
        GenericRecord generic = toGeneric(WireSchemas.request(), request);
        // Compared as records, not bytes: a map's entries are written in its iteration order, which for
        // the request's Map.of metadata changes from one JVM to the next.
        GenericRecord body = new org.apache.avro.generic.GenericDatumReader<GenericRecord>(WireSchemas.request())
                .read(null, org.apache.avro.io.DecoderFactory.get().binaryDecoder(bytes, 5, bytes.length - 5, null));
        assertEquals(generic, body, "the body is plain Avro binary of the registered schema");

        RequestDecodeResult decoded = configured(new RequestDeserializer(), config()).deserialize(REQUESTS, bytes);
        assertEquals(request, assertInstanceOf(RequestDecodeResult.Accepted.class, decoded).request());
        assertEquals(WireFormat.AVRO, ((RequestDecodeResult.Accepted) decoded).format());
    }

    @Test
    void singleObjectAndJsonKeepWorkingBesideTheRegistry() {
        InferenceRequest request = RoundTripTest.fullRequest();
        RequestCodec withRegistry = new RequestCodec(new SchemasConfig(config()));
        RequestCodec plain = new RequestCodec();
        for (WireFormat format : WireFormat.values()) {
            RequestDecodeResult decoded = withRegistry.decode(plain.encode(request, format));
            assertEquals(request, assertInstanceOf(RequestDecodeResult.Accepted.class, decoded).request(), format.name());
        }
        assertTrue(registry.calls().isEmpty(), "no registry call for records that carry no schema id: " + registry.calls());
    }

    @Test
    void olderAndNewerWriterSchemasResolveAgainstTheCurrentOne() throws IOException {
        RequestCodec codec = new RequestCodec(new SchemasConfig(config()));
        GenericRecord old = new GenericRecordBuilder(EvolutionTest.REQUEST_V0).set("request_id", "old-1")
                .set("prompt", "hello").build();
        int oldId = registry.register(REQUESTS + "-value", EvolutionTest.REQUEST_V0);
        InferenceRequest fromOld = accepted(codec.decode(framed(oldId, plainAvro(EvolutionTest.REQUEST_V0, old))));
        assertEquals("old-1", fromOld.getRequestId());
        assertEquals(Map.of(), fromOld.getMetadata(), "a field the old writer lacks takes its default");

        GenericRecord newer = new GenericRecordBuilder(EvolutionTest.REQUEST_V2).set("request_id", "new-1")
                .set("prompt", "hello").set("model", "some-model").build();
        int newId = registry.register(REQUESTS + "-value", EvolutionTest.REQUEST_V2);
        InferenceRequest fromNew = accepted(codec.decode(framed(newId, plainAvro(EvolutionTest.REQUEST_V2, newer))));
        assertEquals("new-1", fromNew.getRequestId(), "fields this reader lacks are skipped");
    }

    @Test
    void anUnknownSchemaIdIsRefusedWithItsRequestIdAndNotAskedForAgainAtOnce() throws IOException {
        RequestCodec codec = new RequestCodec(new SchemasConfig(config()));
        byte[] body = plainAvro(WireSchemas.request(), toGeneric(WireSchemas.request(), RoundTripTest.fullRequest()));
        for (int i = 0; i < 3; i++) {
            RequestDecodeResult.Rejected r = assertInstanceOf(RequestDecodeResult.Rejected.class,
                    codec.decode(framed(4242, body)));
            assertEquals(ErrorCode.UNKNOWN_SCHEMA, r.code());
            assertTrue(r.message().contains("4242"), r.message());
            assertEquals(RoundTripTest.fullRequest().getRequestId(), r.knownRequestId().orElseThrow());
        }
        assertEquals(1, registry.calls().stream().filter(c -> c.equals("GET /schemas/ids/4242")).count(),
                "a missing id is remembered: " + registry.calls());
    }

    @Test
    void aSchemaThatCannotBeReadAsARequestIsRefused() throws IOException {
        RequestCodec codec = new RequestCodec(new SchemasConfig(config()));
        int brokenId = registry.register("other-value", EvolutionTest.REQUEST_BROKEN);
        RequestDecodeResult.Rejected broken = assertInstanceOf(RequestDecodeResult.Rejected.class,
                codec.decode(framed(brokenId, new byte[] {2, 'a'})));
        assertEquals(ErrorCode.UNKNOWN_SCHEMA, broken.code());
        assertTrue(broken.message().contains("cannot be read as io.laminar.schemas.InferenceRequest"), broken.message());

        Schema text = Schema.create(Schema.Type.STRING);
        int stringId = registry.register("strings-value", text);
        RequestDecodeResult.Rejected string = assertInstanceOf(RequestDecodeResult.Rejected.class,
                codec.decode(framed(stringId, plainAvro(text, "hi"))));
        assertEquals(ErrorCode.UNKNOWN_SCHEMA, string.code());
    }

    @Test
    void withoutARegistryAConfluentRecordIsAnUnknownSchemaNamingTheSetting() throws IOException {
        byte[] body = plainAvro(WireSchemas.request(), toGeneric(WireSchemas.request(), RoundTripTest.fullRequest()));
        RequestDecodeResult.Rejected r = assertInstanceOf(RequestDecodeResult.Rejected.class,
                new RequestCodec().decode(framed(1, body)));
        assertEquals(ErrorCode.UNKNOWN_SCHEMA, r.code());
        assertTrue(r.message().contains(SchemasConfig.SCHEMA_REGISTRY_URL_CONFIG), r.message());
        assertEquals(RoundTripTest.fullRequest().getRequestId(), r.knownRequestId().orElseThrow());

        RequestDecodeResult.Rejected truncated = assertInstanceOf(RequestDecodeResult.Rejected.class,
                new RequestCodec(new SchemasConfig(config())).decode(new byte[] {0, 0, 1}));
        assertEquals(ErrorCode.UNDECODABLE, truncated.code());
    }

    @Test
    void aRegistryThatCannotBeReachedRefusesFastAndFailsTheSerializerClearly() throws IOException {
        String url = registry.url();
        registry.close();
        Map<String, Object> config = Map.of(SchemasConfig.SCHEMA_REGISTRY_URL_CONFIG, url,
                SchemasConfig.SCHEMA_REGISTRY_RETRY_BACKOFF_MS_CONFIG, 60_000L);
        RequestCodec codec = new RequestCodec(new SchemasConfig(config));
        byte[] body = plainAvro(WireSchemas.request(), toGeneric(WireSchemas.request(), RoundTripTest.fullRequest()));
        RequestDecodeResult.Rejected first = assertInstanceOf(RequestDecodeResult.Rejected.class, codec.decode(framed(7, body)));
        assertEquals(ErrorCode.UNKNOWN_SCHEMA, first.code());
        assertTrue(first.message().contains("could not be reached"), first.message());
        long t0 = System.nanoTime();
        RequestDecodeResult.Rejected second = assertInstanceOf(RequestDecodeResult.Rejected.class, codec.decode(framed(8, body)));
        assertTrue(second.message().contains("a moment ago"), second.message());
        assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "within the backoff the registry is not asked");

        SerializationException e = assertThrows(SerializationException.class,
                () -> configured(new RequestSerializer(), new HashMap<>(config)).serialize(REQUESTS, RoundTripTest.fullRequest()));
        assertTrue(e.getMessage().contains("could not be reached") && e.getMessage().contains(url), e.getMessage());
    }

    @Test
    void responsesAreWrittenToTheRegistryAndReadBackByAnotherClient() {
        ResponseSerializer serializer = configured(new ResponseSerializer(), config());
        assertTrue(serializer.writesToRegistry());
        int id = serializer.prepare(RESPONSES);
        assertEquals(List.of(id), registry.versions(RESPONSES + "-value"));
        List<ResponseEvent> events = events();
        ResponseDeserializer reader = configured(new ResponseDeserializer(), config());
        for (ResponseEvent event : events) {
            byte[] bytes = serializer.serialize(RESPONSES, event);
            assertEquals(0, bytes[0]);
            assertEquals(id, ByteBuffer.wrap(bytes, 1, 4).getInt());
            assertEquals(event, reader.deserialize(RESPONSES, bytes));
        }
        assertEquals(1, registry.calls().stream().filter(c -> c.equals("GET /schemas/ids/" + id)).count(),
                "the reader fetches the writer schema once: " + registry.calls());
        assertEquals(1, registry.calls().stream().filter(c -> c.startsWith("POST ")).count(),
                "the writer registers once: " + registry.calls());
    }

    @Test
    void jsonResponsesStayJsonWithARegistry() {
        ResponseSerializer serializer = configured(new ResponseSerializer(),
                config(SchemasConfig.RESPONSE_FORMAT_CONFIG, "json"));
        assertEquals(-1, serializer.prepare(RESPONSES));
        byte[] bytes = serializer.serialize(RESPONSES, events().getFirst());
        assertEquals('{', bytes[0]);
        assertTrue(registry.calls().isEmpty(), registry.calls().toString());
    }

    @Test
    void withoutAutoRegistrationTheSchemaMustBeThere() {
        ResponseSerializer lookingUp = configured(new ResponseSerializer(),
                config(SchemasConfig.SCHEMA_REGISTRY_AUTO_REGISTER_CONFIG, false));
        var missing = assertThrows(io.laminar.schemas.registry.SchemaRegistryException.class,
                () -> lookingUp.prepare(RESPONSES));
        assertEquals(40401, missing.errorCode(), missing.getMessage());
        assertTrue(registry.versions(RESPONSES + "-value").isEmpty(), "nothing registered");

        int id = registry.register(RESPONSES + "-value", WireSchemas.response());
        ResponseSerializer again = configured(new ResponseSerializer(),
                config(SchemasConfig.SCHEMA_REGISTRY_AUTO_REGISTER_CONFIG, false));
        assertEquals(id, again.prepare(RESPONSES));
        assertTrue(registry.calls().contains("POST /subjects/" + RESPONSES + "-value"), registry.calls().toString());
    }

    @Test
    void basicAuthenticationFromTheSettingOrTheUrl() {
        registry.requireCredentials("laminar:s3cret");
        var refused = assertThrows(SerializationException.class,
                () -> configured(new ResponseSerializer(), config()).serialize(RESPONSES, events().getFirst()));
        assertTrue(refused.getMessage().contains("401"), refused.getMessage());

        ResponseSerializer withSetting = configured(new ResponseSerializer(),
                config(SchemasConfig.SCHEMA_REGISTRY_USER_INFO_CONFIG, "laminar:s3cret"));
        int id = withSetting.prepare(RESPONSES);
        Map<String, Object> inUrl = Map.of(SchemasConfig.SCHEMA_REGISTRY_URL_CONFIG,
                registry.url().replace("http://", "http://laminar:s3cret@"));
        ResponseDeserializer reader = configured(new ResponseDeserializer(), inUrl);
        ResponseEvent event = events().getFirst();
        assertEquals(event, reader.deserialize(RESPONSES, withSetting.serialize(RESPONSES, event)));
        assertTrue(registry.calls().contains("GET /schemas/ids/" + id));
    }

    @Test
    void theSecondUrlServesWhenTheFirstCannotBeReached() throws IOException {
        String dead;
        try (FakeSchemaRegistry gone = FakeSchemaRegistry.start()) {
            dead = gone.url();
        }
        ResponseSerializer serializer = configured(new ResponseSerializer(),
                Map.of(SchemasConfig.SCHEMA_REGISTRY_URL_CONFIG, dead + "," + registry.url()));
        assertEquals(registry.versions(RESPONSES + "-value").size(), 0);
        serializer.prepare(RESPONSES);
        assertEquals(1, registry.versions(RESPONSES + "-value").size());
    }

    private static List<ResponseEvent> events() {
        Map<String, String> metadata = Map.of("tenant", "acme");
        return List.of(
                ResponseEvents.token("r1", metadata, 0, 9038, "Once", -0.25f, 1_700_000_000_000L),
                ResponseEvents.finish("r1", metadata, FinishReason.STOP_STRING,
                        ResponseEvents.usage(5, 2), ResponseEvents.timings(3, 40L, 55, 66.5), 1_700_000_000_002L),
                ResponseEvents.error(null, Map.of(), ErrorCode.UNDECODABLE, "bad", 1_700_000_000_003L));
    }

    private static InferenceRequest accepted(RequestDecodeResult result) {
        return assertInstanceOf(RequestDecodeResult.Accepted.class, result, result.toString()).request();
    }

    /** A generated record as a generic one, through JSON-free Avro binary (single-object body). */
    private static GenericRecord toGeneric(Schema schema, InferenceRequest request) throws IOException {
        byte[] single = new RequestCodec().encode(request, WireFormat.AVRO);
        return new org.apache.avro.generic.GenericDatumReader<GenericRecord>(schema).read(null,
                org.apache.avro.io.DecoderFactory.get().binaryDecoder(single, 10, single.length - 10, null));
    }
}
