package io.laminar.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import io.laminar.actors.stage.StageActor;
import io.laminar.actors.stage.StepHeader;
import io.laminar.model.arch.ModelConfig;
import io.laminar.model.exec.KvPrecision;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.exec.StageBackend;
import io.laminar.model.exec.StageExecutor;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.weights.StageWeights;

import java.util.function.Consumer;

/** Creates the stage actors of this process: at start for fixed ranges, later for placed ones. */
public final class StageFactory {
    /** Positions per KV block. */
    public static final int KV_BLOCK_SIZE = 16;

    private final ActorSystem<?> system;
    private final GgufFile file;
    private final ModelConfig config;
    private final ComputeThread compute;
    private final HostSettings settings;
    private final Consumer<StepHeader> beforeStep;

    StageFactory(ActorSystem<?> system, GgufFile file, ModelConfig config, ComputeThread compute, HostSettings settings,
                 Consumer<StepHeader> beforeStep) {
        this.system = system;
        this.file = file;
        this.config = config;
        this.compute = compute;
        this.settings = settings;
        this.beforeStep = beforeStep;
    }

    public ModelConfig config() {
        return config;
    }

    /**
     * Maps the weights of {@code range} and starts its stage actor with a KV cache of at most {@code kvBytes},
     * on the backend the settings name for it.
     */
    public ActorRef<StageActor.Command> spawn(LayerRange range, long kvBytes) {
        HostSettings.Capacity cap = settings.capacity();
        int context = Math.min(cap.context(), config.contextLength());
        StageWeights weights = StageWeights.load(file, config, range);
        String backend = settings.backendFor(settings.hosting().stages().indexOf(range));
        StageBackend stageBackend = StageBackend.named(backend);
        // what the budget buys depends on where the cache lives: F16 on the CPU, floats on a device
        long bytesPerBlock = 2L * range.size() * KV_BLOCK_SIZE * config.kvDim()
                * stageBackend.kvBytesPerValue(KvPrecision.F16);
        int useful = cap.maxSequences() * ((context + KV_BLOCK_SIZE - 1) / KV_BLOCK_SIZE);
        int blocks = (int) Math.min(useful, Math.max(1, kvBytes / bytesPerBlock));
        StageExecutor runner = stageBackend.open(new StageBackend.Spec(config, weights, KV_BLOCK_SIZE,
                blocks, cap.maxSequences(), context, KvPrecision.F16, cap.maxBatch(), compute.kernels()));
        String name = system.address().hostPort() + "[" + range + (backend.equals(StageBackend.CPU) ? "" : " " + backend)
                + "]";
        return system.systemActorOf(StageActor.create(runner, compute, name, settings.modelId(), beforeStep,
                        settings.warmUp()),
                "stage-" + range.start() + "-" + (range.end() - 1), Props.empty());
    }
}
