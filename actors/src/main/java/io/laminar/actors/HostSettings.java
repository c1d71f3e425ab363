package io.laminar.actors;

import io.laminar.actors.scheduler.SchedulerSettings;
import io.laminar.actors.security.ClusterSecurity;
import io.laminar.actors.serialization.ActivationFormat;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.exec.StageBackend;
import io.laminar.model.exec.WarmUpBudget;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What one Laminar process hosts and how it joins the cluster.
 *
 * @param model      the GGUF file (every node maps its own copy of the same model)
 * @param modelId    the name stages and scheduler of one model share
 * @param hosting    which stages and roles this process runs
 * @param capacity   threads, batch and KV cache sizes
 * @param network    address and cluster membership
 * @param scheduling the scheduler's batching and admission settings
 * @param wireFormat encoding of activations between nodes
 * @param backends   the kernel backend of each fixed stage ({@code hosting.stages}, in order), or one
 *                   for all of them and for a placed stage ({@code cpu}, {@code tornadovm}); see
 *                   {@link io.laminar.model.exec.StageBackend}
 * @param warmUp     how long each stage runs dummy steps on its compute thread before it registers,
 *                   so that the JIT has compiled the kernels before the first request: until the JIT
 *                   has settled, within the budget's bounds; see {@link io.laminar.model.exec.StageWarmUp}
 */
