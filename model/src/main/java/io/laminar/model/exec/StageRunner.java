package io.laminar.model.exec;

import io.laminar.kernels.CpuKernels;
import io.laminar.kernels.Quantization;
import io.laminar.kernels.VectorOps;
import io.laminar.kernels.WeightMatrix;
import io.laminar.model.arch.ModelConfig;
import io.laminar.model.arch.Rope;
import io.laminar.model.inspect.AttentionSink;
import io.laminar.model.weights.LayerWeights;
import io.laminar.model.weights.StageWeights;

import java.util.Arrays;

/**
 * Runs one pipeline stage's layers over a {@link TokenBatch}: the transformer forward pass of
 * Llama-family models (RMSNorm, grouped-query attention with RoPE over a paged KV cache, SwiGLU),
 * with the token embedding on the first stage and the output head on the last.
 *
 * <p>The hidden state travels between stages as {@code float[tokens * dim]}. Every buffer is
 * allocated here, once, for the largest batch (attention's score and row buffers once per thread,
 * on its first step; its shared rows of prompt chunks as the longest chunk position needs); a step
 * allocates nothing after those. Not thread-safe: a stage runs one step at a time. The
 * CPU {@link StageExecutor}: {@link StageBackend#CPU}.
 */
public final class StageRunner implements StageExecutor {
    private final ModelConfig c;
    private final StageWeights w;
    private final CpuKernels kernels;
    private final KvCache kv;
    private final Rope rope;
    private final int maxBatch;
    private final boolean halfKv;

    // Activation buffers, [maxBatch x width].
    private final float[] xb;
    private final float[] q;
    private final float[] k;
    private final float[] v;
    private final float[] att;
    private final float[] hb;
    private final float[] hb2;
    private final float[] ropeCos;
    private final float[] ropeSin;
    private final float[] logitsIn;
    private final AttentionTask attention;
    /**
     * Per layer, the query, key and value projections, and the gate and up projections, as the
     * groups of matrices {@link CpuKernels#matmul(WeightMatrix[], float[], int, float[][])} multiplies
     * in one call, or {@code null} where their types do not allow it.
     */
    private final WeightMatrix[][] qkvGroups;
    private final WeightMatrix[][] gateUpGroups;
    private final float[][] qkvOut;
    private final float[][] gateUpOut;
    /** Per KV slot, where its attention weights go when it is inspected, else null. */
    private final AttentionSink[] sinks;
    /** Logits scratch of {@link #greedy}, grown on first use. */
    private float[] greedyLogits;

    public StageRunner(ModelConfig config, StageWeights weights, CpuKernels kernels, KvCache kv, int maxBatch) {
        this.c = config;
        this.w = weights.prepared(kernels::prepare);
        this.kernels = kernels;
        this.kv = kv;
        this.rope = new Rope(config.rope());
        this.maxBatch = maxBatch;
        this.halfKv = kv.precision() == KvPrecision.F16;
        this.xb = new float[maxBatch * Math.max(c.dim(), c.qDim())];
        this.q = new float[maxBatch * c.qDim()];
        this.k = new float[maxBatch * c.kvDim()];
        this.v = new float[maxBatch * c.kvDim()];
        this.att = new float[maxBatch * c.qDim()];
        this.hb = new float[maxBatch * c.hiddenDim()];
        this.hb2 = new float[maxBatch * c.hiddenDim()];
        this.ropeCos = new float[maxBatch * rope.pairs()];
        this.ropeSin = new float[maxBatch * rope.pairs()];
        this.logitsIn = weights.last() ? new float[maxBatch * c.dim()] : null;
        this.attention = new AttentionTask(c.heads(), kv.maxContext(), c.kvDim(), kv.maxSequences());
        this.sinks = new AttentionSink[kv.maxSequences()];
        LayerWeights[] ls = w.layers();
        this.qkvGroups = new WeightMatrix[ls.length][];
        this.gateUpGroups = new WeightMatrix[ls.length][];
        for (int l = 0; l < ls.length; l++) {
            WeightMatrix[] qkv = {ls[l].wq(), ls[l].wk(), ls[l].wv()};
            WeightMatrix[] gateUp = {ls[l].gate(), ls[l].up()};
            qkvGroups[l] = CpuKernels.canMultiplyTogether(qkv) ? qkv : null;
            gateUpGroups[l] = CpuKernels.canMultiplyTogether(gateUp) ? gateUp : null;
        }
        this.qkvOut = new float[][] {q, k, v};
        this.gateUpOut = new float[][] {hb, hb2};
    }

