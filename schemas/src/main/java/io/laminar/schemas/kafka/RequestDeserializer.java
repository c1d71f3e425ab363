package io.laminar.schemas.kafka;

import io.laminar.schemas.ErrorCode;
import io.laminar.schemas.codec.RequestCodec;
import io.laminar.schemas.codec.RequestDecodeResult;
import io.laminar.schemas.codec.SchemasConfig;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads request records (Avro single-object or in Confluent's wire format, or JSON, detected per record) into a
 * {@link RequestDecodeResult}. Never throws on bad input, so one poisoned record cannot stall a
 * partition: the gateway answers a {@link RequestDecodeResult.Rejected} with an ERROR event keyed by
 * its request id when known (else by the record's key) and moves on.
 *
 * <p>Settings: the {@code laminar.request.*} and {@code laminar.json.*} keys of
 * {@link SchemasConfig}, passed in the consumer properties.
 */
public final class RequestDeserializer implements Deserializer<RequestDecodeResult> {

    private RequestCodec codec;

    /** For Kafka, which builds deserializers by class name and then calls {@link #configure}. */
    public RequestDeserializer() {
        this.codec = null;
    }

    /** A deserializer around a ready codec; {@link #configure} then changes nothing. */
    public RequestDeserializer(RequestCodec codec) {
        this.codec = codec;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (codec == null) {
            codec = new RequestCodec(new SchemasConfig(configs));
        }
    }

    @Override
    public RequestDecodeResult deserialize(String topic, byte[] data) {
        if (codec == null) {
            codec = new RequestCodec();
        }
        try {
            return codec.decode(data);
        } catch (RuntimeException e) {
            return new RequestDecodeResult.Rejected(ErrorCode.INTERNAL, "request decoder failed: " + e);
        }
    }
}
