package io.laminar.schemas.codec;

import com.fasterxml.jackson.databind.JsonNode;
import io.laminar.schemas.ErrorCode;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.registry.SchemaRegistryClient;
import java.io.IOException;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.message.SchemaStore;

/**
 * Encodes response events in either format and decodes them (format detected per record) for
 * clients. Decoding is a tolerant reader: unknown JSON fields are skipped and enum symbols newer
 * than this schema read as UNRECOGNIZED, as Avro's resolution does for single-object records.
 *
 * <p>Thread-safe.
 */
public final class ResponseCodec {

    static {
        AvroLimits.install();
    }

    private final BinaryMessageDecoder<ResponseEvent> avroDecoder;
    private final BinaryMessageEncoder<ResponseEvent> avroEncoder;
    private final AvroJson json;
    private final ConfluentAvro<ResponseEvent> confluent;
    private final SchemaRegistryClient registry;

    /** A codec with default limits and the built-in known schemas. */
    public ResponseCodec() {
        this(SchemasConfig.defaults());
    }

    /** A codec with the given settings, and the schema registry they name, if any. */
    public ResponseCodec(SchemasConfig config) {
        this(config, WireSchemas.store(WireSchemas.response(), config));
    }

    /** A codec that accepts the single-object writer schemas {@code store} knows, and the settings' registry. */
    public ResponseCodec(SchemasConfig config, SchemaStore store) {
        this(config, store, config.schemaRegistry().map(SchemaRegistryClient::new).orElse(null));
    }

    /**
     * A codec as {@link #ResponseCodec(SchemasConfig, SchemaStore)} that fetches Confluent-framed
     * events' writer schemas from {@code registry} (null: none, such events are UNKNOWN_SCHEMA).
     */
    public ResponseCodec(SchemasConfig config, SchemaStore store, SchemaRegistryClient registry) {
        AvroLimits.install();
        this.registry = registry;
        this.confluent = new ConfluentAvro<>(registry, WireSchemas.response());
        Schema schema = WireSchemas.response();
        this.avroDecoder = new BinaryMessageDecoder<>(TrustedSpecificData.INSTANCE, schema, store);
        this.avroEncoder = new BinaryMessageEncoder<>(TrustedSpecificData.INSTANCE, schema);
        this.json = new AvroJson(TrustedSpecificData.INSTANCE, config.requestMaxBytes(), config.jsonMaxDepth());
    }

    /** The event in the given format; throws IllegalArgumentException when it does not fit the schema. */
    public byte[] encode(ResponseEvent event, WireFormat format) {
        return switch (format) {
            case AVRO -> RecordEncoding.singleObject(avroEncoder, event, "event");
            case JSON -> json.write(event, WireSchemas.response());
        };
    }

    /**
     * The event in Confluent's wire format under {@code schemaId}, the id the registry gave
     * {@link WireSchemas#response()}; throws IllegalArgumentException when it does not fit the schema.
     */
    public byte[] encodeConfluent(ResponseEvent event, int schemaId) {
        return RecordEncoding.confluent(confluent, event, schemaId, "event");
    }

    /** The schema registry this codec reads (and its serializer writes) against; empty when none. */
    public Optional<SchemaRegistryClient> registry() {
        return Optional.ofNullable(registry);
    }

    /**
     * Decodes one record value.
     *
     * @throws WireDecodeException UNKNOWN_SCHEMA for an unknown fingerprint or a schema id the registry
     *                             does not have (or no registry), UNDECODABLE for anything else that is not
     *                             a response event
     */
    public ResponseEvent decode(byte[] value) {
        Optional<WireFormat> format = WireFormat.detect(value);
        if (format.isEmpty()) {
            throw new WireDecodeException(ErrorCode.UNDECODABLE,
                    "neither JSON nor Avro (single-object or Confluent's wire format)", null);
        }
        return switch (format.get()) {
            case AVRO -> decodeAvro(value);
            case JSON -> decodeJson(value);
        };
    }

    private ResponseEvent decodeAvro(byte[] value) {
        if (ConfluentAvro.framed(value)) {
            return confluent.read(value);
        }
        try {
            return avroDecoder.decode(value);
        } catch (MissingSchemaException e) {
            throw new WireDecodeException(ErrorCode.UNKNOWN_SCHEMA, "writer schema with fingerprint "
                    + String.format("%016x", RequestCodec.fingerprint(value)) + " is unknown here", e);
        } catch (IOException | RuntimeException e) {
            throw new WireDecodeException(ErrorCode.UNDECODABLE, RequestCodec.rootMessage(e), e);
        }
    }

    private ResponseEvent decodeJson(byte[] value) {
        try {
            JsonNode node = json.parse(value);
            return (ResponseEvent) json.read(node, WireSchemas.response(), true);
        } catch (IOException | RuntimeException | AvroJson.MappingException e) {
            throw new WireDecodeException(ErrorCode.UNDECODABLE, RequestCodec.rootMessage(e), e);
        }
    }
}
