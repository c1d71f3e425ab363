package io.laminar.actors;

import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.ClusterEvent;
import akka.cluster.Member;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import akka.cluster.typed.JoinSeedNodes;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.laminar.actors.placement.PlacementAgent;
import io.laminar.actors.placement.PlacementPlan.ModelFootprint;
import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.actors.scheduler.SchedulerSettings;
import io.laminar.actors.stage.StageActor;
import io.laminar.model.arch.ModelConfig;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.gguf.GgufMetadata;
import io.laminar.model.tokenizer.Tokenizer;
import io.laminar.model.tokenizer.Tokenizers;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * One Laminar process: an actor system in the cluster, the stages it hosts (sharing one
 * {@link ComputeThread}) and, if asked, the model's scheduler. A single process with every stage and
 * the scheduler is a cluster of one; the same actors and messages serve many machines.
 */
public final class PipelineHost implements AutoCloseable {
    /** The cluster role of a member that runs a scheduler; laminar.conf's split brain resolver counts it. */
    public static final String SCHEDULER_ROLE = "scheduler";

    private final ActorSystem<Void> system;
    private final GgufFile file;
    private final ModelConfig config;
    private final Tokenizer tokenizer;
    private final ComputeThread compute;
    private final List<ActorRef<StageActor.Command>> stages;
    private final ActorRef<PipelineScheduler.Command> scheduler;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private PipelineHost(ActorSystem<Void> system, GgufFile file, ModelConfig config, Tokenizer tokenizer,
                         ComputeThread compute, List<ActorRef<StageActor.Command>> stages,
                         ActorRef<PipelineScheduler.Command> scheduler) {
        this.system = system;
        this.file = file;
        this.config = config;
        this.tokenizer = tokenizer;
        this.compute = compute;
        this.stages = stages;
        this.scheduler = scheduler;
    }

    public static PipelineHost start(HostSettings s) throws IOException {
        return start(s, header -> { });
    }

    /**
     * @param beforeStep run by every stage of this process on the compute thread before each step; what it
     *                   throws fails the step (used to test fault handling)
     */
    public static PipelineHost start(HostSettings s,
                                     java.util.function.Consumer<io.laminar.actors.stage.StepHeader> beforeStep)
            throws IOException {
        GgufFile file = GgufFile.open(s.model());
        ActorSystem<Void> system = null;
        ComputeThread compute = null;
        try {
            ModelConfig config = ModelConfig.fromGguf(file);
            Tokenizer tokenizer = Tokenizers.fromGguf(file.metadata());
            system = ActorSystem.create(Behaviors.empty(), "laminar", akkaConfig(s));
            join(system, s.network().seedNodes());
            int maxCols = Math.max(Math.max(config.dim(), config.qDim()), config.hiddenDim());
            compute = new ComputeThread(s.capacity().threads(), s.capacity().maxBatch(), maxCols);
            StageFactory factory = new StageFactory(system, file, config, compute, s, beforeStep);
            List<ActorRef<StageActor.Command>> stages = new ArrayList<>();
            for (LayerRange range : s.hosting().stages()) {
                stages.add(factory.spawn(range, s.capacity().kvBudgetBytes()));
            }
            ModelFootprint footprint = ModelFootprint.of(file, config.layers());
            if (s.hosting().memoryBudgetBytes() > 0) {
                // An assignment maps and prepares the layers' weights (and uploads them to a device)
                // in its receive: seconds of blocking work, kept off the dispatcher that runs the
                // stages and the cluster's own actors.
                system.systemActorOf(PlacementAgent.create(s.modelId(), s.hosting().memoryBudgetBytes(), factory,
                        footprint), "placement-agent", DispatcherSelector.blocking());
            }
            if (!s.hosting().scheduler()) {
                system.systemActorOf(SchedulerWatch.create(
                        system.settings().config().getDuration("laminar.cluster.orphan-after")),
                        "scheduler-watch", Props.empty());
            }
            ActorRef<PipelineScheduler.Command> scheduler = s.hosting().scheduler()
                    ? system.systemActorOf(PipelineScheduler.create(
                            SchedulerSettings.defaults(s.modelId(), tokenizer::isEndOfGeneration, footprint)
                                    .withLanes(s.scheduling().lanes())
                                    .withAdmissionTimeout(s.scheduling().admissionTimeout())
                                    .withDraftTokens(s.scheduling().draftTokens())),
                    "scheduler-" + s.modelId(), Props.empty())
                    : null;
            return new PipelineHost(system, file, config, tokenizer, compute, List.copyOf(stages), scheduler);
        } catch (RuntimeException e) {
            if (system != null) {
                system.terminate();
            }
            if (compute != null) {
                compute.close();
            }
            file.close();
            throw e;
        }
    }

