package io.laminar.schemas.kafka;

import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.codec.RequestCodec;
import io.laminar.schemas.codec.SchemasConfig;
import io.laminar.schemas.codec.WireFormat;
import io.laminar.schemas.codec.WireSchemas;
import io.laminar.schemas.registry.SchemaRegistryClient;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes requests for clients (the {@code laminar prompt} command, tests) in the format
 * {@link SchemasConfig#REQUEST_FORMAT_CONFIG} picks (Avro by default). Avro is single-object
 * encoded, or in Confluent's wire format when a schema registry is configured: the request schema's
 * id under {@code TOPIC-value}, registered on first use unless
 * {@link SchemasConfig#SCHEMA_REGISTRY_AUTO_REGISTER_CONFIG} is false. Use the request id as the
 * record key. It does not validate: the server does, and answers with an ERROR.
 */
public final class RequestSerializer implements Serializer<InferenceRequest> {

    private RequestCodec codec;
    private WireFormat format = WireFormat.fromConfigValue(SchemasConfig.DEFAULT_REQUEST_FORMAT);
    private boolean autoRegister = SchemasConfig.DEFAULT_SCHEMA_REGISTRY_AUTO_REGISTER;
    private final Map<String, Integer> schemaIds = new ConcurrentHashMap<>();

    /** For Kafka, which builds serializers by class name and then calls {@link #configure}. */
    public RequestSerializer() {
    }

    /** A serializer writing the given format with default settings (no registry). */
    public RequestSerializer(WireFormat format) {
        this.codec = new RequestCodec();
        this.format = format;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        SchemasConfig config = new SchemasConfig(configs);
        codec = new RequestCodec(config);
        format = config.requestFormat();
        autoRegister = config.schemaRegistryAutoRegister();
    }

    /** The format this serializer writes. */
    public WireFormat format() {
        return format;
    }

    /** Whether requests are written in Confluent's wire format: Avro with a schema registry. */
    public boolean writesToRegistry() {
        return format == WireFormat.AVRO && codec != null && codec.registry().isPresent();
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
            return writesToRegistry() ? codec.encodeConfluent(request, schemaId(topic)) : codec.encode(request, format);
        } catch (RuntimeException e) {
            throw new SerializationException("cannot serialize request " + request.getRequestId() + ": "
                    + e.getMessage(), e);
        }
    }

    private int schemaId(String topic) {
        Integer id = schemaIds.get(topic);
        if (id == null) {
            SchemaRegistryClient registry = codec.registry().orElseThrow();
            id = registry.writerId(SchemaRegistryClient.valueSubject(topic), WireSchemas.request(), autoRegister);
            schemaIds.put(topic, id);
        }
        return id;
    }
}
