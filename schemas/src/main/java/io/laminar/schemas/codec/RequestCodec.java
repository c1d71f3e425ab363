package io.laminar.schemas.codec;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import io.laminar.schemas.ErrorCode;
import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.registry.SchemaRegistryClient;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.message.SchemaStore;

/**
 * Encodes requests and decodes request records of either format into a {@link RequestDecodeResult}.
 * Decoding never throws on bad input: every record is either accepted or rejected with an error code,
 * and the request id is reported whenever it can be read, even from a record that is otherwise
 * broken (so the error event can be keyed by it).
 *
 * <p>Thread-safe; build one per consumer (or share one).
 */
public final class RequestCodec {

    /** The field the id peeker looks for; it stays the first field of every request schema version. */
    private static final String REQUEST_ID = "request_id";
    /** Top-level fields whose out-of-range JSON number is a sampling error rather than a malformed request. */
    private static final Set<String> SAMPLING_FIELDS = Set.of("max_tokens", "temperature", "top_k", "top_p",
            "min_p", "repeat_penalty", "repeat_last_n", "seed");

    static {
        AvroLimits.install();
    }

    private final SchemasConfig config;
    private final SchemaStore store;
    private final BinaryMessageDecoder<InferenceRequest> avroDecoder;
    private final BinaryMessageEncoder<InferenceRequest> avroEncoder;
    private final ConfluentAvro<InferenceRequest> confluent;
    private final SchemaRegistryClient registry;
    private final AvroJson json;
    private final RequestValidator validator;

    /** A codec with every setting at its default and the built-in known schemas. */
    public RequestCodec() {
        this(SchemasConfig.defaults());
    }

    /**
     * A codec with the given settings, knowing the built-in schemas and the configured extra files,
     * and the schema registry they name, if any.
     */
    public RequestCodec(SchemasConfig config) {
        this(config, WireSchemas.store(WireSchemas.request(), config));
    }

    /**
     * A codec with the given settings that accepts the single-object writer schemas {@code store}
     * knows (it should know the current one, {@link WireSchemas#request()}), and the schema registry
     * the settings name, if any.
     */
    public RequestCodec(SchemasConfig config, SchemaStore store) {
        this(config, store, config.schemaRegistry().map(SchemaRegistryClient::new).orElse(null));
    }

    /**
     * A codec as {@link #RequestCodec(SchemasConfig, SchemaStore)} that fetches Confluent-framed
     * records' writer schemas from {@code registry} (null: none, such records are UNKNOWN_SCHEMA).
     */
    public RequestCodec(SchemasConfig config, SchemaStore store, SchemaRegistryClient registry) {
        AvroLimits.install();
        this.config = config;
        this.store = store;
        this.registry = registry;
        this.confluent = new ConfluentAvro<>(registry, WireSchemas.request());
        Schema schema = WireSchemas.request();
        this.avroDecoder = new BinaryMessageDecoder<>(TrustedSpecificData.INSTANCE, schema, store);
        this.avroEncoder = new BinaryMessageEncoder<>(TrustedSpecificData.INSTANCE, schema);
        this.json = new AvroJson(TrustedSpecificData.INSTANCE, config.requestMaxBytes(), config.jsonMaxDepth());
        this.validator = new RequestValidator(config);
    }

    /** The request in the given format; throws IllegalArgumentException when it does not fit the schema. */
    public byte[] encode(InferenceRequest request, WireFormat format) {
        return switch (format) {
            case AVRO -> RecordEncoding.singleObject(avroEncoder, request, "request");
            case JSON -> json.write(request, WireSchemas.request());
        };
    }

    /**
     * The request in Confluent's wire format under {@code schemaId}, the id the registry gave
     * {@link WireSchemas#request()}; throws IllegalArgumentException when it does not fit the schema.
     */
    public byte[] encodeConfluent(InferenceRequest request, int schemaId) {
        return RecordEncoding.confluent(confluent, request, schemaId, "request");
    }

    /** The schema registry this codec reads (and its serializer writes) against; empty when none. */
    public Optional<SchemaRegistryClient> registry() {
        return Optional.ofNullable(registry);
    }

    /** Decodes and validates one record value; null and empty values are UNDECODABLE. */
    public RequestDecodeResult decode(byte[] value) {
        Optional<WireFormat> format = WireFormat.detect(value);
        if (format.isEmpty()) {
            return new RequestDecodeResult.Rejected(ErrorCode.UNDECODABLE, value == null || value.length == 0
                    ? "empty record value"
                    : "neither JSON (starts with '{') nor Avro (single-object encoding starts with C3 01, Confluent's"
                    + " wire format with 00); first byte "
                    + String.format("0x%02X", value[0]));
        }
        if (value.length > config.requestMaxBytes()) {
            return new RequestDecodeResult.Rejected(ErrorCode.INVALID_REQUEST, "record is " + value.length
                    + " bytes, more than " + SchemasConfig.REQUEST_MAX_BYTES_CONFIG + "=" + config.requestMaxBytes(),
                    peekRequestId(value, format.get()), Map.of());
        }
        try {
            return switch (format.get()) {
                case AVRO -> decodeAvro(value);
                case JSON -> decodeJson(value);
            };
        } catch (RuntimeException e) {
            // A bug rather than bad input (every expected failure is handled below), but still an answer.
            return new RequestDecodeResult.Rejected(ErrorCode.INTERNAL, "decoding failed: " + e,
                    peekRequestId(value, format.get()), Map.of());
        }
    }

