package io.laminar.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The scalar {@code _generic} dots, the reference of every vector path, against float arithmetic;
 * the quantized matrix product (the one SIMD form of each quantized format, its tiles) against them;
 * and the float dots' vector forms against theirs.
 *
 * <p>Tolerances: both sides sum each block exactly in integers, so they differ only in how the float
 * block terms are accumulated. With {@code S} the sum of the absolute products and {@code m}
 * additions, float accumulation is off by at most about {@code m * 2^-24 * S}; we allow twice that
 * ({@link #accumulationBound}). The same bound holds against the dot of the dequantized values
 * computed in double, because the quantized dot is mathematically that dot. Against the
 * <em>unquantized</em> activations the difference is the activation rounding: at most half a step,
 * {@code amax / 254}, per element (plus the fp16 rounding of the step, {@code amax / 2048}), which
 * gives the looser, data-derived {@link #activationRoundingBound}.
 */
class VecDotTest {
    interface Dot {
        float dot(int n, MemorySegment x, long xOff, MemorySegment y, long yOff);
    }

    @ParameterizedTest
    @CsvSource({"Q8_0, 768", "Q8_0, 2048", "Q4_0, 768", "Q4_0, 96", "Q4_K, 2048", "Q4_K, 256", "Q6_K, 2048", "Q6_K, 768"})
    void matmulEqualsGenericDotAndGenericEqualsFloatArithmetic(GgmlType type, int n) {
        for (long seed = 1; seed <= 5; seed++) {
            float[] w = TestData.gaussian(seed, n, 0.05f);
            float[] x = TestData.gaussian(seed + 100, n, 1f);
            if (seed == 5) {
                x = TestData.cosine(1f, n);
            }
            GgmlType act = type == GgmlType.Q4_K || type == GgmlType.Q6_K ? GgmlType.Q8_K : GgmlType.Q8_0;
            MemorySegment wq = TestData.quantize(type, w);
            MemorySegment xq = Arena.ofAuto().allocate(act.bytesFor(n));
            if (act == GgmlType.Q8_0) {
                BlockQ8_0.quantize_row_q8_0(x, 0, xq, 0, n);
            } else {
                BlockQ8_K.quantize_row_q8_K_ref(x, 0, xq, 0, n);
            }
            float[] wd = TestData.dequantize(type, wq, n);
            float[] xd = TestData.dequantize(act, xq, n);
            float generic = generic(type).dot(n, wq, 0, xq, 0);
            float simd;
            try (CpuKernels k = new CpuKernels(1, 1, n, 0)) {
                float[] y = new float[1];
                k.matmul(new WeightMatrix("w", type, 1, n, wq), x, 1, y);
                simd = y[0];
            }
            double exact = 0;
            double abs = 0;
            double vsOriginal = 0;
            for (int i = 0; i < n; i++) {
                exact += (double) wd[i] * xd[i];
                abs += Math.abs((double) wd[i] * xd[i]);
                vsOriginal += (double) wd[i] * x[i];
            }
            double bound = accumulationBound(n / act.blockSize(), abs);
            String ctx = type + " n=" + n + " seed=" + seed + ": generic=" + generic + " simd=" + simd + " exact=" + exact;
            assertTrue(Math.abs(simd - generic) <= bound, ctx + " |simd-generic| > " + bound);
            assertTrue(Math.abs(generic - exact) <= bound, ctx + " |generic-exact| > " + bound);
            double loose = activationRoundingBound(wd, x, act.blockSize()) + bound;
            assertTrue(Math.abs(generic - vsOriginal) <= loose, ctx + " vs original " + vsOriginal + " > " + loose);
        }
    }

    @ParameterizedTest
    @CsvSource({"F32, 768", "F32, 37", "F16, 768", "F16, 13", "BF16, 768", "BF16, 1029"})
    void floatDotsEqualGeneric(GgmlType type, int n) {
        TestData.FloatDotCase c = TestData.FloatDotCase.random(type, n, 3, 4);
        MemorySegment ws = c.w();
        float[] xr = c.x();
        double exact = c.exact();
        double abs = c.abs();
        float generic;
        float simd;
        switch (type) {
            case F16 -> {
                generic = FloatDots.vec_dot_f16_generic(n, ws, 0, xr, 0);
                simd = FloatDots.vec_dot_f16(n, ws, 0, xr, 0);
            }
            case BF16 -> {
                generic = FloatDots.vec_dot_bf16_generic(n, ws, 0, xr, 0);
                simd = FloatDots.vec_dot_bf16(n, ws, 0, xr, 0);
            }
            default -> {
                generic = FloatDots.vec_dot_f32_generic(n, ws, 0, xr, 0);
                simd = FloatDots.vec_dot_f32(n, ws, 0, xr, 0);
            }
        }
        double bound = accumulationBound(n, abs);
        assertTrue(Math.abs(simd - exact) <= bound, type + " simd=" + simd + " exact=" + exact);
        assertTrue(Math.abs(generic - exact) <= bound, type + " generic=" + generic + " exact=" + exact);
    }

    @Test
    void f16WideningHandlesSubnormalsInfinityAndNaN() {
        short[] halves = {0x0001, (short) 0x8001, 0x03FF, 0x0400, 0x3C00, (short) 0xC000, 0x7BFF, 0x7C00, (short) 0xFC00, 0x7E00};
        MemorySegment s = Arena.ofAuto().allocate(2L * 16);
        for (int i = 0; i < halves.length; i++) {
            s.set(QuantMath.I16, 2L * i, halves[i]);
        }
        float[] got = new float[8];
        float[] got2 = new float[8];
        FloatDots.f16ToF32(s, 0).intoArray(got, 0);
        FloatDots.f16ToF32(s, 16).intoArray(got2, 0);
        for (int i = 0; i < halves.length; i++) {
            float expected = Float.float16ToFloat(halves[i]);
            float actual = i < 8 ? got[i] : got2[i - 8];
            assertTrue(Float.compare(expected, actual) == 0, "half 0x" + Integer.toHexString(halves[i] & 0xffff)
                    + ": expected " + expected + " got " + actual);
        }
    }

    static double accumulationBound(int terms, double absSum) {
        return 2 * (terms + 16) * 0x1p-24 * absSum + 1e-30;
    }

    /** Sum over i of |w[i]| times the largest rounding error activation i can have in its block. */
    static double activationRoundingBound(float[] w, float[] x, int block) {
        double bound = 0;
        for (int b = 0; b < x.length; b += block) {
            double amax = 0;
            for (int i = b; i < b + block; i++) {
                amax = Math.max(amax, Math.abs(x[i]));
            }
            double perElement = amax * (1.0 / 254 + 1.0 / 2048) * 1.0001;
            for (int i = b; i < b + block; i++) {
                bound += Math.abs(w[i]) * perElement;
            }
        }
        return bound;
    }

    static Dot generic(GgmlType type) {
        return switch (type) {
            case Q8_0 -> BlockQ8_0::vec_dot_q8_0_q8_0_generic;
            case Q4_0 -> BlockQ4_0::vec_dot_q4_0_q8_0_generic;
            case Q4_K -> BlockQ4_K::vec_dot_q4_K_q8_K_generic;
            case Q6_K -> BlockQ6_K::vec_dot_q6_K_q8_K_generic;
            default -> throw new IllegalArgumentException("type=" + type);
        };
    }
}
