package io.laminar.app.serve;

import io.laminar.actors.HostSettings;
import io.laminar.actors.PipelineClient;
import io.laminar.actors.PipelineHost;
import io.laminar.actors.gateway.DuplicateWindow;
import io.laminar.actors.gateway.GatewaySettings;
import io.laminar.actors.gateway.KafkaGateway;
import io.laminar.actors.gateway.PromptEncoder;
import io.laminar.actors.security.ClusterSecurity;
import io.laminar.app.kafka.EmbeddedKafka;
import io.laminar.app.kafka.KafkaSettings;
import io.laminar.app.kafka.TopicSetup;
import io.laminar.model.chat.ChatTemplate;
import io.laminar.model.exec.LayerRange;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The main job: Kafka in, the pipeline, Kafka out. Starts (unless given an existing cluster) an
 * embedded single-node Kafka broker, creates the topics, starts the model's pipeline in this
 * process and a gateway reading the requests topic. {@link #bootstrapServers()} is where clients
 * connect.
 */
public final class LaminarServer implements AutoCloseable {
    /**
     * @param model          the GGUF file
     * @param host           the pipeline this process hosts (stages, capacity)
     * @param kafka          Kafka client and topic settings; without bootstrap servers an embedded broker is started
     * @param embeddedPort   port of the embedded broker (0: any free port)
     * @param embeddedLogDir where the embedded broker keeps its data (null: a temporary folder)
     * @param maxInFlight    requests the gateway serves at once before pausing its partitions
     * @param groupId        the gateways' consumer group
     * @param duplicateWindow how long the gateway remembers served request ids, to refuse repeats
     */
    public record Options(Path model, HostSettings host, KafkaSettings kafka, int embeddedPort, Path embeddedLogDir,
                          int maxInFlight, String groupId, DuplicateWindow duplicateWindow) {
        /** Options with the default duplicate window. */
        public Options(Path model, HostSettings host, KafkaSettings kafka, int embeddedPort, Path embeddedLogDir,
                       int maxInFlight, String groupId) {
            this(model, host, kafka, embeddedPort, embeddedLogDir, maxInFlight, groupId, DuplicateWindow.DEFAULT);
        }

        public Options withDuplicateWindow(DuplicateWindow window) {
            return new Options(model, host, kafka, embeddedPort, embeddedLogDir, maxInFlight, groupId, window);
        }
    }

    /**
     * Told of each part of the start-up as it comes up, so that the process can say how far it got
     * (its health probes) while {@link #start} still waits, e.g. for stage nodes. Called on the
     * starting thread.
     */
    public interface Progress {
        /** The Kafka cluster to use is known (an embedded broker has started) and the topics exist. */
        default void kafka(KafkaSettings kafka) {
        }

        /** The actor system and the stages of this process are up; the pipeline may not be whole yet. */
        default void pipeline(PipelineHost pipeline) {
        }

        /** The gateway reads the requests topic: the server serves. */
        default void serving(KafkaGateway gateway) {
        }
    }

    private final EmbeddedKafka broker;
    private final PipelineHost pipeline;
    private final KafkaGateway gateway;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final String bootstrapServers;
    private final KafkaSettings kafka;

    private LaminarServer(EmbeddedKafka broker, PipelineHost pipeline, KafkaGateway gateway, String bootstrapServers,
                          KafkaSettings kafka) {
        this.broker = broker;
        this.pipeline = pipeline;
        this.gateway = gateway;
        this.bootstrapServers = bootstrapServers;
        this.kafka = kafka;
    }

    public static LaminarServer start(Options o) throws IOException, InterruptedException {
        return start(o, new Progress() { });
    }

    /** Starts, telling {@code progress} of each part as it comes up. */
    public static LaminarServer start(Options o, Progress progress) throws IOException, InterruptedException {
        EmbeddedKafka broker = null;
        PipelineHost pipeline = null;
        try {
            KafkaSettings kafka = o.kafka();
            if (kafka.bootstrapServers().isEmpty()) {
                EmbeddedKafka.Builder b = EmbeddedKafka.builder().port(o.embeddedPort());
                if (o.embeddedLogDir() != null) {
                    b.logDir(o.embeddedLogDir());
                }
                broker = b.start();
                kafka = kafka.withBootstrapServers(broker.bootstrapServers());
            }
            TopicSetup.ensure(kafka);
            progress.kafka(kafka);
            pipeline = PipelineHost.start(o.host());
            progress.pipeline(pipeline);
            PipelineClient client = new PipelineClient(pipeline.system(), pipeline.scheduler());
            if (coversEveryLayer(o.host().hosting().stages(), pipeline.config().layers())) {
                // The stages of this process warm up one after another before the pipeline is ready.
                int stages = o.host().hosting().stages().size();
                client.awaitReady(Duration.ofSeconds(60).plus(o.host().warmUp().atMost().multipliedBy(Math.max(1, stages))));
            } else {
                awaitRemoteStages(client, pipeline, o.host().hosting().stages(), o.model(),
                        o.host().network().security());
            }
            ChatTemplate template = ChatTemplate.fromGguf(pipeline.metadata(), pipeline.tokenizer());
            int context = Math.min(o.host().capacity().context(), pipeline.config().contextLength());
            Map<String, Object> schemaConfig = new HashMap<>();
            GatewaySettings gs = new GatewaySettings(kafka.requestsTopic(), kafka.responsesTopic(),
                    kafka.deadLetterTopic(), o.groupId(), o.maxInFlight(),
                    clientOnly(kafka.consumerConfig(o.groupId()), schemaConfig),
                    clientOnly(kafka.producerConfig(), schemaConfig), o.duplicateWindow());
            KafkaGateway gateway = new KafkaGateway(pipeline.system(), pipeline.scheduler(),
                    new PromptEncoder(pipeline.tokenizer(), template), context, gs, schemaConfig);
            progress.serving(gateway);
            return new LaminarServer(broker, pipeline, gateway, kafka.bootstrapServers().orElseThrow(), kafka);
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            if (pipeline != null) {
                pipeline.close();
            }
            if (broker != null) {
                broker.close();
            }
            throw e;
        }
    }

    static boolean coversEveryLayer(List<LayerRange> ranges, int layers) {
        return LayerRange.uncovered(layers, ranges).isEmpty();
    }

    /**
     * Waits, without a deadline, for stage nodes to host the layers this process does not. The
     * gateway starts only then, so requests wait in Kafka meanwhile instead of timing out.
     */
    private static void awaitRemoteStages(PipelineClient client, PipelineHost pipeline, List<LayerRange> local,
                                          Path model, ClusterSecurity security)
            throws InterruptedException {
        String address = pipeline.system().address().getHost().orElse("127.0.0.1") + ":" + pipeline.port();
        System.out.println("laminar serve: cluster at " + address
                + "; requests wait in Kafka until stage nodes host the other layers, e.g.");
        // A node must speak what this one speaks: with TLS, it needs stores of its own (docs/security.md).
        String tls = security.encrypted() ? " --cluster-key-store NODE.p12 --cluster-trust-store "
                + security.tls().trustStore() : "";
        for (LayerRange r : LayerRange.uncovered(pipeline.config().layers(), local)) {
            System.out.println("  laminar node --role stage --layers " + r + " -m " + model + " --seed-nodes " + address + tls);
        }
        System.out.flush();
        long start = System.nanoTime();
        while (true) {
            try {
                client.awaitReady(REMOTE_STAGES_REPORT_EVERY);
                return;
            } catch (IllegalStateException notYet) {
                // Each report says how long serve has waited in all, and what is missing now.
                String missing;
                try {
                    missing = client.status().toCompletableFuture().get(5, TimeUnit.SECONDS).detail();
                } catch (ExecutionException | TimeoutException e) {
                    missing = "the scheduler did not answer";
                }
                System.out.printf(Locale.ROOT, "laminar serve: still waiting after %d s: %s%n",
                        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start), missing);
                System.out.flush();
            }
        }
    }

    /** How often a serve waiting for stage nodes says what is still missing. */
    private static final Duration REMOTE_STAGES_REPORT_EVERY = Duration.ofSeconds(30);

    /** Splits Laminar's own keys ({@code laminar.*}, for the codecs) from what the Kafka client takes. */
    private static Map<String, Object> clientOnly(Map<String, Object> config, Map<String, Object> laminarKeys) {
        Map<String, Object> client = new HashMap<>();
        config.forEach((k, v) -> {
            if (k.startsWith("laminar.")) {
                laminarKeys.put(k, v);
            } else {
                client.put(k, v);
            }
        });
        return client;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public KafkaSettings kafka() {
        return kafka;
    }

    public PipelineHost pipeline() {
        return pipeline;
    }

    public KafkaGateway gateway() {
        return gateway;
    }

    /**
     * For an owner that stops this server from its own shutdown hook ({@link #close(Duration)}): the
     * embedded broker, if any, then stays up until then instead of closing on its own at exit.
     */
    public void closedByOwnerOnly() {
        if (broker != null) {
            broker.closedByOwnerOnly();
        }
    }

    /** Stops at once: requests still running are handed off to the other gateways of the group. */
    @Override
    public void close() {
        close(Duration.ZERO);
    }

    /**
     * Stops gracefully: takes no more requests, lets those running finish for up to {@code grace},
     * hands the rest off to the group (whoever takes the partitions resumes them after the tokens
     * already written), then leaves the cluster and stops the broker if it runs one.
     *
     * @return requests handed off unfinished
     */
    public int close(Duration grace) {
        if (closed.getAndSet(true)) {
            return 0; // by its owner's shutdown hook after an exit, or the other way round
        }
        int handedOff = gateway.close(grace);
        pipeline.close();
        if (broker != null) {
            broker.close();
        }
        return handedOff;
    }
}
