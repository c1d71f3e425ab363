package io.laminar.tornado;

import io.laminar.kernels.Quantization;
import io.laminar.kernels.WeightMatrix;
import io.laminar.model.arch.ModelConfig;
import io.laminar.model.arch.Rope;
import io.laminar.model.arch.RopeLayout;
import io.laminar.model.arch.UnsupportedModelException;
import io.laminar.model.exec.KvCache;
import io.laminar.model.exec.KvPrecision;
import io.laminar.model.exec.StageBackend;
import io.laminar.model.exec.StageExecutor;
import io.laminar.model.exec.TokenBatch;
import io.laminar.model.weights.LayerWeights;
import io.laminar.model.weights.StageWeights;
import uk.ac.manchester.tornado.api.DataRange;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * One pipeline stage on a TornadoVM device. Its weights, KV cache and scratch buffers are uploaded
 * once and stay on the device; each step sends the batch's hidden state and a few hundred bytes of
 * metadata (positions, slots, block tables, RoPE angles) in, and brings back the new hidden state, or,
 * on the last stage, the logits or only the greedy token ids.
 *
 * <p>One {@link TornadoExecutionPlan} holds a task graph per layer and one for the head:
 * <ol>
 *   <li>{@code layer_i}: the layer's kernels, one task each. Its weights and its share of the KV cache
 *       are {@link DataTransferMode#FIRST_EXECUTION}: copied on the first run, then resident; the KV
 *       cache is never copied back. The first layer's graph takes the step's hidden state and metadata
 *       from the host; every graph persists the hidden state, the metadata and the shared scratch
 *       buffers on the device ({@code persistOnDevice}) and the next layer's graph consumes them
 *       ({@code consumeFromDevice}), so consecutive layers chain on the device. The last layer's graph
 *       copies the hidden state back on demand, only the batch's rows.</li>
 *   <li>{@code head} (last stage only): final norm, output head and argmax, consuming the hidden state and
 *       metadata from the last layer; logits or token ids come back on demand, only the rows asked for.</li>
 * </ol>
 * Graphs are per layer, not per stage, so that each stays small (TornadoVM encodes a graph's schedule
 * in a bytecode buffer of {@code tornado.tvm.maxbytecodesize} bytes, 4 KiB by default, which a whole
 * stage of a large model would overflow) and compiles as the same kernels for every layer.
 * Grids depend on the batch: kernels read the token count from the metadata and the host resizes the
 * work-item grids before each run, so one compiled kernel serves every batch size.
 *
 * <p>The token embedding is looked up on the host (a row copy per token, the same bytes the hidden
 * state would take to upload); the first stage's embedding table never goes to the device unless the
 * output head shares it.
 */
final class TornadoStage implements StageExecutor {
    /** System property: the TornadoVM device as {@code driver:device} (default: TornadoVM's default device). */
    static final String DEVICE_PROPERTY = "laminar.tornado.device";
    /**
     * System property: OpenCL compiler flags. The default keeps IEEE arithmetic (no fast-relaxed-math,
     * no mad contraction), which the exact rounding to half precision needs.
     */
    static final String OPENCL_FLAGS_PROPERTY = "laminar.tornado.opencl-flags";
    static final String DEFAULT_OPENCL_FLAGS = "-w";

    private static final String HEAD = "head";

    private final ModelConfig c;
    private final StageWeights w;
    private final KvCache kv;
    private final int maxBatch;
    private final int headRows;
    private final Rope rope;
    private final TornadoKernels.Meta metaLayout;
    private final boolean flash;

    // Per step, host to device.
    private final FloatArray x;
    private final IntArray meta;
    private final IntArray tables;
    private final FloatArray cos;
    private final FloatArray sin;
    private final float[] angleCos;
    private final float[] angleSin;
    // Last stage, device to host on demand.
    private final FloatArray logits;
    private final IntArray ids;

    private final TornadoExecutionPlan plan;
    private final GridScheduler grids = new GridScheduler();
    private final List<Resizable> resizable = new ArrayList<>();
    private final long deviceBytes;
    /** The hidden-state array of the last {@link #forward}, which the head runs on. */
    private float[] lastForward;
    /** The head's last run, from which logits or token ids are copied back on demand. */
    private TornadoExecutionResult lastHead;
    private boolean closed;

    /** A grid whose size follows the step: {@code count * perItem} work-items, rounded up to {@code local}. */
    private record Resizable(WorkerGrid1D grid, boolean logitRows, int perItem, int local) {
        void resize(int tokens, int rows) {
            int count = logitRows ? rows : tokens;
            int global = Math.max(1, count * perItem);
            global = (global + local - 1) / local * local;
            grid.setGlobalWork(global, 1, 1);
        }
    }

    TornadoStage(StageBackend.Spec spec) {
        this.c = spec.config();
        this.w = spec.weights();
        this.kv = spec.newKvIndex();
        this.maxBatch = spec.maxBatch();
        this.headRows = Math.min(maxBatch, Math.max(1, kv.maxSequences()));
        this.rope = new Rope(c.rope());
        this.metaLayout = new TornadoKernels.Meta(maxBatch);
        this.flash = kv.maxContext() > TornadoKernels.ATTENTION_MAX_CONTEXT;
        if (flash && c.headDim() > 4 * TornadoKernels.ATTENTION_LOCAL) {
            throw new UnsupportedModelException("head_dim=" + c.headDim() + " with a context over "
                    + TornadoKernels.ATTENTION_MAX_CONTEXT + ": the TornadoVM flash attention handles head_dim <= "
                    + 4 * TornadoKernels.ATTENTION_LOCAL);
        }
        if (c.heads() * c.headDim() > Integer.MAX_VALUE / maxBatch) {
            throw new IllegalArgumentException("maxBatch=" + maxBatch + " is too large for the TornadoVM stage");
        }
        int pairs = rope.pairs();
        int dim = c.dim();
        this.x = new FloatArray(maxBatch * dim);
        this.meta = new IntArray(metaLayout.size());
        this.tables = new IntArray(kv.maxSequences() * kv.maxBlocksPerSequence());
        this.cos = new FloatArray(maxBatch * pairs);
        this.sin = new FloatArray(maxBatch * pairs);
        this.angleCos = new float[maxBatch * pairs];
        this.angleSin = new float[maxBatch * pairs];
        this.logits = w.last() ? new FloatArray(headRows * c.vocabSize()) : null;
        this.ids = w.last() ? new IntArray(headRows) : null;

        long bytes = 0;
        KernelContext ctx = new KernelContext();
        FloatArray halfScales = TornadoKernels.halfScaleTable();
        FloatArray xb = new FloatArray(maxBatch * Math.max(dim, c.qDim()));
        FloatArray q = new FloatArray(maxBatch * c.qDim());
        FloatArray k = new FloatArray(maxBatch * c.kvDim());
        FloatArray v = new FloatArray(maxBatch * c.kvDim());
        FloatArray att = new FloatArray(maxBatch * c.qDim());
        FloatArray hb = new FloatArray(maxBatch * c.hiddenDim());
        FloatArray hb2 = new FloatArray(maxBatch * c.hiddenDim());
        // What every layer's graph hands the next: step inputs, then device-only scratch.
        Object[] stepInputs = {x, meta, tables, cos, sin};
        Object[] scratch = {ctx, halfScales, xb, q, k, v, att, hb, hb2};
        Object[] chained = concat(stepInputs, scratch);
        WorkerGrid1D perToken = grid(false, TornadoKernels.LOCAL, TornadoKernels.LOCAL);
        WorkerGrid1D perQueryHead = grid(false, c.heads() * TornadoKernels.LOCAL, TornadoKernels.LOCAL);
        WorkerGrid1D perKeyHead = grid(false, c.kvHeads() * TornadoKernels.LOCAL, TornadoKernels.LOCAL);
        WorkerGrid1D ropeQ = grid(false, c.heads(), 32);
        WorkerGrid1D ropeK = grid(false, c.kvHeads(), 32);
        WorkerGrid1D attention = grid(false, c.heads() * TornadoKernels.ATTENTION_LOCAL,
                TornadoKernels.ATTENTION_LOCAL);
        WorkerGrid1D hiddenElements = grid(false, c.hiddenDim(), TornadoKernels.LOCAL);
        WorkerGrid1D qElements = grid(false, c.qDim(), TornadoKernels.LOCAL);
        WorkerGrid1D kvElements = grid(false, c.kvDim(), TornadoKernels.LOCAL);

        int neox = c.rope().layout() == RopeLayout.NEOX ? 1 : 0;
        int halfKv = kv.precision() == KvPrecision.F16 ? 1 : 0;
        float scale = (float) (1.0 / Math.sqrt(c.headDim()));
        int posAt = metaLayout.positions();
        int slotAt = metaLayout.slots();
        int tokens = TornadoKernels.META_TOKENS;
        List<ImmutableTaskGraph> graphs = new ArrayList<>();
        int layerCount = w.layers().length;
        for (int l = 0; l < layerCount; l++) {
            LayerWeights lw = w.layers()[l];
            String graphName = layerGraph(l);
            TaskGraph layers = new TaskGraph(graphName);
            if (l == 0) {
                layers.transferToDevice(DataTransferMode.EVERY_EXECUTION, stepInputs);
                layers.transferToDevice(DataTransferMode.FIRST_EXECUTION, scratch);
            } else {
                layers.consumeFromDevice(layerGraph(l - 1), chained);
            }
            FloatArray attnNorm = FloatArray.fromArray(lw.attnNorm());
            FloatArray ffnNorm = FloatArray.fromArray(lw.ffnNorm());
            DeviceMatrix wq = DeviceMatrix.of(lw.wq());
            DeviceMatrix wk = DeviceMatrix.of(lw.wk());
            DeviceMatrix wv = DeviceMatrix.of(lw.wv());
            DeviceMatrix wo = DeviceMatrix.of(lw.wo());
            DeviceMatrix gate = DeviceMatrix.of(lw.gate());
            DeviceMatrix up = DeviceMatrix.of(lw.up());
            DeviceMatrix down = DeviceMatrix.of(lw.down());
            FloatArray keys = new FloatArray(kv.blockCount() * kv.blockSize() * c.kvDim());
            FloatArray values = new FloatArray(kv.blockCount() * kv.blockSize() * c.kvDim());
            layers.transferToDevice(DataTransferMode.FIRST_EXECUTION, attnNorm, ffnNorm, keys, values);
            for (DeviceMatrix m : List.of(wq, wk, wv, wo, gate, up, down)) {
                layers.transferToDevice(DataTransferMode.FIRST_EXECUTION, m.arrays());
                bytes += m.deviceBytes();
            }
            bytes += keys.getNumBytesOfSegment() * 2;

            // Attention: normalize, project to Q, K, V.
            layers.task("attn_norm", TornadoKernels::rmsNorm, ctx, x, xb, attnNorm, meta, tokens, 1, dim,
                    c.rmsEps());
            grids.addWorkerGrid(graphName + "." + "attn_norm", perToken);
            addMatmul(layers, graphName, "q", wq, ctx, xb, q, tokens, false, halfScales);
            addMatmul(layers, graphName, "k", wk, ctx, xb, k, tokens, false, halfScales);
            addMatmul(layers, graphName, "v", wv, ctx, xb, v, tokens, false, halfScales);
            if (lw.bq() != null) {
                FloatArray bq = FloatArray.fromArray(lw.bq());
                FloatArray bk = FloatArray.fromArray(lw.bk());
                FloatArray bv = FloatArray.fromArray(lw.bv());
                layers.transferToDevice(DataTransferMode.FIRST_EXECUTION, bq, bk, bv);
                layers.task("q_bias", TornadoKernels::addBias, ctx, q, bq, meta, c.qDim());
                layers.task("k_bias", TornadoKernels::addBias, ctx, k, bk, meta, c.kvDim());
                layers.task("v_bias", TornadoKernels::addBias, ctx, v, bv, meta, c.kvDim());
                grids.addWorkerGrid(graphName + "." + "q_bias", qElements);
                grids.addWorkerGrid(graphName + "." + "k_bias", kvElements);
                grids.addWorkerGrid(graphName + "." + "v_bias", kvElements);
            }
            if (lw.qNorm() != null) {
                FloatArray qNorm = FloatArray.fromArray(lw.qNorm());
                FloatArray kNorm = FloatArray.fromArray(lw.kNorm());
                layers.transferToDevice(DataTransferMode.FIRST_EXECUTION, qNorm, kNorm);
                layers.task("q_norm", TornadoKernels::rmsNorm, ctx, q, q, qNorm, meta, tokens, c.heads(),
                        c.headDim(), c.rmsEps());
                layers.task("k_norm", TornadoKernels::rmsNorm, ctx, k, k, kNorm, meta, tokens, c.kvHeads(),
                        c.headDim(), c.rmsEps());
                grids.addWorkerGrid(graphName + "." + "q_norm", perQueryHead);
                grids.addWorkerGrid(graphName + "." + "k_norm", perKeyHead);
            }
            // Rotate, then store this position's key and value in the cache.
            layers.task("rope_q", TornadoKernels::ropeQuery, ctx, q, cos, sin, meta, c.heads(), c.headDim(),
                    pairs, neox, halfKv);
            layers.task("rope_kv", TornadoKernels::ropeStoreKv, ctx, k, v, cos, sin, keys, values, meta, tables,
                    c.kvHeads(), c.headDim(), pairs, neox, halfKv, posAt, slotAt, kv.blockSize(),
                    kv.maxBlocksPerSequence());
            grids.addWorkerGrid(graphName + "." + "rope_q", ropeQ);
            grids.addWorkerGrid(graphName + "." + "rope_kv", ropeK);
            if (flash) {
                layers.task("attention", TornadoKernels::flashAttention, ctx, q, keys, values, att, meta, tables,
                        c.heads(), c.kvHeads(), c.headDim(), scale, posAt, slotAt, kv.blockSize(),
                        kv.maxBlocksPerSequence());
            } else {
                layers.task("attention", TornadoKernels::attention, ctx, q, keys, values, att, meta, tables,
                        c.heads(), c.kvHeads(), c.headDim(), scale, halfKv, posAt, slotAt, kv.blockSize(),
                        kv.maxBlocksPerSequence());
            }
            grids.addWorkerGrid(graphName + "." + "attention", attention);
            // Output projection and residual.
            addMatmul(layers, graphName, "o", wo, ctx, att, x, tokens, true, halfScales);
            // MLP: normalize, SwiGLU, down projection, residual.
            layers.task("ffn_norm", TornadoKernels::rmsNorm, ctx, x, xb, ffnNorm, meta, tokens, 1, dim,
                    c.rmsEps());
            grids.addWorkerGrid(graphName + "." + "ffn_norm", perToken);
            addMatmul(layers, graphName, "gate", gate, ctx, xb, hb, tokens, false, halfScales);
            addMatmul(layers, graphName, "up", up, ctx, xb, hb2, tokens, false, halfScales);
            layers.task("swiglu", TornadoKernels::swiglu, ctx, hb, hb2, meta, c.hiddenDim());
            grids.addWorkerGrid(graphName + "." + "swiglu", hiddenElements);
            addMatmul(layers, graphName, "down", down, ctx, hb, x, tokens, true, halfScales);
            if (l + 1 < layerCount) {
                layers.persistOnDevice(chained);
            } else {
                layers.transferToHost(DataTransferMode.UNDER_DEMAND, x);
                if (w.last()) {
                    layers.persistOnDevice(x, meta);
                }
            }
            graphs.add(layers.snapshot());
        }
        if (w.last()) {
            FloatArray outputNorm = FloatArray.fromArray(w.outputNorm());
            FloatArray headScales = TornadoKernels.halfScaleTable();
            FloatArray logitsIn = new FloatArray(headRows * dim);
            DeviceMatrix output = DeviceMatrix.of(w.output());
            bytes += output.deviceBytes();
            TaskGraph head = new TaskGraph(HEAD)
                    .consumeFromDevice(layerGraph(layerCount - 1), x, meta)
                    .transferToDevice(DataTransferMode.FIRST_EXECUTION, outputNorm, headScales, logitsIn, logits, ids)
                    .transferToDevice(DataTransferMode.FIRST_EXECUTION, output.arrays());
            KernelContext headCtx = new KernelContext();
            head.task("norm", TornadoKernels::rmsNormRows, headCtx, x, logitsIn, outputNorm, meta, metaLayout.logitRows(),
                    dim, c.rmsEps());
            grids.addWorkerGrid(HEAD + ".norm", grid(true, TornadoKernels.LOCAL, TornadoKernels.LOCAL));
            output.addMatmul(head, "output", headCtx, logitsIn, logits, meta, TornadoKernels.META_LOGIT_ROWS, false,
                    headScales);
            grids.addWorkerGrid(HEAD + ".output", fixed(output.rows * TornadoKernels.LOCAL, TornadoKernels.LOCAL));
            head.task("argmax", TornadoKernels::argmax, headCtx, logits, ids, meta, c.vocabSize());
            grids.addWorkerGrid(HEAD + ".argmax", grid(true, TornadoKernels.LOCAL, TornadoKernels.LOCAL));
            head.transferToHost(DataTransferMode.UNDER_DEMAND, logits, ids);
            graphs.add(head.snapshot());
        }
        this.deviceBytes = bytes;
        this.plan = new TornadoExecutionPlan(graphs.toArray(new ImmutableTaskGraph[0]));
        plan.withCompilerFlags(TornadoVMBackendType.OPENCL,
                System.getProperty(OPENCL_FLAGS_PROPERTY, DEFAULT_OPENCL_FLAGS));
        String device = System.getProperty(DEVICE_PROPERTY);
        if (device != null && !device.isBlank()) {
            String[] parts = device.trim().split(":");
            plan.withDevice(TornadoExecutionPlan.getDevice(Integer.parseInt(parts[0]), Integer.parseInt(parts[1])));
        }
        warmUp();
    }

    private void addMatmul(TaskGraph g, String graphName, String id, DeviceMatrix m, KernelContext ctx, FloatArray in,
                           FloatArray out, int countAt, boolean accumulate, FloatArray halfScales) {
        m.addMatmul(g, id, ctx, in, out, meta, countAt, accumulate, halfScales);
        grids.addWorkerGrid(graphName + "." + id, fixed(m.rows * TornadoKernels.LOCAL, TornadoKernels.LOCAL));
    }

    private static String layerGraph(int layer) {
        return "layer_" + layer;
    }

    private static Object[] concat(Object[] a, Object[] b) {
        Object[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private WorkerGrid1D grid(boolean logitRows, int perItem, int local) {
        WorkerGrid1D g = new WorkerGrid1D(Math.max(local, perItem));
        g.setLocalWork(local, 1, 1);
        resizable.add(new Resizable(g, logitRows, perItem, local));
        return g;
    }

    private static WorkerGrid1D fixed(int global, int local) {
        WorkerGrid1D g = new WorkerGrid1D(global);
        g.setLocalWork(local, 1, 1);
        return g;
    }

    /** Compiles the kernels and uploads the weights now, with a one-token step that reads no cache. */
    private void warmUp() {
        meta.init(0);
        tables.init(0);
        meta.set(TornadoKernels.META_TOKENS, 1);
        meta.set(TornadoKernels.META_LOGIT_ROWS, 1);
        runLayers(1);
        if (w.last()) {
            runHead(1, 1);
        }
    }

    /** Runs every layer's graph in order; returns the last one's result (for the hidden state). */
    private TornadoExecutionResult runLayers(int tokens) {
        resize(tokens, 1);
        TornadoExecutionResult last = null;
        for (int l = 0; l < w.layers().length; l++) {
            last = plan.withGraph(l).withGridScheduler(grids).execute();
        }
        return last;
    }

    private TornadoExecutionResult runHead(int tokens, int rows) {
        resize(tokens, rows);
        return plan.withGraph(w.layers().length).withGridScheduler(grids).execute();
    }

    private void resize(int tokens, int rows) {
        for (Resizable r : resizable) {
            r.resize(tokens, rows);
        }
    }

    @Override
    public String backend() {
        return StageBackend.TORNADOVM;
    }

    @Override
    public ModelConfig config() {
        return c;
    }

    @Override
    public StageWeights weights() {
        return w;
    }

    @Override
    public KvCache kvCache() {
        return kv;
    }

    @Override
    public int maxBatch() {
        return maxBatch;
    }

    /** Bytes of weights and KV cache this stage keeps on the device. */
    long deviceBytes() {
        return deviceBytes;
    }

    @Override
    public void embed(TokenBatch batch, float[] out) {
        WeightMatrix e = w.tokenEmbedding();
        for (int t = 0; t < batch.size(); t++) {
            int token = batch.token(t);
            if (token < 0 || token >= c.vocabSize()) {
                throw new IllegalArgumentException("token id " + token + " outside the vocabulary of " + c.vocabSize());
            }
            Quantization.dequantizeRow(e.type(), e.data(), token * e.rowBytes(), out, t * c.dim(), c.dim());
        }
    }

    @Override
    public void forward(TokenBatch batch, float[] hidden) {
        checkOpen();
        int n = batch.size();
        if (n > maxBatch) {
            throw new IllegalArgumentException("batch of " + n + " exceeds this stage's maximum " + maxBatch);
        }
        int pairs = rope.pairs();
        int maxBlocks = kv.maxBlocksPerSequence();
        int rows = 0;
        meta.set(TornadoKernels.META_TOKENS, n);
        for (int t = 0; t < n; t++) {
            int slot = batch.slot(t);
            int pos = batch.position(t);
            if (pos >= kv.capacity(slot)) {
                throw new IllegalStateException("KV slot " + slot + " has no room for position " + pos);
            }
            meta.set(metaLayout.positions() + t, pos);
            meta.set(metaLayout.slots() + t, slot);
            if (batch.wantsLogits(t)) {
                if (rows < headRows) {
                    meta.set(metaLayout.logitRows() + rows, t);
                }
                rows++;
            }
            if (t == 0 || slot != batch.slot(t - 1)) {
                for (int b = 0; b < kv.blocksHeld(slot); b++) {
                    tables.set(slot * maxBlocks + b, kv.block(slot, b));
                }
            }
            rope.angles(pos, angleCos, angleSin, t * pairs);
        }
        meta.set(TornadoKernels.META_LOGIT_ROWS, Math.min(rows, headRows));
        MemorySegment.copy(angleCos, 0, cos.getSegment(), ValueLayout.JAVA_FLOAT, 0, n * pairs);
        MemorySegment.copy(angleSin, 0, sin.getSegment(), ValueLayout.JAVA_FLOAT, 0, n * pairs);
        int floats = n * c.dim();
        MemorySegment.copy(hidden, 0, x.getSegment(), ValueLayout.JAVA_FLOAT, 0, floats);
        TornadoExecutionResult result = runLayers(n);
        result.transferToHost(new DataRange(x).withSize(floats));
        MemorySegment.copy(x.getSegment(), ValueLayout.JAVA_FLOAT, 0, hidden, 0, floats);
        lastForward = hidden;
    }

    @Override
    public int logits(TokenBatch batch, float[] hidden, float[] out) {
        int m = head(batch, hidden);
        if (m > 0) {
            TornadoExecutionResult result = lastHead;
            int floats = m * c.vocabSize();
            result.transferToHost(new DataRange(logits).withSize(floats));
            MemorySegment.copy(logits.getSegment(), ValueLayout.JAVA_FLOAT, 0, out, 0, floats);
        }
        return m;
    }

    @Override
    public int greedy(TokenBatch batch, float[] hidden, int[] tokens) {
        int m = head(batch, hidden);
        if (m > 0) {
            lastHead.transferToHost(new DataRange(ids).withSize(m));
            MemorySegment.copy(ids.getSegment(), ValueLayout.JAVA_INT, 0, tokens, 0, m);
        }
        return m;
    }

    /** Runs the head over the hidden state the last {@link #forward} left on the device; returns the rows. */
    private int head(TokenBatch batch, float[] hidden) {
        checkOpen();
        if (!w.last()) {
            throw new IllegalStateException("stage " + w.range() + " is not the last stage: it has no output head");
        }
        if (hidden != lastForward) {
            throw new IllegalStateException("the head runs on the hidden state of the preceding forward(); "
                    + "pass the same array forward() updated");
        }
        int m = batch.logitsCount();
        if (m > headRows) {
            throw new IllegalArgumentException(m + " entries want logits, more than this TornadoVM stage's "
                    + headRows + " (its KV slots)");
        }
        if (m > 0) {
            lastHead = runHead(batch.size(), m);
        }
        return m;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("TornadoVM stage " + w.range() + " is closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                plan.freeDeviceMemory();
                plan.close();
            } catch (TornadoExecutionPlanException e) {
                throw new IllegalStateException("freeing TornadoVM stage " + w.range() + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public String toString() {
        return "TornadoStage[" + w.range() + ", " + (deviceBytes >> 20) + " MiB on the device, "
                + (flash ? "flash" : "local-memory") + " attention]";
    }
}
