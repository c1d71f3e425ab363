package io.laminar.model.exec;

import io.laminar.kernels.CpuKernels;
import io.laminar.model.arch.ModelConfig;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.weights.StageWeights;

import java.util.List;

/**
 * A model split into stages that run one after another in this process, passing the hidden state
 * along as they would between machines (one copy per hop). With one stage it is the plain
 * single-process model; the actor pipeline runs the same {@link StageRunner}s on separate actors.
 */
public final class LocalPipeline implements AutoCloseable {
    private final ModelConfig config;
    private final StageExecutor[] stages;
    private final float[][] hidden;
    private final CpuKernels kernels;

    /**
     * @param ranges       the layer range of each stage, covering the model in order
     * @param threads      worker threads of the shared kernel pool
     * @param maxBatch     the most tokens one step may carry
     * @param maxSequences KV slots
     * @param context      the longest sequence a slot holds
     */
    public LocalPipeline(GgufFile file, ModelConfig config, LayerRange[] ranges, int threads, int maxBatch,
                         int maxSequences, int context) {
        this(file, config, ranges, List.of(StageBackend.CPU), threads, maxBatch, maxSequences, context);
    }

    /**
     * @param backends the backend of each stage, or one for all ({@link StageBackend#perStage})
     */
    public LocalPipeline(GgufFile file, ModelConfig config, LayerRange[] ranges, List<String> backends, int threads,
                         int maxBatch, int maxSequences, int context) {
        checkCoverage(ranges, config.layers());
        this.config = config;
        int maxCols = Math.max(Math.max(config.dim(), config.qDim()), config.hiddenDim());
        this.kernels = new CpuKernels(threads, maxBatch, maxCols);
        this.stages = new StageExecutor[ranges.length];
        this.hidden = new float[ranges.length][maxBatch * config.dim()];
        List<String> names = StageBackend.perStage(backends, ranges.length);
        try {
            for (int s = 0; s < ranges.length; s++) {
                StageWeights w = StageWeights.load(file, config, ranges[s]);
                int blockSize = 16;
                int blocks = maxSequences * ((context + blockSize - 1) / blockSize);
                stages[s] = StageBackend.named(names.get(s)).open(new StageBackend.Spec(config, w, blockSize, blocks,
                        maxSequences, context, KvPrecision.F16, maxBatch, kernels));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private static void checkCoverage(LayerRange[] ranges, int layers) {
        int next = 0;
        for (LayerRange r : ranges) {
            if (r.start() != next) {
                throw new IllegalArgumentException("stage ranges must cover layers in order: expected a range starting at "
                        + next + ", got " + r);
            }
            next = r.end();
        }
        if (next != layers) {
            throw new IllegalArgumentException("stage ranges end at layer " + next + " but the model has " + layers);
        }
    }

    public ModelConfig config() {
        return config;
    }

    /** Stage {@code i}, for what runs on one stage alone (a warm-up, a test). */
    public StageExecutor stage(int i) {
        return stages[i];
    }

    public int stageCount() {
        return stages.length;
    }

    public int maxBatch() {
        return stages[0].maxBatch();
    }

    /** The longest sequence a slot can hold. */
    public int context() {
        return stages[0].kvCache().maxContext();
    }

    /** Makes room in every stage's cache for positions {@code [0, length)} of {@code slot}. */
    public boolean reserve(int slot, int length) {
        for (StageExecutor s : stages) {
            if (!s.kvCache().reserve(slot, length)) {
                return false;
            }
        }
        return true;
    }

    public void release(int slot) {
        for (StageExecutor s : stages) {
            s.kvCache().release(slot);
        }
    }

    /**
     * Runs one step over {@code batch} through every stage and writes, for each entry that wants
     * logits (in batch order), {@code vocab} logits into {@code logits}. Returns how many rows.
     */
    public int step(TokenBatch batch, float[] logits) {
        forwardAll(batch);
        return stages[stages.length - 1].logits(batch, hidden[stages.length - 1], logits);
    }

    /**
     * As {@link #step}, greedy: writes the most likely next token of each entry that wants logits
     * (in batch order) into {@code tokens}; a device last stage sends back only these ids.
     */
    public int stepGreedy(TokenBatch batch, int[] tokens) {
        forwardAll(batch);
        return stages[stages.length - 1].greedy(batch, hidden[stages.length - 1], tokens);
    }

    /** Embeds the batch and runs every stage, copying the hidden state once per hop. */
    private void forwardAll(TokenBatch batch) {
        int n = batch.size() * config.dim();
        stages[0].embed(batch, hidden[0]);
        for (int s = 0; s < stages.length; s++) {
            stages[s].forward(batch, hidden[s]);
            if (s + 1 < stages.length) {
                System.arraycopy(hidden[s], 0, hidden[s + 1], 0, n);
            }
        }
    }

    /** The backend of each stage, in order. */
    public List<String> backends() {
        return java.util.Arrays.stream(stages).map(StageExecutor::backend).toList();
    }

    @Override
    public void close() {
        for (StageExecutor s : stages) {
            if (s != null) {
                s.close();
            }
        }
        kernels.close();
    }
}
