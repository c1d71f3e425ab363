package io.laminar.schemas.kafka;

import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.codec.RequestCodec;
import io.laminar.schemas.codec.SchemasConfig;
import io.laminar.schemas.codec.WireFormat;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes requests for clients (the {@code laminar prompt} command, tests) in the format
 * {@link SchemasConfig#REQUEST_FORMAT_CONFIG} picks (Avro single-object by default). Use the
 * request id as the record key. It does not validate: the server does, and answers with an ERROR.
 */
public final class RequestSerializer implements Serializer<InferenceRequest> {

    private RequestCodec codec;
    private WireFormat format = WireFormat.fromConfigValue(SchemasConfig.DEFAULT_REQUEST_FORMAT);

    /** For Kafka, which builds serializers by class name and then calls {@link #configure}. */
    public RequestSerializer() {
    }

    /** A serializer writing the given format with default settings. */
    public RequestSerializer(WireFormat format) {
        this.codec = new RequestCodec();
        this.format = format;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        SchemasConfig config = new SchemasConfig(configs);
        codec = new RequestCodec(config);
        format = config.requestFormat();
    }

    /** The format this serializer writes. */
    public WireFormat format() {
        return format;
    }

    @Override
    public byte[] serialize(String topic, InferenceRequest request) {
        if (request == null) {
            return null;
        }
        if (codec == null) {
            codec = new RequestCodec();
        }
        try {
            return codec.encode(request, format);
        } catch (RuntimeException e) {
            throw new SerializationException("cannot serialize request " + request.getRequestId() + ": "
                    + e.getMessage(), e);
        }
    }
}