    @Override
    public String backend() {
        return StageBackend.CPU;
    }

    @Override
    public ModelConfig config() {
        return c;
    }

    /** The stage's weights, as prepared for its kernels. */
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

    @Override
    public void inspect(int slot, AttentionSink sink) {
        sinks[slot] = sink;
    }

    /** First stage: writes the embeddings of the batch's tokens into {@code x[t*dim..]}. */
    @Override
    public void embed(TokenBatch batch, float[] x) {
        WeightMatrix e = w.tokenEmbedding();
        for (int t = 0; t < batch.size(); t++) {
            int token = batch.token(t);
            if (token < 0 || token >= c.vocabSize()) {
                throw new IllegalArgumentException("token id " + token + " outside the vocabulary of " + c.vocabSize());
            }
            Quantization.dequantizeRow(e.type(), e.data(), token * e.rowBytes(), x, t * c.dim(), c.dim());
        }
    }

    /**
     * Runs this stage's layers over the batch, updating the hidden state {@code x[t*dim..]} in place.
     * The batch's KV slots must have room for its positions ({@link KvCache#reserve}).
     */
    @Override
    public void forward(TokenBatch batch, float[] x) {
        int n = batch.size();
        if (n > maxBatch) {
            throw new IllegalArgumentException("batch of " + n + " exceeds this stage's maximum " + maxBatch);
        }
        for (int t = 0; t < n; t++) {
            int slot = batch.slot(t);
            int pos = batch.position(t);
            if (pos >= kv.capacity(slot)) {
                throw new IllegalStateException("KV slot " + slot + " has no room for position " + pos);
            }
            rope.angles(pos, ropeCos, ropeSin, t * rope.pairs());
        }
        for (int l = 0; l < w.layers().length; l++) {
            layer(l, w.layers()[l], batch, x);
        }
    }

