package io.laminar.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The kernels at each width, called explicitly over the same data: the 128-bit and 256-bit forms give
 * the same bits (a result does not depend on the machine), both within the float accumulation bound
 * of the scalar reference, and a token's result does not depend on its batch at either width. The
 * Vector API runs both widths on any machine (natively or emulated), so this runs everywhere; the
 * suite's {@code vectors-128} execution also runs every other test with 128-bit kernels.
 */
class WidthTest {
    private static final int[] WIDTHS = {0, 128, 256};
    private static final int MAX_TOKENS = 9;

    /** A random {@code rows x cols} matrix of {@code type} in the row layout, seeded by its shape. */
    private static WeightMatrix matrix(GgmlType type, int rows, int cols) {
        float[] wf = TestData.gaussian(rows * 13L + cols, rows * cols, 0.05f);
        return new WeightMatrix("w", type, rows, cols, TestData.quantizeRows(type, wf, rows, cols));
    }

    /** {@link #MAX_TOKENS} tokens' activations of {@code cols}, one of them an outlier. */
    private static float[] activations(int cols) {
        float[] x = TestData.gaussian(cols + 1, MAX_TOKENS * cols, 1f);
        x[5] = 11f;
        return x;
    }

    @Test
    void widthIsChosenFromThePreferredShape() {
        assertEquals(512, Simd.width(512, false, 512));
        assertEquals(256, Simd.width(512, false, 256));
        assertEquals(256, Simd.width(256, false, 512));
        assertEquals(256, Simd.width(256, false, 256));
        assertEquals(128, Simd.width(256, false, 128));
        assertEquals(128, Simd.width(128, false, 256));
        assertEquals(0, Simd.width(64, false, 256));
        assertEquals(0, Simd.width(256, true, 256));
        assertEquals(Simd.WIDTH > 0, Simd.ENABLED);
    }

    @ParameterizedTest
    @CsvSource({"Q8_0, 83, 256", "Q8_0, 48, 64", "Q8_0, 16, 768", "Q4_0, 83, 256", "Q4_0, 37, 96", "Q4_0, 16, 768",
            "Q4_K, 37, 256", "Q4_K, 19, 768", "Q6_K, 37, 256", "Q6_K, 19, 768",
            "F32, 37, 768", "F32, 19, 100", "F16, 21, 96", "BF16, 21, 1029"})
    void interleavedAndRowKernelsAgreeAcrossWidths(GgmlType type, int rows, int cols) {
        int maxTokens = MAX_TOKENS;
        WeightMatrix plain = matrix(type, rows, cols);
        float[] x = activations(cols);
        WeightMatrix prepared;
        try (CpuKernels k = new CpuKernels(1, maxTokens, cols, 0)) {
            prepared = k.prepare(plain, Arena.ofAuto(), WeightMatrix.Layout.INTERLEAVED_16);
        }
        double[][] ref = new double[maxTokens][rows];
        double[][] abs = new double[maxTokens][rows];
        CpuKernelsTest.reference(plain, x, maxTokens, ref, abs);
        // K-quants subtract their minimums (offsets) after the scaled sums, which can cancel: bound them
        // as CpuKernelsTest does, by cols / 8 float steps. Float types take a float step per column.
        int nb = type.blockSize() == 256 ? cols / 8 : type.blockSize() == 1 ? cols : cols / 32;

        for (WeightMatrix w : prepared == plain ? new WeightMatrix[] {plain} : new WeightMatrix[] {plain, prepared}) {
            Activations act = new Activations(maxTokens, cols);
            for (int t = 0; t < maxTokens; t++) {
                act.prepare(Activations.kindFor(type), x, t, cols, true);
            }
            float[][] byWidth = new float[WIDTHS.length][];
            for (int wi = 0; wi < WIDTHS.length; wi++) {
                int width = WIDTHS[wi];
                float[] y = product(w, x, act, 0, maxTokens, width);
                for (int t = 0; t < maxTokens; t++) {
                    for (int r = 0; r < rows; r++) {
                        double bound = VecDotTest.accumulationBound(nb, abs[t][r]);
                        assertTrue(Math.abs(y[t * rows + r] - ref[t][r]) <= bound, type + " " + w.layout() + " width="
                                + width + " t=" + t + " r=" + r + ": " + y[t * rows + r] + " vs " + ref[t][r]);
                    }
                }
                // Batch invariance at this width: every token alone gives what it gets in the batch
                // (the batch of 9 runs tiles of 4, 4 and 1 tokens, F32 rows 2x2 tiles and a dot per token
                // left; alone, the one-token tile or the dot).
                for (int t = 0; t < maxTokens; t++) {
                    float[] alone = product(w, x, act, t, t + 1, width);
                    assertArrayEquals(Arrays.copyOfRange(alone, t * rows, (t + 1) * rows),
                            Arrays.copyOfRange(y, t * rows, (t + 1) * rows), type + " " + w.layout() + " width=" + width
                                    + " token " + t + " alone");
                }
                byWidth[wi] = y;
            }
            assertArrayEquals(byWidth[2], byWidth[1], type + " " + w.layout() + ": 128 bits differ from 256");
        }
    }