public record HostSettings(Path model, String modelId, Hosting hosting, Capacity capacity, Network network,
                           Scheduling scheduling, ActivationFormat wireFormat, List<String> backends, WarmUpBudget warmUp) {

    public HostSettings {
        warmUp = warmUp == null ? WarmUpBudget.NONE : warmUp;
        backends = backends == null || backends.isEmpty() ? List.of(StageBackend.CPU) : List.copyOf(backends);
        if (backends.size() > 1 && backends.size() != hosting.stages().size()) {
            throw new IllegalArgumentException(backends.size() + " backends (" + String.join(",", backends) + ") for "
                    + hosting.stages().size() + " stages: give one for all stages or one per stage");
        }
    }

    /** Every stage on the CPU backend. */
    public HostSettings(Path model, String modelId, Hosting hosting, Capacity capacity, Network network,
                        Scheduling scheduling, ActivationFormat wireFormat) {
        this(model, modelId, hosting, capacity, network, scheduling, wireFormat, List.of(StageBackend.CPU), WarmUpBudget.NONE);
    }

    /** No warm-up. */
    public HostSettings(Path model, String modelId, Hosting hosting, Capacity capacity, Network network,
                        Scheduling scheduling, ActivationFormat wireFormat, List<String> backends) {
        this(model, modelId, hosting, capacity, network, scheduling, wireFormat, backends, WarmUpBudget.NONE);
    }

    /** This process with stages that warm up within {@code budget} before they serve. */
    public HostSettings withWarmUp(WarmUpBudget budget) {
        return new HostSettings(model, modelId, hosting, capacity, network, scheduling, wireFormat, backends, budget);
    }

    /** The backend of the {@code index}-th fixed stage, or of a placed stage when {@code index} is -1. */
    public String backendFor(int index) {
        return backends.size() == 1 || index < 0 ? backends.getFirst() : backends.get(index);
    }

    /** This process with {@code names} as the stages' backends (one for all, or one per stage). */
    public HostSettings withBackends(List<String> names) {
        return new HostSettings(model, modelId, hosting, capacity, network, scheduling, wireFormat, names, warmUp);
    }

    /**
     * @param stages            layer ranges this process hosts, one stage actor each
     * @param memoryBudgetBytes when positive, this process also offers a stage of this many bytes
     *                          (weights and KV cache) whose layers the scheduler's placement plan assigns
     * @param scheduler         whether this process runs the model's scheduler
     */
    public record Hosting(List<LayerRange> stages, long memoryBudgetBytes, boolean scheduler) {
    }

    /**
     * @param threads       kernel worker threads
     * @param maxBatch      the most tokens a step carries
     * @param maxSequences  KV slots per stage: sequences in flight at once
     * @param context       the longest sequence, capped at the model's context length
     * @param kvBudgetBytes KV cache memory per stage with fixed layers; blocks beyond what the slots can use
     *                      are not allocated
     */
    public record Capacity(int threads, int maxBatch, int maxSequences, int context, long kvBudgetBytes) {
    }

    /**
     * @param hostname  address to bind and advertise
     * @param port      port to bind (0 picks a free one)
     * @param seedNodes {@code host:port} of members to join; empty starts a cluster of one
     * @param security  who may talk to the port: mutual TLS, or plain TCP where that is allowed
     */
    public record Network(String hostname, int port, List<String> seedNodes, ClusterSecurity security) {
        public Network {
            security = security == null ? ClusterSecurity.DEFAULT : security;
        }

        /** Plain TCP on loopback; TLS stores are needed to bind any other address. */
        public Network(String hostname, int port, List<String> seedNodes) {
            this(hostname, port, seedNodes, ClusterSecurity.DEFAULT);
        }
    }

    /**
     * @param lanes            micro-batches in flight; 0 means one per stage
     * @param admissionTimeout how long a request waits for a pipeline that is not ready
     * @param draftTokens      prompt-lookup drafts per sequence and step (speculative decoding); 0 for none
     */
    public record Scheduling(int lanes, Duration admissionTimeout, int draftTokens) {
        public Scheduling(int lanes, Duration admissionTimeout) {
            this(lanes, admissionTimeout, 0);
        }
    }

    public static final int DEFAULT_MAX_BATCH = 512;
    public static final int DEFAULT_MAX_SEQUENCES = 16;
    public static final int DEFAULT_CONTEXT = 4096;
    public static final long DEFAULT_KV_BUDGET_BYTES = 1L << 30;

    /** A single process hosting the whole model as {@code stageRanges} with its scheduler. */
    public static HostSettings local(Path model, List<LayerRange> stageRanges, int threads) {
        return new HostSettings(model, modelIdOf(model), new Hosting(List.copyOf(stageRanges), 0, true),
                new Capacity(threads, DEFAULT_MAX_BATCH, DEFAULT_MAX_SEQUENCES, DEFAULT_CONTEXT, DEFAULT_KV_BUDGET_BYTES),
                new Network("127.0.0.1", 0, List.of()),
                new Scheduling(0, SchedulerSettings.DEFAULT_ADMISSION_TIMEOUT), ActivationFormat.F32);
    }

    /** The default model id: the file name without its extension. */
    public static String modelIdOf(Path model) {
        String name = model.getFileName().toString();
        return name.endsWith(".gguf") ? name.substring(0, name.length() - 5) : name;
    }

    public HostSettings withBatch(int maxBatch, int maxSequences, int context) {
        return with(new Capacity(capacity.threads(), maxBatch, maxSequences, context, capacity.kvBudgetBytes()));
    }

    public HostSettings withKvBudget(long bytes) {
        return with(new Capacity(capacity.threads(), capacity.maxBatch(), capacity.maxSequences(),
                capacity.context(), bytes));
    }

    public HostSettings with(Capacity c) {
        return new HostSettings(model, modelId, hosting, c, network, scheduling, wireFormat, backends, warmUp);
    }

    /** This process at another address, with the same {@link ClusterSecurity}. */
    public HostSettings withNetwork(String hostname, int port, List<String> seedNodes) {
        return new HostSettings(model, modelId, hosting, capacity,
                new Network(hostname, port, List.copyOf(seedNodes), network.security()),
                scheduling, wireFormat, backends, warmUp);
    }

    public HostSettings withSecurity(ClusterSecurity security) {
        return new HostSettings(model, modelId, hosting, capacity,
                new Network(network.hostname(), network.port(), network.seedNodes(), security),
                scheduling, wireFormat, backends, warmUp);
    }

    public HostSettings withScheduling(int lanes, Duration admissionTimeout) {
        return withScheduling(new Scheduling(lanes, admissionTimeout, scheduling.draftTokens()));
    }

    public HostSettings withScheduling(Scheduling s) {
        return new HostSettings(model, modelId, hosting, capacity, network, s,
                wireFormat, backends, warmUp);
    }

    public HostSettings withWireFormat(ActivationFormat format) {
        return new HostSettings(model, modelId, hosting, capacity, network, scheduling, format, backends, warmUp);
    }

    /** This process with other stages and scheduler role. */
    public HostSettings hosting(List<LayerRange> stageRanges, boolean runScheduler) {
        List<String> b = backends.size() == stageRanges.size() ? backends : List.of(backends.getFirst());
        return new HostSettings(model, modelId, new Hosting(List.copyOf(stageRanges), 0, runScheduler), capacity,
                network, scheduling, wireFormat, b, warmUp);
    }

    /** This process offering a stage of {@code bytes} for the placement plan, and no fixed stages. */
    public HostSettings offeringBudget(long bytes, boolean runScheduler) {
        return new HostSettings(model, modelId, new Hosting(List.of(), bytes, runScheduler), capacity, network,
                scheduling, wireFormat, List.of(backends.getFirst()), warmUp);
    }

    /** This process as a client only: no stages, no scheduler. */
    public HostSettings asClient() {
        return new HostSettings(model, modelId, new Hosting(List.of(), 0, false),
                new Capacity(1, 1, 1, 1, 0), network, scheduling, wireFormat);
    }
}