    private void layer(int l, LayerWeights lw, TokenBatch batch, float[] x) {
        int n = batch.size();
        int dim = c.dim();
        int qDim = c.qDim();
        int kvDim = c.kvDim();
        int headDim = c.headDim();

        // Attention: normalize, project to Q, K, V.
        for (int t = 0; t < n; t++) {
            VectorOps.rmsNorm(xb, t * dim, x, t * dim, lw.attnNorm(), dim, c.rmsEps());
        }
        if (qkvGroups[l] != null) {
            kernels.matmul(qkvGroups[l], xb, n, qkvOut);
        } else {
            kernels.matmul(lw.wq(), xb, n, q);
            kernels.matmul(lw.wk(), xb, n, k);
            kernels.matmul(lw.wv(), xb, n, v);
        }
        for (int t = 0; t < n; t++) {
            if (lw.bq() != null) {
                VectorOps.add(lw.bq(), 0, q, t * qDim, qDim);
                VectorOps.add(lw.bk(), 0, k, t * kvDim, kvDim);
                VectorOps.add(lw.bv(), 0, v, t * kvDim, kvDim);
            }
            if (lw.qNorm() != null) {
                for (int h = 0; h < c.heads(); h++) {
                    int o = t * qDim + h * headDim;
                    VectorOps.rmsNorm(q, o, q, o, lw.qNorm(), headDim, c.rmsEps());
                }
                for (int h = 0; h < c.kvHeads(); h++) {
                    int o = t * kvDim + h * headDim;
                    VectorOps.rmsNorm(k, o, k, o, lw.kNorm(), headDim, c.rmsEps());
                }
            }
            // Rotate, then store this position's key and value in the cache.
            rope.rotate(q, t * qDim, c.heads(), headDim, ropeCos, ropeSin, t * rope.pairs());
            rope.rotate(k, t * kvDim, c.kvHeads(), headDim, ropeCos, ropeSin, t * rope.pairs());
            if (halfKv) {
                VectorOps.roundToHalf(q, t * qDim, qDim);
                VectorOps.roundToHalf(k, t * kvDim, kvDim);
                VectorOps.roundToHalf(v, t * kvDim, kvDim);
            }
            kv.write(l, kv.offset(batch.slot(t), batch.position(t)), k, t * kvDim, v, t * kvDim);
        }

        attention.prepare(l, batch);
        long positions = 0;
        for (int t = 0; t < n; t++) {
            positions += batch.position(t) + 1;
        }
        long work = 2L * positions * c.qDim();
        if (n > 1) {
            attention.byToken = true;
            kernels.parallelForEach(n, work, attention);
        } else {
            attention.byToken = false;
            kernels.parallelFor(c.heads(), work, attention);
        }

        // Output projection and residual.
        kernels.matmul(lw.wo(), att, n, xb);
        VectorOps.add(xb, 0, x, 0, n * dim);

        // MLP: normalize, SwiGLU, down projection, residual.
        for (int t = 0; t < n; t++) {
            VectorOps.rmsNorm(xb, t * dim, x, t * dim, lw.ffnNorm(), dim, c.rmsEps());
        }
        if (gateUpGroups[l] != null) {
            kernels.matmul(gateUpGroups[l], xb, n, gateUpOut);
        } else {
            kernels.matmul(lw.gate(), xb, n, hb);
            kernels.matmul(lw.up(), xb, n, hb2);
        }
        VectorOps.siluMul(hb, 0, hb2, 0, n * c.hiddenDim());
        kernels.matmul(lw.down(), hb, n, xb);
        VectorOps.add(xb, 0, x, 0, n * dim);
    }

    /**
     * Last stage: final norm and output head for the batch entries that want logits, in batch order.
     * Writes {@code logits[i*vocab..]} for the i-th such entry and returns how many there were.
     */
    @Override
    public int logits(TokenBatch batch, float[] x, float[] logits) {
        int dim = c.dim();
        int m = 0;
        for (int t = 0; t < batch.size(); t++) {
            if (batch.wantsLogits(t)) {
                VectorOps.rmsNorm(logitsIn, m * dim, x, t * dim, w.outputNorm(), dim, c.rmsEps());
                m++;
            }
        }
        if (m > 0) {
            kernels.matmul(w.output(), logitsIn, m, logits);
        }
        return m;
    }

    /** Last stage, greedy: the output head for each entry that wants logits, then its argmax on the host. */
    @Override
    public int greedy(TokenBatch batch, float[] x, int[] tokens) {
        int m = batch.logitsCount();
        if (greedyLogits == null || greedyLogits.length < m * c.vocabSize()) {
            greedyLogits = new float[Math.max(m, 1) * c.vocabSize()];
        }
        logits(batch, x, greedyLogits);
        for (int i = 0; i < m; i++) {
            tokens[i] = VectorOps.argmax(greedyLogits, i * c.vocabSize(), c.vocabSize());
        }
        return m;
    }

