package io.laminar.schemas.codec;

import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;

/**
 * Settings of the wire contract's codecs and Kafka serializers. They are passed like any Kafka
 * serializer setting: in the producer or consumer properties, from which Kafka hands them to
 * {@code configure}. Every key starts with {@code laminar.} so it cannot clash with Kafka's own.
 * {@link #main} prints the table docs/schemas.md carries.
 *
 * <p>Avro's decoding limits are JVM-wide system properties rather than keys here: see
 * {@link AvroLimits}.
 */
public final class SchemasConfig extends AbstractConfig {

    /** {@code laminar.request.format}: the encoding RequestSerializer writes. */
    public static final String REQUEST_FORMAT_CONFIG = "laminar.request.format";
    public static final String REQUEST_FORMAT_DOC = "Encoding the request serializer writes: 'avro' (single-object"
            + " encoding) or 'json'. The request deserializer reads both whatever this says.";
    public static final String DEFAULT_REQUEST_FORMAT = "avro";

    /** {@code laminar.response.format}: the encoding ResponseSerializer writes. */
    public static final String RESPONSE_FORMAT_CONFIG = "laminar.response.format";
    public static final String RESPONSE_FORMAT_DOC = "Encoding the response serializer writes on the responses"
            + " topic: 'avro' (single-object encoding) or 'json' (one JSON object per event). The response"
            + " deserializer reads both whatever this says.";
    public static final String DEFAULT_RESPONSE_FORMAT = "avro";

    /** {@code laminar.request.max.bytes}: the largest record value decoded. */
    public static final String REQUEST_MAX_BYTES_CONFIG = "laminar.request.max.bytes";
    public static final String REQUEST_MAX_BYTES_DOC = "Largest request record value, in bytes, that is decoded;"
            + " a larger one is rejected with INVALID_REQUEST (its request_id is still read). Also bounds the length"
            + " of JSON documents (requests, and response events in the response deserializer). The default matches"
            + " Kafka's default message size; above 4 MiB raise org.apache.avro.limits.string.maxLength too.";
    public static final int DEFAULT_REQUEST_MAX_BYTES = 1024 * 1024;

    /** {@code laminar.request.max.prompt.chars}: the longest prompt accepted. */
    public static final String REQUEST_MAX_PROMPT_CHARS_CONFIG = "laminar.request.max.prompt.chars";
    public static final String REQUEST_MAX_PROMPT_CHARS_DOC = "Longest prompt accepted, in UTF-16 chars: the"
            + " prompt, or the contents of all messages added up. Longer is rejected with PROMPT_TOO_LONG. The"
            + " scheduler rejects prompts over the model's context with the same code once tokenized.";
    public static final int DEFAULT_REQUEST_MAX_PROMPT_CHARS = 512 * 1024;

    /** {@code laminar.request.max.messages}: the most chat messages in one request. */
    public static final String REQUEST_MAX_MESSAGES_CONFIG = "laminar.request.max.messages";
    public static final String REQUEST_MAX_MESSAGES_DOC = "Most chat messages one request may carry; more is"
            + " rejected with PROMPT_TOO_LONG.";
    public static final int DEFAULT_REQUEST_MAX_MESSAGES = 1024;

    /** {@code laminar.request.max.tokens.limit}: the largest max_tokens accepted. */
    public static final String REQUEST_MAX_TOKENS_LIMIT_CONFIG = "laminar.request.max.tokens.limit";
    public static final String REQUEST_MAX_TOKENS_LIMIT_DOC = "Largest max_tokens a request may ask for; more is"
            + " rejected with INVALID_SAMPLING. Generation also ends at the model's context (finish_reason CONTEXT).";
    public static final int DEFAULT_REQUEST_MAX_TOKENS_LIMIT = 131_072;

    /** {@code laminar.request.max.stop.strings}: the most stop strings in one request. */
    public static final String REQUEST_MAX_STOP_STRINGS_CONFIG = "laminar.request.max.stop.strings";
    public static final String REQUEST_MAX_STOP_STRINGS_DOC = "Most stop strings one request may give; more is"
            + " rejected with INVALID_REQUEST.";
    public static final int DEFAULT_REQUEST_MAX_STOP_STRINGS = 16;

    /** {@code laminar.request.max.stop.string.chars}: the longest stop string. */
    public static final String REQUEST_MAX_STOP_STRING_CHARS_CONFIG = "laminar.request.max.stop.string.chars";
    public static final String REQUEST_MAX_STOP_STRING_CHARS_DOC = "Longest stop string, in UTF-16 chars; longer"
            + " is rejected with INVALID_REQUEST.";
    public static final int DEFAULT_REQUEST_MAX_STOP_STRING_CHARS = 256;

