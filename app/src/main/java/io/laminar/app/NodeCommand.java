package io.laminar.app;

import io.laminar.actors.HostSettings;
import io.laminar.actors.scheduler.SchedulerSettings;
import io.laminar.actors.serialization.ActivationFormat;
import io.laminar.app.http.HealthRoute;
import io.laminar.app.http.HttpFront;
import io.laminar.app.http.MetricsRoute;
import io.laminar.app.http.dashboard.Dashboard;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.exec.StageBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code laminar node}: one cluster member hosting stages and/or the scheduler, until stopped. */
@Command(name = "node", mixinStandardHelpOptions = true,
        description = "Starts a cluster member: a stage hosting a layer range, the model's scheduler, or both. Members find each other through --seed-nodes; the pipeline is ready once every layer is hosted. Runs until stopped (Ctrl-C or SIGTERM). A node the cluster removes (unreachable from the scheduler's side) or whose cluster loses its scheduler joins again by itself; with --no-rejoin it exits with status 3 instead.")
public final class NodeCommand implements Callable<Integer> {
    enum Role { stage, scheduler }

    @Option(names = "--role", required = true, split = ",", paramLabel = "ROLE",
            description = "stage, scheduler, or both (stage,scheduler).")
    List<Role> roles;

    @Option(names = "--layers", split = ",", paramLabel = "A-B",
            description = "Layer range(s) this node hosts, inclusive (e.g. 0-5); one stage actor each.")
    List<String> layers = new ArrayList<>();

    @Option(names = "--memory-budget-mb", defaultValue = "0", paramLabel = "MIB",
            description = "Instead of --layers: memory this stage offers for weights and KV cache; the scheduler splits the layers over such nodes in proportion to their budgets.")
    long memoryBudgetMb;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL",
            description = "A GGUF file (each node maps its own copy), or hf:ORG/REPO/FILE.gguf.")
    String modelRef;

    @Option(names = "--model-id", description = "Name shared by the model's stages and scheduler (default: file name).")
    String modelId;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind and advertise (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "0", description = "Cluster port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--seed-nodes", split = ",", paramLabel = "HOST:PORT",
            description = "Members to join; none starts a new cluster with this node as its first member.")
    List<String> seedNodes = new ArrayList<>();

    @Mixin
    ClusterSecurityOptions cluster;

    @Mixin
    HttpOptions http;

    @Mixin
    PipelineOptions pipeline;

    @Option(names = {"-t", "--threads"}, description = "Kernel worker threads (default: the number of available processors).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = {"-c", "--ctx-size"}, defaultValue = "" + HostSettings.DEFAULT_CONTEXT, description = "Context size per sequence (default: ${DEFAULT-VALUE}).")
    int context;

    @Option(names = {"-b", "--batch-size"}, defaultValue = "" + HostSettings.DEFAULT_MAX_BATCH, description = "Most tokens per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--backend", split = ",", paramLabel = "NAME",
            description = "Kernel backend of this node's stages: cpu or tornadovm (see docs/tornadovm.md); one for all, or one per --layers range (default: cpu).")
    List<String> backends = List.of("cpu");

    @Option(names = "--rejoin", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Join again when the cluster removes this node or loses its scheduler (default: ${DEFAULT-VALUE}); --no-rejoin exits with status 3 instead, for a supervisor to restart.")
    boolean rejoin;

    @Override
    public Integer call() throws Exception {
        Path model = new io.laminar.app.models.ModelResolver().resolve(modelRef);
        boolean stage = roles.contains(Role.stage);
        boolean scheduler = roles.contains(Role.scheduler);
        if (stage && layers.isEmpty() && memoryBudgetMb <= 0) {
            throw new IllegalArgumentException("--role stage needs --layers A-B or --memory-budget-mb N");
        }
        if (stage && !layers.isEmpty() && memoryBudgetMb > 0) {
            throw new IllegalArgumentException("give a stage either --layers or --memory-budget-mb, not both");
        }
        if (!stage && !layers.isEmpty()) {
            throw new IllegalArgumentException("--layers is only for --role stage");
        }
        List<LayerRange> ranges = new ArrayList<>();
        for (String l : layers) {
            ranges.add(LayerRange.parseInclusive(l));
        }
        HostSettings settings = pipeline.applyTo(new HostSettings(model,
                modelId != null ? modelId : HostSettings.modelIdOf(model),
                new HostSettings.Hosting(ranges, memoryBudgetMb << 20, scheduler),
                new HostSettings.Capacity(threads, batch, HostSettings.DEFAULT_MAX_SEQUENCES, context,
                        HostSettings.DEFAULT_KV_BUDGET_BYTES),
                new HostSettings.Network(host, port, seedNodes, cluster.security()),
                new HostSettings.Scheduling(0, SchedulerSettings.DEFAULT_ADMISSION_TIMEOUT), ActivationFormat.F32)
                .withBackends(backends.size() > 1 ? StageBackend.perStage(backends, ranges.size()) : backends));
        RejoiningMember member = new RejoiningMember(settings, rejoin, System.err);
        NodeHealth health = new NodeHealth(member);
        HttpFront bound = http.bind();
        try (HttpFront front = bound == null ? null : HealthRoute.addTo(bound, health)
                .route(MetricsRoute.PATH, new MetricsRoute(health::registry)).start()) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                if (front != null) {
                    front.close();
                }
                member.stop();
            }));
            if (front != null) {
                Dashboard.addToNode(front, member::current);
                System.out.println("http: " + front.url() + " (/metrics, /health/live, /health/ready, /dashboard)");
            }
            return member.run(node -> {
                System.out.printf(Locale.ROOT, "laminar node up at %s:%d roles=%s layers=%s model=%s%n", host, node.port(),
                        roles, ranges, settings.modelId());
                System.out.flush();
            });
        }
    }
}