    /**
     * Attention of batch entries over their sequences' cached positions, reused across steps. A batch
     * of several tokens is split by token, each a part of its own for whichever thread is free; a
     * single token by ranges of query heads. Each thread keeps its own score buffers (one per head).
     * Split by head, the threads read halves of the same cached rows, and 8-sequence attention takes
     * as long on 2 threads as on 1; split by token, 8-sequence decode steps of a 110M model run about
     * 6% faster on 2 threads (one JVM, the two splits alternated step by step).
     *
     * <p>Positions are the outer loop and heads the inner one: a cached position's keys (and values)
     * for all heads are one contiguous row of {@code kvDim} values, so each row is read once, front
     * to back, instead of once per head at a stride of {@code kvDim}, and the block table is read once
     * per block instead of twice per position and head. In an 8-sequence decode step of a 110M model
     * attention takes 4% of the profile in this order and 9% with heads outer. Each head still sums
     * its positions in increasing order, so the results are the same in either order. An F16 cache's
     * row (the part the range of heads reads) is widened to floats once, into a per-thread buffer, and
     * the heads read it from there.
     *
     * <p>A sequence with several tokens in the step (a chunk of its prompt) would have its rows widened
     * once per token: at positions 768-1023 that makes 64-token chunks 1.17x slower than with a float
     * cache. So {@link #prepare} widens such a sequence's rows once per layer into {@link #sharedKeys}
     * and {@link #sharedValues}, which all its tokens read, up to {@link #MAX_SHARED_VALUES} values.
     */
    private final class AttentionTask implements CpuKernels.RangeTask {
        /** The most values {@link #sharedKeys} (and {@link #sharedValues}) grow to: 64 MiB each. */
        private static final int MAX_SHARED_VALUES = 1 << 24;
        /** Per thread, made on a thread's first use, then reused. */
        private final ThreadLocal<Scratch> scratch;
        private int layer;
        private TokenBatch batch;
        /** Whether {@link #run}'s range is of batch entries (all heads) rather than of heads (all entries). */
        private boolean byToken;
        /** Per KV slot, where its positions' rows start in the shared arrays this layer, or -1. */
        private final int[] sharedOffset;
        /** Per KV slot, scratch of {@link #prepare}: tokens in the batch and their last position. */
        private final int[] slotTokens;
        private final int[] slotLastPosition;
        /** Rows of the sequences with several tokens in the step, widened; grown on first use. */
        private float[] sharedKeys = new float[0];
        private float[] sharedValues = new float[0];

        /** One score buffer per head, and one cached row (keys or values of all heads) widened to floats. */
        private record Scratch(float[][] scores, float[] row) {
        }

        AttentionTask(int heads, int maxContext, int kvDim, int slots) {
            scratch = ThreadLocal.withInitial(() -> new Scratch(new float[heads][maxContext], new float[kvDim]));
            sharedOffset = new int[slots];
            slotTokens = new int[slots];
            slotLastPosition = new int[slots];
        }

        void prepare(int layer, TokenBatch batch) {
            this.layer = layer;
            this.batch = batch;
            Arrays.fill(sharedOffset, -1);
            int n = batch.size();
            if (n < 2) {
                return;
            }
            for (int t = 0; t < n; t++) {
                int slot = batch.slot(t);
                slotTokens[slot]++;
                slotLastPosition[slot] = Math.max(slotLastPosition[slot], batch.position(t));
            }
            int kvDim = c.kvDim();
            int blockSize = kv.blockSize();
            int used = 0;
            for (int t = 0; t < n; t++) {
                int slot = batch.slot(t);
                int rows = slotLastPosition[slot] + 1;
                if (slotTokens[slot] >= 2 && sharedOffset[slot] < 0 && used + (long) rows * kvDim <= MAX_SHARED_VALUES) {
                    if (sharedKeys.length < used + rows * kvDim) {
                        sharedKeys = Arrays.copyOf(sharedKeys, used + rows * kvDim);
                        sharedValues = Arrays.copyOf(sharedValues, used + rows * kvDim);
                    }
                    sharedOffset[slot] = used;
                    for (int p0 = 0; p0 < rows; p0 += blockSize) { // a block's rows are consecutive
                        int values = Math.min(blockSize, rows - p0) * kvDim;
                        kv.readKeys(layer, kv.offset(slot, p0), sharedKeys, used + p0 * kvDim, values);
                        kv.readValues(layer, kv.offset(slot, p0), sharedValues, used + p0 * kvDim, values);
                    }
                    used += rows * kvDim;
                }
            }
            for (int t = 0; t < n; t++) {
                slotTokens[batch.slot(t)] = 0;
                slotLastPosition[batch.slot(t)] = 0;
            }
        }

