package io.laminar.kernels;

import static io.laminar.kernels.QuantMath.LE;
import static io.laminar.kernels.Simd.F128;
import static io.laminar.kernels.Simd.F256;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;

/**
 * Row kernels for the float weight types. F32 weights take the activations as given; F16 and
 * BF16 weights take them rounded to their own format ({@link Activations#f}), as ggml does. The
 * arithmetic is {@link FloatDots}.
 *
 * <p>With several tokens (prompt processing), F32 rows go two by two against tokens two by two:
 * each loaded weight vector serves two tokens and each activation vector two rows, which halves the
 * loads per multiply-add of the one-row, one-token dot. Every (row, token) result keeps exactly the
 * summation of {@link FloatDots#vec_dot_f32} (even and odd 8-lane chunks in two accumulators, then
 * the lanes in order), so a token's result does not depend on what else is in the batch.
 *
 * <p>At 128 bits the tile runs twice over the columns, first for the 256-bit form's lanes 0-3, then
 * for its lanes 4-7, with eight 4-lane accumulators each time: every lane's FMA chain and the order
 * the lanes are summed in stay those of the 256-bit tile (and of the dot), so the bits do too.
 */
final class GemmFloat {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private GemmFloat() {
    }

    static void rows(GgmlType type, MemorySegment w, long off, long rowBytes, int n, int cols,
            float[] x, Activations a, int t0, int t1, float[] y, int ldy, int yRow) {
        rows(type, w, off, rowBytes, n, cols, x, a, t0, t1, y, ldy, yRow, Simd.WIDTH);
    }

    /** As {@link #rows(GgmlType, MemorySegment, long, long, int, int, float[], Activations, int, int, float[], int, int)} at {@code width} bits (0: scalar). */
    static void rows(GgmlType type, MemorySegment w, long off, long rowBytes, int n, int cols,
            float[] x, Activations a, int t0, int t1, float[] y, int ldy, int yRow, int width) {
        if (type == GgmlType.F32 && width != 0 && t1 - t0 >= 2 && n >= 2) {
            f32Tiled(w, off, rowBytes, n, cols, x, t0, t1, y, ldy, yRow, width);
            return;
        }
        for (int i = 0; i < n; i++) {
            long ro = off + i * rowBytes;
            for (int t = t0; t < t1; t++) {
                int xo = t * cols;
                y[t * ldy + yRow + i] = switch (type) {
                    case F32 -> FloatDots.vec_dot_f32(cols, w, ro, x, xo, width);
                    case F16 -> FloatDots.vec_dot_f16(cols, w, ro, a.f, xo, width);
                    case BF16 -> FloatDots.vec_dot_bf16(cols, w, ro, a.f, xo, width);
                    default -> throw new IllegalArgumentException("type=" + type);
                };
            }
        }
    }

    private static void f32Tiled(MemorySegment w, long off, long rowBytes, int n, int cols, float[] x, int t0, int t1,
            float[] y, int ldy, int yRow, int width) {
        int i = 0;
        for (; i + 2 <= n; i += 2) {
            long r0 = off + i * rowBytes;
            int t = t0;
            for (; t + 2 <= t1; t += 2) {
                if (width == 128) {
                    f32x2x2w128(w, r0, r0 + rowBytes, cols, x, t * cols, (t + 1) * cols, y, t * ldy + yRow + i,
                            (t + 1) * ldy + yRow + i);
                } else {
                    f32x2x2(w, r0, r0 + rowBytes, cols, x, t * cols, (t + 1) * cols, y, t * ldy + yRow + i,
                            (t + 1) * ldy + yRow + i);
                }
            }
            for (; t < t1; t++) {
                y[t * ldy + yRow + i] = FloatDots.vec_dot_f32(cols, w, r0, x, t * cols, width);
                y[t * ldy + yRow + i + 1] = FloatDots.vec_dot_f32(cols, w, r0 + rowBytes, x, t * cols, width);
            }
        }
        for (; i < n; i++) {
            for (int t = t0; t < t1; t++) {
                y[t * ldy + yRow + i] = FloatDots.vec_dot_f32(cols, w, off + i * rowBytes, x, t * cols, width);
            }
        }
    }

