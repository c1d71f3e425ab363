package io.laminar.app;

import io.laminar.actors.HostSettings;
import io.laminar.actors.PipelineHost;
import io.laminar.actors.gateway.DuplicateWindow;
import io.laminar.actors.gateway.GatewaySettings;
import io.laminar.actors.gateway.KafkaGateway;
import io.laminar.actors.security.ClusterSecurity;
import io.laminar.app.http.HttpAddress;
import io.laminar.app.http.HealthRoute;
import io.laminar.app.http.HttpFront;
import io.laminar.app.http.MetricsRoute;
import io.laminar.app.http.dashboard.Dashboard;
import io.laminar.app.http.dashboard.DashboardRoute;
import io.laminar.app.http.openai.OpenAiDoor;
import io.laminar.app.http.openai.OpenAiSettings;
import io.laminar.app.kafka.KafkaSettings;
import io.laminar.app.serve.LaminarServer;
import io.laminar.app.serve.ServeHealth;
import io.laminar.model.arch.ModelConfig;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.exec.StageBackend;
import io.laminar.model.gguf.GgufFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/** {@code laminar serve}: requests from Kafka, tokens back to Kafka, until stopped. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serves a model over Kafka: reads requests (Avro or JSON) from laminar.requests and streams token events to laminar.responses. Without --bootstrap-servers it starts a single-node Kafka broker inside the process. Prints 'kafka bootstrap: HOST:PORT' as soon as the broker answers (requests sent from then on wait in Kafka) and 'laminar serve: MODEL ready' once every layer is hosted. Runs until Ctrl-C or SIGTERM.")
public final class ServeCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Mixin
    PipelineOptions pipeline;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT,...",
            description = "An existing Kafka cluster (default: start an embedded broker).")
    String bootstrapServers;

    @Option(names = "--kafka-config", paramLabel = "FILE",
            description = "Properties file with any Kafka client setting (SASL/SSL too) and laminar.topic.* / laminar.response.* / laminar.schema.registry.* keys.")
    Path kafkaConfig;

    @Option(names = "--kafka-port", defaultValue = "0", description = "Port of the embedded broker; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(names = "--kafka-dir", description = "Where the embedded broker keeps its data (default: a temporary folder, deleted on exit).")
    Path kafkaDir;

    @Option(names = "--max-in-flight", defaultValue = "" + GatewaySettings.DEFAULT_MAX_IN_FLIGHT,
            description = "Requests served at once; beyond this the gateway pauses its partitions (default: ${DEFAULT-VALUE}).")
    int maxInFlight;

    @Option(names = "--duplicate-window", paramLabel = "SECONDS",
            defaultValue = "" + DuplicateWindow.DEFAULT_AGE_SECONDS,
            description = "How long after a request finished its request id is remembered: a request with an id being served or remembered is refused (DUPLICATE_REQUEST); 0 remembers only ids being served (default: ${DEFAULT-VALUE}).")
    long duplicateWindowSeconds;

    @Option(names = "--duplicate-window-ids", paramLabel = "N", defaultValue = "" + DuplicateWindow.DEFAULT_IDS,
            description = "Most finished request ids remembered, about 200 bytes each; the oldest are forgotten first (default: ${DEFAULT-VALUE}).")
    int duplicateWindowIds;

    @Option(names = "--group-id", defaultValue = GatewaySettings.DEFAULT_GROUP_ID,
            description = "Consumer group the gateways share (default: ${DEFAULT-VALUE}).")
    String groupId;

    @Option(names = "--response-format", description = "avro (single-object encoding, the default) or json.")
    String responseFormat;

    @Option(names = "--layers", split = ",", paramLabel = "A-B",
            description = "Layers this process hosts as stages, 0-based and inclusive (e.g. 0-5, or 0-2,3-5 for two stages). Members started with 'laminar node --role stage --seed-nodes HOST:PORT' (this process's --port) host the rest; requests wait in Kafka until every layer is hosted. Default: every layer, in --stages stages.")
    List<String> layers = new ArrayList<>();

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Cluster address to bind and advertise (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "0", description = "Cluster port, which stage nodes join; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Mixin
    ClusterSecurityOptions cluster;

    @Mixin
    HttpOptions http;

    @Mixin
    OpenAiOptions openAi;

    @Option(names = "--drain-timeout", paramLabel = "SECONDS", defaultValue = "" + DRAIN_SECONDS,
            description = "On SIGTERM or Ctrl-C: take no more requests and let those running finish for up to this long; what is still running then is handed off to the other gateways of the group (or to this one's replacement), which resume it after the tokens already written (default: ${DEFAULT-VALUE}).")
    double drainSeconds;

    /** Under Kubernetes' default termination grace (30 s), with room left for leaving the cluster. */
    static final double DRAIN_SECONDS = 20;

    @Override
    public Integer call() throws Exception {
        model.validate();
        LaminarServer.Options options = options(model, pipeline, new Membership(layers, host, port, cluster.security()),
                new Kafka(bootstrapServers, kafkaConfig, responseFormat, kafkaPort, kafkaDir, maxInFlight, groupId))
                .withDuplicateWindow(new DuplicateWindow(duplicateWindowIds, Duration.ofSeconds(duplicateWindowSeconds)));
        Duration drain = drain(drainSeconds);
        HttpAddress httpAddress = http.address();
        OpenAiSettings doorSettings = httpAddress == null ? null
                : openAi.settings(httpAddress, OpenAiOptions.modelName(model.path()));
        // The port opens first, so that probes see a serve that is starting or waiting for stage
        // nodes as live but not ready; the OpenAI routes join it once Kafka and the pipeline are up.
        try (ServeHealth health = new ServeHealth();
             HttpFront front = httpAddress == null ? null : HealthRoute.addTo(http.bind(), health)
                     .route(MetricsRoute.PATH, new MetricsRoute(health::registry)).start()) {
            if (front != null) {
                System.out.println("http: " + front.url() + " (/metrics, /health/live, /health/ready;"
                        + " /v1 once ready)");
                System.out.flush();
            }
            try (LaminarServer server = LaminarServer.start(options, announcing(health));
                 OpenAiDoor door = front == null ? null : OpenAiDoor.open(front, doorSettings, server.kafka())) {
                server.closedByOwnerOnly();
                if (front != null) {
                    Dashboard.addTo(front, server.pipeline(), server.kafka(), doorSettings.keys());
                }
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    // The door keeps streaming what this serve finishes during the drain.
                    stopGracefully(server, drain);
                    if (front != null) {
                        front.close();
                        door.close();
                    }
                }));
                if (front != null) {
                    System.out.println("openai: " + front.url() + "/v1 (OpenAI-compatible, model "
                            + doorSettings.servedModel() + ")");
                    System.out.println("dashboard: " + front.url() + DashboardRoute.PATH);
                }
                System.out.println("laminar serve: " + model.path().getFileName() + " ready; requests on "
                        + server.kafka().requestsTopic() + ", responses on " + server.kafka().responsesTopic());
                System.out.flush();
                Object ended = CompletableFuture.anyOf(server.pipeline().system().getWhenTerminated().toCompletableFuture(),
                        server.gateway().failure().toCompletableFuture()).join();
                if (ended instanceof RuntimeException failed) {
                    System.err.println("laminar serve: the requests consumer failed (" + failed + "); its requests"
                            + " are handed off to the group; exiting with status " + CONSUMER_FAILED_EXIT_STATUS
                            + " for a supervisor to restart serve");
                    return CONSUMER_FAILED_EXIT_STATUS;
                }
            }
        }
        return 0;
    }

    /**
     * A failed requests consumer ends serve rather than leaving it up with nobody reading requests:
     * the error would recur in the same process (a setting, a permission), and a supervisor sees an
     * exit where it would not see a silent consumer.
     */
    static final int CONSUMER_FAILED_EXIT_STATUS = 4;

    /**
     * Tells {@code health} of the start-up, and prints the bootstrap line as soon as the broker
     * answers and the topics exist: clients may send from then on, their requests wait in Kafka.
     */
    private static LaminarServer.Progress announcing(ServeHealth health) {
        return new LaminarServer.Progress() {
            @Override
            public void kafka(KafkaSettings kafka) {
                health.kafka(kafka);
                System.out.println("kafka bootstrap: " + kafka.bootstrapServers().orElseThrow());
                System.out.flush();
            }

            @Override
            public void pipeline(PipelineHost pipeline) {
                health.pipeline(pipeline);
            }

            @Override
            public void serving(KafkaGateway gateway) {
                health.serving(gateway);
            }
        };
    }

    /** Says what a stop does while it does it: an operator watching a rollout sees the hand-off. */
    private static void stopGracefully(LaminarServer server, Duration drain) {
        int running = server.gateway().inFlight();
        System.err.printf(Locale.ROOT, "laminar serve: stopping: %d requests running, taking no more; waiting up to %d s"
                + " for them%n", running, drain.toSeconds());
        long start = System.nanoTime();
        int handedOff = server.close(drain);
        System.err.printf(Locale.ROOT, "laminar serve: stopped after %.1f s: %d requests finished here, %d handed off"
                        + " to the group's other gateways (they resume after the tokens written)%n",
                (System.nanoTime() - start) / 1e9, running - handedOff, handedOff);
        System.err.flush();
    }

    /** {@code --drain-timeout} seconds, checked. */
    static Duration drain(double seconds) {
        if (!(seconds >= 0 && seconds <= 3600)) {
            throw new IllegalArgumentException("--drain-timeout must be in [0, 3600] seconds, got " + seconds);
        }
        return Duration.ofMillis(Math.round(seconds * 1000));
    }

    /**
     * Where this process sits in its cluster. It always starts the cluster (and runs the model's one
     * scheduler, which owns the stages' KV slots): stage nodes join it, never the other way round.
     *
     * @param layers    ranges it hosts, as given ({@code A-B}, inclusive); empty for every layer
     * @param host      cluster address to bind and advertise
     * @param port      cluster port; 0 picks a free one
     * @param security  who may talk to the cluster port
     */
    record Membership(List<String> layers, String host, int port, ClusterSecurity security) {
        /** Every layer in this process, on loopback. */
        static Membership alone() {
            return new Membership(List.of(), "127.0.0.1", 0, ClusterSecurity.DEFAULT);
        }

        /** The stage ranges: those given, checked against the model, or every layer split into {@code stages}. */
        List<LayerRange> ranges(int modelLayers, int stages) {
            if (layers.isEmpty()) {
                return List.of(LayerRange.split(modelLayers, stages));
            }
            if (stages != 1) {
                throw new IllegalArgumentException("give --layers or --stages, not both (--layers A-B,C-D hosts one stage"
                        + " per range)");
            }
            List<LayerRange> ranges = new ArrayList<>();
            for (String l : layers) {
                LayerRange r = LayerRange.parseInclusive(l);
                r.checkWithin(modelLayers);
                ranges.add(r);
            }
            return ranges;
        }
    }

    /**
     * Where serve's Kafka is and how its gateway reads it.
     *
     * @param bootstrapServers an existing cluster; null starts an embedded broker
     * @param config           a properties file of client and {@code laminar.*} settings; null for none
     * @param responseFormat   avro or json; null for the config's (Avro by default)
     * @param embeddedPort     the embedded broker's port; 0 picks a free one
     * @param embeddedDir      where the embedded broker keeps its data; null for a temporary folder
     * @param maxInFlight      requests served at once before the gateway pauses its partitions
     * @param groupId          the consumer group the gateways share
     */
    record Kafka(String bootstrapServers, Path config, String responseFormat, int embeddedPort, Path embeddedDir,
                 int maxInFlight, String groupId) {
        /** An embedded broker on a free port, Avro responses. */
        static Kafka embedded(int maxInFlight, String groupId) {
            return new Kafka(null, null, null, 0, null, maxInFlight, groupId);
        }

        KafkaSettings settings() throws java.io.IOException {
            KafkaSettings kafka = config != null ? KafkaSettings.load(config) : KafkaSettings.defaults();
            if (bootstrapServers != null) {
                kafka = kafka.withBootstrapServers(bootstrapServers);
            }
            if (responseFormat != null) {
                kafka = kafka.with(io.laminar.schemas.codec.SchemasConfig.RESPONSE_FORMAT_CONFIG, responseFormat);
            }
            return kafka;
        }
    }

    static LaminarServer.Options options(ModelOptions model, PipelineOptions pipeline, Membership membership,
                                         Kafka kafka) throws Exception {
        membership.security().check(membership.host());
        ModelConfig config;
        try (GgufFile f = GgufFile.open(model.path())) {
            config = ModelConfig.fromGguf(f);
        }
        int context = Math.min(model.context, config.contextLength());
        List<LayerRange> ranges = membership.ranges(config.layers(), model.stages);
        HostSettings host = pipeline.applyTo(HostSettings.local(model.path(), ranges, model.threads)
                .withBatch(Math.min(model.batch, context), HostSettings.DEFAULT_MAX_SEQUENCES, context)
                .withBackends(StageBackend.perStage(model.backends, ranges.size()))
                .withNetwork(membership.host(), membership.port(), List.of())
                .withSecurity(membership.security()));
        return new LaminarServer.Options(model.path(), host, kafka.settings(), kafka.embeddedPort(), kafka.embeddedDir(),
                kafka.maxInFlight(), kafka.groupId());
    }
}
