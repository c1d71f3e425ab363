package io.laminar.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link CpuKernels#matmul} against a per-row reference built from the format classes alone:
 * dequantized weights times activations quantized the ggml way and dequantized, summed in double.
 * That is mathematically the value the kernels compute (exact integer sums scaled per block), so
 * the tolerance is the float accumulation bound of {@link VecDotTest#accumulationBound}. Results
 * must also be bit-identical whatever the thread count, since each output is computed by one thread
 * in a fixed order.
 */
class CpuKernelsTest {
    @ParameterizedTest
    @CsvSource({
            "F32, 37, 96", "F16, 37, 96", "BF16, 21, 64",
            "Q8_0, 37, 96", "Q8_0, 83, 256", "Q8_0, 64, 64",
            "Q4_0, 37, 96", "Q4_0, 83, 256", "Q4_0, 48, 64",
            "Q4_K, 37, 256", "Q4_K, 19, 512",
            "Q6_K, 37, 256", "Q6_K, 19, 512"})
    void matmulEqualsPerRowReference(GgmlType type, int rows, int cols) {
        int maxTokens = 7;
        float[] wf = TestData.gaussian(rows * 31L + cols, rows * cols, 0.05f);
        MemorySegment data = TestData.quantizeRows(type, wf, rows, cols);
        WeightMatrix w = new WeightMatrix("w", type, rows, cols, data);
        float[] x = TestData.gaussian(cols, maxTokens * cols, 1f);
        for (int t = 0; t < 2; t++) {
            x[t * cols + 3] = 9f; // an outlier per block keeps the quantization honest
        }
        double[][] ref = new double[maxTokens][rows];
        double[][] abs = new double[maxTokens][rows];
        reference(w, x, maxTokens, ref, abs);

        float[] baseline = null;
        for (int threads = 1; threads <= 3; threads++) {
            try (CpuKernels k = new CpuKernels(threads, maxTokens, cols, 0)) {
                WeightMatrix prepared = k.prepare(w);
                for (WeightMatrix m : new WeightMatrix[] {w, prepared}) {
                    for (int nTokens : new int[] {1, 2, 5, 7}) {
                        float[] y = new float[nTokens * rows];
                        k.matmul(m, x, nTokens, y);
                        int nb = cols / type.blockSize();
                        for (int t = 0; t < nTokens; t++) {
                            for (int r = 0; r < rows; r++) {
                                double bound = VecDotTest.accumulationBound(Math.max(nb, cols / 8), abs[t][r]);
                                assertTrue(Math.abs(y[t * rows + r] - ref[t][r]) <= bound,
                                        type + " " + m.layout() + " threads=" + threads + " nTokens=" + nTokens + " t=" + t
                                                + " r=" + r + ": " + y[t * rows + r] + " vs " + ref[t][r] + " (bound " + bound + ")");
                            }
                        }
                        if (m == prepared && nTokens == 7) {
                            if (baseline == null) {
                                baseline = y;
                            } else {
                                assertArrayEquals(baseline, y, type + " threads=" + threads + " differs from threads=1");
                            }
                        }
                    }
                }
            }
        }
    }

    /** ref[t][r] = sum_c W'[r][c] * x'[t][c] with W' dequantized and x' as ggml's vec_dot_type sees it. */
    static void reference(WeightMatrix w, float[] x, int nTokens, double[][] ref, double[][] abs) {
        int cols = w.cols();
        float[] row = new float[cols];
        float[] xa = activationsAsSeen(w.type(), x, nTokens, cols);
        for (int r = 0; r < w.rows(); r++) {
            Quantization.dequantizeRow(w.type(), w.data(), r * w.rowBytes(), row, 0, cols);
            for (int t = 0; t < nTokens; t++) {
                double s = 0;
                double a = 0;
                for (int c = 0; c < cols; c++) {
                    double p = (double) row[c] * xa[t * cols + c];
                    s += p;
                    a += Math.abs(p);
                }
                ref[t][r] = s;
                abs[t][r] = a;
            }
        }
    }

    static float[] activationsAsSeen(GgmlType type, float[] x, int nTokens, int cols) {
        float[] out = new float[nTokens * cols];
        for (int t = 0; t < nTokens; t++) {
            int off = t * cols;
            switch (type) {
                case F32 -> System.arraycopy(x, off, out, off, cols);
                case F16 -> FloatDots.roundToF16(x, off, out, off, cols);
                case BF16 -> FloatDots.roundToBf16(x, off, out, off, cols);
                case Q8_0, Q4_0 -> {
                    MemorySegment q = Arena.ofAuto().allocate(GgmlType.Q8_0.bytesFor(cols));
                    BlockQ8_0.quantize_row_q8_0(x, off, q, 0, cols);
                    BlockQ8_0.dequantize_row_q8_0(q, 0, out, off, cols);
                }
                case Q4_K, Q6_K -> {
                    MemorySegment q = Arena.ofAuto().allocate(GgmlType.Q8_K.bytesFor(cols));
                    BlockQ8_K.quantize_row_q8_K_ref(x, off, q, 0, cols);
                    BlockQ8_K.dequantize_row_q8_K(q, 0, out, off, cols);
                }
                default -> throw new IllegalArgumentException("type=" + type);
            }
        }
        return out;
    }

    @Test
    void prepareInterleavesQ8_0AndQ4_0AndRoundTrips() {
        for (GgmlType type : new GgmlType[] {GgmlType.Q8_0, GgmlType.Q4_0}) {
            int rows = 35;
            int cols = 64;
            float[] wf = TestData.gaussian(5, rows * cols, 1f);
            MemorySegment data = TestData.quantizeRows(type, wf, rows, cols);
            WeightMatrix w = new WeightMatrix("w", type, rows, cols, data);
            try (CpuKernels k = new CpuKernels(1, 1, cols, 0)) {
                assertEquals(Simd.WIDTH == 512 ? WeightMatrix.Layout.INTERLEAVED_32
                        : WeightMatrix.Layout.INTERLEAVED_16, k.prepare(w).layout(), "the layout of the machine's width");
                WeightMatrix p = k.prepare(w, Arena.ofAuto(), WeightMatrix.Layout.INTERLEAVED_16);
                assertEquals(WeightMatrix.Layout.INTERLEAVED_16, p.layout());
                assertEquals(32, p.interleavedRows());
                assertSame(p, k.prepare(p));
                MemorySegment back = Arena.ofAuto().allocate(data.byteSize());
                long rb = w.rowBytes();
                for (int g = 0; g < 2; g++) {
                    if (type == GgmlType.Q8_0) {
                        BlockQ8_0x16.unpack(p.data(), g * 16 * rb, cols / 32, back, g * 16 * rb, rb);
                    } else {
                        BlockQ4_0x16.unpack(p.data(), g * 16 * rb, cols / 32, back, g * 16 * rb, rb);
                    }
                }
                MemorySegment.copy(p.data(), 32 * rb, back, 32 * rb, 3 * rb);
                assertEquals(-1, data.mismatch(back), type + " interleaving does not round-trip");
                assertThrows(IllegalStateException.class, () -> p.row(0));
                assertEquals(rb, p.row(33).byteSize());
            }
        }
        WeightMatrix f32 = new WeightMatrix("f", GgmlType.F32, 2, 8, Arena.ofAuto().allocate(64));
        try (CpuKernels k = new CpuKernels(1, 1, 8, 0)) {
            assertSame(f32, k.prepare(f32));
        }
    }

    @Test
    void parallelForCoversEveryIndexOnce() {
        for (int threads = 1; threads <= 3; threads++) {
            try (CpuKernels k = new CpuKernels(threads, 1, 32, 0)) {
                for (boolean each : new boolean[] {false, true}) {
                    for (int n : new int[] {0, 1, 2, 3, 7, 100}) {
                        AtomicIntegerArray seen = new AtomicIntegerArray(Math.max(n, 1));
                        CpuKernels.RangeTask task = (from, to) -> {
                            if (each) {
                                assertTrue(to == from + 1 || (from == 0 && to == n), "range [" + from + ", " + to + ")");
                            }
                            for (int i = from; i < to; i++) {
                                seen.incrementAndGet(i);
                            }
                        };
                        if (each) {
                            k.parallelForEach(n, Long.MAX_VALUE, task);
                        } else {
                            k.parallelFor(n, task);
                        }
                        for (int i = 0; i < n; i++) {
                            assertEquals(1, seen.get(i), "each=" + each + " threads=" + threads + " n=" + n + " i=" + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void workerExceptionsReachTheCaller() {
        try (CpuKernels k = new CpuKernels(3, 1, 32, 0)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> k.parallelFor(3, (from, to) -> {
                if (from == 2) {
                    throw new IllegalStateException("boom in worker");
                }
            }));
            assertEquals("boom in worker", e.getMessage());
            int[] count = new int[1];
            k.parallelFor(3, (from, to) -> {
                synchronized (count) {
                    count[0] += to - from;
                }
            });
            assertEquals(3, count[0], "the pool keeps working after a failure");
        }
    }

    @Test
    void argumentsAreChecked() {
        WeightMatrix w = new WeightMatrix("wq", GgmlType.Q8_0, 4, 64, Arena.ofAuto().allocate(4L * 68));
        try (CpuKernels k = new CpuKernels(2, 2, 64, 0)) {
            assertThrows(IllegalArgumentException.class, () -> k.matmul(w, new float[64], 3, new float[12]));
            assertThrows(IllegalArgumentException.class, () -> k.matmul(w, new float[63], 1, new float[4]));
            assertThrows(IllegalArgumentException.class, () -> k.matmul(w, new float[64], 1, new float[3]));
        }
        try (CpuKernels k = new CpuKernels(1, 2, 32, 0)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> k.matmul(w, new float[64], 1, new float[4]));
            assertTrue(e.getMessage().contains("maxCols=32"), e.getMessage());
        }
        CpuKernels closed = new CpuKernels(2, 1, 64, 0);
        closed.close();
        assertThrows(IllegalStateException.class, () -> closed.matmul(w, new float[64], 1, new float[4]));
    }

    /**
     * A token's result does not depend on the batch it is in: decoding several sequences together
     * (or a prompt in one step) gives each exactly what it gets alone.
     */
    @ParameterizedTest
    @CsvSource({"F32, 50, 96", "F16, 21, 64", "Q8_0, 83, 256", "Q4_0, 48, 64", "Q4_K, 19, 512", "Q6_K, 37, 256"})
    void resultsDoNotDependOnTheBatch(GgmlType type, int rows, int cols) {
        float[] wf = TestData.gaussian(rows * 7L + cols, rows * cols, 0.05f);
        MemorySegment data = TestData.quantizeRows(type, wf, rows, cols);
        // Batches that use every token tile: Q8_0 6 = 4+2, 7 = 4+3, 9 = 4+4+1; Q4_0 tiles of 4, 2 and 1.
        for (int n : new int[] {6, 7, 9}) {
            float[] x = TestData.gaussian(cols + n, n * cols, 1f);
            try (CpuKernels k = new CpuKernels(2, n, cols, 0)) {
                WeightMatrix w = k.prepare(new WeightMatrix("w", type, rows, cols, data));
                float[] batched = new float[n * rows];
                k.matmul(w, x, n, batched);
                for (int t = 0; t < n; t++) {
                    float[] alone = new float[rows];
                    k.matmul(w, java.util.Arrays.copyOfRange(x, t * cols, (t + 1) * cols), 1, alone);
                    assertArrayEquals(alone, java.util.Arrays.copyOfRange(batched, t * rows, (t + 1) * rows),
                            type + " token " + t + " of " + n);
                }
            }
        }
    }

    /**
     * Matrices multiplied in one call give bit for bit what each gives alone, whatever the split over
     * threads, with interleaved and row-layout matrices mixed in one call (48 rows: all interleaved;
     * 37 and 83: interleaved groups and row-layout tails) and types that share an activation format.
     */
    @ParameterizedTest
    @CsvSource({"Q8_0, Q8_0, Q8_0, 256", "Q4_0, Q4_0, Q4_0, 64", "Q4_K, Q6_K, Q4_K, 256", "F32, F32, F32, 96"})
    void matricesInOneCallEqualSeparateCalls(GgmlType a, GgmlType b, GgmlType c, int cols) {
        GgmlType[] types = {a, b, c};
        int[] rows = {48, 37, 83};
        for (int threads : new int[] {1, 2, 3}) {
            try (CpuKernels k = new CpuKernels(threads, 7, cols, 0)) {
                WeightMatrix[] ws = new WeightMatrix[3];
                for (int i = 0; i < 3; i++) {
                    MemorySegment data = Arena.ofAuto().allocate(types[i].bytesFor((long) rows[i] * cols), 64);
                    float[] wf = TestData.gaussian(i * 101L + cols, rows[i] * cols, 0.05f);
                    for (int r = 0; r < rows[i]; r++) {
                        Quantization.quantizeRow(types[i], wf, r * cols, cols, data, r * types[i].bytesFor(cols));
                    }
                    WeightMatrix w = new WeightMatrix("w" + i, types[i], rows[i], cols, data);
                    ws[i] = i == 1 ? w : k.prepare(w);
                }
                assertTrue(CpuKernels.canMultiplyTogether(ws));
                for (int n : new int[] {1, 7}) {
                    float[] x = TestData.gaussian(cols + n, n * cols, 1f);
                    float[][] together = {new float[n * rows[0]], new float[n * rows[1]], new float[n * rows[2]]};
                    k.matmul(ws, x, n, together);
                    for (int i = 0; i < 3; i++) {
                        float[] alone = new float[n * rows[i]];
                        k.matmul(ws[i], x, n, alone);
                        assertArrayEquals(alone, together[i], types[i] + " matrix " + i + " threads=" + threads + " n=" + n);
                    }
                }
            }
        }
    }

    @Test
    void matricesOfOneCallMustShareColumnsAndActivationFormat() {
        WeightMatrix q8 = new WeightMatrix("wq", GgmlType.Q8_0, 4, 64, Arena.ofAuto().allocate(4L * 68));
        WeightMatrix q8wide = new WeightMatrix("wide", GgmlType.Q8_0, 4, 128, Arena.ofAuto().allocate(4L * 136));
        WeightMatrix f32 = new WeightMatrix("wf", GgmlType.F32, 4, 64, Arena.ofAuto().allocate(4L * 256));
        assertTrue(CpuKernels.canMultiplyTogether(q8, q8));
        assertTrue(!CpuKernels.canMultiplyTogether(q8, q8wide));
        assertTrue(!CpuKernels.canMultiplyTogether(q8, f32));
        assertTrue(!CpuKernels.canMultiplyTogether(q8, q8, q8, q8, q8));
        try (CpuKernels k = new CpuKernels(2, 2, 128, 0)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> k.matmul(new WeightMatrix[] {q8, f32}, new float[64], 1, new float[][] {new float[4], new float[4]}));
            assertTrue(e.getMessage().contains("wf"), e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> k.matmul(new WeightMatrix[] {q8, q8}, new float[64], 1, new float[][] {new float[4]}));
            assertThrows(IllegalArgumentException.class,
                    () -> k.matmul(new WeightMatrix[] {q8, q8}, new float[64], 1, new float[][] {new float[4], new float[3]}));
            // After a refused call the kernels still work.
            float[] y = new float[4];
            k.matmul(q8, new float[64], 1, y);
        }
    }
}