    /**
     * y[t*rows + r] for tokens [t0, t1) of {@code w} at {@code width}, as {@link CpuKernels} splits it
     * (units of 16 rows, after any groups of 32). Groups of 32 rows run at 512 bits, or in their scalar
     * reference at width 0.
     */
    private static float[] product(WeightMatrix w, float[] x, Activations act, int t0, int t1, int width) {
        int rows = w.rows();
        int cols = w.cols();
        float[] y = new float[act.maxTokens * rows];
        long rb = w.rowBytes();
        int first = 0;
        if (w.layout() == WeightMatrix.Layout.INTERLEAVED_32) {
            for (; first + 32 <= rows; first += 32) {
                boolean q8 = w.type() == GgmlType.Q8_0;
                if (width == 0) {
                    if (q8) {
                        GemmQ8_0.x32Generic(w.data(), first * rb, cols, act, t0, t1, y, rows, first);
                    } else {
                        GemmQ4_0.x32Generic(w.data(), first * rb, cols, act, t0, t1, y, rows, first);
                    }
                } else if (q8) {
                    GemmQ8_0.x32(w.data(), first * rb, cols, act, t0, t1, y, rows, first);
                } else {
                    GemmQ4_0.x32(w.data(), first * rb, cols, act, t0, t1, y, rows, first);
                }
            }
        }
        for (int r0 = first; r0 < rows; r0 += 16) {
            int n = Math.min(16, rows - r0);
            switch (w.type()) {
                case Q8_0 -> {
                    if (r0 < w.interleavedRows()) {
                        GemmQ8_0.x16(w.data(), r0 * rb, cols, act, t0, t1, y, rows, r0, width);
                    } else {
                        GemmQ8_0.rows(w.data(), r0 * rb, rb, n, cols, act, t0, t1, y, rows, r0, width);
                    }
                }
                case Q4_0 -> {
                    if (r0 < w.interleavedRows()) {
                        GemmQ4_0.x16(w.data(), r0 * rb, cols, act, t0, t1, y, rows, r0, width);
                    } else {
                        GemmQ4_0.rows(w.data(), r0 * rb, rb, n, cols, act, t0, t1, y, rows, r0, width);
                    }
                }
                case Q4_K -> GemmKQuants.rowsQ4_K(w.data(), r0 * rb, rb, n, cols, act, t0, t1, y, rows, r0, width);
                case Q6_K -> GemmKQuants.rowsQ6_K(w.data(), r0 * rb, rb, n, cols, act, t0, t1, y, rows, r0, width);
                case F32, F16, BF16 -> GemmFloat.rows(w.type(), w.data(), r0 * rb, rb, n, cols, x, act, t0, t1, y, rows, r0, width);
                default -> throw new IllegalArgumentException("type=" + w.type());
            }
        }
        return y;
    }