    /** {@code laminar.request.max.metadata.entries}: the most metadata entries in one request. */
    public static final String REQUEST_MAX_METADATA_ENTRIES_CONFIG = "laminar.request.max.metadata.entries";
    public static final String REQUEST_MAX_METADATA_ENTRIES_DOC = "Most metadata entries one request may carry"
            + " (they are echoed on every response event); more is rejected with INVALID_REQUEST.";
    public static final int DEFAULT_REQUEST_MAX_METADATA_ENTRIES = 64;

    /** {@code laminar.json.max.depth}: the deepest JSON nesting read. */
    public static final String JSON_MAX_DEPTH_CONFIG = "laminar.json.max.depth";
    public static final String JSON_MAX_DEPTH_DOC = "Deepest nesting of JSON objects and arrays read (requests and"
            + " response events need 3); deeper input is UNDECODABLE before it is built.";
    public static final int DEFAULT_JSON_MAX_DEPTH = 16;

    /** {@code laminar.request.json.unknown.fields}: what a JSON request field the schema lacks does. */
    public static final String REQUEST_JSON_UNKNOWN_FIELDS_CONFIG = "laminar.request.json.unknown.fields";
    public static final String REQUEST_JSON_UNKNOWN_FIELDS_DOC = "What a field of a JSON request that the schema"
            + " does not have does: 'reject' (INVALID_REQUEST naming it; catches typos such as max_token) or"
            + " 'ignore' (like an Avro reader skipping a newer writer's field). Response decoding always ignores.";
    public static final String DEFAULT_REQUEST_JSON_UNKNOWN_FIELDS = "reject";

    /** {@code laminar.schemas.extra.files}: writer schemas known beyond the built-in ones. */
    public static final String SCHEMAS_EXTRA_FILES_CONFIG = "laminar.schemas.extra.files";
    public static final String SCHEMAS_EXTRA_FILES_DOC = "Comma-separated paths of .avsc files (request or response"
            + " event schemas, older or newer) whose single-object fingerprints the decoders accept on top of the"
            + " built-in ones, so a deployment can learn a new writer schema without a rebuild.";
    public static final String DEFAULT_SCHEMAS_EXTRA_FILES = "";

    private static final ConfigDef CONFIG_DEF = new ConfigDef()
            .define(REQUEST_FORMAT_CONFIG, Type.STRING, DEFAULT_REQUEST_FORMAT,
                    ValidString.in("avro", "json"), Importance.MEDIUM, REQUEST_FORMAT_DOC)
            .define(RESPONSE_FORMAT_CONFIG, Type.STRING, DEFAULT_RESPONSE_FORMAT,
                    ValidString.in("avro", "json"), Importance.HIGH, RESPONSE_FORMAT_DOC)
            .define(REQUEST_MAX_BYTES_CONFIG, Type.INT, DEFAULT_REQUEST_MAX_BYTES,
                    ConfigDef.Range.atLeast(64), Importance.MEDIUM, REQUEST_MAX_BYTES_DOC)
            .define(REQUEST_MAX_PROMPT_CHARS_CONFIG, Type.INT, DEFAULT_REQUEST_MAX_PROMPT_CHARS,
                    ConfigDef.Range.atLeast(1), Importance.MEDIUM, REQUEST_MAX_PROMPT_CHARS_DOC)
            .define(REQUEST_MAX_MESSAGES_CONFIG, Type.INT, DEFAULT_REQUEST_MAX_MESSAGES,
                    ConfigDef.Range.atLeast(1), Importance.LOW, REQUEST_MAX_MESSAGES_DOC)
            .define(REQUEST_MAX_TOKENS_LIMIT_CONFIG, Type.INT, DEFAULT_REQUEST_MAX_TOKENS_LIMIT,
                    ConfigDef.Range.atLeast(1), Importance.MEDIUM, REQUEST_MAX_TOKENS_LIMIT_DOC)
            .define(REQUEST_MAX_STOP_STRINGS_CONFIG, Type.INT, DEFAULT_REQUEST_MAX_STOP_STRINGS,
                    ConfigDef.Range.atLeast(0), Importance.LOW, REQUEST_MAX_STOP_STRINGS_DOC)
            .define(REQUEST_MAX_STOP_STRING_CHARS_CONFIG, Type.INT, DEFAULT_REQUEST_MAX_STOP_STRING_CHARS,
                    ConfigDef.Range.atLeast(1), Importance.LOW, REQUEST_MAX_STOP_STRING_CHARS_DOC)
            .define(REQUEST_MAX_METADATA_ENTRIES_CONFIG, Type.INT, DEFAULT_REQUEST_MAX_METADATA_ENTRIES,
                    ConfigDef.Range.atLeast(0), Importance.LOW, REQUEST_MAX_METADATA_ENTRIES_DOC)
            .define(JSON_MAX_DEPTH_CONFIG, Type.INT, DEFAULT_JSON_MAX_DEPTH,
                    ConfigDef.Range.between(3, 1000), Importance.LOW, JSON_MAX_DEPTH_DOC)
            .define(REQUEST_JSON_UNKNOWN_FIELDS_CONFIG, Type.STRING, DEFAULT_REQUEST_JSON_UNKNOWN_FIELDS,
                    ValidString.in("reject", "ignore"), Importance.LOW, REQUEST_JSON_UNKNOWN_FIELDS_DOC)
            .define(SCHEMAS_EXTRA_FILES_CONFIG, Type.LIST, DEFAULT_SCHEMAS_EXTRA_FILES,
                    Importance.LOW, SCHEMAS_EXTRA_FILES_DOC);

