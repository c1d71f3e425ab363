package io.laminar.app.kafka;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * How Laminar talks to Kafka: the client properties of a {@code --kafka-config FILE} over Laminar's
 * defaults, and Laminar's topic settings in the same file.
 *
 * <p>The file is a Java properties file. Keys starting with {@code laminar.topic.} are defined
 * below and checked (an unknown one is an error, so a typo does not pass silently); they never
 * reach a Kafka client. Every other key goes to the Kafka clients: client properties (SASL, SSL,
 * timeouts, anything the Kafka clients accept) and the serializers' own {@code laminar.*} settings
 * (see docs/schemas.md), which Kafka hands to their {@code configure}. An unprefixed key goes to
 * all three clients; a key prefixed {@code producer.}, {@code consumer.} or {@code admin.} goes to
 * that client only, without its prefix, and wins over the unprefixed one. For example:
 *
 * <pre>
 * bootstrap.servers=broker-1:9093,broker-2:9093
 * security.protocol=SASL_SSL
 * sasl.mechanism=PLAIN
 * sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";
 * producer.linger.ms=0
 * laminar.topic.partitions=12
 * </pre>
 *
 * <p>{@link #bootstrapServers()} is empty when neither the file nor {@link #withBootstrapServers}
 * names one: {@code laminar serve} then starts an {@link EmbeddedKafka} and calls
 * {@code withBootstrapServers(kafka.bootstrapServers())}.
 *
 * <p>Instances are immutable; the client maps they return are fresh copies.
 */
public final class KafkaSettings {

    /** Prefix of the keys defined here; such keys never reach a Kafka client. */
    public static final String TOPIC_PREFIX = "laminar.topic.";
    public static final String PRODUCER_PREFIX = "producer.";
    public static final String CONSUMER_PREFIX = "consumer.";
    public static final String ADMIN_PREFIX = "admin.";

    /** <code>laminar.topic.requests</code> */
    public static final String REQUESTS_TOPIC_CONFIG = "laminar.topic.requests";
    private static final String REQUESTS_TOPIC_DOC = "The topic inference requests arrive on; the gateway consumes it.";
    public static final String DEFAULT_REQUESTS_TOPIC = "laminar.requests";

    /** <code>laminar.topic.responses</code> */
    public static final String RESPONSES_TOPIC_CONFIG = "laminar.topic.responses";
    private static final String RESPONSES_TOPIC_DOC = "The topic response events (one per generated token, keyed by request id) go to.";
    public static final String DEFAULT_RESPONSES_TOPIC = "laminar.responses";

    /** <code>laminar.topic.dead.letter</code> */
    public static final String DEAD_LETTER_TOPIC_CONFIG = "laminar.topic.dead.letter";
    private static final String DEAD_LETTER_TOPIC_DOC = "The topic requests that cannot be read or are invalid are copied to; it has one partition.";
    public static final String DEFAULT_DEAD_LETTER_TOPIC = "laminar.dead-letter";

    /** <code>laminar.topic.partitions</code> */
    public static final String TOPIC_PARTITIONS_CONFIG = "laminar.topic.partitions";
    private static final String TOPIC_PARTITIONS_DOC = "Partitions of the requests and responses topics when Laminar creates them "
            + "(the dead-letter topic gets one). Requests partitions bound how many gateways of one group share the load. "
            + "Existing topics are left as they are.";
    public static final int DEFAULT_TOPIC_PARTITIONS = 3;

    /** <code>laminar.topic.replication.factor</code> */
    public static final String TOPIC_REPLICATION_FACTOR_CONFIG = "laminar.topic.replication.factor";
    private static final String TOPIC_REPLICATION_FACTOR_DOC = "Replication factor of the topics Laminar creates; -1 takes the broker's "
            + "default.replication.factor.";
    public static final short DEFAULT_TOPIC_REPLICATION_FACTOR = -1;

    /** <code>laminar.topic.setup.timeout.ms</code> */
    public static final String TOPIC_SETUP_TIMEOUT_MS_CONFIG = "laminar.topic.setup.timeout.ms";
    private static final String TOPIC_SETUP_TIMEOUT_MS_DOC = "How long topic setup may take, creating the topics and waiting until every "
            + "partition has a leader, before startup fails.";
    public static final long DEFAULT_TOPIC_SETUP_TIMEOUT_MS = 30_000;

    /** The {@code laminar.topic.*} keys: name, type, default, validator, importance and doc, in one place. */
    public static final ConfigDef CONFIG = new ConfigDef()
            .define(REQUESTS_TOPIC_CONFIG, Type.STRING, DEFAULT_REQUESTS_TOPIC, new ConfigDef.NonEmptyString(),
                    Importance.HIGH, REQUESTS_TOPIC_DOC)
            .define(RESPONSES_TOPIC_CONFIG, Type.STRING, DEFAULT_RESPONSES_TOPIC, new ConfigDef.NonEmptyString(),
                    Importance.HIGH, RESPONSES_TOPIC_DOC)
            .define(DEAD_LETTER_TOPIC_CONFIG, Type.STRING, DEFAULT_DEAD_LETTER_TOPIC, new ConfigDef.NonEmptyString(),
                    Importance.MEDIUM, DEAD_LETTER_TOPIC_DOC)
            .define(TOPIC_PARTITIONS_CONFIG, Type.INT, DEFAULT_TOPIC_PARTITIONS, ConfigDef.Range.atLeast(1),
                    Importance.MEDIUM, TOPIC_PARTITIONS_DOC)
            .define(TOPIC_REPLICATION_FACTOR_CONFIG, Type.SHORT, DEFAULT_TOPIC_REPLICATION_FACTOR,
                    new ReplicationFactor(), Importance.MEDIUM, TOPIC_REPLICATION_FACTOR_DOC)
            .define(TOPIC_SETUP_TIMEOUT_MS_CONFIG, Type.LONG, DEFAULT_TOPIC_SETUP_TIMEOUT_MS, ConfigDef.Range.atLeast(1),
                    Importance.LOW, TOPIC_SETUP_TIMEOUT_MS_DOC);

    /**
     * Client properties Laminar sets unless the file does: the producer is idempotent and waits for
     * every in-sync replica (no duplicate or lost response events); the consumer commits by hand,
     * only for finished requests, a new group starts from the oldest request, and a session ends
     * after 6 s without heartbeats.
     */
    private static final Map<String, String> PRODUCER_DEFAULTS = Map.of(
            ProducerConfig.ACKS_CONFIG, "all",
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    private static final Map<String, String> CONSUMER_DEFAULTS = Map.of(
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
            // A crashed gateway's requests wait for its session to time out before another gateway
            // takes them over (and resumes them): Kafka's 45 s is most of such a stall. 6 s is the
            // shortest a broker accepts by default (group.min.session.timeout.ms). A gateway frozen
            // longer (a long GC, a paused VM) loses its partitions, is fenced, and whoever takes them
            // resumes its requests after the tokens already written. A survivor learns of the
            // rebalance at its next heartbeat: every second, not Kafka's 3 s.
            ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "6000",
            ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1000");

    private final Map<String, String> clientProperties;
    private final Map<String, String> topicProperties;
    private final Map<String, Object> parsed;

    private KafkaSettings(Map<String, String> clientProperties, Map<String, String> topicProperties) {
        this.clientProperties = Collections.unmodifiableMap(new TreeMap<>(clientProperties));
        this.topicProperties = Collections.unmodifiableMap(new TreeMap<>(topicProperties));
        for (String key : topicProperties.keySet()) {
            if (!CONFIG.names().contains(key)) {
                throw new ConfigException(key, topicProperties.get(key), "unknown Laminar topic setting; known: "
                        + new TreeMap<>(CONFIG.defaultValues()).keySet());
            }
        }
        this.parsed = CONFIG.parse(topicProperties);
    }

    /** Laminar's defaults only: no bootstrap servers (so an embedded broker), default topic names. */
    public static KafkaSettings defaults() {
        return of(Map.of());
    }

    /** Settings from properties as a {@code --kafka-config} file would hold them. */
    public static KafkaSettings of(Map<String, String> properties) {
        Map<String, String> client = new LinkedHashMap<>();
        Map<String, String> topic = new LinkedHashMap<>();
        properties.forEach((key, value) -> {
            if (value == null) {
                throw new ConfigException(key, null, "a Kafka setting needs a value");
            }
            (key.startsWith(TOPIC_PREFIX) ? topic : client).put(key, value);
        });
        return new KafkaSettings(client, topic);
    }

    /** Reads a {@code --kafka-config} properties file (ISO-8859-1 escapes as usual, UTF-8 text accepted). */
    public static KafkaSettings load(Path file) {
        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the Kafka config file " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> map = new LinkedHashMap<>();
        props.stringPropertyNames().forEach(name -> map.put(name, props.getProperty(name)));
        try {
            return of(map);
        } catch (ConfigException e) {
            throw new ConfigException(file + ": " + e.getMessage());
        }
    }

    /** A copy whose {@code bootstrap.servers} is {@code servers} (a {@code --bootstrap-servers} flag, an embedded broker). */
    public KafkaSettings withBootstrapServers(String servers) {
        if (servers == null || servers.isBlank()) {
            throw new ConfigException(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, servers, "must name at least one HOST:PORT");
        }
        Map<String, String> client = new LinkedHashMap<>(clientProperties);
        client.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, servers.strip());
        return new KafkaSettings(client, topicProperties);
    }

    /** A copy with one more client-side setting (e.g. {@code laminar.response.format} from a command-line flag). */
    public KafkaSettings with(String key, String value) {
        Map<String, String> all = new LinkedHashMap<>(clientProperties);
        all.putAll(topicProperties);
        all.put(key, value);
        return of(all);
    }

    /** The configured {@code bootstrap.servers}; empty means none was given (start an embedded broker). */
    public Optional<String> bootstrapServers() {
        return Optional.ofNullable(clientProperties.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG))
                .filter(s -> !s.isBlank());
    }

    public String requestsTopic() {
        return (String) parsed.get(REQUESTS_TOPIC_CONFIG);
    }

    public String responsesTopic() {
        return (String) parsed.get(RESPONSES_TOPIC_CONFIG);
    }

    public String deadLetterTopic() {
        return (String) parsed.get(DEAD_LETTER_TOPIC_CONFIG);
    }

    public int topicPartitions() {
        return (Integer) parsed.get(TOPIC_PARTITIONS_CONFIG);
    }

    /** The replication factor for new topics; -1 means the broker's default. */
    public short topicReplicationFactor() {
        return (Short) parsed.get(TOPIC_REPLICATION_FACTOR_CONFIG);
    }

    public Duration topicSetupTimeout() {
        return Duration.ofMillis((Long) parsed.get(TOPIC_SETUP_TIMEOUT_MS_CONFIG));
    }

    /** Properties for {@code KafkaProducer}: Laminar's producer defaults, the file's common and {@code producer.} keys. Add serializers. */
    public Map<String, Object> producerConfig() {
        return clientConfig(PRODUCER_DEFAULTS, PRODUCER_PREFIX);
    }

    /** Properties for {@code KafkaConsumer} in group {@code groupId} (a {@code group.id} in the file wins). Add deserializers. */
    public Map<String, Object> consumerConfig(String groupId) {
        Map<String, String> defaults = new LinkedHashMap<>(CONSUMER_DEFAULTS);
        defaults.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        return clientConfig(defaults, CONSUMER_PREFIX);
    }

    /** Properties for {@code Admin.create}: the file's common and {@code admin.} keys. */
    public Map<String, Object> adminConfig() {
        return clientConfig(Map.of(), ADMIN_PREFIX);
    }

    /** The {@code laminar.topic.*} keys with their values (defaults included), for logs. */
    public Map<String, Object> topicValues() {
        return Collections.unmodifiableMap(new TreeMap<>(parsed));
    }

    /**
     * The {@code laminar.topic.*} keys as a Markdown table generated from {@link #CONFIG}: key, type,
     * default, valid values, description. docs/deploy.md holds it verbatim.
     */
    public static String docs() {
        StringBuilder table = new StringBuilder("""
                | Key | Type | Default | Valid values | Description |
                | --- | --- | --- | --- | --- |
                """);
        for (ConfigDef.ConfigKey key : CONFIG.configKeys().values()) {
            table.append("| `").append(key.name).append("` | ")
                    .append(key.type.name().toLowerCase(Locale.ROOT)).append(" | `")
                    .append(ConfigDef.convertToString(key.defaultValue, key.type)).append("` | ")
                    .append(key.validator == null ? "" : key.validator.toString()).append(" | ")
                    .append(key.documentation).append(" |\n");
        }
        return table.toString();
    }

    private Map<String, Object> clientConfig(Map<String, String> defaults, String prefix) {
        Map<String, Object> config = new LinkedHashMap<>(defaults);
        clientProperties.forEach((key, value) -> {
            if (!key.startsWith(PRODUCER_PREFIX) && !key.startsWith(CONSUMER_PREFIX) && !key.startsWith(ADMIN_PREFIX)) {
                config.put(key, value);
            }
        });
        clientProperties.forEach((key, value) -> {
            if (key.startsWith(prefix)) {
                config.put(key.substring(prefix.length()), value);
            }
        });
        return config;
    }

    /** -1 (the broker's default) or a positive count. */
    private static final class ReplicationFactor implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            short factor = (Short) value;
            if (factor != -1 && factor < 1) {
                throw new ConfigException(name, value, "must be -1 (the broker's default) or at least 1");
            }
        }

        @Override
        public String toString() {
            return "-1 or [1,...]";
        }
    }

    @Override
    public String toString() {
        Map<String, String> shown = new TreeMap<>(clientProperties);
        shown.replaceAll((key, value) -> looksSecret(key) ? "[hidden]" : value);
        return "KafkaSettings" + shown + topicValues();
    }

    private static boolean looksSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("password") || k.contains("jaas") || k.contains("secret") || k.endsWith(".key");
    }

    /** Prints the {@code laminar.topic.*} keys' documentation. */
    public static void main(String[] args) {
        System.out.print(docs());
    }
}