        @Override
        public void run(int from, int to) {
            int headDim = c.headDim();
            int qDim = c.qDim();
            int kvDim = c.kvDim();
            int group = c.heads() / c.kvHeads();
            int blockSize = kv.blockSize();
            float scale = (float) (1.0 / Math.sqrt(headDim));
            Scratch s = scratch.get();
            float[][] scores = s.scores();
            float[] row = s.row();
            int t0 = byToken ? from : 0;
            int t1 = byToken ? to : batch.size();
            int h0 = byToken ? 0 : from;
            int h1 = byToken ? c.heads() : to;
            // the part of each cached row that heads [h0, h1) read: their key/value heads
            int kvFrom = (h0 / group) * headDim;
            int kvLength = ((h1 - 1) / group + 1) * headDim - kvFrom;
            for (int t = t0; t < t1; t++) {
                int slot = batch.slot(t);
                int shared = sharedOffset[slot];
                int len = batch.position(t) + 1;
                int qt = t * qDim;
                float[] keys = shared >= 0 ? sharedKeys : row;
                float[] values = shared >= 0 ? sharedValues : row;
                for (int p0 = 0; p0 < len; p0 += blockSize) {
                    int off = kv.offset(slot, p0); // the block's positions are consecutive rows from here
                    for (int p = p0, end = Math.min(len, p0 + blockSize); p < end; p++, off += kvDim) {
                        int r = locate(true, shared, p, off, row, kvFrom, kvLength);
                        for (int h = h0; h < h1; h++) {
                            scores[h][p] = VectorOps.dot(q, qt + h * headDim, keys, r + (h / group) * headDim, headDim) * scale;
                        }
                    }
                }
                for (int h = h0; h < h1; h++) {
                    VectorOps.softmax(scores[h], 0, len);
                }
                AttentionSink sink = sinks[slot];
                if (sink != null) { // the one check an uninspected token pays per layer
                    int layerIndex = w.range().start() + layer;
                    for (int h = h0; h < h1; h++) {
                        sink.attention(layerIndex, h, len - 1, q, qt + h * headDim, scores[h], len);
                    }
                }
                if (halfKv) {
                    for (int h = h0; h < h1; h++) {
                        VectorOps.roundToHalf(scores[h], 0, len);
                    }
                }
                Arrays.fill(att, qt + h0 * headDim, qt + h1 * headDim, 0f);
                for (int p0 = 0; p0 < len; p0 += blockSize) {
                    int off = kv.offset(slot, p0); // the block's positions are consecutive rows from here
                    for (int p = p0, end = Math.min(len, p0 + blockSize); p < end; p++, off += kvDim) {
                        int r = locate(false, shared, p, off, row, kvFrom, kvLength);
                        for (int h = h0; h < h1; h++) {
                            VectorOps.axpy(scores[h][p], values, r + (h / group) * headDim, att, qt + h * headDim, headDim);
                        }
                    }
                }
            }
        }

        /**
         * Where position {@code p}'s keys ({@code keys}) or values are read from: in the sequence's
         * shared rows, or in {@code row}, widened there from the cache row at {@code off}. Returns the
         * row's offset in that array.
         */
        private int locate(boolean keys, int shared, int p, int off, float[] row, int kvFrom, int kvLength) {
            if (shared >= 0) {
                return shared + p * c.kvDim();
            }
            if (keys) {
                kv.readKeys(layer, off + kvFrom, row, kvFrom, kvLength);
            } else {
                kv.readValues(layer, off + kvFrom, row, kvFrom, kvLength);
            }
            return 0;
        }
    }
}