    /** Reads the {@code laminar.*} keys of {@code props}; others (Kafka's own) are ignored. */
    public SchemasConfig(Map<String, ?> props) {
        super(CONFIG_DEF, props, false);
    }

    /** Every setting at its default. */
    public static SchemasConfig defaults() {
        return new SchemasConfig(Map.of());
    }

    /** The definitions, for generated documentation. */
    public static ConfigDef configDef() {
        return new ConfigDef(CONFIG_DEF);
    }

    public WireFormat requestFormat() {
        return WireFormat.fromConfigValue(getString(REQUEST_FORMAT_CONFIG));
    }

    public WireFormat responseFormat() {
        return WireFormat.fromConfigValue(getString(RESPONSE_FORMAT_CONFIG));
    }

    public int requestMaxBytes() {
        return getInt(REQUEST_MAX_BYTES_CONFIG);
    }

    public int requestMaxPromptChars() {
        return getInt(REQUEST_MAX_PROMPT_CHARS_CONFIG);
    }

    public int requestMaxMessages() {
        return getInt(REQUEST_MAX_MESSAGES_CONFIG);
    }

    public int requestMaxTokensLimit() {
        return getInt(REQUEST_MAX_TOKENS_LIMIT_CONFIG);
    }

    public int requestMaxStopStrings() {
        return getInt(REQUEST_MAX_STOP_STRINGS_CONFIG);
    }

    public int requestMaxStopStringChars() {
        return getInt(REQUEST_MAX_STOP_STRING_CHARS_CONFIG);
    }

    public int requestMaxMetadataEntries() {
        return getInt(REQUEST_MAX_METADATA_ENTRIES_CONFIG);
    }

    public int jsonMaxDepth() {
        return getInt(JSON_MAX_DEPTH_CONFIG);
    }

    public boolean requestJsonIgnoresUnknownFields() {
        return "ignore".equals(getString(REQUEST_JSON_UNKNOWN_FIELDS_CONFIG));
    }

    public java.util.List<String> extraSchemaFiles() {
        return getList(SCHEMAS_EXTRA_FILES_CONFIG);
    }

    private static String defaultText(ConfigDef.ConfigKey key) {
        String text = ConfigDef.convertToString(key.defaultValue, key.type);
        return text == null || text.isEmpty() ? "\"\"" : text;
    }

    /** Prints the settings as the Markdown table in docs/schemas.md. */
    public static void main(String[] args) {
        System.out.print(markdownTable());
    }

    /** The settings as a Markdown table: key, type, default, valid values, description. */
    public static String markdownTable() {
        StringBuilder out = new StringBuilder("| Key | Type | Default | Valid values | Description |\n")
                .append("| --- | --- | --- | --- | --- |\n");
        for (ConfigDef.ConfigKey key : CONFIG_DEF.configKeys().values()) {
            String validator = key.validator == null ? "" : key.validator.toString();
            out.append("| `").append(key.name).append("` | ")
                    .append(key.type.name().toLowerCase(java.util.Locale.ROOT)).append(" | `")
                    .append(defaultText(key)).append("` | ")
                    .append(validator).append(" | ")
                    .append(key.documentation).append(" |\n");
        }
        return out.toString();
    }
}
