package io.laminar.app;

import io.laminar.actors.HostSettings;
import io.laminar.actors.gateway.DuplicateWindow;
import io.laminar.actors.gateway.GatewaySettings;
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
import io.laminar.model.exec.LayerRange;
import io.laminar.model.exec.StageBackend;
import io.laminar.model.exec.WarmUpBudget;
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

/** {@code laminar serve}: requests from Kafka, tokens back to Kafka, until stopped. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serves a model over Kafka: reads requests (Avro or JSON) from laminar.requests and streams token events to laminar.responses. Without --bootstrap-servers it starts a single-node Kafka broker inside the process and prints 'kafka bootstrap: HOST:PORT' once ready. Runs until Ctrl-C.")
public final class ServeCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

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

    @Option(names = "--max-sequences", defaultValue = "16", description = "Sequences decoded together (KV slots) (default: ${DEFAULT-VALUE}).")
    int maxSequences;

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

    @Option(names = "--warm-up", paramLabel = "SECONDS", defaultValue = "" + WARM_UP_SECONDS,
            description = "Most time per stage for dummy steps before the pipeline reports ready, so that the first requests run compiled kernels; they stop sooner once the JIT has settled; 0 skips them (default: ${DEFAULT-VALUE}).")
    double warmUpSeconds;

    /**
     * Default bound on the warm-up per stage: a first round of dummy steps on cold code, then more
     * rounds while C2 compiles, until the JIT has settled (6-9 s for a 110M model on 2 vCPUs) or this
     * much time has passed (docs/benchmarks.md, "Cold start").
     */
    static final double WARM_UP_SECONDS = 20;

    @Override
    public Integer call() throws Exception {
        model.validate();
        LaminarServer.Options options = options(model, new Membership(layers, host, port, cluster.security()),
                bootstrapServers, kafkaConfig, responseFormat, kafkaPort, kafkaDir, maxInFlight, maxSequences, groupId,
                warmUp(warmUpSeconds))
                .withDuplicateWindow(new DuplicateWindow(duplicateWindowIds, Duration.ofSeconds(duplicateWindowSeconds)));
        Duration drain = drain(drainSeconds);
        HttpAddress httpAddress = http.address();
        OpenAiSettings doorSettings = httpAddress == null ? null
                : openAi.settings(httpAddress, OpenAiOptions.modelName(model.path()));
        // The port opens first, so that probes see a serve that is starting or waiting for stage
        // nodes as live but not ready; the OpenAI routes join it once Kafka and the pipeline are up.
        try (ServeHealth health = new ServeHealth();
             HttpFront front = httpAddress == null ? null : HealthRoute.addTo(HttpFront.bind(httpAddress), health)
                     .route(MetricsRoute.PATH, new MetricsRoute(health::registry)).start()) {
            if (front != null) {
                System.out.println("http: http://" + front.address() + " (/metrics, /health/live, /health/ready;"
                        + " /v1 once ready)");
                System.out.flush();
            }
            try (LaminarServer server = LaminarServer.start(options, health);
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
                System.out.println("kafka bootstrap: " + server.bootstrapServers());
                if (front != null) {
                    System.out.println("openai: http://" + front.address() + "/v1 (OpenAI-compatible, model "
                            + doorSettings.servedModel() + ")");
                    System.out.println("dashboard: http://" + front.address() + DashboardRoute.PATH);
                }
                System.out.println("laminar serve: " + model.path().getFileName() + " ready; requests on "
                        + server.kafka().requestsTopic() + ", responses on " + server.kafka().responsesTopic());
                System.out.flush();
                server.pipeline().system().getWhenTerminated().toCompletableFuture().join();
            }
        }
        return 0;
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

    /** {@code --warm-up} seconds as a budget: until the JIT settles, at most that long; checked. */
    static WarmUpBudget warmUp(double seconds) {
        if (!(seconds >= 0 && seconds <= 600)) {
            throw new IllegalArgumentException("--warm-up must be in [0, 600] seconds, got " + seconds);
        }
        return WarmUpBudget.upTo(Duration.ofMillis(Math.round(seconds * 1000)));
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

    static LaminarServer.Options options(ModelOptions model, Membership membership, String bootstrapServers,
                                         Path kafkaConfig,
                                         String responseFormat, int kafkaPort, Path kafkaDir, int maxInFlight,
                                         int maxSequences, String groupId, WarmUpBudget warmUp) throws Exception {
        membership.security().check(membership.host());
        KafkaSettings kafka = kafkaConfig != null ? KafkaSettings.load(kafkaConfig) : KafkaSettings.defaults();
        if (bootstrapServers != null) {
            kafka = kafka.withBootstrapServers(bootstrapServers);
        }
        if (responseFormat != null) {
            kafka = kafka.with(io.laminar.schemas.codec.SchemasConfig.RESPONSE_FORMAT_CONFIG, responseFormat);
        }
        int layers;
        int context;
        Path file = model.path();
        try (GgufFile f = GgufFile.open(file)) {
            layers = io.laminar.model.arch.ModelConfig.fromGguf(f).layers();
            context = Math.min(model.context, io.laminar.model.arch.ModelConfig.fromGguf(f).contextLength());
        }
        List<LayerRange> ranges = membership.ranges(layers, model.stages);
        HostSettings host = HostSettings.local(model.path(), ranges, model.threads)
                .withBatch(Math.min(model.batch, context), maxSequences, context)
                .withBackends(StageBackend.perStage(model.backends, ranges.size()))
                .withNetwork(membership.host(), membership.port(), List.of())
                .withSecurity(membership.security())
                .withWarmUp(warmUp);
        return new LaminarServer.Options(model.path(), host, kafka, kafkaPort, kafkaDir, maxInFlight, groupId);
    }
}