    /**
     * Q8_0 and Q4_0 in groups of 32 rows at 512 bits give every row the bits the 16-row groups give it at 256
     * (and so at 128), the scalar reference over the same layout agrees within the float bound, a
     * token alone gets what it gets in a batch, and the layout round-trips. Rows beyond the last
     * whole group of 32 (83 = 2 x 32 + 19) take one group of 16 and the row kernels, as at 256 bits.
     */
    @ParameterizedTest
    @CsvSource({"Q8_0, 83, 256", "Q8_0, 64, 64", "Q8_0, 32, 768", "Q8_0, 96, 1024",
            "Q4_0, 83, 256", "Q4_0, 64, 64", "Q4_0, 32, 768", "Q4_0, 112, 1024"})
    void groupsOf32At512BitsGiveThe256BitKernelsBits(GgmlType type, int rows, int cols) {
        int maxTokens = MAX_TOKENS;
        WeightMatrix plain = matrix(type, rows, cols);
        MemorySegment data = plain.data();
        float[] x = activations(cols);
        WeightMatrix x16;
        WeightMatrix x32;
        try (CpuKernels k = new CpuKernels(1, maxTokens, cols, 0); Arena arena = Arena.ofConfined()) {
            x16 = k.prepare(plain, arena, WeightMatrix.Layout.INTERLEAVED_16);
            x32 = k.prepare(plain, arena, WeightMatrix.Layout.INTERLEAVED_32);
            assertEquals(WeightMatrix.Layout.INTERLEAVED_32, x32.layout());
            assertEquals(rows - rows % 16, x32.interleavedRows());
            MemorySegment back = arena.allocate(data.byteSize());
            long rb = plain.rowBytes();
            int g = 0;
            for (; g + 32 <= rows; g += 32) {
                if (type == GgmlType.Q8_0) {
                    BlockQ8_0x32.unpack(x32.data(), g * rb, cols / 32, back, g * rb, rb);
                } else {
                    BlockQ4_0x32.unpack(x32.data(), g * rb, cols / 32, back, g * rb, rb);
                }
            }
            if (g + 16 <= rows) {
                if (type == GgmlType.Q8_0) {
                    BlockQ8_0x16.unpack(x32.data(), g * rb, cols / 32, back, g * rb, rb);
                } else {
                    BlockQ4_0x16.unpack(x32.data(), g * rb, cols / 32, back, g * rb, rb);
                }
                g += 16;
            }
            long tail = g * rb;
            MemorySegment.copy(x32.data(), tail, back, tail, data.byteSize() - tail);
            assertEquals(-1, back.mismatch(data), "unpack gives back the rows");

            Activations act = new Activations(maxTokens, cols);
            for (int t = 0; t < maxTokens; t++) {
                act.prepare(Activations.kindFor(type), x, t, cols, true);
            }
            float[] at256 = product(x16, x, act, 0, maxTokens, 256);
            float[] at512 = product(x32, x, act, 0, maxTokens, 512);
            assertArrayEquals(at256, at512, "512 bits over groups of 32 differ from 256 bits over groups of 16");
            float[] generic = product(x32, x, act, 0, maxTokens, 0);
            double[][] ref = new double[maxTokens][rows];
            double[][] abs = new double[maxTokens][rows];
            CpuKernelsTest.reference(plain, x, maxTokens, ref, abs);
            for (int t = 0; t < maxTokens; t++) {
                for (int r = 0; r < rows; r++) {
                    double bound = VecDotTest.accumulationBound(cols / 32, abs[t][r]);
                    assertTrue(Math.abs(generic[t * rows + r] - ref[t][r]) <= bound, "generic t=" + t + " r=" + r);
                }
                float[] alone = product(x32, x, act, t, t + 1, 512);
                assertArrayEquals(Arrays.copyOfRange(alone, t * rows, (t + 1) * rows),
                        Arrays.copyOfRange(at512, t * rows, (t + 1) * rows), "token " + t + " alone at 512 bits");
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"F32, 768", "F32, 37", "F32, 16", "F16, 768", "F16, 13", "BF16, 768", "BF16, 1029"})
    void floatDotsAgreeAcrossWidths(GgmlType type, int n) {
        for (long seed = 1; seed <= 3; seed++) {
            TestData.FloatDotCase c = TestData.FloatDotCase.random(type, n, seed, seed + 50);
            MemorySegment ws = c.w();
            float[] xr = c.x();
            double exact = c.exact();
            double abs = c.abs();
            float[] got = new float[WIDTHS.length];
            for (int wi = 0; wi < WIDTHS.length; wi++) {
                got[wi] = switch (type) {
                    case F16 -> FloatDots.vec_dot_f16(n, ws, 0, xr, 0, WIDTHS[wi]);
                    case BF16 -> FloatDots.vec_dot_bf16(n, ws, 0, xr, 0, WIDTHS[wi]);
                    default -> FloatDots.vec_dot_f32(n, ws, 0, xr, 0, WIDTHS[wi]);
                };
                double bound = VecDotTest.accumulationBound(n, abs);
                assertTrue(Math.abs(got[wi] - exact) <= bound, type + " n=" + n + " width=" + WIDTHS[wi] + ": "
                        + got[wi] + " vs " + exact);
            }
            assertEquals(Float.floatToRawIntBits(got[2]), Float.floatToRawIntBits(got[1]),
                    type + " n=" + n + " seed=" + seed + ": 128 bits " + got[1] + " differ from 256 bits " + got[2]);
        }
    }

    @Test
    void f16WideningAt128BitsHandlesSubnormalsInfinityAndNaN() {
        short[] halves = {0x0001, (short) 0x8001, 0x03FF, 0x0400, 0x3C00, (short) 0xC000, 0x7BFF, 0x7C00, (short) 0xFC00, 0x7E00,
                0, (short) 0x8000};
        MemorySegment s = Arena.ofAuto().allocate(2L * halves.length);
        for (int i = 0; i < halves.length; i++) {
            s.set(QuantMath.I16, 2L * i, halves[i]);
        }
        float[] got = new float[4];
        for (int i = 0; i < halves.length; i += 4) {
            FloatDots.f16ToF32w128(s, 2L * i).intoArray(got, 0);
            for (int j = 0; j < 4; j++) {
                float expected = Float.float16ToFloat(halves[i + j]);
                assertTrue(Float.compare(expected, got[j]) == 0, "half 0x" + Integer.toHexString(halves[i + j] & 0xffff)
                        + ": expected " + expected + " got " + got[j]);
            }
        }
    }
}
