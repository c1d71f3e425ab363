package io.laminar.schemas.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laminar.schemas.ErrorCode;
import io.laminar.schemas.FinishReason;
import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.RequestDecodeResult;
import io.laminar.schemas.codec.ResponseEvents;
import io.laminar.schemas.codec.SchemasConfig;
import io.laminar.schemas.codec.WireDecodeException;
import io.laminar.schemas.codec.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class SerdeTest {

    private static final String TOPIC = "laminar.responses";
    private static final ResponseEvent TOKEN = ResponseEvents.token("r1", Map.of("a", "b"), 0, 42, "Hi", null, 9L);

    @Test
    void responseSerializerWritesAvroByDefaultAndJsonWhenConfigured() {
        ResponseSerializer avro = new ResponseSerializer();
        avro.configure(Map.of("bootstrap.servers", "localhost:9092"), false);
        assertEquals(WireFormat.AVRO, avro.format());
        byte[] avroBytes = avro.serialize(TOPIC, TOKEN);
        assertEquals((byte) 0xC3, avroBytes[0]);

        ResponseSerializer json = new ResponseSerializer();
        json.configure(Map.of(SchemasConfig.RESPONSE_FORMAT_CONFIG, "json"), false);
        assertEquals(WireFormat.JSON, json.format());
        byte[] jsonBytes = json.serialize(TOPIC, TOKEN);
        assertTrue(new String(jsonBytes, StandardCharsets.UTF_8).startsWith("{\"request_id\":\"r1\",\"type\":\"TOKEN\""));

        ResponseDeserializer reader = new ResponseDeserializer();
        reader.configure(Map.of(), false);
        assertEquals(TOKEN, reader.deserialize(TOPIC, avroBytes));
        assertEquals(TOKEN, reader.deserialize(TOPIC, jsonBytes));
        assertNull(avro.serialize(TOPIC, null));
        assertNull(reader.deserialize(TOPIC, null));
    }

    @Test
    void responseDeserializerThrowsSerializationExceptionWithTheCode() {
        ResponseDeserializer reader = new ResponseDeserializer();
        SerializationException e = assertThrows(SerializationException.class,
                () -> reader.deserialize(TOPIC, "not an event".getBytes(StandardCharsets.UTF_8)));
        assertEquals(ErrorCode.UNDECODABLE, assertInstanceOf(WireDecodeException.class, e.getCause()).code());
    }

    @Test
    void requestSerializerToRequestDeserializerInBothFormats() {
        InferenceRequest request = InferenceRequest.newBuilder().setRequestId("q").setPrompt("Hello").setMaxTokens(4).build();
        for (WireFormat format : WireFormat.values()) {
            RequestSerializer writer = new RequestSerializer();
            writer.configure(Map.of(SchemasConfig.REQUEST_FORMAT_CONFIG, format.configValue()), false);
            RequestDeserializer reader = new RequestDeserializer();
            reader.configure(Map.of(), false);
            RequestDecodeResult result = reader.deserialize("laminar.requests", writer.serialize("laminar.requests", request));
            assertEquals(request, assertInstanceOf(RequestDecodeResult.Accepted.class, result).request());
            assertEquals(format, ((RequestDecodeResult.Accepted) result).format());
        }
    }

    @Test
    void requestDeserializerAnswersTombstonesAndGarbage() {
        RequestDeserializer reader = new RequestDeserializer();
        assertEquals(ErrorCode.UNDECODABLE,
                assertInstanceOf(RequestDecodeResult.Rejected.class, reader.deserialize("t", null)).code());
        assertEquals(ErrorCode.UNDECODABLE,
                assertInstanceOf(RequestDecodeResult.Rejected.class, reader.deserialize("t", new byte[] {1, 2, 3})).code());
    }

    @Test
    void settingsAreValidatedWithTheKeyInTheMessage() {
        ConfigException bad = assertThrows(ConfigException.class, () -> new ResponseSerializer()
                .configure(Map.of(SchemasConfig.RESPONSE_FORMAT_CONFIG, "xml"), false));
        assertTrue(bad.getMessage().contains(SchemasConfig.RESPONSE_FORMAT_CONFIG), bad.getMessage());
        ConfigException small = assertThrows(ConfigException.class, () -> new RequestDeserializer()
                .configure(Map.of(SchemasConfig.REQUEST_MAX_BYTES_CONFIG, 1), false));
        assertTrue(small.getMessage().contains(SchemasConfig.REQUEST_MAX_BYTES_CONFIG), small.getMessage());
    }

    @Test
    void aFinishEventThroughJsonKeepsEveryField() {
        ResponseEvent finish = ResponseEvents.finish("r1", Map.of(), FinishReason.CONTEXT, ResponseEvents.usage(10, 3),
                ResponseEvents.timings(2, 15L, 80, 37.5), 100L);
        ResponseSerializer json = new ResponseSerializer(WireFormat.JSON);
        assertEquals(finish, new ResponseDeserializer().deserialize(TOPIC, json.serialize(TOPIC, finish)));
    }
}
