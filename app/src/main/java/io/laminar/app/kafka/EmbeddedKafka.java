package io.laminar.app.kafka;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * A real single-node Kafka broker inside this JVM: KRaft in combined mode (one process is broker and
 * controller), listening on {@value #HOST} only unless {@link Builder#host} names another address.
 * It is what {@code laminar serve} starts when no external Kafka is named, what
 * {@code laminar broker} runs on an address of its own, and what the Kafka tests run against.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.start()) {           // temp log dir, free ports
 *     String bootstrap = kafka.bootstrapServers();              // "127.0.0.1:PORT"
 *     ...
 * }
 * EmbeddedKafka kept = EmbeddedKafka.builder().logDir(dir).port(9092).start();   // data survives restarts
 * EmbeddedKafka shared = EmbeddedKafka.builder().host("10.0.0.5").port(9092).start(); // reachable from other hosts
 * }</pre>
 *
 * <p>The broker is started the way {@code kafka-storage.sh format} plus {@code kafka-server-start.sh}
 * start one: the log directory is formatted with {@link Formatter} (unless it has a meta.properties),
 * then a {@link KafkaRaftServer} runs it. The controller quorum is static (one voter, this node, on
 * a second loopback port picked at every start), so a kept log directory restarts on any ports.
 *
 * <p>Settings suit one node: every internal topic has replication factor 1 and one partition, no
 * rebalance delay, small thread pools and a small log-cleaner buffer. {@link Builder#brokerConfig}
 * overrides any of them or sets any other broker key. Keys are written as literals: they are the
 * documented broker configuration, while the Java constants for them move between Kafka versions.
 *
 * <p>Logging: the broker logs through SLF4J (and its few log4j-api calls reach SLF4J through
 * log4j-to-slf4j), so logback's {@code kafka} and {@code org.apache.kafka} loggers govern it.
 *
 * <p>Lifecycle: {@link #close()} stops the broker; a JVM that exits without it (Ctrl-C,
 * {@code System.exit}) stops it from a shutdown hook, so a temporary log directory is still
 * deleted and a kept one is closed cleanly.
 *
 * <p>Faults: like a standalone broker, a fatal fault in the metadata log halts the JVM (Kafka's
 * rule: never serve from a corrupt log). Startup errors are thrown by {@link Builder#start()}.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);

    /** The interface the broker listens on unless {@link Builder#host} names another. */
    public static final String HOST = "127.0.0.1";

    /** The broker's node id, which is also its controller id. */
    public static final int NODE_ID = 1;

    private static final String BROKER_LISTENER = "PLAINTEXT";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    /** Attempts with fresh free ports when another process takes a picked port before the broker binds it. */
    private static final int PORT_ATTEMPTS = 3;

    private final KafkaRaftServer server;
    private final String host;
    private final int port;
    private final Path logDir;
    private final boolean deleteLogDir;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Closes the broker when the JVM exits without {@link #close()} (Ctrl-C, System.exit). */
    private final Thread shutdownHook;

    private EmbeddedKafka(KafkaRaftServer server, String host, int port, Path logDir, boolean deleteLogDir) {
        this.server = server;
        this.host = host;
        this.port = port;
        this.logDir = logDir;
        this.deleteLogDir = deleteLogDir;
        this.shutdownHook = Thread.ofPlatform().name("laminar-kafka-shutdown").unstarted(this::close);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Leaves closing to the owner, who calls {@link #close()} in its own order: serve stops the
     * broker only after its gateway has let running requests finish on it.
     */
    public void closedByOwnerOnly() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // The JVM is exiting already: the hook runs as it is.
        }
    }

    /** Starts a broker on free ports with a temporary log directory, deleted on {@link #close()}. */
    public static EmbeddedKafka start() {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code HOST:PORT}, the value for a client's {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return host + ":" + port;
    }

    /** The address clients connect to, which the broker binds and advertises. */
    public String host() {
        return host;
    }

    /** The port clients connect to. */
    public int port() {
        return port;
    }

    /** Where the broker keeps its partitions and metadata log. */
    public Path logDir() {
        return logDir;
    }

    /**
     * Shuts the broker down (controlled: it leaves the cluster first) and waits until it has; deletes
     * a temporary log directory. Calling it again does nothing.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException jvmShuttingDown) {
                // the hook runs or has run; closing here too is harmless (closed is set)
            }
        }
        long started = System.nanoTime();
        try {
            server.shutdown();
            server.awaitShutdown();
        } finally {
            if (deleteLogDir) {
                deleteRecursively(logDir);
            }
        }
        log.info("Kafka broker at {} stopped in {} ms", bootstrapServers(), (System.nanoTime() - started) / 1_000_000);
    }

    @Override
    public String toString() {
        return "EmbeddedKafka[" + bootstrapServers() + ", logDir=" + logDir + "]";
    }

    /** Chooses the address, the port, the log directory and extra broker settings, then {@link #start()}s. */
    public static final class Builder {
        private String host = HOST;
        private int port;
        private Path logDir;
        private final Map<String, Object> overrides = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * The address the broker binds and advertises to clients (default {@value EmbeddedKafka#HOST}): one of this
         * machine's own, so that clients on other hosts reach it. The controller, which only this
         * process talks to, stays on {@value EmbeddedKafka#HOST}.
         */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** The port clients connect to; 0 (the default) picks a free one. */
        public Builder port(int port) {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port=" + port + " is not in [0, 65535]");
            }
            this.port = port;
            return this;
        }

        /**
         * A log directory to keep: created when missing, formatted on first use, never deleted, so a
         * broker started on it again finds its topics and records. Without one, a temporary
         * directory is used and deleted on close.
         */
        public Builder logDir(Path logDir) {
            this.logDir = Objects.requireNonNull(logDir, "logDir");
            return this;
        }

        /** Sets any broker configuration key, overriding the single-node defaults. */
        public Builder brokerConfig(String key, Object value) {
            overrides.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Formats the log directory when needed and starts the broker; returns once it is registered
         * and unfenced, that is, ready for clients.
         *
         * @throws IllegalStateException when the broker does not start (the cause says why)
         */
        public EmbeddedKafka start() {
            long started = System.nanoTime();
            boolean temporary = logDir == null;
            Path dir;
            try {
                dir = temporary ? Files.createTempDirectory("laminar-kafka-") : Files.createDirectories(logDir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the Kafka log directory " + logDir, e);
            }
            RuntimeException failure = null;
            int attempts = port == 0 ? PORT_ATTEMPTS : 1;
            for (int attempt = 1; attempt <= attempts; attempt++) {
                int brokerPort = port != 0 ? port : freePort(host);
                int controllerPort = freePort(HOST);
                while (controllerPort == brokerPort) {
                    controllerPort = freePort(HOST);
                }
                try {
                    KafkaRaftServer server = startServer(dir, brokerPort, controllerPort);
                    EmbeddedKafka kafka = new EmbeddedKafka(server, host, brokerPort, dir, temporary);
                    log.info("Kafka broker at {} ({}) started in {} ms", kafka.bootstrapServers(), dir,
                            (System.nanoTime() - started) / 1_000_000);
                    return kafka;
                } catch (RuntimeException e) {
                    failure = e;
                    if (!causedByBind(e)) {
                        break;
                    }
                    log.info("Kafka broker could not bind port {} or {}; attempt {} of {}", brokerPort, controllerPort,
                            attempt, attempts);
                }
            }
            if (temporary) {
                deleteRecursively(dir);
            }
            throw new IllegalStateException("the embedded Kafka broker did not start (logDir=" + dir + ", host=" + host
                    + ", port=" + port + "): " + failure, failure);
        }

        private KafkaRaftServer startServer(Path dir, int brokerPort, int controllerPort) {
            KafkaConfig config = KafkaConfig.fromProps(brokerProperties(dir, brokerPort, controllerPort), false);
            format(config, dir);
            KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
            try {
                server.startup();
                return server;
            } catch (RuntimeException | Error e) {
                try {
                    server.shutdown();
                    server.awaitShutdown();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }

        private Properties brokerProperties(Path dir, int brokerPort, int controllerPort) {
            Map<String, Object> p = new LinkedHashMap<>();
            // KRaft, combined mode: this node is the whole cluster and its only controller voter.
            p.put("process.roles", "broker,controller");
            p.put("node.id", NODE_ID);
            p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
            p.put("listeners", BROKER_LISTENER + "://" + host + ":" + brokerPort + ","
                    + CONTROLLER_LISTENER + "://" + HOST + ":" + controllerPort);
            p.put("advertised.listeners", BROKER_LISTENER + "://" + host + ":" + brokerPort);
            p.put("listener.security.protocol.map", BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
            p.put("controller.listener.names", CONTROLLER_LISTENER);
            p.put("inter.broker.listener.name", BROKER_LISTENER);
            p.put("log.dirs", dir.toString());
            p.put("metadata.log.dir", dir.toString());
            // One node: internal topics cannot have more replicas than brokers.
            p.put("offsets.topic.replication.factor", 1);
            p.put("offsets.topic.num.partitions", 1);
            p.put("transaction.state.log.replication.factor", 1);
            p.put("transaction.state.log.min.isr", 1);
            p.put("transaction.state.log.num.partitions", 1);
            p.put("share.coordinator.state.topic.replication.factor", 1);
            p.put("share.coordinator.state.topic.min.isr", 1);
            p.put("default.replication.factor", 1);
            p.put("min.insync.replicas", 1);
            // A consumer group forms as soon as its first member joins.
            p.put("group.initial.rebalance.delay.ms", 0);
            // Small for a laptop: the defaults size a dedicated server (the cleaner's 128 MiB buffer above all).
            p.put("num.network.threads", 2);
            p.put("num.io.threads", 4);
            p.put("background.threads", 4);
            p.put("num.recovery.threads.per.data.dir", 1);
            p.put("log.cleaner.threads", 1);
            p.put("log.cleaner.dedupe.buffer.size", 8L << 20);
            p.putAll(overrides);
            Properties props = new Properties();
            p.forEach((k, v) -> props.setProperty(k, String.valueOf(v)));
            return props;
        }

        /**
         * What {@code kafka-storage.sh format} does, once: writes meta.properties (a new cluster id)
         * and the bootstrap metadata. A directory that has meta.properties is left to the broker,
         * which checks it on startup.
         */
        private static void format(KafkaConfig config, Path dir) {
            if (Files.exists(dir.resolve("meta.properties"))) {
                return;
            }
            try {
                new Formatter()
                        .setPrintStream(new PrintStream(PrintStream.nullOutputStream()))
                        .setNodeId(NODE_ID)
                        .setClusterId(Uuid.randomUuid().toString())
                        .setControllerListenerName(CONTROLLER_LISTENER)
                        .setMetadataLogDirectory(config.metadataLogDir())
                        .addDirectory(dir.toString())
                        .run();
            } catch (Exception e) {
                throw new IllegalStateException("cannot format the Kafka log directory " + dir + ": " + e.getMessage(), e);
            }
        }
    }

    /** A port that was free a moment ago on {@code host}. */
    private static int freePort(String host) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port on " + host, e);
        }
    }

    private static boolean causedByBind(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return true;
            }
        }
        return false;
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    log.warn("cannot delete {}: {}", path, e.toString());
                }
            });
        } catch (IOException e) {
            log.warn("cannot delete the Kafka log directory {}: {}", dir, e.toString());
        }
    }
}