    /** Rows at {@code ra}, {@code rb} against tokens at {@code xa}, {@code xb}: four results into y[ya], y[ya+1], y[yb], y[yb+1]. */
    private static void f32x2x2(MemorySegment w, long ra, long rb, int n, float[] x, int xa, int xb, float[] y, int ya,
            int yb) {
        FloatVector aa0 = FloatVector.zero(F256);
        FloatVector aa1 = FloatVector.zero(F256);
        FloatVector ab0 = FloatVector.zero(F256);
        FloatVector ab1 = FloatVector.zero(F256);
        FloatVector ba0 = FloatVector.zero(F256);
        FloatVector ba1 = FloatVector.zero(F256);
        FloatVector bb0 = FloatVector.zero(F256);
        FloatVector bb1 = FloatVector.zero(F256);
        int k = 0;
        for (; k + 16 <= n; k += 16) {
            FloatVector wa0 = FloatVector.fromMemorySegment(F256, w, ra + 4L * k, LE);
            FloatVector wa1 = FloatVector.fromMemorySegment(F256, w, ra + 4L * k + 32, LE);
            FloatVector wb0 = FloatVector.fromMemorySegment(F256, w, rb + 4L * k, LE);
            FloatVector wb1 = FloatVector.fromMemorySegment(F256, w, rb + 4L * k + 32, LE);
            FloatVector x0 = FloatVector.fromArray(F256, x, xa + k);
            FloatVector x1 = FloatVector.fromArray(F256, x, xa + k + 8);
            aa0 = wa0.fma(x0, aa0);
            aa1 = wa1.fma(x1, aa1);
            ba0 = wb0.fma(x0, ba0);
            ba1 = wb1.fma(x1, ba1);
            x0 = FloatVector.fromArray(F256, x, xb + k);
            x1 = FloatVector.fromArray(F256, x, xb + k + 8);
            ab0 = wa0.fma(x0, ab0);
            ab1 = wa1.fma(x1, ab1);
            bb0 = wb0.fma(x0, bb0);
            bb1 = wb1.fma(x1, bb1);
        }
        float saa = VectorOps.sumLanes(aa0.add(aa1));
        float sab = VectorOps.sumLanes(ab0.add(ab1));
        float sba = VectorOps.sumLanes(ba0.add(ba1));
        float sbb = VectorOps.sumLanes(bb0.add(bb1));
        for (; k < n; k++) {
            float wa = w.get(F32, ra + 4L * k);
            float wb = w.get(F32, rb + 4L * k);
            saa += wa * x[xa + k];
            sab += wa * x[xb + k];
            sba += wb * x[xa + k];
            sbb += wb * x[xb + k];
        }
        y[ya] = saa;
        y[ya + 1] = sba;
        y[yb] = sab;
        y[yb + 1] = sbb;
    }

    /**
     * {@link #f32x2x2} with 128-bit vectors: lanes 0-3 of every 8-lane chunk first ({@code h = 0}),
     * then lanes 4-7 ({@code h = 4}); each result's lane sum is carried from the first pass into the
     * second, in the 256-bit tile's lane order.
     */
    private static void f32x2x2w128(MemorySegment w, long ra, long rb, int n, float[] x, int xa, int xb, float[] y, int ya,
            int yb) {
        float saa = 0;
        float sab = 0;
        float sba = 0;
        float sbb = 0;
        int end = n & ~15;
        for (int h = 0; h < 8; h += 4) {
            FloatVector aa0 = FloatVector.zero(F128);
            FloatVector aa1 = FloatVector.zero(F128);
            FloatVector ab0 = FloatVector.zero(F128);
            FloatVector ab1 = FloatVector.zero(F128);
            FloatVector ba0 = FloatVector.zero(F128);
            FloatVector ba1 = FloatVector.zero(F128);
            FloatVector bb0 = FloatVector.zero(F128);
            FloatVector bb1 = FloatVector.zero(F128);
            for (int k = h; k < end; k += 16) {
                FloatVector wa0 = FloatVector.fromMemorySegment(F128, w, ra + 4L * k, LE);
                FloatVector wa1 = FloatVector.fromMemorySegment(F128, w, ra + 4L * k + 32, LE);
                FloatVector wb0 = FloatVector.fromMemorySegment(F128, w, rb + 4L * k, LE);
                FloatVector wb1 = FloatVector.fromMemorySegment(F128, w, rb + 4L * k + 32, LE);
                FloatVector x0 = FloatVector.fromArray(F128, x, xa + k);
                FloatVector x1 = FloatVector.fromArray(F128, x, xa + k + 8);
                aa0 = wa0.fma(x0, aa0);
                aa1 = wa1.fma(x1, aa1);
                ba0 = wb0.fma(x0, ba0);
                ba1 = wb1.fma(x1, ba1);
                x0 = FloatVector.fromArray(F128, x, xb + k);
                x1 = FloatVector.fromArray(F128, x, xb + k + 8);
                ab0 = wa0.fma(x0, ab0);
                ab1 = wa1.fma(x1, ab1);
                bb0 = wb0.fma(x0, bb0);
                bb1 = wb1.fma(x1, bb1);
            }
            FloatVector aa = aa0.add(aa1);
            FloatVector ab = ab0.add(ab1);
            FloatVector ba = ba0.add(ba1);
            FloatVector bb = bb0.add(bb1);
            for (int l = 0; l < 4; l++) {
                saa += aa.lane(l);
                sab += ab.lane(l);
                sba += ba.lane(l);
                sbb += bb.lane(l);
            }
        }
        for (int k = end; k < n; k++) {
            float wa = w.get(F32, ra + 4L * k);
            float wb = w.get(F32, rb + 4L * k);
            saa += wa * x[xa + k];
            sab += wa * x[xb + k];
            sba += wb * x[xa + k];
            sbb += wb * x[xb + k];
        }
        y[ya] = saa;
        y[ya + 1] = sba;
        y[yb] = sab;
        y[yb + 1] = sbb;
    }
}