    /**
     * The options of the command line (with the TLS settings they give), then JVM system properties ({@code JAVA_OPTS=-Dakka...}, so
     * an operator can tune any setting of laminar.conf without a build), then laminar.conf, then
     * Akka's defaults.
     */
    private static Config akkaConfig(HostSettings s) {
        return ConfigFactory.parseMap(Map.of(
                        "akka.remote.artery.canonical.hostname", s.network().hostname(),
                        "akka.remote.artery.canonical.port", s.network().port(),
                        "akka.cluster.roles", clusterRoles(s.hosting()),
                        "laminar.pipeline.wire-format", s.wireFormat().name().toLowerCase()))
                .withFallback(s.network().security().akkaConfig(s.network().hostname()))
                .withFallback(ConfigFactory.systemProperties())
                .withFallback(ConfigFactory.parseResources(PipelineHost.class.getClassLoader(), "laminar.conf"))
                .withFallback(ConfigFactory.load());
    }

    /**
     * The member's cluster roles: {@code scheduler}, {@code stage} (layers or a memory budget), or
     * {@code client} for neither. The split brain resolver decides by the scheduler role (laminar.conf).
     */
    static List<String> clusterRoles(HostSettings.Hosting h) {
        List<String> roles = new ArrayList<>();
        if (h.scheduler()) {
            roles.add(SCHEDULER_ROLE);
        }
        if (!h.stages().isEmpty() || h.memoryBudgetBytes() > 0) {
            roles.add("stage");
        }
        if (roles.isEmpty()) {
            roles.add("client");
        }
        return roles;
    }

    private static void join(ActorSystem<Void> system, List<String> seedNodes) {
        Cluster cluster = Cluster.get(system);
        if (seedNodes.isEmpty()) {
            cluster.manager().tell(Join.create(cluster.selfMember().address()));
        } else {
            List<akka.actor.Address> seeds = new ArrayList<>();
            for (String hostPort : seedNodes) {
                String[] hp = hostPort.trim().split(":");
                if (hp.length != 2) {
                    throw new IllegalArgumentException("seed node '" + hostPort + "' is not HOST:PORT");
                }
                seeds.add(new akka.actor.Address("akka", system.name(), hp[0], Integer.parseInt(hp[1])));
            }
            cluster.manager().tell(new JoinSeedNodes(seeds));
        }
    }

    public ActorSystem<Void> system() {
        return system;
    }

    public ModelConfig config() {
        return config;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The model file's metadata (a chat template, say), from the file this process has open. */
    public GgufMetadata metadata() {
        return file.metadata();
    }

    public List<ActorRef<StageActor.Command>> stages() {
        return stages;
    }

    /** The scheduler, when this process runs one. */
    public ActorRef<PipelineScheduler.Command> scheduler() {
        return scheduler;
    }

    /** The port this process listens on for the cluster. */
    public int port() {
        return system.address().getPort().orElse(-1);
    }

    /**
     * This member's view of the cluster, one line per member: its address and status, and
     * {@code unreachable} when the failure detector has given up on it.
     */
    public List<String> clusterMembers() {
        ClusterEvent.CurrentClusterState state = Cluster.get(system).state();
        List<String> lines = new ArrayList<>();
        for (Member m : state.getMembers()) {
            lines.add(m.address() + " " + m.status() + (state.getUnreachable().contains(m) ? " unreachable" : ""));
        }
        return lines;
    }

    /**
     * Downs the member at {@code address} (as {@link #clusterMembers} writes it), as an operator
     * would a node known to be dead before the split brain resolver acts; the member stops.
     */
    public void down(String address) {
        Cluster.get(system).manager().tell(new akka.cluster.typed.Down(akka.actor.AddressFromURIString.parse(address)));
    }

    /** Whether the cluster downed this member (its split brain resolver), which stops its actor system. */
    public boolean downedByCluster() {
        return CoordinatedShutdown.get(system).getShutdownReason()
                .filter(r -> r.equals(CoordinatedShutdown.clusterDowningReason())).isPresent();
    }

    /**
     * Whether this member left its cluster because the cluster had no scheduler any more
     * ({@code laminar.cluster.orphan-after}), which stops its actor system.
     */
    public boolean orphaned() {
        return CoordinatedShutdown.get(system).getShutdownReason()
                .filter(r -> r == SchedulerWatch.Orphaned.INSTANCE).isPresent();
    }

    public CompletionStage<PipelineScheduler.Status> status() {
        return AskPattern.ask(scheduler, PipelineScheduler.GetStatus::new, Duration.ofSeconds(5), system.scheduler());
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // Shutting down anyway.
        }
        compute.close();
        file.close();
    }
}
