package io.laminar.actors;

import io.laminar.actors.scheduler.SchedulerSettings;
import io.laminar.actors.serialization.WireFormat;
import io.laminar.model.exec.LayerRange;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What one Laminar process hosts and how it joins the cluster.
 *
 * @param model          the GGUF file (every node maps its own copy of the same model)
 * @param modelId        the name stages and scheduler of one model share
 * @param stages         the layer ranges this process hosts, one stage actor each
 * @param scheduler      whether this process runs the model's scheduler
 * @param threads        kernel worker threads
 * @param maxBatch       the most tokens a step carries
 * @param maxSequences   KV slots per stage: sequences in flight at once
 * @param context        the longest sequence, capped at the model's context length
 * @param kvBudgetBytes  KV cache memory per stage; blocks beyond what the slots can use are not allocated
 * @param hostname       address to bind and advertise
 * @param port           port to bind (0 picks a free one)
 * @param seedNodes      {@code host:port} of nodes to join; empty starts a cluster of one
 * @param wireFormat     encoding of activations between nodes
 * @param lanes          the scheduler's micro-batches in flight; 0 means one per stage
 * @param admissionTimeout how long the scheduler lets a request wait for a pipeline that is not ready
 */
public record HostSettings(Path model, String modelId, List<LayerRange> stages, boolean scheduler, int threads,
                           int maxBatch, int maxSequences, int context, long kvBudgetBytes, String hostname,
                           int port, List<String> seedNodes, WireFormat wireFormat, int lanes,
                           Duration admissionTimeout) {
    public static final int DEFAULT_MAX_BATCH = 512;
    public static final int DEFAULT_MAX_SEQUENCES = 16;
    public static final int DEFAULT_CONTEXT = 4096;
    public static final long DEFAULT_KV_BUDGET_BYTES = 1L << 30;

    /** A single process hosting the whole model as {@code stageRanges} with its scheduler. */
    public static HostSettings local(Path model, List<LayerRange> stageRanges, int threads) {
        return new HostSettings(model, modelIdOf(model), stageRanges, true, threads, DEFAULT_MAX_BATCH,
                DEFAULT_MAX_SEQUENCES, DEFAULT_CONTEXT, DEFAULT_KV_BUDGET_BYTES, "127.0.0.1", 0, List.of(),
                WireFormat.F32, 0, SchedulerSettings.DEFAULT_ADMISSION_TIMEOUT);
    }

    /** The default model id: the file name without its extension. */
    public static String modelIdOf(Path model) {
        String name = model.getFileName().toString();
        return name.endsWith(".gguf") ? name.substring(0, name.length() - 5) : name;
    }

    public HostSettings withBatch(int maxBatch, int maxSequences, int context) {
        return new HostSettings(model, modelId, stages, scheduler, threads, maxBatch, maxSequences, context,
                kvBudgetBytes, hostname, port, seedNodes, wireFormat, lanes,
                admissionTimeout);
    }

    public HostSettings withKvBudget(long bytes) {
        return new HostSettings(model, modelId, stages, scheduler, threads, maxBatch, maxSequences, context,
                bytes, hostname, port, seedNodes, wireFormat, lanes, admissionTimeout);
    }

    public HostSettings withNetwork(String hostname, int port, List<String> seedNodes) {
        return new HostSettings(model, modelId, stages, scheduler, threads, maxBatch, maxSequences, context,
                kvBudgetBytes, hostname, port, seedNodes, wireFormat, lanes,
                admissionTimeout);
    }

    public HostSettings withScheduling(int lanes, Duration admissionTimeout) {
        return new HostSettings(model, modelId, stages, scheduler, threads, maxBatch, maxSequences, context,
                kvBudgetBytes, hostname, port, seedNodes, wireFormat, lanes, admissionTimeout);
    }

    /** This process as a client only: no stages, no scheduler. */
    public HostSettings asClient() {
        return new HostSettings(model, modelId, List.of(), false, 1, 1, 1, 1, 0, hostname, port, seedNodes,
                wireFormat, lanes, admissionTimeout);
    }

    /** This process with other stages and scheduler role. */
    public HostSettings hosting(List<LayerRange> stageRanges, boolean runScheduler) {
        return new HostSettings(model, modelId, stageRanges, runScheduler, threads, maxBatch, maxSequences, context,
                kvBudgetBytes, hostname, port, seedNodes, wireFormat, lanes, admissionTimeout);
    }

    public HostSettings withWireFormat(WireFormat format) {
        return new HostSettings(model, modelId, stages, scheduler, threads, maxBatch, maxSequences, context,
                kvBudgetBytes, hostname, port, seedNodes, format, lanes, admissionTimeout);
    }
}
