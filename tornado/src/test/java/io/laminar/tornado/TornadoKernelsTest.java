package io.laminar.tornado;

import io.laminar.kernels.CpuKernels;
import io.laminar.kernels.GgmlType;
import io.laminar.kernels.Quantization;
import io.laminar.kernels.VectorOps;
import io.laminar.kernels.WeightMatrix;
import io.laminar.model.arch.Rope;
import io.laminar.model.arch.RopeConfig;
import io.laminar.model.arch.RopeLayout;
import io.laminar.model.exec.KvCache;
import io.laminar.model.exec.KvPrecision;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every TornadoVM kernel against the CPU backend on random inputs, on TornadoVM's default device
 * (PoCL's CPU device where there is no GPU). Tolerances are stated per kernel, relative to the size
 * of what is summed, and explained where the two backends round differently on purpose.
 */
class TornadoKernelsTest {
    private final Random random = new Random(20261123);

    @BeforeEach
    void device() {
        TornadoDevice.assume();
    }

    // ---- helpers ----

    private float[] gaussian(int n, float sigma) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian() * sigma;
        }
        return v;
    }

    /** Runs one task of {@code graph} over {@code global} work-items in groups of {@code local}. */
    private static void run(TaskGraph graph, String task, int global, int local) {
        GridScheduler grids = new GridScheduler();
        WorkerGrid1D grid = new WorkerGrid1D(global);
        grid.setLocalWork(local, 1, 1);
        grids.addWorkerGrid(graph.getTaskGraphName() + "." + task, grid);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())) {
            plan.withCompilerFlags(TornadoVMBackendType.OPENCL, TornadoStage.DEFAULT_OPENCL_FLAGS);
            plan.withGridScheduler(grids).execute();
        } catch (Exception e) {
            throw new AssertionError("task " + task + " failed on " + TornadoDevice.name() + ": " + e, e);
        }
    }

    private static IntArray tokens(int n) {
        IntArray meta = new IntArray(new TornadoKernels.Meta(8).size());
        meta.set(TornadoKernels.META_TOKENS, n);
        return meta;
    }

    private static MemorySegment quantize(GgmlType type, float[] w, int rows, int cols) {
        MemorySegment s = Arena.ofAuto().allocate(rows * type.bytesFor(cols), 8);
        for (int r = 0; r < rows; r++) {
            Quantization.quantizeRow(type, w, r * cols, cols, s, r * type.bytesFor(cols));
        }
        return s;
    }

    // ---- half precision ----

    @Test
    void halfDecodingIsExactForEveryFiniteHalf() {
        FloatArray scales = TornadoKernels.halfScaleTable();
        for (int b = 0; b < 65536; b++) {
            if (((b >> 10) & 31) == 31) {
                continue;
            }
            float expected = Float.float16ToFloat((short) b);
            assertEquals(expected, TornadoKernels.halfToFloat((short) b, scales), 0f, "bits 0x" + Integer.toHexString(b));
        }
    }

    @Test
    void roundingToHalfMatchesTheJdkOnTheDevice() {
        // ropeQuery with cos 1, sin 0 is the identity, then rounds each query element to half.
        int heads = 8;
        int headDim = 64;
        int n = 8;
        float[] values = new float[n * heads * headDim];
        for (int i = 0; i < values.length; i++) {
            double magnitude = Math.pow(2, random.nextInt(36) - 26);
            values[i] = (float) (random.nextGaussian() * magnitude);
        }
        FloatArray q = FloatArray.fromArray(values);
        FloatArray cos = new FloatArray(n * 32);
        cos.init(1f);
        FloatArray sin = new FloatArray(n * 32);
        IntArray meta = tokens(n);
        TaskGraph g = new TaskGraph("half")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, q, cos, sin, meta)
                .task("round", TornadoKernels::ropeQuery, new KernelContext(), q, cos, sin, meta, heads, headDim, 32, 0, 1)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, q);
        run(g, "round", n * heads, 8);
        int ties = 0;
        for (int i = 0; i < values.length; i++) {
            float expected = Float.float16ToFloat(Float.floatToFloat16(values[i]));
            if (q.get(i) != expected) {
                // Veltkamp's split may round a tie away from even; anything else is a bug.
                float ulp = Math.ulp(Float.float16ToFloat(Float.floatToFloat16(Math.abs(values[i]))));
                assertEquals(expected, q.get(i), ulp * 1.0001f, "element " + i + " = " + values[i]);
                ties++;
            }
        }
        assertTrue(ties <= values.length / 1000, ties + " roundings differ from the JDK's");
    }

    // ---- matrix products ----

    @ParameterizedTest(name = "{0} x {1} tokens, accumulate={2}")
    @CsvSource({"F32,1,false", "F32,5,true", "F16,1,false", "F16,6,true", "Q8_0,1,false", "Q8_0,7,true",
            "Q8_0,4,false"})
    void matmulMatchesCpuKernels(GgmlType type, int n, boolean accumulate) {
        int rows = 80;
        int cols = 320;
        float[] wf = gaussian(rows * cols, 0.05f);
        WeightMatrix w = new WeightMatrix("w", type, rows, cols, quantize(type, wf, rows, cols));
        float[] wq = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            Quantization.dequantizeRow(type, w.data(), r * w.rowBytes(), wq, r * cols, cols);
        }
        float[] x = gaussian(n * cols, 1f);
        float[] y0 = gaussian(n * rows, 1f);
        float[] expected = new float[n * rows];
        try (CpuKernels cpu = new CpuKernels(1, n, cols)) {
            cpu.matmul(w, x, n, expected);
        }
        if (accumulate) {
            for (int i = 0; i < expected.length; i++) {
                expected[i] += y0[i];
            }
        }

        DeviceMatrix m = DeviceMatrix.of(w);
        FloatArray xa = FloatArray.fromArray(x);
        FloatArray ya = FloatArray.fromArray(accumulate ? y0 : new float[n * rows]);
        IntArray meta = tokens(n);
        FloatArray scales = TornadoKernels.halfScaleTable();
        TaskGraph g = new TaskGraph("mm")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, m.arrays())
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, xa, ya, meta, scales);
        m.addMatmul(g, "mm", new KernelContext(), xa, ya, meta, TornadoKernels.META_TOKENS, accumulate, scales);
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, ya);
        run(g, "mm", rows * TornadoKernels.LOCAL, TornadoKernels.LOCAL);

        // CPU rounds activations to the weights' dot format (F16: half; Q8_0: 8-bit blocks), the device
        // multiplies float activations by the dequantized weights: allowed error relative to sum |w x|.
        double tolerance = switch (type) {
            case F32 -> 1e-5;
            case F16 -> 2e-3;
            default -> 2e-2;
        };
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < rows; r++) {
                double mag = 0;
                for (int c = 0; c < cols; c++) {
                    mag += Math.abs(wq[r * cols + c] * x[t * cols + c]);
                }
                int i = t * rows + r;
                assertEquals(expected[i], ya.get(i), tolerance * mag + 1e-6, type + " token " + t + " row " + r);
            }
        }
    }

    // ---- normalization and element-wise ----

    @ParameterizedTest(name = "{0} rows per token")
    @ValueSource(ints = {1, 4})
    void rmsNormMatchesVectorOps(int rowsPerToken) {
        int n = 3;
        int dim = rowsPerToken == 1 ? 288 : 64;
        float[] x = gaussian(n * rowsPerToken * dim, 2f);
        float[] weight = gaussian(dim, 1f);
        float[] expected = new float[x.length];
        for (int r = 0; r < n * rowsPerToken; r++) {
            VectorOps.rmsNorm(expected, r * dim, x, r * dim, weight, dim, 1e-5f);
        }
        FloatArray xa = FloatArray.fromArray(x);
        FloatArray out = rowsPerToken == 1 ? new FloatArray(x.length) : xa; // per-head norms run in place
        FloatArray wa = FloatArray.fromArray(weight);
        IntArray meta = tokens(n);
        TaskGraph g = new TaskGraph("norm")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, xa, out, wa, meta)
                .task("norm", TornadoKernels::rmsNorm, new KernelContext(), xa, out, wa, meta, TornadoKernels.META_TOKENS,
                        rowsPerToken, dim, 1e-5f)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        run(g, "norm", n * rowsPerToken * TornadoKernels.LOCAL, TornadoKernels.LOCAL);
        for (int i = 0; i < x.length; i++) {
            assertEquals(expected[i], out.get(i), 1e-5 * Math.max(1, Math.abs(expected[i])), "element " + i);
        }
    }

    @Test
    void rmsNormRowsNormalizesTheRowsThatWantLogits() {
        int dim = 96;
        float[] x = gaussian(4 * dim, 1f);
        float[] weight = gaussian(dim, 1f);
        TornadoKernels.Meta layout = new TornadoKernels.Meta(8);
        IntArray meta = tokens(4);
        meta.set(TornadoKernels.META_LOGIT_ROWS, 2);
        meta.set(layout.logitRows(), 3);
        meta.set(layout.logitRows() + 1, 1);
        FloatArray xa = FloatArray.fromArray(x);
        FloatArray out = new FloatArray(2 * dim);
        FloatArray wa = FloatArray.fromArray(weight);
        TaskGraph g = new TaskGraph("rows")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, xa, out, wa, meta)
                .task("norm", TornadoKernels::rmsNormRows, new KernelContext(), xa, out, wa, meta, layout.logitRows(), dim,
                        1e-5f)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        run(g, "norm", 2 * TornadoKernels.LOCAL, TornadoKernels.LOCAL);
        float[] expected = new float[2 * dim];
        VectorOps.rmsNorm(expected, 0, x, 3 * dim, weight, dim, 1e-5f);
        VectorOps.rmsNorm(expected, dim, x, dim, weight, dim, 1e-5f);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], out.get(i), 1e-5 * Math.max(1, Math.abs(expected[i])), "element " + i);
        }
    }

    @Test
    void swigluMatchesVectorOps() {
        int n = 3;
        int width = 200;
        float[] gate = gaussian(n * width, 3f);
        float[] up = gaussian(n * width, 1f);
        float[] expected = gate.clone();
        VectorOps.siluMul(expected, 0, up, 0, n * width);
        FloatArray ga = FloatArray.fromArray(gate);
        FloatArray ua = FloatArray.fromArray(up);
        IntArray meta = tokens(n);
        TaskGraph g = new TaskGraph("swiglu")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, ga, ua, meta)
                .task("swiglu", TornadoKernels::swiglu, new KernelContext(), ga, ua, meta, width)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, ga);
        run(g, "swiglu", 640, 64);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], ga.get(i), 1e-5 * Math.max(1, Math.abs(expected[i])), "element " + i);
        }
    }

    @Test
    void addBiasAddsToEveryToken() {
        int n = 3;
        int width = 40;
        float[] y = gaussian(n * width, 1f);
        float[] bias = gaussian(width, 1f);
        FloatArray ya = FloatArray.fromArray(y);
        FloatArray ba = FloatArray.fromArray(bias);
        IntArray meta = tokens(n);
        TaskGraph g = new TaskGraph("bias")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, ya, ba, meta)
                .task("bias", TornadoKernels::addBias, new KernelContext(), ya, ba, meta, width)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, ya);
        run(g, "bias", 128, 64);
        for (int i = 0; i < y.length; i++) {
            assertEquals(y[i] + bias[i % width], ya.get(i), 0f, "element " + i);
        }
    }

    // ---- RoPE and the KV cache ----

    @ParameterizedTest(name = "{0}")
    @CsvSource({"NORMAL", "NEOX"})
    void ropeAndCacheWritesMatchTheCpu(RopeLayout layout) {
        int heads = 4;
        int kvHeads = 2;
        int headDim = 32;
        int qDim = heads * headDim;
        int kvDim = kvHeads * headDim;
        int[] slots = {0, 0, 1};
        int[] positions = {17, 18, 0};
        int n = slots.length;
        KvCache kv = new KvCache(1, kvDim, 16, 8, 2, 64, KvPrecision.F16);
        kv.reserve(1, 1);
        kv.reserve(0, 19);
        // What the CPU stores, as floats (the cache itself keeps half-precision bits).
        float[] hostKeys = new float[kv.blockCount() * kv.blockSize() * kvDim];
        float[] hostValues = new float[hostKeys.length];
        Rope rope = new Rope(new RopeConfig(layout, headDim, 10000f, 1f, null));
        int pairs = rope.pairs();
        float[] cos = new float[n * pairs];
        float[] sin = new float[n * pairs];
        float[] q = gaussian(n * qDim, 1f);
        float[] k = gaussian(n * kvDim, 1f);
        float[] v = gaussian(n * kvDim, 1f);
        FloatArray qa = FloatArray.fromArray(q);
        FloatArray ka = FloatArray.fromArray(k);
        FloatArray va = FloatArray.fromArray(v);
        // The CPU path of StageRunner.layer.
        for (int t = 0; t < n; t++) {
            rope.angles(positions[t], cos, sin, t * pairs);
            rope.rotate(q, t * qDim, heads, headDim, cos, sin, t * pairs);
            rope.rotate(k, t * kvDim, kvHeads, headDim, cos, sin, t * pairs);
            VectorOps.roundToHalf(q, t * qDim, qDim);
            VectorOps.roundToHalf(k, t * kvDim, kvDim);
            VectorOps.roundToHalf(v, t * kvDim, kvDim);
            int off = kv.offset(slots[t], positions[t]);
            System.arraycopy(k, t * kvDim, hostKeys, off, kvDim);
            System.arraycopy(v, t * kvDim, hostValues, off, kvDim);
        }
        TornadoKernels.Meta layoutMeta = new TornadoKernels.Meta(8);
        IntArray meta = tokens(n);
        for (int t = 0; t < n; t++) {
            meta.set(layoutMeta.positions() + t, positions[t]);
            meta.set(layoutMeta.slots() + t, slots[t]);
        }
        IntArray tables = tables(kv);
        FloatArray keys = new FloatArray(hostKeys.length);
        FloatArray values = new FloatArray(hostValues.length);
        FloatArray ca = FloatArray.fromArray(cos);
        FloatArray sa = FloatArray.fromArray(sin);
        int neox = layout == RopeLayout.NEOX ? 1 : 0;
        KernelContext ctx = new KernelContext();
        TaskGraph g = new TaskGraph("rope")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, qa, ka, va, ca, sa, keys, values, meta, tables)
                .task("q", TornadoKernels::ropeQuery, ctx, qa, ca, sa, meta, heads, headDim, pairs, neox, 1)
                .task("kv", TornadoKernels::ropeStoreKv, ctx, ka, va, ca, sa, keys, values, meta, tables, kvHeads, headDim,
                        pairs, neox, 1, layoutMeta.positions(), layoutMeta.slots(), kv.blockSize(),
                        kv.maxBlocksPerSequence())
                .transferToHost(DataTransferMode.EVERY_EXECUTION, qa, keys, values);
        GridScheduler grids = new GridScheduler();
        WorkerGrid1D gq = new WorkerGrid1D(n * heads);
        gq.setLocalWork(n * heads, 1, 1);
        WorkerGrid1D gk = new WorkerGrid1D(n * kvHeads);
        gk.setLocalWork(n * kvHeads, 1, 1);
        grids.addWorkerGrid("rope.q", gq);
        grids.addWorkerGrid("rope.kv", gk);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(g.snapshot())) {
            plan.withCompilerFlags(TornadoVMBackendType.OPENCL, TornadoStage.DEFAULT_OPENCL_FLAGS);
            plan.withGridScheduler(grids).execute();
        } catch (Exception e) {
            fail(e);
        }
        // The same float operations (TornadoVM may fuse one product and sum of the rotation into an fma),
        // then rounded to half: equal but for an occasional last half-precision bit.
        assertClose(q, qa, 1e-3f, "queries");
        for (int t = 0; t < n; t++) {
            int off = kv.offset(slots[t], positions[t]);
            for (int i = off; i < off + kvDim; i++) {
                assertEquals(hostKeys[i], keys.get(i), 1e-3f * Math.max(1, Math.abs(hostKeys[i])), "cached key " + i);
                assertEquals(hostValues[i], values.get(i), 0f, "cached value " + i);
            }
        }
    }

    private static IntArray tables(KvCache kv) {
        IntArray tables = new IntArray(kv.maxSequences() * kv.maxBlocksPerSequence());
        for (int s = 0; s < kv.maxSequences(); s++) {
            for (int b = 0; b < kv.blocksHeld(s); b++) {
                tables.set(s * kv.maxBlocksPerSequence() + b, kv.block(s, b));
            }
        }
        return tables;
    }

    private static void assertClose(float[] expected, FloatArray actual, float relative, String what) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual.get(i), relative * Math.max(1, Math.abs(expected[i])), what + "[" + i + "]");
        }
    }

    // ---- attention ----

    @ParameterizedTest(name = "flash={0}")
    @ValueSource(booleans = {false, true})
    void attentionMatchesTheCpuOverThePagedCache(boolean flash) {
        int heads = 4;
        int kvHeads = 2;
        int headDim = 48;
        int qDim = heads * headDim;
        int kvDim = kvHeads * headDim;
        int[] slots = {0, 0, 1};
        int[] positions = {70, 71, 5};
        int n = slots.length;
        KvCache kv = new KvCache(1, kvDim, 16, 12, 2, 96, KvPrecision.F16);
        kv.reserve(1, 6);
        kv.reserve(0, 72);
        // The cache's contents as floats (the cache itself keeps half-precision bits).
        float[] keys = new float[kv.blockCount() * kv.blockSize() * kvDim];
        float[] values = new float[keys.length];
        float[] kr = gaussian(keys.length, 1f);
        float[] vr = gaussian(values.length, 1f);
        System.arraycopy(kr, 0, keys, 0, keys.length);
        System.arraycopy(vr, 0, values, 0, values.length);
        VectorOps.roundToHalf(keys, 0, keys.length);
        VectorOps.roundToHalf(values, 0, values.length);
        float[] q = gaussian(n * qDim, 1f);
        VectorOps.roundToHalf(q, 0, q.length);
        float scale = (float) (1.0 / Math.sqrt(headDim));

        // StageRunner's attention: scores, softmax, weights rounded to half, weighted sum of values.
        float[] expected = new float[n * qDim];
        float[] s = new float[96];
        int group = heads / kvHeads;
        for (int h = 0; h < heads; h++) {
            int kvOff = (h / group) * headDim;
            for (int t = 0; t < n; t++) {
                int len = positions[t] + 1;
                int qo = t * qDim + h * headDim;
                for (int p = 0; p < len; p++) {
                    s[p] = VectorOps.dot(q, qo, keys, kv.offset(slots[t], p) + kvOff, headDim) * scale;
                }
                VectorOps.softmax(s, 0, len);
                VectorOps.roundToHalf(s, 0, len);
                for (int p = 0; p < len; p++) {
                    VectorOps.axpy(s[p], values, kv.offset(slots[t], p) + kvOff, expected, qo, headDim);
                }
            }
        }

        TornadoKernels.Meta layout = new TornadoKernels.Meta(8);
        IntArray meta = tokens(n);
        for (int t = 0; t < n; t++) {
            meta.set(layout.positions() + t, positions[t]);
            meta.set(layout.slots() + t, slots[t]);
        }
        FloatArray qa = FloatArray.fromArray(q);
        FloatArray ka = FloatArray.fromArray(keys);
        FloatArray va = FloatArray.fromArray(values);
        FloatArray out = new FloatArray(n * qDim);
        IntArray tables = tables(kv);
        KernelContext ctx = new KernelContext();
        TaskGraph g = new TaskGraph("attn")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, qa, ka, va, out, meta, tables);
        if (flash) {
            g.task("attn", TornadoKernels::flashAttention, ctx, qa, ka, va, out, meta, tables, heads, kvHeads, headDim,
                    scale, layout.positions(), layout.slots(), kv.blockSize(), kv.maxBlocksPerSequence());
        } else {
            g.task("attn", TornadoKernels::attention, ctx, qa, ka, va, out, meta, tables, heads, kvHeads, headDim,
                    scale, 1, layout.positions(), layout.slots(), kv.blockSize(), kv.maxBlocksPerSequence());
        }
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        run(g, "attn", n * heads * TornadoKernels.ATTENTION_LOCAL, TornadoKernels.ATTENTION_LOCAL);
        // The exact version rounds the weights to half like the CPU; the flash version cannot (it never
        // holds all weights at once), so it differs by up to about 2^-11 of the values' size.
        float tolerance = flash ? 2e-3f : 1e-5f;
        assertClose(expected, out, tolerance, flash ? "flash attention" : "attention");
    }

    // ---- sampling ----

    @Test
    void argmaxFindsTheFirstLargestLogit() {
        int vocab = 1000;
        int rows = 3;
        float[] logits = gaussian(rows * vocab, 1f);
        logits[17] = 9f;
        logits[700] = 9f; // a tie: the lower id wins
        logits[vocab + 999] = 5f;
        logits[2 * vocab] = 7f;
        FloatArray la = FloatArray.fromArray(logits);
        IntArray ids = new IntArray(rows);
        IntArray meta = tokens(rows);
        meta.set(TornadoKernels.META_LOGIT_ROWS, rows);
        TaskGraph g = new TaskGraph("argmax")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, la, ids, meta)
                .task("argmax", TornadoKernels::argmax, new KernelContext(), la, ids, meta, vocab)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, ids);
        run(g, "argmax", rows * TornadoKernels.LOCAL, TornadoKernels.LOCAL);
        int[] expected = new int[rows];
        for (int r = 0; r < rows; r++) {
            expected[r] = VectorOps.argmax(logits, r * vocab, vocab);
        }
        assertArrayEquals(new int[] {17, 999, 0}, expected);
        assertArrayEquals(expected, ids.toHeapArray());
    }
}
