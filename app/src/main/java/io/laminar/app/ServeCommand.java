package io.laminar.app;

import io.laminar.actors.HostSettings;
import io.laminar.actors.gateway.GatewaySettings;
import io.laminar.app.kafka.KafkaSettings;
import io.laminar.app.serve.LaminarServer;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.exec.StageBackend;
import io.laminar.model.exec.WarmUpBudget;
import io.laminar.model.gguf.GgufFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
            description = "Properties file with any Kafka client setting (SASL/SSL too) and laminar.topic.* / laminar.response.* keys.")
    Path kafkaConfig;

    @Option(names = "--kafka-port", defaultValue = "0", description = "Port of the embedded broker; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(names = "--kafka-dir", description = "Where the embedded broker keeps its data (default: a temporary folder, deleted on exit).")
    Path kafkaDir;

    @Option(names = "--max-in-flight", defaultValue = "" + GatewaySettings.DEFAULT_MAX_IN_FLIGHT,
            description = "Requests served at once; beyond this the gateway pauses its partitions (default: ${DEFAULT-VALUE}).")
    int maxInFlight;

    @Option(names = "--max-sequences", defaultValue = "16", description = "Sequences decoded together (KV slots) (default: ${DEFAULT-VALUE}).")
    int maxSequences;

    @Option(names = "--group-id", defaultValue = GatewaySettings.DEFAULT_GROUP_ID,
            description = "Consumer group the gateways share (default: ${DEFAULT-VALUE}).")
    String groupId;

    @Option(names = "--response-format", description = "avro (single-object encoding, the default) or json.")
    String responseFormat;

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
        LaminarServer.Options options = options(model, bootstrapServers, kafkaConfig, responseFormat, kafkaPort,
                kafkaDir, maxInFlight, maxSequences, groupId, warmUp(warmUpSeconds));
        try (LaminarServer server = LaminarServer.start(options)) {
            Runtime.getRuntime().addShutdownHook(new Thread(server::close));
            System.out.println("kafka bootstrap: " + server.bootstrapServers());
            System.out.println("laminar serve: " + model.path().getFileName() + " ready; requests on "
                    + server.kafka().requestsTopic() + ", responses on " + server.kafka().responsesTopic());
            System.out.flush();
            server.pipeline().system().getWhenTerminated().toCompletableFuture().join();
        }
        return 0;
    }

    /** {@code --warm-up} seconds as a budget: until the JIT settles, at most that long; checked. */
    static WarmUpBudget warmUp(double seconds) {
        if (!(seconds >= 0 && seconds <= 600)) {
            throw new IllegalArgumentException("--warm-up must be in [0, 600] seconds, got " + seconds);
        }
        return WarmUpBudget.upTo(Duration.ofMillis(Math.round(seconds * 1000)));
    }

    static LaminarServer.Options options(ModelOptions model, String bootstrapServers, Path kafkaConfig,
                                         String responseFormat, int kafkaPort, Path kafkaDir, int maxInFlight,
                                         int maxSequences, String groupId, WarmUpBudget warmUp) throws Exception {
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
        HostSettings host = HostSettings.local(model.path(), List.of(LayerRange.split(layers, model.stages)),
                model.threads).withBatch(Math.min(model.batch, context), maxSequences, context)
                .withBackends(StageBackend.perStage(model.backends, model.stages))
                .withWarmUp(warmUp);
        return new LaminarServer.Options(model.path(), host, kafka, kafkaPort, kafkaDir, maxInFlight, groupId);
    }
}