    private RequestDecodeResult decodeAvro(byte[] value) {
        if (ConfluentAvro.framed(value)) {
            return decodeConfluent(value);
        }
        InferenceRequest request;
        try {
            request = avroDecoder.decode(value);
        } catch (MissingSchemaException e) {
            return new RequestDecodeResult.Rejected(ErrorCode.UNKNOWN_SCHEMA, "writer schema with fingerprint "
                    + String.format("%016x", fingerprint(value)) + " is unknown here (known: the current request"
                    + " schema, " + WireSchemas.KNOWN_INDEX + " and " + SchemasConfig.SCHEMAS_EXTRA_FILES_CONFIG + ")",
                    peekRequestId(value, WireFormat.AVRO), Map.of());
        } catch (BadHeaderException e) {
            return new RequestDecodeResult.Rejected(ErrorCode.UNDECODABLE,
                    "truncated single-object header: " + value.length + " bytes");
        } catch (IOException | RuntimeException e) {
            // AvroRuntimeException (incl. SystemLimitException), EOF, bad union index, negative length...
            return new RequestDecodeResult.Rejected(ErrorCode.UNDECODABLE, "Avro body does not decode: "
                    + rootMessage(e), peekRequestId(value, WireFormat.AVRO), Map.of());
        }
        return validator.validate(request, WireFormat.AVRO);
    }

    private RequestDecodeResult decodeConfluent(byte[] value) {
        InferenceRequest request;
        try {
            request = confluent.read(value);
        } catch (WireDecodeException e) {
            return new RequestDecodeResult.Rejected(e.code(), e.detail(), peekRequestId(value, WireFormat.AVRO),
                    Map.of());
        }
        return validator.validate(request, WireFormat.AVRO);
    }

    private RequestDecodeResult decodeJson(byte[] value) {
        JsonNode node;
        try {
            node = json.parse(value);
        } catch (IOException | RuntimeException e) {
            return new RequestDecodeResult.Rejected(ErrorCode.UNDECODABLE, "not well-formed JSON within limits: "
                    + rootMessage(e), peekRequestId(value, WireFormat.JSON), Map.of());
        }
        InferenceRequest request;
        try {
            request = (InferenceRequest) json.read(node, WireSchemas.request(), config.requestJsonIgnoresUnknownFields());
        } catch (AvroJson.MappingException e) {
            ErrorCode code = e.kind() == AvroJson.MappingException.Kind.RANGE && SAMPLING_FIELDS.contains(e.field())
                    ? ErrorCode.INVALID_SAMPLING : ErrorCode.INVALID_REQUEST;
            return new RequestDecodeResult.Rejected(code, e.getMessage(), idFromTree(node), metadataFromTree(node));
        }
        return validator.validate(request, WireFormat.JSON);
    }

    /**
     * The request id of a record that did not decode, when it can be read and is a usable id: the
     * first field of a known Avro writer schema, or a top-level "request_id" string of a JSON object
     * read token by token up to it.
     */
    String peekRequestId(byte[] value, WireFormat format) {
        try {
            String id = switch (format) {
                case AVRO -> peekAvro(value);
                case JSON -> peekJson(value);
            };
            return id == null || id.isEmpty() || RequestValidator.idProblem(id) != null ? null : id;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private String peekAvro(byte[] value) throws IOException {
        boolean confluentFramed = ConfluentAvro.framed(value);
        int header = confluentFramed ? ConfluentAvro.HEADER_BYTES : WireFormat.AVRO_HEADER_BYTES;
        if (value.length < header) {
            return null;
        }
        // Every request schema version starts with request_id (a string), so the body of an unknown
        // version still starts with it; a known writer schema must say so.
        Schema writer = confluentFramed ? confluent.knownWriter(value) : store.findByFingerprint(fingerprint(value));
        if (writer != null && (writer.getType() != Schema.Type.RECORD || writer.getFields().isEmpty()
                || !writer.getFields().get(0).name().equals(REQUEST_ID)
                || writer.getFields().get(0).schema().getType() != Schema.Type.STRING)) {
            return null;
        }
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(value, header, value.length - header, null);
        long length = decoder.readLong();
        if (length <= 0 || length > 4L * RequestValidator.MAX_REQUEST_ID_CHARS || length > value.length - header) {
            return null;
        }
        byte[] utf8 = new byte[(int) length];
        decoder.readFixed(utf8);
        CharsetDecoder strict = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            return strict.decode(ByteBuffer.wrap(utf8)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private String peekJson(byte[] value) throws IOException {
        try (JsonParser parser = json.factory().createParser(value)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            for (JsonToken token = parser.nextToken(); token == JsonToken.FIELD_NAME; token = parser.nextToken()) {
                String name = parser.currentName();
                JsonToken valueToken = parser.nextToken();
                if (REQUEST_ID.equals(name)) {
                    return valueToken == JsonToken.VALUE_STRING ? parser.getText() : null;
                }
                parser.skipChildren();
            }
            return null;
        }
    }

    private static String idFromTree(JsonNode node) {
        JsonNode id = node.get(REQUEST_ID);
        if (id == null || !id.isTextual()) {
            return null;
        }
        String text = id.asText();
        return text.isEmpty() || RequestValidator.idProblem(text) != null ? null : text;
    }

    /** The metadata of a JSON request that failed mapping, when it is a flat object of strings. */
    private static Map<String, String> metadataFromTree(JsonNode node) {
        JsonNode metadata = node.get("metadata");
        if (metadata == null || !metadata.isObject()) {
            return Map.of();
        }
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : metadata.properties()) {
            if (!entry.getValue().isTextual()) {
                return Map.of();
            }
            out.put(entry.getKey(), entry.getValue().asText());
        }
        return out;
    }

    /** The little-endian fingerprint of a single-object header (bytes 2..9). */
    static long fingerprint(byte[] value) {
        return ByteBuffer.wrap(value, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
