package io.laminar.schemas.kafka;

import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.ResponseCodec;
import io.laminar.schemas.codec.SchemasConfig;
import io.laminar.schemas.codec.WireFormat;
import io.laminar.schemas.codec.WireSchemas;
import io.laminar.schemas.registry.SchemaRegistryClient;
import io.laminar.schemas.registry.SchemaRegistryException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes response events in the format {@link SchemasConfig#RESPONSE_FORMAT_CONFIG}
 * ({@code laminar.response.format}) picks for the deployment: Avro (the default) or JSON. Avro is
 * single-object encoded, or in Confluent's wire format when a schema registry is configured
 * ({@link SchemasConfig#SCHEMA_REGISTRY_URL_CONFIG}): the response schema's id under the subject
 * {@code TOPIC-value}, registered on first use unless
 * {@link SchemasConfig#SCHEMA_REGISTRY_AUTO_REGISTER_CONFIG} is false. Key each record by the
 * event's request id.
 */
public final class ResponseSerializer implements Serializer<ResponseEvent> {

    private ResponseCodec codec;
    private WireFormat format = WireFormat.fromConfigValue(SchemasConfig.DEFAULT_RESPONSE_FORMAT);
    private boolean autoRegister = SchemasConfig.DEFAULT_SCHEMA_REGISTRY_AUTO_REGISTER;
    /** The response schema's registry id per topic, so the per-event path asks a map, not the registry. */
    private final Map<String, Integer> schemaIds = new ConcurrentHashMap<>();

    /** For Kafka, which builds serializers by class name and then calls {@link #configure}. */
    public ResponseSerializer() {
    }

    /** A serializer writing the given format with default settings (no registry). */
    public ResponseSerializer(WireFormat format) {
        this.codec = new ResponseCodec();
        this.format = format;
    }

    /**
     * A serializer writing the format {@code config} picks with {@code codec}, whose registry (if any)
     * it writes against; {@link #configure} then changes nothing.
     */
    public ResponseSerializer(ResponseCodec codec, SchemasConfig config) {
        this.codec = codec;
        this.format = config.responseFormat();
        this.autoRegister = config.schemaRegistryAutoRegister();
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (codec != null) {
            return;
        }
        SchemasConfig config = new SchemasConfig(configs);
        codec = new ResponseCodec(config);
        format = config.responseFormat();
        autoRegister = config.schemaRegistryAutoRegister();
    }

    /** The format this serializer writes. */
    public WireFormat format() {
        return format;
    }

    /**
     * Whether events are written in Confluent's wire format: Avro with a schema registry.
     */
    public boolean writesToRegistry() {
        return format == WireFormat.AVRO && codec != null && codec.registry().isPresent();
    }

    /**
     * Registers (or looks up) the response schema for {@code topic} now, so that a registry that
     * cannot be reached or refuses the schema stops start-up instead of the first event; does
     * nothing unless {@link #writesToRegistry()}.
     *
     * @return the schema id, or -1 when no registry is written to
     * @throws SchemaRegistryException when the registry cannot be reached, refuses or lacks the schema
     */
    public int prepare(String topic) {
        return writesToRegistry() ? schemaId(topic) : -1;
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
            return writesToRegistry() ? codec.encodeConfluent(event, schemaId(topic)) : codec.encode(event, format);
        } catch (RuntimeException e) {
            throw new SerializationException("cannot serialize " + event.getType() + " event of request "
                    + event.getRequestId() + ": " + e.getMessage(), e);
        }
    }

    private int schemaId(String topic) {
        Integer id = schemaIds.get(topic);
        if (id == null) {
            SchemaRegistryClient registry = codec.registry().orElseThrow();
            id = registry.writerId(SchemaRegistryClient.valueSubject(topic), WireSchemas.response(), autoRegister);
            schemaIds.put(topic, id);
        }
        return id;
    }
}
