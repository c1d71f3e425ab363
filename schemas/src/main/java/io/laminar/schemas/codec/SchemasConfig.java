package io.laminar.schemas.codec;

import io.laminar.schemas.registry.RegistrySettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.types.Password;

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
            + " encoding, or Confluent's wire format when laminar.schema.registry.url is set) or 'json'. The request"
            + " deserializer reads every format whatever this says.";
    public static final String DEFAULT_REQUEST_FORMAT = "avro";

    /** {@code laminar.response.format}: the encoding ResponseSerializer writes. */
    public static final String RESPONSE_FORMAT_CONFIG = "laminar.response.format";
    public static final String RESPONSE_FORMAT_DOC = "Encoding the response serializer writes on the responses"
            + " topic: 'avro' (single-object encoding, or Confluent's wire format when laminar.schema.registry.url is"
            + " set) or 'json' (one JSON object per event, registry or not). The response deserializer reads every"
            + " format whatever this says.";
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

    /** {@code laminar.schema.registry.url}: the schema registry; unset means none. */
    public static final String SCHEMA_REGISTRY_URL_CONFIG = "laminar.schema.registry.url";
    public static final String SCHEMA_REGISTRY_URL_DOC = "Comma-separated base URLs of a schema registry with"
            + " Confluent's REST API (tried in order). When set, Avro is read and written in Confluent's wire format"
            + " (00, 4-byte schema id, Avro binary) against it: subjects are TOPIC-value, writer schemas are fetched"
            + " by id and cached; single-object Avro and JSON records are still read. Empty: no registry, Avro is"
            + " single-object encoded.";
    public static final String DEFAULT_SCHEMA_REGISTRY_URL = "";

    /** {@code laminar.schema.registry.basic.auth.user.info}: HTTP basic credentials. */
    public static final String SCHEMA_REGISTRY_USER_INFO_CONFIG = "laminar.schema.registry.basic.auth.user.info";
    public static final String SCHEMA_REGISTRY_USER_INFO_DOC = "USER:PASSWORD for HTTP basic authentication with"
            + " the schema registry. Credentials in the URL (https://USER:PASSWORD@HOST) are used when this is unset.";

    /** {@code laminar.schema.registry.ssl.truststore.location}: CAs trusted for an https registry. */
    public static final String SCHEMA_REGISTRY_TRUSTSTORE_LOCATION_CONFIG =
            "laminar.schema.registry.ssl.truststore.location";
    public static final String SCHEMA_REGISTRY_TRUSTSTORE_LOCATION_DOC = "Trust store file with the CA certificates"
            + " an https schema registry's certificate must chain to; unset: the JVM's default CAs.";

    /** {@code laminar.schema.registry.ssl.truststore.password}. */
    public static final String SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD_CONFIG =
            "laminar.schema.registry.ssl.truststore.password";
    public static final String SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD_DOC = "Password of the trust store, if it has one.";

    /** {@code laminar.schema.registry.ssl.truststore.type}. */
    public static final String SCHEMA_REGISTRY_TRUSTSTORE_TYPE_CONFIG = "laminar.schema.registry.ssl.truststore.type";
    public static final String SCHEMA_REGISTRY_TRUSTSTORE_TYPE_DOC = "Format of the trust store file: PKCS12 or JKS"
            + " (either reads both).";
    public static final String DEFAULT_SCHEMA_REGISTRY_STORE_TYPE = "PKCS12";

    /** {@code laminar.schema.registry.ssl.keystore.location}: a client certificate for mutual TLS. */
    public static final String SCHEMA_REGISTRY_KEYSTORE_LOCATION_CONFIG = "laminar.schema.registry.ssl.keystore.location";
    public static final String SCHEMA_REGISTRY_KEYSTORE_LOCATION_DOC = "Key store file with the client key and"
            + " certificate to present to a schema registry that asks for one (mutual TLS); unset: none.";

    /** {@code laminar.schema.registry.ssl.keystore.password}. */
    public static final String SCHEMA_REGISTRY_KEYSTORE_PASSWORD_CONFIG = "laminar.schema.registry.ssl.keystore.password";
    public static final String SCHEMA_REGISTRY_KEYSTORE_PASSWORD_DOC = "Password of the key store.";

    /** {@code laminar.schema.registry.ssl.keystore.type}. */
    public static final String SCHEMA_REGISTRY_KEYSTORE_TYPE_CONFIG = "laminar.schema.registry.ssl.keystore.type";
    public static final String SCHEMA_REGISTRY_KEYSTORE_TYPE_DOC = "Format of the key store file: PKCS12 or JKS.";

    /** {@code laminar.schema.registry.ssl.key.password}. */
    public static final String SCHEMA_REGISTRY_KEY_PASSWORD_CONFIG = "laminar.schema.registry.ssl.key.password";
    public static final String SCHEMA_REGISTRY_KEY_PASSWORD_DOC = "Password of the private key in the key store;"
            + " unset: the key store's password.";

    /** {@code laminar.schema.registry.auto.register.schemas}: register, or only look up, the written schemas. */
    public static final String SCHEMA_REGISTRY_AUTO_REGISTER_CONFIG = "laminar.schema.registry.auto.register.schemas";
    public static final String SCHEMA_REGISTRY_AUTO_REGISTER_DOC = "Whether the schemas Laminar writes (and the"
            + " request schema the gateway reads into) are registered under their subjects at start-up or first use"
            + " (POST /subjects/SUBJECT/versions). false: they are only looked up (POST /subjects/SUBJECT), for"
            + " registries where schemas are registered ahead, and a response schema that is missing stops start-up.";
    public static final boolean DEFAULT_SCHEMA_REGISTRY_AUTO_REGISTER = true;

    /** {@code laminar.schema.registry.request.timeout.ms}. */
    public static final String SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS_CONFIG = "laminar.schema.registry.request.timeout.ms";
    public static final String SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS_DOC = "How long one call to the schema registry"
            + " (connecting included) may take before the next URL is tried, or the call fails.";
    public static final int DEFAULT_SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS = 5_000;

    /** {@code laminar.schema.registry.retry.backoff.ms}: how long an unreachable registry is not asked again. */
    public static final String SCHEMA_REGISTRY_RETRY_BACKOFF_MS_CONFIG = "laminar.schema.registry.retry.backoff.ms";
    public static final String SCHEMA_REGISTRY_RETRY_BACKOFF_MS_DOC = "After the registry could not be reached (or"
            + " answered 5xx), how long records with a schema id not yet cached are refused at once (UNKNOWN_SCHEMA)"
            + " instead of each waiting for the timeout, so an outage cannot stall the consumer: it waits at most one"
            + " timeout per backoff. Ids already cached are read as usual throughout.";
    public static final long DEFAULT_SCHEMA_REGISTRY_RETRY_BACKOFF_MS = 10_000;

    /** {@code laminar.schema.registry.missing.id.cache.ttl.ms}: how long an unknown schema id stays unknown. */
    public static final String SCHEMA_REGISTRY_MISSING_ID_TTL_MS_CONFIG = "laminar.schema.registry.missing.id.cache.ttl.ms";
    public static final String SCHEMA_REGISTRY_MISSING_ID_TTL_MS_DOC = "How long a schema id the registry does not"
            + " have (404) is remembered as missing, so records carrying it are refused without asking again; 0"
            + " asks every time.";
    public static final long DEFAULT_SCHEMA_REGISTRY_MISSING_ID_TTL_MS = 30_000;

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
                    Importance.LOW, SCHEMAS_EXTRA_FILES_DOC)
            .define(SCHEMA_REGISTRY_URL_CONFIG, Type.LIST, DEFAULT_SCHEMA_REGISTRY_URL,
                    Importance.HIGH, SCHEMA_REGISTRY_URL_DOC)
            .define(SCHEMA_REGISTRY_USER_INFO_CONFIG, Type.PASSWORD, null,
                    Importance.MEDIUM, SCHEMA_REGISTRY_USER_INFO_DOC)
            .define(SCHEMA_REGISTRY_TRUSTSTORE_LOCATION_CONFIG, Type.STRING, null,
                    Importance.MEDIUM, SCHEMA_REGISTRY_TRUSTSTORE_LOCATION_DOC)
            .define(SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD_CONFIG, Type.PASSWORD, null,
                    Importance.MEDIUM, SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD_DOC)
            .define(SCHEMA_REGISTRY_TRUSTSTORE_TYPE_CONFIG, Type.STRING, DEFAULT_SCHEMA_REGISTRY_STORE_TYPE,
                    ValidString.in("PKCS12", "JKS"), Importance.LOW, SCHEMA_REGISTRY_TRUSTSTORE_TYPE_DOC)
            .define(SCHEMA_REGISTRY_KEYSTORE_LOCATION_CONFIG, Type.STRING, null,
                    Importance.LOW, SCHEMA_REGISTRY_KEYSTORE_LOCATION_DOC)
            .define(SCHEMA_REGISTRY_KEYSTORE_PASSWORD_CONFIG, Type.PASSWORD, null,
                    Importance.LOW, SCHEMA_REGISTRY_KEYSTORE_PASSWORD_DOC)
            .define(SCHEMA_REGISTRY_KEYSTORE_TYPE_CONFIG, Type.STRING, DEFAULT_SCHEMA_REGISTRY_STORE_TYPE,
                    ValidString.in("PKCS12", "JKS"), Importance.LOW, SCHEMA_REGISTRY_KEYSTORE_TYPE_DOC)
            .define(SCHEMA_REGISTRY_KEY_PASSWORD_CONFIG, Type.PASSWORD, null,
                    Importance.LOW, SCHEMA_REGISTRY_KEY_PASSWORD_DOC)
            .define(SCHEMA_REGISTRY_AUTO_REGISTER_CONFIG, Type.BOOLEAN, DEFAULT_SCHEMA_REGISTRY_AUTO_REGISTER,
                    Importance.MEDIUM, SCHEMA_REGISTRY_AUTO_REGISTER_DOC)
            .define(SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS_CONFIG, Type.INT, DEFAULT_SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS,
                    ConfigDef.Range.atLeast(1), Importance.LOW, SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS_DOC)
            .define(SCHEMA_REGISTRY_RETRY_BACKOFF_MS_CONFIG, Type.LONG, DEFAULT_SCHEMA_REGISTRY_RETRY_BACKOFF_MS,
                    ConfigDef.Range.atLeast(0), Importance.LOW, SCHEMA_REGISTRY_RETRY_BACKOFF_MS_DOC)
            .define(SCHEMA_REGISTRY_MISSING_ID_TTL_MS_CONFIG, Type.LONG, DEFAULT_SCHEMA_REGISTRY_MISSING_ID_TTL_MS,
                    ConfigDef.Range.atLeast(0), Importance.LOW, SCHEMA_REGISTRY_MISSING_ID_TTL_MS_DOC);

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

    /** The schema registry's base URLs; empty when none is configured. */
    public java.util.List<String> schemaRegistryUrls() {
        return getList(SCHEMA_REGISTRY_URL_CONFIG).stream().map(String::strip).filter(u -> !u.isEmpty()).toList();
    }

    /** Whether a schema registry is configured: Avro is then written in Confluent's wire format. */
    public boolean usesSchemaRegistry() {
        return !schemaRegistryUrls().isEmpty();
    }

    public boolean schemaRegistryAutoRegister() {
        return getBoolean(SCHEMA_REGISTRY_AUTO_REGISTER_CONFIG);
    }


    /** How to reach the configured schema registry; empty when none is configured. */
    public java.util.Optional<RegistrySettings> schemaRegistry() {
        if (!usesSchemaRegistry()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new RegistrySettings(schemaRegistryUrls(), secret(SCHEMA_REGISTRY_USER_INFO_CONFIG),
                store(SCHEMA_REGISTRY_TRUSTSTORE_LOCATION_CONFIG, SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD_CONFIG,
                        SCHEMA_REGISTRY_TRUSTSTORE_TYPE_CONFIG, null),
                store(SCHEMA_REGISTRY_KEYSTORE_LOCATION_CONFIG, SCHEMA_REGISTRY_KEYSTORE_PASSWORD_CONFIG,
                        SCHEMA_REGISTRY_KEYSTORE_TYPE_CONFIG, SCHEMA_REGISTRY_KEY_PASSWORD_CONFIG),
                Duration.ofMillis(getInt(SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS_CONFIG)),
                Duration.ofMillis(getLong(SCHEMA_REGISTRY_RETRY_BACKOFF_MS_CONFIG)),
                Duration.ofMillis(getLong(SCHEMA_REGISTRY_MISSING_ID_TTL_MS_CONFIG))));
    }

    private String secret(String key) {
        Password password = getPassword(key);
        return password == null ? null : password.value();
    }

    private RegistrySettings.Store store(String locationKey, String passwordKey, String typeKey, String keyPasswordKey) {
        String location = getString(locationKey);
        if (location == null || location.isBlank()) {
            return null;
        }
        return new RegistrySettings.Store(Path.of(location.strip()), secret(passwordKey), getString(typeKey),
                keyPasswordKey == null ? null : secret(keyPasswordKey));
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
