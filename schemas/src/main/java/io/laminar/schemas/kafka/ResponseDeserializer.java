package io.laminar.schemas.kafka;

import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.ResponseCodec;
import io.laminar.schemas.codec.SchemasConfig;
import io.laminar.schemas.codec.WireDecodeException;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads response events for clients, Avro (single-object, or Confluent's wire format with the schema
 * registry of {@code laminar.schema.registry.url}) or JSON, detected per record. A record that
 * is neither throws {@link SerializationException} (its cause a {@link WireDecodeException} with
 * the error code), which the consumer reports as a {@code RecordDeserializationException} naming the
 * offset, so a client can seek past it. A null value (tombstone) reads as null.
 */
public final class ResponseDeserializer implements Deserializer<ResponseEvent> {

    private ResponseCodec codec;

    /** For Kafka, which builds deserializers by class name and then calls {@link #configure}. */
    public ResponseDeserializer() {
    }

    /** A deserializer around a ready codec; {@link #configure} then changes nothing. */
    public ResponseDeserializer(ResponseCodec codec) {
        this.codec = codec;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (codec == null) {
            codec = new ResponseCodec(new SchemasConfig(configs));
        }
    }

    @Override
    public ResponseEvent deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        if (codec == null) {
            codec = new ResponseCodec();
        }
        try {
            return codec.decode(data);
        } catch (WireDecodeException e) {
            throw new SerializationException("response event on " + topic + " does not decode: " + e.getMessage(), e);
        }
    }
}
