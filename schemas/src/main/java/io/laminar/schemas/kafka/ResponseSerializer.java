package io.laminar.schemas.kafka;

import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.ResponseCodec;
import io.laminar.schemas.codec.SchemasConfig;
import io.laminar.schemas.codec.WireFormat;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes response events in the format {@link SchemasConfig#RESPONSE_FORMAT_CONFIG}
 * ({@code laminar.response.format}) picks for the deployment: Avro single-object (the default) or
 * JSON. Key each record by the event's request id.
 */
public final class ResponseSerializer implements Serializer<ResponseEvent> {

    private ResponseCodec codec;
    private WireFormat format = WireFormat.fromConfigValue(SchemasConfig.DEFAULT_RESPONSE_FORMAT);

    /** For Kafka, which builds serializers by class name and then calls {@link #configure}. */
    public ResponseSerializer() {
    }

    /** A serializer writing the given format with default settings. */
    public ResponseSerializer(WireFormat format) {
        this.codec = new ResponseCodec();
        this.format = format;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        SchemasConfig config = new SchemasConfig(configs);
        codec = new ResponseCodec(config);
        format = config.responseFormat();
    }

    /** The format this serializer writes. */
    public WireFormat format() {
        return format;
    }

    @Override
    public byte[] serialize(String topic, ResponseEvent event) {
        if (event == null) {
            return null;
        }
        if (codec == null) {
            codec = new ResponseCodec();
        }
        try {
            return codec.encode(event, format);
        } catch (RuntimeException e) {
            throw new SerializationException("cannot serialize " + event.getType() + " event of request "
                    + event.getRequestId() + ": " + e.getMessage(), e);
        }
    }
}
