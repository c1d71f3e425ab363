package io.laminar.kernels;

import static io.laminar.kernels.QuantMath.F32;
import static io.laminar.kernels.QuantMath.I16;
import static io.laminar.kernels.QuantMath.LE;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Dot products of the float weight formats with float activations, following ggml's
 * {@code vec_dot_type}: F32 weights with F32 activations, F16 weights with activations rounded to
 * F16, BF16 weights with activations rounded to BF16. Products and sums are in float, as ggml's
 * {@code ggml_vec_dot_f16} and {@code ggml_vec_dot_bf16} do on AVX2.
 *
 * <p>The activations are passed as a {@code float[]} holding values already rounded to the
 * activation format ({@link #roundToF16}, {@link #roundToBf16}): the rounding is exact to undo, so
 * nothing is lost by keeping them as floats.
 */
public final class FloatDots {
    private static final float TWO_POW_112 = 0x1p112f;

    private FloatDots() {
    }

    /** Rounds {@code n} floats to F16 values (kept as floats), as ggml converts activations for F16 weights. */
    public static void roundToF16(float[] x, int xOff, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = Float.float16ToFloat(Float.floatToFloat16(x[xOff + i]));
        }
    }

    /** Rounds {@code n} floats to BF16 values (kept as floats), nearest even like ggml. */
    public static void roundToBf16(float[] x, int xOff, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = Quantization.bf16ToFloat(Quantization.floatToBf16(x[xOff + i]));
        }
    }

    public static float vec_dot_f32_generic(int n, MemorySegment w, long wOff, float[] a, int aOff) {
        float sum = 0;
        for (int i = 0; i < n; i++) {
            sum += w.get(F32, wOff + 4L * i) * a[aOff + i];
        }
        return sum;
    }

    public static float vec_dot_f16_generic(int n, MemorySegment w, long wOff, float[] a, int aOff) {
        float sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Float.float16ToFloat(w.get(I16, wOff + 2L * i)) * a[aOff + i];
        }
        return sum;
    }

    public static float vec_dot_bf16_generic(int n, MemorySegment w, long wOff, float[] a, int aOff) {
        float sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Quantization.bf16ToFloat(w.get(I16, wOff + 2L * i)) * a[aOff + i];
        }
        return sum;
    }

    /** Vector F32 dot: 8-lane FMAs over whole vectors, then a scalar tail from the same index. */
    public static float vec_dot_f32(int n, MemorySegment w, long wOff, float[] a, int aOff) {
        return vec_dot_f32(n, w, wOff, a, aOff, Simd.WIDTH);
    }

    /**
     * {@link #vec_dot_f32(int, MemorySegment, long, float[], int)} at {@code width} bits (0: scalar).
     * At 128 bits each 8-lane accumulator is two 4-lane ones and the lanes are summed in the same
     * order: the same bits as at 256. So for the F16 and BF16 dots.
     */
    static float vec_dot_f32(int n, MemorySegment w, long wOff, float[] a, int aOff, int width) {
        if (width == 0) {
            return vec_dot_f32_generic(n, w, wOff, a, aOff);
        }
        int i = 0;
        float sum;
        if (width == 128) {
            FloatVector acc0l = FloatVector.zero(Simd.F128);
            FloatVector acc0h = FloatVector.zero(Simd.F128);
            FloatVector acc1l = FloatVector.zero(Simd.F128);
            FloatVector acc1h = FloatVector.zero(Simd.F128);
            for (; i + 16 <= n; i += 16) {
                long o = wOff + 4L * i;
                acc0l = FloatVector.fromMemorySegment(Simd.F128, w, o, LE).fma(FloatVector.fromArray(Simd.F128, a, aOff + i), acc0l);
                acc0h = FloatVector.fromMemorySegment(Simd.F128, w, o + 16, LE).fma(FloatVector.fromArray(Simd.F128, a, aOff + i + 4), acc0h);
                acc1l = FloatVector.fromMemorySegment(Simd.F128, w, o + 32, LE).fma(FloatVector.fromArray(Simd.F128, a, aOff + i + 8), acc1l);
                acc1h = FloatVector.fromMemorySegment(Simd.F128, w, o + 48, LE).fma(FloatVector.fromArray(Simd.F128, a, aOff + i + 12), acc1h);
            }
            sum = VectorOps.sumLanes(acc0l.add(acc1l), acc0h.add(acc1h));
        } else {
            FloatVector acc0 = FloatVector.zero(Simd.F256);
            FloatVector acc1 = FloatVector.zero(Simd.F256);
            for (; i + 16 <= n; i += 16) {
                acc0 = FloatVector.fromMemorySegment(Simd.F256, w, wOff + 4L * i, LE).fma(FloatVector.fromArray(Simd.F256, a, aOff + i), acc0);
                acc1 = FloatVector.fromMemorySegment(Simd.F256, w, wOff + 4L * i + 32, LE).fma(FloatVector.fromArray(Simd.F256, a, aOff + i + 8), acc1);
            }
            sum = VectorOps.sumLanes(acc0.add(acc1));
        }
        for (; i < n; i++) {
            sum += w.get(F32, wOff + 4L * i) * a[aOff + i];
        }
        return sum;
    }

    /** Vector F16 dot: 8 halves widened to floats with integer operations, then FMA. */
    public static float vec_dot_f16(int n, MemorySegment w, long wOff, float[] a, int aOff) {
        return vec_dot_f16(n, w, wOff, a, aOff, Simd.WIDTH);
    }

    static float vec_dot_f16(int n, MemorySegment w, long wOff, float[] a, int aOff, int width) {
        if (width == 0) {
            return vec_dot_f16_generic(n, w, wOff, a, aOff);
        }
        int i = 0;
        float sum;
        if (width == 128) {
            FloatVector lo = FloatVector.zero(Simd.F128);
            FloatVector hi = FloatVector.zero(Simd.F128);
            for (; i + 8 <= n; i += 8) {
                lo = f16ToF32w128(w, wOff + 2L * i).fma(FloatVector.fromArray(Simd.F128, a, aOff + i), lo);
                hi = f16ToF32w128(w, wOff + 2L * i + 8).fma(FloatVector.fromArray(Simd.F128, a, aOff + i + 4), hi);
            }
            sum = VectorOps.sumLanes(lo, hi);
        } else {
            FloatVector acc = FloatVector.zero(Simd.F256);
            for (; i + 8 <= n; i += 8) {
                acc = f16ToF32(w, wOff + 2L * i).fma(FloatVector.fromArray(Simd.F256, a, aOff + i), acc);
            }
            sum = VectorOps.sumLanes(acc);
        }
        for (; i < n; i++) {
            sum += Float.float16ToFloat(w.get(I16, wOff + 2L * i)) * a[aOff + i];
        }
        return sum;
    }

    /** Vector BF16 dot: 8 bfloat16 widened by a 16-bit shift, then FMA. */
    public static float vec_dot_bf16(int n, MemorySegment w, long wOff, float[] a, int aOff) {
        return vec_dot_bf16(n, w, wOff, a, aOff, Simd.WIDTH);
    }

    static float vec_dot_bf16(int n, MemorySegment w, long wOff, float[] a, int aOff, int width) {
        if (width == 0) {
            return vec_dot_bf16_generic(n, w, wOff, a, aOff);
        }
        int i = 0;
        float sum;
        if (width == 128) {
            FloatVector lo = FloatVector.zero(Simd.F128);
            FloatVector hi = FloatVector.zero(Simd.F128);
            for (; i + 8 <= n; i += 8) {
                lo = bf16ToF32w128(w, wOff + 2L * i).fma(FloatVector.fromArray(Simd.F128, a, aOff + i), lo);
                hi = bf16ToF32w128(w, wOff + 2L * i + 8).fma(FloatVector.fromArray(Simd.F128, a, aOff + i + 4), hi);
            }
            sum = VectorOps.sumLanes(lo, hi);
        } else {
            FloatVector acc = FloatVector.zero(Simd.F256);
            for (; i + 8 <= n; i += 8) {
                acc = bf16ToF32(w, wOff + 2L * i).fma(FloatVector.fromArray(Simd.F256, a, aOff + i), acc);
            }
            sum = VectorOps.sumLanes(acc);
        }
        for (; i < n; i++) {
            sum += Quantization.bf16ToFloat(w.get(I16, wOff + 2L * i)) * a[aOff + i];
        }
        return sum;
    }

    /**
     * Eight fp16 values at {@code off} as floats, exactly: the exponent and mantissa bits move up by
     * 13 and a multiplication by 2^112 rebiases the exponent (also normalising subnormals). Infinity
     * and NaN (magnitude bits >= 0x7C00) instead get the all-ones exponent, selected with a mask made
     * by arithmetic: a vector compare here is not intrinsified by C2 (JDK 25) and would box.
     */
    static FloatVector f16ToF32(MemorySegment s, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(Simd.S128, s, off, LE).convertShape(VectorOperators.S2I, Simd.I256, 0);
        IntVector em = h.and(0x7FFF);
        IntVector shifted = em.lanewise(VectorOperators.LSHL, 13);
        IntVector finite = shifted.reinterpretAsFloats().mul(TWO_POW_112).reinterpretAsInts();
        IntVector special = shifted.add(0x70000000);
        IntVector isSpecial = em.add(0x0400).lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 31);
        IntVector bits = finite.lanewise(VectorOperators.XOR, finite.lanewise(VectorOperators.XOR, special).and(isSpecial));
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /** {@link #f16ToF32} for four halves, at 128 bits. */
    static FloatVector f16ToF32w128(MemorySegment s, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(Simd.S64, s, off, LE).convertShape(VectorOperators.S2I, Simd.I128, 0);
        IntVector em = h.and(0x7FFF);
        IntVector shifted = em.lanewise(VectorOperators.LSHL, 13);
        IntVector finite = shifted.reinterpretAsFloats().mul(TWO_POW_112).reinterpretAsInts();
        IntVector special = shifted.add(0x70000000);
        IntVector isSpecial = em.add(0x0400).lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 31);
        IntVector bits = finite.lanewise(VectorOperators.XOR, finite.lanewise(VectorOperators.XOR, special).and(isSpecial));
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    static FloatVector bf16ToF32w128(MemorySegment s, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(Simd.S64, s, off, LE).convertShape(VectorOperators.S2I, Simd.I128, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    static FloatVector bf16ToF32(MemorySegment s, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(Simd.S128, s, off, LE).convertShape(VectorOperators.S2I, Simd.I256, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
