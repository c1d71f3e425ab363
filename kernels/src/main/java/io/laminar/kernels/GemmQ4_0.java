package io.laminar.kernels;

import static io.laminar.kernels.QuantMath.I8;
import static io.laminar.kernels.QuantMath.LE;
import static io.laminar.kernels.Simd.B128;
import static io.laminar.kernels.Simd.B256;
import static io.laminar.kernels.Simd.B64;
import static io.laminar.kernels.Simd.F128;
import static io.laminar.kernels.Simd.F256;
import static io.laminar.kernels.Simd.F512;
import static io.laminar.kernels.Simd.I128;
import static io.laminar.kernels.Simd.I256;
import static io.laminar.kernels.Simd.I512;
import static io.laminar.kernels.Simd.S128;
import static io.laminar.kernels.Simd.S256;
import static io.laminar.kernels.Simd.S512;
import static io.laminar.kernels.Simd.S64;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.S2I;
import static jdk.incubator.vector.VectorOperators.XOR;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

/**
 * Matrix-times-activations kernels for Q4_0 weights and Q8_0 activations
 * ({@link Activations.Kind#Q8_0_FOR_Q4_0}), with ggml's numerics: exact integer sum per block, then
 * {@code d_w * d_a} and float accumulation.
 *
 * <p>The algebra that makes nibbles cheap. Byte {@code j} of a block holds {@code q_lo} (weight j)
 * and {@code q_hi} (weight j+16). Flip its bit 7 and sign-extend it to 16 bits: that is
 * {@code s = 16 h + q_lo} with {@code h = q_hi - 8}, and {@code s >> 4 = h}. With the activations
 * prepared as {@code A1[j] = a[j]} and {@code A2[j] = a[j+16] - 16 a[j]}:
 * <pre>
 *   sum_j (q_lo - 8) a[j] + (q_hi - 8) a[j+16]  =  sum_j s A1[j] + h A2[j]  -  8 sum_j a[j]
 * </pre>
 * Two multiplies and one shift per 16 bytes, no masking. The per-block constant
 * {@code -8 sum a} is {@link Activations#bias}. In 16-bit lanes the final value of each dot fits
 * (|dot| <= 32 * 8 * 127 = 32512), and since 16-bit adds and multiplies are exact modulo 2^16 the
 * intermediate wrap-around does not matter.
 *
 * <ul>
 *   <li>{@link #rows}: ggml's row layout; lanes are 16 columns ({@code (s - 8) A1 + h A2} keeps each lane
 *       in range), reduced per block.</li>
 *   <li>{@link #x16}: the {@link BlockQ4_0x16} layout (bit 7 already flipped); lanes are 16 rows, each
 *       lane accumulates its whole block in 16 bits starting from the bias, so per 16 bytes the work is a
 *       load, a widening, a shift, two multiplies and two adds for 32 multiply-adds. Loop shape as in
 *       {@link GemmQ8_0} (4 byte columns per step; 2 for the 4-token tile); up to four tokens share each
 *       decoded column.</li>
 * </ul>
 */
final class GemmQ4_0 {
    private static final float TWO_POW_112 = 0x1p112f;

    private GemmQ4_0() {
    }

    /** Rows in ggml's layout, as {@link GemmQ8_0#rows}. */
    static void rows(MemorySegment w, long off, long rowBytes, int n, int cols, Activations a, int t0, int t1,
            float[] y, int ldy, int yRow) {
        rows(w, off, rowBytes, n, cols, a, t0, t1, y, ldy, yRow, Simd.WIDTH);
    }

    /** As {@link #rows(MemorySegment, long, long, int, int, Activations, int, int, float[], int, int)} at {@code width} bits (0: scalar). */
    static void rows(MemorySegment w, long off, long rowBytes, int n, int cols, Activations a, int t0, int t1,
            float[] y, int ldy, int yRow, int width) {
        int nb = cols / 32;
        for (int i = 0; i < n; i++) {
            long ro = off + i * rowBytes;
            for (int t = t0; t < t1; t++) {
                y[t * ldy + yRow + i] = width >= 256 ? dot(w, ro, nb, a.q, t * cols, a.d, t * nb)
                        : width == 128 ? dot128(w, ro, nb, a.q, t * cols, a.d, t * nb)
                        : dotGeneric(w, ro, nb, a.q, t * cols, a.d, t * nb);
            }
        }
    }

    static float dot(MemorySegment w, long ro, int nb, short[] q, int qOff, float[] d, int dOff) {
        FloatVector acc = FloatVector.zero(F256);
        for (int b = 0; b < nb; b++) {
            long o = ro + (long) b * BlockQ4_0.BYTES;
            int qb = qOff + 32 * b;
            ShortVector s = (ShortVector) ByteVector.fromMemorySegment(B128, w, o + BlockQ4_0.QS_OFFSET, LE)
                    .lanewise(XOR, (byte) 0x80).convertShape(B2S, S256, 0);
            IntVector p = s.sub((short) 8).mul(ShortVector.fromArray(S256, q, qb))
                    .add(s.lanewise(ASHR, 4).mul(ShortVector.fromArray(S256, q, qb + 16))).reinterpretAsInts();
            IntVector sum = p.lanewise(ASHR, 16).add(p.lanewise(LSHL, 16).lanewise(ASHR, 16));
            float sc = QuantMath.fp16(w, o + BlockQ4_0.D_OFFSET) * d[dOff + b];
            acc = ((FloatVector) sum.convert(I2F, 0)).fma(FloatVector.broadcast(F256, sc), acc);
        }
        return VectorOps.sumLanes(acc);
    }

    /**
     * {@link #dot} with 128-bit vectors, bit for bit: {@code lo} holds the 256-bit form's int lanes
     * 0-3 (bytes 0-7 of each block), {@code hi} its lanes 4-7 (bytes 8-15), summed in the same order.
     */
    static float dot128(MemorySegment w, long ro, int nb, short[] q, int qOff, float[] d, int dOff) {
        FloatVector lo = FloatVector.zero(F128);
        FloatVector hi = FloatVector.zero(F128);
        for (int b = 0; b < nb; b++) {
            long o = ro + (long) b * BlockQ4_0.BYTES;
            int qb = qOff + 32 * b;
            ShortVector sl = (ShortVector) ByteVector.fromMemorySegment(B64, w, o + BlockQ4_0.QS_OFFSET, LE)
                    .lanewise(XOR, (byte) 0x80).convertShape(B2S, S128, 0);
            ShortVector sh = (ShortVector) ByteVector.fromMemorySegment(B64, w, o + BlockQ4_0.QS_OFFSET + 8, LE)
                    .lanewise(XOR, (byte) 0x80).convertShape(B2S, S128, 0);
            IntVector pl = sl.sub((short) 8).mul(ShortVector.fromArray(S128, q, qb))
                    .add(sl.lanewise(ASHR, 4).mul(ShortVector.fromArray(S128, q, qb + 16))).reinterpretAsInts();
            IntVector ph = sh.sub((short) 8).mul(ShortVector.fromArray(S128, q, qb + 8))
                    .add(sh.lanewise(ASHR, 4).mul(ShortVector.fromArray(S128, q, qb + 24))).reinterpretAsInts();
            IntVector suml = pl.lanewise(ASHR, 16).add(pl.lanewise(LSHL, 16).lanewise(ASHR, 16));
            IntVector sumh = ph.lanewise(ASHR, 16).add(ph.lanewise(LSHL, 16).lanewise(ASHR, 16));
            FloatVector sc = FloatVector.broadcast(F128, QuantMath.fp16(w, o + BlockQ4_0.D_OFFSET) * d[dOff + b]);
            lo = ((FloatVector) suml.convert(I2F, 0)).fma(sc, lo);
            hi = ((FloatVector) sumh.convert(I2F, 0)).fma(sc, hi);
        }
        return VectorOps.sumLanes(lo, hi);
    }

    static float dotGeneric(MemorySegment w, long ro, int nb, short[] q, int qOff, float[] d, int dOff) {
        float sumf = 0;
        for (int b = 0; b < nb; b++) {
            long o = ro + (long) b * BlockQ4_0.BYTES;
            int sumi = 0;
            for (int j = 0; j < 16; j++) {
                int v = w.get(I8, o + BlockQ4_0.QS_OFFSET + j) & 0xff;
                int a1 = q[qOff + 32 * b + j];
                int ahi = q[qOff + 32 * b + 16 + j] + 16 * a1;
                sumi += ((v & 0xF) - 8) * a1 + ((v >> 4) - 8) * ahi;
            }
            sumf += sumi * (QuantMath.fp16(w, o + BlockQ4_0.D_OFFSET) * d[dOff + b]);
        }
        return sumf;
    }

    /** One group of 16 rows in {@link BlockQ4_0x16} layout, as {@link GemmQ8_0#x16}, up to four tokens per pass. */
    static void x16(MemorySegment w, long go, int cols, Activations a, int t0, int t1, float[] y, int ldy, int yRow) {
        x16(w, go, cols, a, t0, t1, y, ldy, yRow, Simd.WIDTH);
    }

    /** As {@link GemmQ8_0#x16(MemorySegment, long, int, Activations, int, int, float[], int, int, int)}: at {@code width} bits (0: scalar), the same results at 128 and 256. */
    static void x16(MemorySegment w, long go, int cols, Activations a, int t0, int t1, float[] y, int ldy, int yRow,
            int width) {
        int nb = cols / 32;
        if (width == 0) {
            x16Generic(w, go, nb, a, cols, t0, t1, y, ldy, yRow);
            return;
        }
        int[] tb = a.pairs;
        int t = t0;
        if (width == 128) {
            for (; t + 4 <= t1; t += 4) {
                x16t4w128(w, go, nb, tb, t * cols, (t + 1) * cols, (t + 2) * cols, (t + 3) * cols,
                        a.d, a.bias, t * nb, (t + 1) * nb, (t + 2) * nb, (t + 3) * nb,
                        y, t * ldy + yRow, (t + 1) * ldy + yRow, (t + 2) * ldy + yRow, (t + 3) * ldy + yRow);
            }
            for (; t + 2 <= t1; t += 2) {
                x16t2w128(w, go, nb, tb, t * cols, (t + 1) * cols, a.d, a.bias, t * nb, (t + 1) * nb,
                        y, t * ldy + yRow, (t + 1) * ldy + yRow);
            }
            for (; t < t1; t++) {
                x16t1w128(w, go, nb, tb, t * cols, a.d, a.bias, t * nb, y, t * ldy + yRow);
            }
            return;
        }
        for (; t + 4 <= t1; t += 4) {
            x16t4(w, go, nb, tb, t * cols, (t + 1) * cols, (t + 2) * cols, (t + 3) * cols,
                    a.d, a.bias, t * nb, (t + 1) * nb, (t + 2) * nb, (t + 3) * nb,
                    y, t * ldy + yRow, (t + 1) * ldy + yRow, (t + 2) * ldy + yRow, (t + 3) * ldy + yRow);
        }
        for (; t + 2 <= t1; t += 2) {
            x16t2(w, go, nb, tb, t * cols, (t + 1) * cols, a.d, a.bias, t * nb, (t + 1) * nb,
                    y, t * ldy + yRow, (t + 1) * ldy + yRow);
        }
        for (; t < t1; t++) {
            x16t1(w, go, nb, tb, t * cols, a.d, a.bias, t * nb, y, t * ldy + yRow);
        }
    }

    /** One group of 32 rows in {@link BlockQ4_0x32} layout at 512 bits, as {@link GemmQ8_0#x32}: each row gets {@link #x16}'s bits. */
    static void x32(MemorySegment w, long go, int cols, Activations a, int t0, int t1, float[] y, int ldy, int yRow) {
        int nb = cols / 32;
        int[] tb = a.pairs;
        int t = t0;
        for (; t + 4 <= t1; t += 4) {
            x32t4(w, go, nb, tb, t * cols, (t + 1) * cols, (t + 2) * cols, (t + 3) * cols,
                    a.d, a.bias, t * nb, (t + 1) * nb, (t + 2) * nb, (t + 3) * nb,
                    y, t * ldy + yRow, (t + 1) * ldy + yRow, (t + 2) * ldy + yRow, (t + 3) * ldy + yRow);
        }
        for (; t + 2 <= t1; t += 2) {
            x32t2(w, go, nb, tb, t * cols, (t + 1) * cols, a.d, a.bias, t * nb, (t + 1) * nb,
                    y, t * ldy + yRow, (t + 1) * ldy + yRow);
        }
        for (; t < t1; t++) {
            x32t1(w, go, nb, tb, t * cols, a.d, a.bias, t * nb, y, t * ldy + yRow);
        }
    }

    /** {@link #x32}'s scalar reference, over the same layout. */
    static void x32Generic(MemorySegment w, long go, int cols, Activations a, int t0, int t1, float[] y, int ldy, int yRow) {
        int nb = cols / 32;
        int rows = BlockQ4_0x32.ROWS;
        for (int t = t0; t < t1; t++) {
            for (int r = 0; r < rows; r++) {
                float sumf = 0;
                for (int b = 0; b < nb; b++) {
                    int sumi = 0;
                    for (int j = 0; j < 16; j++) {
                        int v = (w.get(I8, go + BlockQ4_0x16.quantAt(rows, nb, b, j, r)) ^ 0x80) & 0xff;
                        int a1 = a.q[t * cols + 32 * b + j];
                        int ahi = a.q[t * cols + 32 * b + 16 + j] + 16 * a1;
                        sumi += ((v & 0xF) - 8) * a1 + ((v >> 4) - 8) * ahi;
                    }
                    sumf += sumi * (BlockQ8_0x16.scale(rows, w, go, b, r) * a.d[t * nb + b]);
                }
                y[t * ldy + yRow + r] = sumf;
            }
        }
    }

    static void x16Generic(MemorySegment w, long go, int nb, Activations a, int cols, int t0, int t1,
            float[] y, int ldy, int yRow) {
        for (int t = t0; t < t1; t++) {
            for (int r = 0; r < 16; r++) {
                float sumf = 0;
                for (int b = 0; b < nb; b++) {
                    long o = go + BlockQ4_0x16.quantsOffset(nb, b);
                    int sumi = 0;
                    for (int j = 0; j < 16; j++) {
                        int v = (w.get(I8, o + 16L * j + r) ^ 0x80) & 0xff;
                        int a1 = a.q[t * cols + 32 * b + j];
                        int ahi = a.q[t * cols + 32 * b + 16 + j] + 16 * a1;
                        sumi += ((v & 0xF) - 8) * a1 + ((v >> 4) - 8) * ahi;
                    }
                    float dw = BlockQ8_0x16.scale(w, go, b, r);
                    sumf += sumi * (dw * a.d[t * nb + b]);
                }
                y[t * ldy + yRow + r] = sumf;
            }
        }
    }

    // ---- generated by kernels/tools/gen_interleaved_kernels.py q4 1:4,2:4,4:2 1:2f,2:4,4:2 1:8,2:4,4:4 ----
    // Not to be edited by hand: change the generator and paste its output here (GeneratedTilesTest compares).
    /** 1 token(s) x 16 rows: group at {@code go}, 4 byte columns per step. */
    private static void x16t1(MemorySegment w, long go, int nb, int[] tb, int tb0, float[] d, short[] bias, int d0, float[] y, int y0) {
        FloatVector accE0 = FloatVector.zero(F256);
        FloatVector accO0 = FloatVector.zero(F256);
        ShortVector acc0 = ShortVector.broadcast(S256, bias[d0]);
        long q0 = go + (long) BlockQ4_0x16.SCALES_SIZE * nb;
        for (int i = 0; i < 4 * nb; i++) {
            long q = q0 + 64L * i;
            int a = 4 * (i % 4) + 32 * (i / 4);
            ShortVector s0 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 0, LE).convertShape(B2S, S256, 0);
            ShortVector h0 = s0.lanewise(ASHR, 4);
            acc0 = acc0.add(s0.mul(IntVector.broadcast(I256, tb[tb0 + a + 0]).reinterpretAsShorts()).add(h0.mul(IntVector.broadcast(I256, tb[tb0 + a + 16]).reinterpretAsShorts())));
            ShortVector s1 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 16, LE).convertShape(B2S, S256, 0);
            ShortVector h1 = s1.lanewise(ASHR, 4);
            acc0 = acc0.add(s1.mul(IntVector.broadcast(I256, tb[tb0 + a + 1]).reinterpretAsShorts()).add(h1.mul(IntVector.broadcast(I256, tb[tb0 + a + 17]).reinterpretAsShorts())));
            ShortVector s2 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 32, LE).convertShape(B2S, S256, 0);
            ShortVector h2 = s2.lanewise(ASHR, 4);
            acc0 = acc0.add(s2.mul(IntVector.broadcast(I256, tb[tb0 + a + 2]).reinterpretAsShorts()).add(h2.mul(IntVector.broadcast(I256, tb[tb0 + a + 18]).reinterpretAsShorts())));
            ShortVector s3 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 48, LE).convertShape(B2S, S256, 0);
            ShortVector h3 = s3.lanewise(ASHR, 4);
            acc0 = acc0.add(s3.mul(IntVector.broadcast(I256, tb[tb0 + a + 3]).reinterpretAsShorts()).add(h3.mul(IntVector.broadcast(I256, tb[tb0 + a + 19]).reinterpretAsShorts())));
            if ((i & 3) == 3) {
                int b = i / 4;
                long so = go + (long) BlockQ4_0x16.SCALES_SIZE * b;
                IntVector hE = (IntVector) ShortVector.fromMemorySegment(S128, w, so, LE).convertShape(S2I, I256, 0);
                FloatVector sE = hE.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hE.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                IntVector hO = (IntVector) ShortVector.fromMemorySegment(S128, w, so + 16, LE).convertShape(S2I, I256, 0);
                FloatVector sO = hO.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hO.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                IntVector x0 = acc0.reinterpretAsInts();
                float da0 = d[d0 + b];
                accE0 = ((FloatVector) x0.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sE.mul(da0), accE0);
                accO0 = ((FloatVector) x0.lanewise(ASHR, 16).convert(I2F, 0)).fma(sO.mul(da0), accO0);
                acc0 = ShortVector.broadcast(S256, bias[d0 + Math.min(b + 1, nb - 1)]);
            }
        }
        y[y0 + 0] = accE0.lane(0);
        y[y0 + 1] = accO0.lane(0);
        y[y0 + 2] = accE0.lane(1);
        y[y0 + 3] = accO0.lane(1);
        y[y0 + 4] = accE0.lane(2);
        y[y0 + 5] = accO0.lane(2);
        y[y0 + 6] = accE0.lane(3);
        y[y0 + 7] = accO0.lane(3);
        y[y0 + 8] = accE0.lane(4);
        y[y0 + 9] = accO0.lane(4);
        y[y0 + 10] = accE0.lane(5);
        y[y0 + 11] = accO0.lane(5);
        y[y0 + 12] = accE0.lane(6);
        y[y0 + 13] = accO0.lane(6);
        y[y0 + 14] = accE0.lane(7);
        y[y0 + 15] = accO0.lane(7);
    }

    /** 2 token(s) x 16 rows: group at {@code go}, 4 byte columns per step. */
    private static void x16t2(MemorySegment w, long go, int nb, int[] tb, int tb0, int tb1, float[] d, short[] bias, int d0, int d1, float[] y, int y0, int y1) {
        FloatVector accE0 = FloatVector.zero(F256);
        FloatVector accO0 = FloatVector.zero(F256);
        ShortVector acc0 = ShortVector.broadcast(S256, bias[d0]);
        FloatVector accE1 = FloatVector.zero(F256);
        FloatVector accO1 = FloatVector.zero(F256);
        ShortVector acc1 = ShortVector.broadcast(S256, bias[d1]);
        long q0 = go + (long) BlockQ4_0x16.SCALES_SIZE * nb;
        for (int i = 0; i < 4 * nb; i++) {
            long q = q0 + 64L * i;
            int a = 4 * (i % 4) + 32 * (i / 4);
            ShortVector s0 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 0, LE).convertShape(B2S, S256, 0);
            ShortVector h0 = s0.lanewise(ASHR, 4);
            acc0 = acc0.add(s0.mul(IntVector.broadcast(I256, tb[tb0 + a + 0]).reinterpretAsShorts()).add(h0.mul(IntVector.broadcast(I256, tb[tb0 + a + 16]).reinterpretAsShorts())));
            acc1 = acc1.add(s0.mul(IntVector.broadcast(I256, tb[tb1 + a + 0]).reinterpretAsShorts()).add(h0.mul(IntVector.broadcast(I256, tb[tb1 + a + 16]).reinterpretAsShorts())));
            ShortVector s1 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 16, LE).convertShape(B2S, S256, 0);
            ShortVector h1 = s1.lanewise(ASHR, 4);
            acc0 = acc0.add(s1.mul(IntVector.broadcast(I256, tb[tb0 + a + 1]).reinterpretAsShorts()).add(h1.mul(IntVector.broadcast(I256, tb[tb0 + a + 17]).reinterpretAsShorts())));
            acc1 = acc1.add(s1.mul(IntVector.broadcast(I256, tb[tb1 + a + 1]).reinterpretAsShorts()).add(h1.mul(IntVector.broadcast(I256, tb[tb1 + a + 17]).reinterpretAsShorts())));
            ShortVector s2 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 32, LE).convertShape(B2S, S256, 0);
            ShortVector h2 = s2.lanewise(ASHR, 4);
            acc0 = acc0.add(s2.mul(IntVector.broadcast(I256, tb[tb0 + a + 2]).reinterpretAsShorts()).add(h2.mul(IntVector.broadcast(I256, tb[tb0 + a + 18]).reinterpretAsShorts())));
            acc1 = acc1.add(s2.mul(IntVector.broadcast(I256, tb[tb1 + a + 2]).reinterpretAsShorts()).add(h2.mul(IntVector.broadcast(I256, tb[tb1 + a + 18]).reinterpretAsShorts())));
            ShortVector s3 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 48, LE).convertShape(B2S, S256, 0);
            ShortVector h3 = s3.lanewise(ASHR, 4);
            acc0 = acc0.add(s3.mul(IntVector.broadcast(I256, tb[tb0 + a + 3]).reinterpretAsShorts()).add(h3.mul(IntVector.broadcast(I256, tb[tb0 + a + 19]).reinterpretAsShorts())));
            acc1 = acc1.add(s3.mul(IntVector.broadcast(I256, tb[tb1 + a + 3]).reinterpretAsShorts()).add(h3.mul(IntVector.broadcast(I256, tb[tb1 + a + 19]).reinterpretAsShorts())));
            if ((i & 3) == 3) {
                int b = i / 4;
                long so = go + (long) BlockQ4_0x16.SCALES_SIZE * b;
                IntVector hE = (IntVector) ShortVector.fromMemorySegment(S128, w, so, LE).convertShape(S2I, I256, 0);
                FloatVector sE = hE.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hE.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                IntVector hO = (IntVector) ShortVector.fromMemorySegment(S128, w, so + 16, LE).convertShape(S2I, I256, 0);
                FloatVector sO = hO.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hO.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                IntVector x0 = acc0.reinterpretAsInts();
                float da0 = d[d0 + b];
                accE0 = ((FloatVector) x0.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sE.mul(da0), accE0);
                accO0 = ((FloatVector) x0.lanewise(ASHR, 16).convert(I2F, 0)).fma(sO.mul(da0), accO0);
                acc0 = ShortVector.broadcast(S256, bias[d0 + Math.min(b + 1, nb - 1)]);
                IntVector x1 = acc1.reinterpretAsInts();
                float da1 = d[d1 + b];
                accE1 = ((FloatVector) x1.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sE.mul(da1), accE1);
                accO1 = ((FloatVector) x1.lanewise(ASHR, 16).convert(I2F, 0)).fma(sO.mul(da1), accO1);
                acc1 = ShortVector.broadcast(S256, bias[d1 + Math.min(b + 1, nb - 1)]);
            }
        }
        y[y0 + 0] = accE0.lane(0);
        y[y0 + 1] = accO0.lane(0);
        y[y0 + 2] = accE0.lane(1);
        y[y0 + 3] = accO0.lane(1);
        y[y0 + 4] = accE0.lane(2);
        y[y0 + 5] = accO0.lane(2);
        y[y0 + 6] = accE0.lane(3);
        y[y0 + 7] = accO0.lane(3);
        y[y0 + 8] = accE0.lane(4);
        y[y0 + 9] = accO0.lane(4);
        y[y0 + 10] = accE0.lane(5);
        y[y0 + 11] = accO0.lane(5);
        y[y0 + 12] = accE0.lane(6);
        y[y0 + 13] = accO0.lane(6);
        y[y0 + 14] = accE0.lane(7);
        y[y0 + 15] = accO0.lane(7);
        y[y1 + 0] = accE1.lane(0);
        y[y1 + 1] = accO1.lane(0);
        y[y1 + 2] = accE1.lane(1);
        y[y1 + 3] = accO1.lane(1);
        y[y1 + 4] = accE1.lane(2);
        y[y1 + 5] = accO1.lane(2);
        y[y1 + 6] = accE1.lane(3);
        y[y1 + 7] = accO1.lane(3);
        y[y1 + 8] = accE1.lane(4);
        y[y1 + 9] = accO1.lane(4);
        y[y1 + 10] = accE1.lane(5);
        y[y1 + 11] = accO1.lane(5);
        y[y1 + 12] = accE1.lane(6);
        y[y1 + 13] = accO1.lane(6);
        y[y1 + 14] = accE1.lane(7);
        y[y1 + 15] = accO1.lane(7);
    }

    /** 4 token(s) x 16 rows: group at {@code go}, 2 byte columns per step. */
    private static void x16t4(MemorySegment w, long go, int nb, int[] tb, int tb0, int tb1, int tb2, int tb3, float[] d, short[] bias, int d0, int d1, int d2, int d3, float[] y, int y0, int y1, int y2, int y3) {
        FloatVector accE0 = FloatVector.zero(F256);
        FloatVector accO0 = FloatVector.zero(F256);
        ShortVector acc0 = ShortVector.broadcast(S256, bias[d0]);
        FloatVector accE1 = FloatVector.zero(F256);
        FloatVector accO1 = FloatVector.zero(F256);
        ShortVector acc1 = ShortVector.broadcast(S256, bias[d1]);
        FloatVector accE2 = FloatVector.zero(F256);
        FloatVector accO2 = FloatVector.zero(F256);
        ShortVector acc2 = ShortVector.broadcast(S256, bias[d2]);
        FloatVector accE3 = FloatVector.zero(F256);
        FloatVector accO3 = FloatVector.zero(F256);
        ShortVector acc3 = ShortVector.broadcast(S256, bias[d3]);
        long q0 = go + (long) BlockQ4_0x16.SCALES_SIZE * nb;
        for (int i = 0; i < 8 * nb; i++) {
            long q = q0 + 32L * i;
            int a = 2 * (i % 8) + 32 * (i / 8);
            ShortVector s0 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 0, LE).convertShape(B2S, S256, 0);
            ShortVector h0 = s0.lanewise(ASHR, 4);
            acc0 = acc0.add(s0.mul(IntVector.broadcast(I256, tb[tb0 + a + 0]).reinterpretAsShorts()).add(h0.mul(IntVector.broadcast(I256, tb[tb0 + a + 16]).reinterpretAsShorts())));
            acc1 = acc1.add(s0.mul(IntVector.broadcast(I256, tb[tb1 + a + 0]).reinterpretAsShorts()).add(h0.mul(IntVector.broadcast(I256, tb[tb1 + a + 16]).reinterpretAsShorts())));
            acc2 = acc2.add(s0.mul(IntVector.broadcast(I256, tb[tb2 + a + 0]).reinterpretAsShorts()).add(h0.mul(IntVector.broadcast(I256, tb[tb2 + a + 16]).reinterpretAsShorts())));
            acc3 = acc3.add(s0.mul(IntVector.broadcast(I256, tb[tb3 + a + 0]).reinterpretAsShorts()).add(h0.mul(IntVector.broadcast(I256, tb[tb3 + a + 16]).reinterpretAsShorts())));
            ShortVector s1 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 16, LE).convertShape(B2S, S256, 0);
            ShortVector h1 = s1.lanewise(ASHR, 4);
            acc0 = acc0.add(s1.mul(IntVector.broadcast(I256, tb[tb0 + a + 1]).reinterpretAsShorts()).add(h1.mul(IntVector.broadcast(I256, tb[tb0 + a + 17]).reinterpretAsShorts())));
            acc1 = acc1.add(s1.mul(IntVector.broadcast(I256, tb[tb1 + a + 1]).reinterpretAsShorts()).add(h1.mul(IntVector.broadcast(I256, tb[tb1 + a + 17]).reinterpretAsShorts())));
            acc2 = acc2.add(s1.mul(IntVector.broadcast(I256, tb[tb2 + a + 1]).reinterpretAsShorts()).add(h1.mul(IntVector.broadcast(I256, tb[tb2 + a + 17]).reinterpretAsShorts())));
            acc3 = acc3.add(s1.mul(IntVector.broadcast(I256, tb[tb3 + a + 1]).reinterpretAsShorts()).add(h1.mul(IntVector.broadcast(I256, tb[tb3 + a + 17]).reinterpretAsShorts())));
            if ((i & 7) == 7) {
                int b = i / 8;
                long so = go + (long) BlockQ4_0x16.SCALES_SIZE * b;
                IntVector hE = (IntVector) ShortVector.fromMemorySegment(S128, w, so, LE).convertShape(S2I, I256, 0);
                FloatVector sE = hE.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hE.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                IntVector hO = (IntVector) ShortVector.fromMemorySegment(S128, w, so + 16, LE).convertShape(S2I, I256, 0);
                FloatVector sO = hO.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hO.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                IntVector x0 = acc0.reinterpretAsInts();
                float da0 = d[d0 + b];
                accE0 = ((FloatVector) x0.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sE.mul(da0), accE0);
                accO0 = ((FloatVector) x0.lanewise(ASHR, 16).convert(I2F, 0)).fma(sO.mul(da0), accO0);
                acc0 = ShortVector.broadcast(S256, bias[d0 + Math.min(b + 1, nb - 1)]);
                IntVector x1 = acc1.reinterpretAsInts();
                float da1 = d[d1 + b];
                accE1 = ((FloatVector) x1.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sE.mul(da1), accE1);
                accO1 = ((FloatVector) x1.lanewise(ASHR, 16).convert(I2F, 0)).fma(sO.mul(da1), accO1);
                acc1 = ShortVector.broadcast(S256, bias[d1 + Math.min(b + 1, nb - 1)]);
                IntVector x2 = acc2.reinterpretAsInts();
                float da2 = d[d2 + b];
                accE2 = ((FloatVector) x2.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sE.mul(da2), accE2);
                accO2 = ((FloatVector) x2.lanewise(ASHR, 16).convert(I2F, 0)).fma(sO.mul(da2), accO2);
                acc2 = ShortVector.broadcast(S256, bias[d2 + Math.min(b + 1, nb - 1)]);
                IntVector x3 = acc3.reinterpretAsInts();
                float da3 = d[d3 + b];
                accE3 = ((FloatVector) x3.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sE.mul(da3), accE3);
                accO3 = ((FloatVector) x3.lanewise(ASHR, 16).convert(I2F, 0)).fma(sO.mul(da3), accO3);
                acc3 = ShortVector.broadcast(S256, bias[d3 + Math.min(b + 1, nb - 1)]);
            }
        }
        y[y0 + 0] = accE0.lane(0);
        y[y0 + 1] = accO0.lane(0);
        y[y0 + 2] = accE0.lane(1);
        y[y0 + 3] = accO0.lane(1);
        y[y0 + 4] = accE0.lane(2);
        y[y0 + 5] = accO0.lane(2);
        y[y0 + 6] = accE0.lane(3);
        y[y0 + 7] = accO0.lane(3);
        y[y0 + 8] = accE0.lane(4);
        y[y0 + 9] = accO0.lane(4);
        y[y0 + 10] = accE0.lane(5);
        y[y0 + 11] = accO0.lane(5);
        y[y0 + 12] = accE0.lane(6);
        y[y0 + 13] = accO0.lane(6);
        y[y0 + 14] = accE0.lane(7);
        y[y0 + 15] = accO0.lane(7);
        y[y1 + 0] = accE1.lane(0);
        y[y1 + 1] = accO1.lane(0);
        y[y1 + 2] = accE1.lane(1);
        y[y1 + 3] = accO1.lane(1);
        y[y1 + 4] = accE1.lane(2);
        y[y1 + 5] = accO1.lane(2);
        y[y1 + 6] = accE1.lane(3);
        y[y1 + 7] = accO1.lane(3);
        y[y1 + 8] = accE1.lane(4);
        y[y1 + 9] = accO1.lane(4);
        y[y1 + 10] = accE1.lane(5);
        y[y1 + 11] = accO1.lane(5);
        y[y1 + 12] = accE1.lane(6);
        y[y1 + 13] = accO1.lane(6);
        y[y1 + 14] = accE1.lane(7);
        y[y1 + 15] = accO1.lane(7);
        y[y2 + 0] = accE2.lane(0);
        y[y2 + 1] = accO2.lane(0);
        y[y2 + 2] = accE2.lane(1);
        y[y2 + 3] = accO2.lane(1);
        y[y2 + 4] = accE2.lane(2);
        y[y2 + 5] = accO2.lane(2);
        y[y2 + 6] = accE2.lane(3);
        y[y2 + 7] = accO2.lane(3);
        y[y2 + 8] = accE2.lane(4);
        y[y2 + 9] = accO2.lane(4);
        y[y2 + 10] = accE2.lane(5);
        y[y2 + 11] = accO2.lane(5);
        y[y2 + 12] = accE2.lane(6);
        y[y2 + 13] = accO2.lane(6);
        y[y2 + 14] = accE2.lane(7);
        y[y2 + 15] = accO2.lane(7);
        y[y3 + 0] = accE3.lane(0);
        y[y3 + 1] = accO3.lane(0);
        y[y3 + 2] = accE3.lane(1);
        y[y3 + 3] = accO3.lane(1);
        y[y3 + 4] = accE3.lane(2);
        y[y3 + 5] = accO3.lane(2);
        y[y3 + 6] = accE3.lane(3);
        y[y3 + 7] = accO3.lane(3);
        y[y3 + 8] = accE3.lane(4);
        y[y3 + 9] = accO3.lane(4);
        y[y3 + 10] = accE3.lane(5);
        y[y3 + 11] = accO3.lane(5);
        y[y3 + 12] = accE3.lane(6);
        y[y3 + 13] = accO3.lane(6);
        y[y3 + 14] = accE3.lane(7);
        y[y3 + 15] = accO3.lane(7);
    }

    /** 1 token(s) x 16 rows at 128 bits, both halves per step: group at {@code go}, 2 byte columns per step. */
    private static void x16t1w128(MemorySegment w, long go, int nb, int[] tb, int tb0, float[] d, short[] bias, int d0, float[] y, int y0) {
        FloatVector accE0l = FloatVector.zero(F128);
        FloatVector accO0l = FloatVector.zero(F128);
        ShortVector acc0l = ShortVector.broadcast(S128, bias[d0]);
        FloatVector accE0h = FloatVector.zero(F128);
        FloatVector accO0h = FloatVector.zero(F128);
        ShortVector acc0h = ShortVector.broadcast(S128, bias[d0]);
        long q0 = go + (long) BlockQ4_0x16.SCALES_SIZE * nb;
        for (int i = 0; i < 8 * nb; i++) {
            long q = q0 + 32L * i;
            int a = 2 * (i % 8) + 32 * (i / 8);
            ShortVector c000 = IntVector.broadcast(I128, tb[tb0 + a + 0]).reinterpretAsShorts();
            ShortVector c001 = IntVector.broadcast(I128, tb[tb0 + a + 16]).reinterpretAsShorts();
            ShortVector s0l = (ShortVector) ByteVector.fromMemorySegment(B64, w, q + 0, LE).convertShape(B2S, S128, 0);
            ShortVector h0l = s0l.lanewise(ASHR, 4);
            acc0l = acc0l.add(s0l.mul(c000).add(h0l.mul(c001)));
            ShortVector s0h = (ShortVector) ByteVector.fromMemorySegment(B64, w, q + 8, LE).convertShape(B2S, S128, 0);
            ShortVector h0h = s0h.lanewise(ASHR, 4);
            acc0h = acc0h.add(s0h.mul(c000).add(h0h.mul(c001)));
            ShortVector c010 = IntVector.broadcast(I128, tb[tb0 + a + 1]).reinterpretAsShorts();
            ShortVector c011 = IntVector.broadcast(I128, tb[tb0 + a + 17]).reinterpretAsShorts();
            ShortVector s1l = (ShortVector) ByteVector.fromMemorySegment(B64, w, q + 16, LE).convertShape(B2S, S128, 0);
            ShortVector h1l = s1l.lanewise(ASHR, 4);
            acc0l = acc0l.add(s1l.mul(c010).add(h1l.mul(c011)));
            ShortVector s1h = (ShortVector) ByteVector.fromMemorySegment(B64, w, q + 24, LE).convertShape(B2S, S128, 0);
            ShortVector h1h = s1h.lanewise(ASHR, 4);
            acc0h = acc0h.add(s1h.mul(c010).add(h1h.mul(c011)));
            if ((i & 7) == 7) {
                int b = i / 8;
                long so = go + (long) BlockQ4_0x16.SCALES_SIZE * b;
                IntVector hEl = (IntVector) ShortVector.fromMemorySegment(S64, w, so + 0, LE).convertShape(S2I, I128, 0);
                FloatVector sEl = hEl.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hEl.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                IntVector hOl = (IntVector) ShortVector.fromMemorySegment(S64, w, so + 16, LE).convertShape(S2I, I128, 0);
                FloatVector sOl = hOl.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hOl.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                IntVector hEh = (IntVector) ShortVector.fromMemorySegment(S64, w, so + 8, LE).convertShape(S2I, I128, 0);
                FloatVector sEh = hEh.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hEh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                IntVector hOh = (IntVector) ShortVector.fromMemorySegment(S64, w, so + 24, LE).convertShape(S2I, I128, 0);
                FloatVector sOh = hOh.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hOh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                float da0 = d[d0 + b];
                IntVector x0l = acc0l.reinterpretAsInts();
                accE0l = ((FloatVector) x0l.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sEl.mul(da0), accE0l);
                accO0l = ((FloatVector) x0l.lanewise(ASHR, 16).convert(I2F, 0)).fma(sOl.mul(da0), accO0l);
                IntVector x0h = acc0h.reinterpretAsInts();
                accE0h = ((FloatVector) x0h.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sEh.mul(da0), accE0h);
                accO0h = ((FloatVector) x0h.lanewise(ASHR, 16).convert(I2F, 0)).fma(sOh.mul(da0), accO0h);
                short next0 = bias[d0 + Math.min(b + 1, nb - 1)];
                acc0l = ShortVector.broadcast(S128, next0);
                acc0h = ShortVector.broadcast(S128, next0);
            }
        }
        y[y0 + 0] = accE0l.lane(0);
        y[y0 + 1] = accO0l.lane(0);
        y[y0 + 2] = accE0l.lane(1);
        y[y0 + 3] = accO0l.lane(1);
        y[y0 + 4] = accE0l.lane(2);
        y[y0 + 5] = accO0l.lane(2);
        y[y0 + 6] = accE0l.lane(3);
        y[y0 + 7] = accO0l.lane(3);
        y[y0 + 8] = accE0h.lane(0);
        y[y0 + 9] = accO0h.lane(0);
        y[y0 + 10] = accE0h.lane(1);
        y[y0 + 11] = accO0h.lane(1);
        y[y0 + 12] = accE0h.lane(2);
        y[y0 + 13] = accO0h.lane(2);
        y[y0 + 14] = accE0h.lane(3);
        y[y0 + 15] = accO0h.lane(3);
    }

    /** 2 token(s) x 16 rows at 128 bits: group at {@code go}, 4 byte columns per step. */
    private static void x16t2w128(MemorySegment w, long go, int nb, int[] tb, int tb0, int tb1, float[] d, short[] bias, int d0, int d1, float[] y, int y0, int y1) {
        for (int h = 0; h < 16; h += 8) {
            FloatVector accE0 = FloatVector.zero(F128);
            FloatVector accO0 = FloatVector.zero(F128);
            ShortVector acc0 = ShortVector.broadcast(S128, bias[d0]);
            FloatVector accE1 = FloatVector.zero(F128);
            FloatVector accO1 = FloatVector.zero(F128);
            ShortVector acc1 = ShortVector.broadcast(S128, bias[d1]);
            long q0 = go + (long) BlockQ4_0x16.SCALES_SIZE * nb;
            for (int i = 0; i < 4 * nb; i++) {
                long q = q0 + 64L * i + h;
                int a = 4 * (i % 4) + 32 * (i / 4);
                ShortVector s0 = (ShortVector) ByteVector.fromMemorySegment(B64, w, q + 0, LE).convertShape(B2S, S128, 0);
                ShortVector h0 = s0.lanewise(ASHR, 4);
                acc0 = acc0.add(s0.mul(IntVector.broadcast(I128, tb[tb0 + a + 0]).reinterpretAsShorts()).add(h0.mul(IntVector.broadcast(I128, tb[tb0 + a + 16]).reinterpretAsShorts())));
                acc1 = acc1.add(s0.mul(IntVector.broadcast(I128, tb[tb1 + a + 0]).reinterpretAsShorts()).add(h0.mul(IntVector.broadcast(I128, tb[tb1 + a + 16]).reinterpretAsShorts())));
                ShortVector s1 = (ShortVector) ByteVector.fromMemorySegment(B64, w, q + 16, LE).convertShape(B2S, S128, 0);
                ShortVector h1 = s1.lanewise(ASHR, 4);
                acc0 = acc0.add(s1.mul(IntVector.broadcast(I128, tb[tb0 + a + 1]).reinterpretAsShorts()).add(h1.mul(IntVector.broadcast(I128, tb[tb0 + a + 17]).reinterpretAsShorts())));
                acc1 = acc1.add(s1.mul(IntVector.broadcast(I128, tb[tb1 + a + 1]).reinterpretAsShorts()).add(h1.mul(IntVector.broadcast(I128, tb[tb1 + a + 17]).reinterpretAsShorts())));
                ShortVector s2 = (ShortVector) ByteVector.fromMemorySegment(B64, w, q + 32, LE).convertShape(B2S, S128, 0);
                ShortVector h2 = s2.lanewise(ASHR, 4);
                acc0 = acc0.add(s2.mul(IntVector.broadcast(I128, tb[tb0 + a + 2]).reinterpretAsShorts()).add(h2.mul(IntVector.broadcast(I128, tb[tb0 + a + 18]).reinterpretAsShorts())));
                acc1 = acc1.add(s2.mul(IntVector.broadcast(I128, tb[tb1 + a + 2]).reinterpretAsShorts()).add(h2.mul(IntVector.broadcast(I128, tb[tb1 + a + 18]).reinterpretAsShorts())));
                ShortVector s3 = (ShortVector) ByteVector.fromMemorySegment(B64, w, q + 48, LE).convertShape(B2S, S128, 0);
                ShortVector h3 = s3.lanewise(ASHR, 4);
                acc0 = acc0.add(s3.mul(IntVector.broadcast(I128, tb[tb0 + a + 3]).reinterpretAsShorts()).add(h3.mul(IntVector.broadcast(I128, tb[tb0 + a + 19]).reinterpretAsShorts())));
                acc1 = acc1.add(s3.mul(IntVector.broadcast(I128, tb[tb1 + a + 3]).reinterpretAsShorts()).add(h3.mul(IntVector.broadcast(I128, tb[tb1 + a + 19]).reinterpretAsShorts())));
                if ((i & 3) == 3) {
                    int b = i / 4;
                    long so = go + (long) BlockQ4_0x16.SCALES_SIZE * b;
                    IntVector hE = (IntVector) ShortVector.fromMemorySegment(S64, w, so + h, LE).convertShape(S2I, I128, 0);
                    FloatVector sE = hE.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                            .reinterpretAsInts().or(hE.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                    IntVector hO = (IntVector) ShortVector.fromMemorySegment(S64, w, so + 16 + h, LE).convertShape(S2I, I128, 0);
                    FloatVector sO = hO.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                            .reinterpretAsInts().or(hO.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                    IntVector x0 = acc0.reinterpretAsInts();
                    float da0 = d[d0 + b];
                    accE0 = ((FloatVector) x0.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sE.mul(da0), accE0);
                    accO0 = ((FloatVector) x0.lanewise(ASHR, 16).convert(I2F, 0)).fma(sO.mul(da0), accO0);
                    acc0 = ShortVector.broadcast(S128, bias[d0 + Math.min(b + 1, nb - 1)]);
                    IntVector x1 = acc1.reinterpretAsInts();
                    float da1 = d[d1 + b];
                    accE1 = ((FloatVector) x1.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sE.mul(da1), accE1);
                    accO1 = ((FloatVector) x1.lanewise(ASHR, 16).convert(I2F, 0)).fma(sO.mul(da1), accO1);
                    acc1 = ShortVector.broadcast(S128, bias[d1 + Math.min(b + 1, nb - 1)]);
                }
            }
            y[y0 + h + 0] = accE0.lane(0);
            y[y0 + h + 1] = accO0.lane(0);
            y[y0 + h + 2] = accE0.lane(1);
            y[y0 + h + 3] = accO0.lane(1);
            y[y0 + h + 4] = accE0.lane(2);
            y[y0 + h + 5] = accO0.lane(2);
            y[y0 + h + 6] = accE0.lane(3);
            y[y0 + h + 7] = accO0.lane(3);
            y[y1 + h + 0] = accE1.lane(0);
            y[y1 + h + 1] = accO1.lane(0);
            y[y1 + h + 2] = accE1.lane(1);
            y[y1 + h + 3] = accO1.lane(1);
            y[y1 + h + 4] = accE1.lane(2);
            y[y1 + h + 5] = accO1.lane(2);
            y[y1 + h + 6] = accE1.lane(3);
            y[y1 + h + 7] = accO1.lane(3);
        }
    }

    /** 4 token(s) x 16 rows at 128 bits: group at {@code go}, 2 byte columns per step. */
    private static void x16t4w128(MemorySegment w, long go, int nb, int[] tb, int tb0, int tb1, int tb2, int tb3, float[] d, short[] bias, int d0, int d1, int d2, int d3, float[] y, int y0, int y1, int y2, int y3) {
        for (int h = 0; h < 16; h += 8) {
            FloatVector accE0 = FloatVector.zero(F128);
            FloatVector accO0 = FloatVector.zero(F128);
            ShortVector acc0 = ShortVector.broadcast(S128, bias[d0]);
            FloatVector accE1 = FloatVector.zero(F128);
            FloatVector accO1 = FloatVector.zero(F128);
            ShortVector acc1 = ShortVector.broadcast(S128, bias[d1]);
            FloatVector accE2 = FloatVector.zero(F128);
            FloatVector accO2 = FloatVector.zero(F128);
            ShortVector acc2 = ShortVector.broadcast(S128, bias[d2]);
            FloatVector accE3 = FloatVector.zero(F128);
            FloatVector accO3 = FloatVector.zero(F128);
            ShortVector acc3 = ShortVector.broadcast(S128, bias[d3]);
            long q0 = go + (long) BlockQ4_0x16.SCALES_SIZE * nb;
            for (int i = 0; i < 8 * nb; i++) {
                long q = q0 + 32L * i + h;
                int a = 2 * (i % 8) + 32 * (i / 8);
                ShortVector s0 = (ShortVector) ByteVector.fromMemorySegment(B64, w, q + 0, LE).convertShape(B2S, S128, 0);
                ShortVector h0 = s0.lanewise(ASHR, 4);
                acc0 = acc0.add(s0.mul(IntVector.broadcast(I128, tb[tb0 + a + 0]).reinterpretAsShorts()).add(h0.mul(IntVector.broadcast(I128, tb[tb0 + a + 16]).reinterpretAsShorts())));
                acc1 = acc1.add(s0.mul(IntVector.broadcast(I128, tb[tb1 + a + 0]).reinterpretAsShorts()).add(h0.mul(IntVector.broadcast(I128, tb[tb1 + a + 16]).reinterpretAsShorts())));
                acc2 = acc2.add(s0.mul(IntVector.broadcast(I128, tb[tb2 + a + 0]).reinterpretAsShorts()).add(h0.mul(IntVector.broadcast(I128, tb[tb2 + a + 16]).reinterpretAsShorts())));
                acc3 = acc3.add(s0.mul(IntVector.broadcast(I128, tb[tb3 + a + 0]).reinterpretAsShorts()).add(h0.mul(IntVector.broadcast(I128, tb[tb3 + a + 16]).reinterpretAsShorts())));
                ShortVector s1 = (ShortVector) ByteVector.fromMemorySegment(B64, w, q + 16, LE).convertShape(B2S, S128, 0);
                ShortVector h1 = s1.lanewise(ASHR, 4);
                acc0 = acc0.add(s1.mul(IntVector.broadcast(I128, tb[tb0 + a + 1]).reinterpretAsShorts()).add(h1.mul(IntVector.broadcast(I128, tb[tb0 + a + 17]).reinterpretAsShorts())));
                acc1 = acc1.add(s1.mul(IntVector.broadcast(I128, tb[tb1 + a + 1]).reinterpretAsShorts()).add(h1.mul(IntVector.broadcast(I128, tb[tb1 + a + 17]).reinterpretAsShorts())));
                acc2 = acc2.add(s1.mul(IntVector.broadcast(I128, tb[tb2 + a + 1]).reinterpretAsShorts()).add(h1.mul(IntVector.broadcast(I128, tb[tb2 + a + 17]).reinterpretAsShorts())));
                acc3 = acc3.add(s1.mul(IntVector.broadcast(I128, tb[tb3 + a + 1]).reinterpretAsShorts()).add(h1.mul(IntVector.broadcast(I128, tb[tb3 + a + 17]).reinterpretAsShorts())));
                if ((i & 7) == 7) {
                    int b = i / 8;
                    long so = go + (long) BlockQ4_0x16.SCALES_SIZE * b;
                    IntVector hE = (IntVector) ShortVector.fromMemorySegment(S64, w, so + h, LE).convertShape(S2I, I128, 0);
                    FloatVector sE = hE.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                            .reinterpretAsInts().or(hE.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                    IntVector hO = (IntVector) ShortVector.fromMemorySegment(S64, w, so + 16 + h, LE).convertShape(S2I, I128, 0);
                    FloatVector sO = hO.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                            .reinterpretAsInts().or(hO.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                    IntVector x0 = acc0.reinterpretAsInts();
                    float da0 = d[d0 + b];
                    accE0 = ((FloatVector) x0.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sE.mul(da0), accE0);
                    accO0 = ((FloatVector) x0.lanewise(ASHR, 16).convert(I2F, 0)).fma(sO.mul(da0), accO0);
                    acc0 = ShortVector.broadcast(S128, bias[d0 + Math.min(b + 1, nb - 1)]);
                    IntVector x1 = acc1.reinterpretAsInts();
                    float da1 = d[d1 + b];
                    accE1 = ((FloatVector) x1.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sE.mul(da1), accE1);
                    accO1 = ((FloatVector) x1.lanewise(ASHR, 16).convert(I2F, 0)).fma(sO.mul(da1), accO1);
                    acc1 = ShortVector.broadcast(S128, bias[d1 + Math.min(b + 1, nb - 1)]);
                    IntVector x2 = acc2.reinterpretAsInts();
                    float da2 = d[d2 + b];
                    accE2 = ((FloatVector) x2.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sE.mul(da2), accE2);
                    accO2 = ((FloatVector) x2.lanewise(ASHR, 16).convert(I2F, 0)).fma(sO.mul(da2), accO2);
                    acc2 = ShortVector.broadcast(S128, bias[d2 + Math.min(b + 1, nb - 1)]);
                    IntVector x3 = acc3.reinterpretAsInts();
                    float da3 = d[d3 + b];
                    accE3 = ((FloatVector) x3.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sE.mul(da3), accE3);
                    accO3 = ((FloatVector) x3.lanewise(ASHR, 16).convert(I2F, 0)).fma(sO.mul(da3), accO3);
                    acc3 = ShortVector.broadcast(S128, bias[d3 + Math.min(b + 1, nb - 1)]);
                }
            }
            y[y0 + h + 0] = accE0.lane(0);
            y[y0 + h + 1] = accO0.lane(0);
            y[y0 + h + 2] = accE0.lane(1);
            y[y0 + h + 3] = accO0.lane(1);
            y[y0 + h + 4] = accE0.lane(2);
            y[y0 + h + 5] = accO0.lane(2);
            y[y0 + h + 6] = accE0.lane(3);
            y[y0 + h + 7] = accO0.lane(3);
            y[y1 + h + 0] = accE1.lane(0);
            y[y1 + h + 1] = accO1.lane(0);
            y[y1 + h + 2] = accE1.lane(1);
            y[y1 + h + 3] = accO1.lane(1);
            y[y1 + h + 4] = accE1.lane(2);
            y[y1 + h + 5] = accO1.lane(2);
            y[y1 + h + 6] = accE1.lane(3);
            y[y1 + h + 7] = accO1.lane(3);
            y[y2 + h + 0] = accE2.lane(0);
            y[y2 + h + 1] = accO2.lane(0);
            y[y2 + h + 2] = accE2.lane(1);
            y[y2 + h + 3] = accO2.lane(1);
            y[y2 + h + 4] = accE2.lane(2);
            y[y2 + h + 5] = accO2.lane(2);
            y[y2 + h + 6] = accE2.lane(3);
            y[y2 + h + 7] = accO2.lane(3);
            y[y3 + h + 0] = accE3.lane(0);
            y[y3 + h + 1] = accO3.lane(0);
            y[y3 + h + 2] = accE3.lane(1);
            y[y3 + h + 3] = accO3.lane(1);
            y[y3 + h + 4] = accE3.lane(2);
            y[y3 + h + 5] = accO3.lane(2);
            y[y3 + h + 6] = accE3.lane(3);
            y[y3 + h + 7] = accO3.lane(3);
        }
    }

    /** 1 token(s) x 32 rows at 512 bits: group at {@code go}, 8 byte columns per step. */
    private static void x32t1(MemorySegment w, long go, int nb, int[] tb, int tb0, float[] d, short[] bias, int d0, float[] y, int y0) {
        FloatVector accE0 = FloatVector.zero(F512);
        FloatVector accO0 = FloatVector.zero(F512);
        ShortVector acc0 = ShortVector.broadcast(S512, bias[d0]);
        long q0 = go + (long) BlockQ4_0x32.SCALES_SIZE * nb;
        for (int i = 0; i < 2 * nb; i++) {
            long q = q0 + 256L * i;
            int a = 8 * (i % 2) + 32 * (i / 2);
            ShortVector s0 = (ShortVector) ByteVector.fromMemorySegment(B256, w, q + 0, LE).convertShape(B2S, S512, 0);
            ShortVector h0 = s0.lanewise(ASHR, 4);
            acc0 = acc0.add(s0.mul(IntVector.broadcast(I512, tb[tb0 + a + 0]).reinterpretAsShorts()).add(h0.mul(IntVector.broadcast(I512, tb[tb0 + a + 16]).reinterpretAsShorts())));
            ShortVector s1 = (ShortVector) ByteVector.fromMemorySegment(B256, w, q + 32, LE).convertShape(B2S, S512, 0);
            ShortVector h1 = s1.lanewise(ASHR, 4);
            acc0 = acc0.add(s1.mul(IntVector.broadcast(I512, tb[tb0 + a + 1]).reinterpretAsShorts()).add(h1.mul(IntVector.broadcast(I512, tb[tb0 + a + 17]).reinterpretAsShorts())));
            ShortVector s2 = (ShortVector) ByteVector.fromMemorySegment(B256, w, q + 64, LE).convertShape(B2S, S512, 0);
            ShortVector h2 = s2.lanewise(ASHR, 4);
            acc0 = acc0.add(s2.mul(IntVector.broadcast(I512, tb[tb0 + a + 2]).reinterpretAsShorts()).add(h2.mul(IntVector.broadcast(I512, tb[tb0 + a + 18]).reinterpretAsShorts())));
            ShortVector s3 = (ShortVector) ByteVector.fromMemorySegment(B256, w, q + 96, LE).convertShape(B2S, S512, 0);
            ShortVector h3 = s3.lanewise(ASHR, 4);
            acc0 = acc0.add(s3.mul(IntVector.broadcast(I512, tb[tb0 + a + 3]).reinterpretAsShorts()).add(h3.mul(IntVector.broadcast(I512, tb[tb0 + a + 19]).reinterpretAsShorts())));
            ShortVector s4 = (ShortVector) ByteVector.fromMemorySegment(B256, w, q + 128, LE).convertShape(B2S, S512, 0);
            ShortVector h4 = s4.lanewise(ASHR, 4);
            acc0 = acc0.add(s4.mul(IntVector.broadcast(I512, tb[tb0 + a + 4]).reinterpretAsShorts()).add(h4.mul(IntVector.broadcast(I512, tb[tb0 + a + 20]).reinterpretAsShorts())));
            ShortVector s5 = (ShortVector) ByteVector.fromMemorySegment(B256, w, q + 160, LE).convertShape(B2S, S512, 0);
            ShortVector h5 = s5.lanewise(ASHR, 4);
            acc0 = acc0.add(s5.mul(IntVector.broadcast(I512, tb[tb0 + a + 5]).reinterpretAsShorts()).add(h5.mul(IntVector.broadcast(I512, tb[tb0 + a + 21]).reinterpretAsShorts())));
            ShortVector s6 = (ShortVector) ByteVector.fromMemorySegment(B256, w, q + 192, LE).convertShape(B2S, S512, 0);
            ShortVector h6 = s6.lanewise(ASHR, 4);
            acc0 = acc0.add(s6.mul(IntVector.broadcast(I512, tb[tb0 + a + 6]).reinterpretAsShorts()).add(h6.mul(IntVector.broadcast(I512, tb[tb0 + a + 22]).reinterpretAsShorts())));
            ShortVector s7 = (ShortVector) ByteVector.fromMemorySegment(B256, w, q + 224, LE).convertShape(B2S, S512, 0);
            ShortVector h7 = s7.lanewise(ASHR, 4);
            acc0 = acc0.add(s7.mul(IntVector.broadcast(I512, tb[tb0 + a + 7]).reinterpretAsShorts()).add(h7.mul(IntVector.broadcast(I512, tb[tb0 + a + 23]).reinterpretAsShorts())));
            if ((i & 1) == 1) {
                int b = i / 2;
                long so = go + (long) BlockQ4_0x32.SCALES_SIZE * b;
                IntVector hE = (IntVector) ShortVector.fromMemorySegment(S256, w, so, LE).convertShape(S2I, I512, 0);
                FloatVector sE = hE.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hE.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                IntVector hO = (IntVector) ShortVector.fromMemorySegment(S256, w, so + 32, LE).convertShape(S2I, I512, 0);
                FloatVector sO = hO.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hO.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                IntVector x0 = acc0.reinterpretAsInts();
                float da0 = d[d0 + b];
                accE0 = ((FloatVector) x0.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sE.mul(da0), accE0);
                accO0 = ((FloatVector) x0.lanewise(ASHR, 16).convert(I2F, 0)).fma(sO.mul(da0), accO0);
                acc0 = ShortVector.broadcast(S512, bias[d0 + Math.min(b + 1, nb - 1)]);
            }
        }
        y[y0 + 0] = accE0.lane(0);
        y[y0 + 1] = accO0.lane(0);
        y[y0 + 2] = accE0.lane(1);
        y[y0 + 3] = accO0.lane(1);
        y[y0 + 4] = accE0.lane(2);
        y[y0 + 5] = accO0.lane(2);
        y[y0 + 6] = accE0.lane(3);
        y[y0 + 7] = accO0.lane(3);
        y[y0 + 8] = accE0.lane(4);
        y[y0 + 9] = accO0.lane(4);
        y[y0 + 10] = accE0.lane(5);
        y[y0 + 11] = accO0.lane(5);
        y[y0 + 12] = accE0.lane(6);
        y[y0 + 13] = accO0.lane(6);
        y[y0 + 14] = accE0.lane(7);
        y[y0 + 15] = accO0.lane(7);
        y[y0 + 16] = accE0.lane(8);
        y[y0 + 17] = accO0.lane(8);
        y[y0 + 18] = accE0.lane(9);
        y[y0 + 19] = accO0.lane(9);
        y[y0 + 20] = accE0.lane(10);
        y[y0 + 21] = accO0.lane(10);
        y[y0 + 22] = accE0.lane(11);
        y[y0 + 23] = accO0.lane(11);
        y[y0 + 24] = accE0.lane(12);
        y[y0 + 25] = accO0.lane(12);
        y[y0 + 26] = accE0.lane(13);
        y[y0 + 27] = accO0.lane(13);
        y[y0 + 28] = accE0.lane(14);
        y[y0 + 29] = accO0.lane(14);
        y[y0 + 30] = accE0.lane(15);
        y[y0 + 31] = accO0.lane(15);
    }

    /** 2 token(s) x 32 rows at 512 bits: group at {@code go}, 4 byte columns per step. */
    private static void x32t2(MemorySegment w, long go, int nb, int[] tb, int tb0, int tb1, float[] d, short[] bias, int d0, int d1, float[] y, int y0, int y1) {
        FloatVector accE0 = FloatVector.zero(F512);
        FloatVector accO0 = FloatVector.zero(F512);
        ShortVector acc0 = ShortVector.broadcast(S512, bias[d0]);
        FloatVector accE1 = FloatVector.zero(F512);
        FloatVector accO1 = FloatVector.zero(F512);
        ShortVector acc1 = ShortVector.broadcast(S512, bias[d1]);
        long q0 = go + (long) BlockQ4_0x32.SCALES_SIZE * nb;
        for (int i = 0; i < 4 * nb; i++) {
            long q = q0 + 128L * i;
            int a = 4 * (i % 4) + 32 * (i / 4);
            ShortVector s0 = (ShortVector) ByteVector.fromMemorySegment(B256, w, q + 0, LE).convertShape(B2S, S512, 0);
            ShortVector h0 = s0.lanewise(ASHR, 4);
            acc0 = acc0.add(s0.mul(IntVector.broadcast(I512, tb[tb0 + a + 0]).reinterpretAsShorts()).add(h0.mul(IntVector.broadcast(I512, tb[tb0 + a + 16]).reinterpretAsShorts())));
            acc1 = acc1.add(s0.mul(IntVector.broadcast(I512, tb[tb1 + a + 0]).reinterpretAsShorts()).add(h0.mul(IntVector.broadcast(I512, tb[tb1 + a + 16]).reinterpretAsShorts())));
            ShortVector s1 = (ShortVector) ByteVector.fromMemorySegment(B256, w, q + 32, LE).convertShape(B2S, S512, 0);
            ShortVector h1 = s1.lanewise(ASHR, 4);
            acc0 = acc0.add(s1.mul(IntVector.broadcast(I512, tb[tb0 + a + 1]).reinterpretAsShorts()).add(h1.mul(IntVector.broadcast(I512, tb[tb0 + a + 17]).reinterpretAsShorts())));
            acc1 = acc1.add(s1.mul(IntVector.broadcast(I512, tb[tb1 + a + 1]).reinterpretAsShorts()).add(h1.mul(IntVector.broadcast(I512, tb[tb1 + a + 17]).reinterpretAsShorts())));
            ShortVector s2 = (ShortVector) ByteVector.fromMemorySegment(B256, w, q + 64, LE).convertShape(B2S, S512, 0);
            ShortVector h2 = s2.lanewise(ASHR, 4);
            acc0 = acc0.add(s2.mul(IntVector.broadcast(I512, tb[tb0 + a + 2]).reinterpretAsShorts()).add(h2.mul(IntVector.broadcast(I512, tb[tb0 + a + 18]).reinterpretAsShorts())));
            acc1 = acc1.add(s2.mul(IntVector.broadcast(I512, tb[tb1 + a + 2]).reinterpretAsShorts()).add(h2.mul(IntVector.broadcast(I512, tb[tb1 + a + 18]).reinterpretAsShorts())));
            ShortVector s3 = (ShortVector) ByteVector.fromMemorySegment(B256, w, q + 96, LE).convertShape(B2S, S512, 0);
            ShortVector h3 = s3.lanewise(ASHR, 4);
            acc0 = acc0.add(s3.mul(IntVector.broadcast(I512, tb[tb0 + a + 3]).reinterpretAsShorts()).add(h3.mul(IntVector.broadcast(I512, tb[tb0 + a + 19]).reinterpretAsShorts())));
            acc1 = acc1.add(s3.mul(IntVector.broadcast(I512, tb[tb1 + a + 3]).reinterpretAsShorts()).add(h3.mul(IntVector.broadcast(I512, tb[tb1 + a + 19]).reinterpretAsShorts())));
            if ((i & 3) == 3) {
                int b = i / 4;
                long so = go + (long) BlockQ4_0x32.SCALES_SIZE * b;
                IntVector hE = (IntVector) ShortVector.fromMemorySegment(S256, w, so, LE).convertShape(S2I, I512, 0);
                FloatVector sE = hE.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hE.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                IntVector hO = (IntVector) ShortVector.fromMemorySegment(S256, w, so + 32, LE).convertShape(S2I, I512, 0);
                FloatVector sO = hO.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hO.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                IntVector x0 = acc0.reinterpretAsInts();
                float da0 = d[d0 + b];
                accE0 = ((FloatVector) x0.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sE.mul(da0), accE0);
                accO0 = ((FloatVector) x0.lanewise(ASHR, 16).convert(I2F, 0)).fma(sO.mul(da0), accO0);
                acc0 = ShortVector.broadcast(S512, bias[d0 + Math.min(b + 1, nb - 1)]);
                IntVector x1 = acc1.reinterpretAsInts();
                float da1 = d[d1 + b];
                accE1 = ((FloatVector) x1.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sE.mul(da1), accE1);
                accO1 = ((FloatVector) x1.lanewise(ASHR, 16).convert(I2F, 0)).fma(sO.mul(da1), accO1);
                acc1 = ShortVector.broadcast(S512, bias[d1 + Math.min(b + 1, nb - 1)]);
            }
        }
        y[y0 + 0] = accE0.lane(0);
        y[y0 + 1] = accO0.lane(0);
        y[y0 + 2] = accE0.lane(1);
        y[y0 + 3] = accO0.lane(1);
        y[y0 + 4] = accE0.lane(2);
        y[y0 + 5] = accO0.lane(2);
        y[y0 + 6] = accE0.lane(3);
        y[y0 + 7] = accO0.lane(3);
        y[y0 + 8] = accE0.lane(4);
        y[y0 + 9] = accO0.lane(4);
        y[y0 + 10] = accE0.lane(5);
        y[y0 + 11] = accO0.lane(5);
        y[y0 + 12] = accE0.lane(6);
        y[y0 + 13] = accO0.lane(6);
        y[y0 + 14] = accE0.lane(7);
        y[y0 + 15] = accO0.lane(7);
        y[y0 + 16] = accE0.lane(8);
        y[y0 + 17] = accO0.lane(8);
        y[y0 + 18] = accE0.lane(9);
        y[y0 + 19] = accO0.lane(9);
        y[y0 + 20] = accE0.lane(10);
        y[y0 + 21] = accO0.lane(10);
        y[y0 + 22] = accE0.lane(11);
        y[y0 + 23] = accO0.lane(11);
        y[y0 + 24] = accE0.lane(12);
        y[y0 + 25] = accO0.lane(12);
        y[y0 + 26] = accE0.lane(13);
        y[y0 + 27] = accO0.lane(13);
        y[y0 + 28] = accE0.lane(14);
        y[y0 + 29] = accO0.lane(14);
        y[y0 + 30] = accE0.lane(15);
        y[y0 + 31] = accO0.lane(15);
        y[y1 + 0] = accE1.lane(0);
        y[y1 + 1] = accO1.lane(0);
        y[y1 + 2] = accE1.lane(1);
        y[y1 + 3] = accO1.lane(1);
        y[y1 + 4] = accE1.lane(2);
        y[y1 + 5] = accO1.lane(2);
        y[y1 + 6] = accE1.lane(3);
        y[y1 + 7] = accO1.lane(3);
        y[y1 + 8] = accE1.lane(4);
        y[y1 + 9] = accO1.lane(4);
        y[y1 + 10] = accE1.lane(5);
        y[y1 + 11] = accO1.lane(5);
        y[y1 + 12] = accE1.lane(6);
        y[y1 + 13] = accO1.lane(6);
        y[y1 + 14] = accE1.lane(7);
        y[y1 + 15] = accO1.lane(7);
        y[y1 + 16] = accE1.lane(8);
        y[y1 + 17] = accO1.lane(8);
        y[y1 + 18] = accE1.lane(9);
        y[y1 + 19] = accO1.lane(9);
        y[y1 + 20] = accE1.lane(10);
        y[y1 + 21] = accO1.lane(10);
        y[y1 + 22] = accE1.lane(11);
        y[y1 + 23] = accO1.lane(11);
        y[y1 + 24] = accE1.lane(12);
        y[y1 + 25] = accO1.lane(12);
        y[y1 + 26] = accE1.lane(13);
        y[y1 + 27] = accO1.lane(13);
        y[y1 + 28] = accE1.lane(14);
        y[y1 + 29] = accO1.lane(14);
        y[y1 + 30] = accE1.lane(15);
        y[y1 + 31] = accO1.lane(15);
    }

    /** 4 token(s) x 32 rows at 512 bits: group at {@code go}, 4 byte columns per step. */
    private static void x32t4(MemorySegment w, long go, int nb, int[] tb, int tb0, int tb1, int tb2, int tb3, float[] d, short[] bias, int d0, int d1, int d2, int d3, float[] y, int y0, int y1, int y2, int y3) {
        FloatVector accE0 = FloatVector.zero(F512);
        FloatVector accO0 = FloatVector.zero(F512);
        ShortVector acc0 = ShortVector.broadcast(S512, bias[d0]);
        FloatVector accE1 = FloatVector.zero(F512);
        FloatVector accO1 = FloatVector.zero(F512);
        ShortVector acc1 = ShortVector.broadcast(S512, bias[d1]);
        FloatVector accE2 = FloatVector.zero(F512);
        FloatVector accO2 = FloatVector.zero(F512);
        ShortVector acc2 = ShortVector.broadcast(S512, bias[d2]);
        FloatVector accE3 = FloatVector.zero(F512);
        FloatVector accO3 = FloatVector.zero(F512);
        ShortVector acc3 = ShortVector.broadcast(S512, bias[d3]);
        long q0 = go + (long) BlockQ4_0x32.SCALES_SIZE * nb;
        for (int i = 0; i < 4 * nb; i++) {
            long q = q0 + 128L * i;
            int a = 4 * (i % 4) + 32 * (i / 4);
            ShortVector s0 = (ShortVector) ByteVector.fromMemorySegment(B256, w, q + 0, LE).convertShape(B2S, S512, 0);
            ShortVector h0 = s0.lanewise(ASHR, 4);
            acc0 = acc0.add(s0.mul(IntVector.broadcast(I512, tb[tb0 + a + 0]).reinterpretAsShorts()).add(h0.mul(IntVector.broadcast(I512, tb[tb0 + a + 16]).reinterpretAsShorts())));
            acc1 = acc1.add(s0.mul(IntVector.broadcast(I512, tb[tb1 + a + 0]).reinterpretAsShorts()).add(h0.mul(IntVector.broadcast(I512, tb[tb1 + a + 16]).reinterpretAsShorts())));
            acc2 = acc2.add(s0.mul(IntVector.broadcast(I512, tb[tb2 + a + 0]).reinterpretAsShorts()).add(h0.mul(IntVector.broadcast(I512, tb[tb2 + a + 16]).reinterpretAsShorts())));
            acc3 = acc3.add(s0.mul(IntVector.broadcast(I512, tb[tb3 + a + 0]).reinterpretAsShorts()).add(h0.mul(IntVector.broadcast(I512, tb[tb3 + a + 16]).reinterpretAsShorts())));
            ShortVector s1 = (ShortVector) ByteVector.fromMemorySegment(B256, w, q + 32, LE).convertShape(B2S, S512, 0);
            ShortVector h1 = s1.lanewise(ASHR, 4);
            acc0 = acc0.add(s1.mul(IntVector.broadcast(I512, tb[tb0 + a + 1]).reinterpretAsShorts()).add(h1.mul(IntVector.broadcast(I512, tb[tb0 + a + 17]).reinterpretAsShorts())));
            acc1 = acc1.add(s1.mul(IntVector.broadcast(I512, tb[tb1 + a + 1]).reinterpretAsShorts()).add(h1.mul(IntVector.broadcast(I512, tb[tb1 + a + 17]).reinterpretAsShorts())));
            acc2 = acc2.add(s1.mul(IntVector.broadcast(I512, tb[tb2 + a + 1]).reinterpretAsShorts()).add(h1.mul(IntVector.broadcast(I512, tb[tb2 + a + 17]).reinterpretAsShorts())));
            acc3 = acc3.add(s1.mul(IntVector.broadcast(I512, tb[tb3 + a + 1]).reinterpretAsShorts()).add(h1.mul(IntVector.broadcast(I512, tb[tb3 + a + 17]).reinterpretAsShorts())));
            ShortVector s2 = (ShortVector) ByteVector.fromMemorySegment(B256, w, q + 64, LE).convertShape(B2S, S512, 0);
            ShortVector h2 = s2.lanewise(ASHR, 4);
            acc0 = acc0.add(s2.mul(IntVector.broadcast(I512, tb[tb0 + a + 2]).reinterpretAsShorts()).add(h2.mul(IntVector.broadcast(I512, tb[tb0 + a + 18]).reinterpretAsShorts())));
            acc1 = acc1.add(s2.mul(IntVector.broadcast(I512, tb[tb1 + a + 2]).reinterpretAsShorts()).add(h2.mul(IntVector.broadcast(I512, tb[tb1 + a + 18]).reinterpretAsShorts())));
            acc2 = acc2.add(s2.mul(IntVector.broadcast(I512, tb[tb2 + a + 2]).reinterpretAsShorts()).add(h2.mul(IntVector.broadcast(I512, tb[tb2 + a + 18]).reinterpretAsShorts())));
            acc3 = acc3.add(s2.mul(IntVector.broadcast(I512, tb[tb3 + a + 2]).reinterpretAsShorts()).add(h2.mul(IntVector.broadcast(I512, tb[tb3 + a + 18]).reinterpretAsShorts())));
            ShortVector s3 = (ShortVector) ByteVector.fromMemorySegment(B256, w, q + 96, LE).convertShape(B2S, S512, 0);
            ShortVector h3 = s3.lanewise(ASHR, 4);
            acc0 = acc0.add(s3.mul(IntVector.broadcast(I512, tb[tb0 + a + 3]).reinterpretAsShorts()).add(h3.mul(IntVector.broadcast(I512, tb[tb0 + a + 19]).reinterpretAsShorts())));
            acc1 = acc1.add(s3.mul(IntVector.broadcast(I512, tb[tb1 + a + 3]).reinterpretAsShorts()).add(h3.mul(IntVector.broadcast(I512, tb[tb1 + a + 19]).reinterpretAsShorts())));
            acc2 = acc2.add(s3.mul(IntVector.broadcast(I512, tb[tb2 + a + 3]).reinterpretAsShorts()).add(h3.mul(IntVector.broadcast(I512, tb[tb2 + a + 19]).reinterpretAsShorts())));
            acc3 = acc3.add(s3.mul(IntVector.broadcast(I512, tb[tb3 + a + 3]).reinterpretAsShorts()).add(h3.mul(IntVector.broadcast(I512, tb[tb3 + a + 19]).reinterpretAsShorts())));
            if ((i & 3) == 3) {
                int b = i / 4;
                long so = go + (long) BlockQ4_0x32.SCALES_SIZE * b;
                IntVector hE = (IntVector) ShortVector.fromMemorySegment(S256, w, so, LE).convertShape(S2I, I512, 0);
                FloatVector sE = hE.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hE.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                IntVector hO = (IntVector) ShortVector.fromMemorySegment(S256, w, so + 32, LE).convertShape(S2I, I512, 0);
                FloatVector sO = hO.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hO.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                IntVector x0 = acc0.reinterpretAsInts();
                float da0 = d[d0 + b];
                accE0 = ((FloatVector) x0.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sE.mul(da0), accE0);
                accO0 = ((FloatVector) x0.lanewise(ASHR, 16).convert(I2F, 0)).fma(sO.mul(da0), accO0);
                acc0 = ShortVector.broadcast(S512, bias[d0 + Math.min(b + 1, nb - 1)]);
                IntVector x1 = acc1.reinterpretAsInts();
                float da1 = d[d1 + b];
                accE1 = ((FloatVector) x1.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sE.mul(da1), accE1);
                accO1 = ((FloatVector) x1.lanewise(ASHR, 16).convert(I2F, 0)).fma(sO.mul(da1), accO1);
                acc1 = ShortVector.broadcast(S512, bias[d1 + Math.min(b + 1, nb - 1)]);
                IntVector x2 = acc2.reinterpretAsInts();
                float da2 = d[d2 + b];
                accE2 = ((FloatVector) x2.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sE.mul(da2), accE2);
                accO2 = ((FloatVector) x2.lanewise(ASHR, 16).convert(I2F, 0)).fma(sO.mul(da2), accO2);
                acc2 = ShortVector.broadcast(S512, bias[d2 + Math.min(b + 1, nb - 1)]);
                IntVector x3 = acc3.reinterpretAsInts();
                float da3 = d[d3 + b];
                accE3 = ((FloatVector) x3.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sE.mul(da3), accE3);
                accO3 = ((FloatVector) x3.lanewise(ASHR, 16).convert(I2F, 0)).fma(sO.mul(da3), accO3);
                acc3 = ShortVector.broadcast(S512, bias[d3 + Math.min(b + 1, nb - 1)]);
            }
        }
        y[y0 + 0] = accE0.lane(0);
        y[y0 + 1] = accO0.lane(0);
        y[y0 + 2] = accE0.lane(1);
        y[y0 + 3] = accO0.lane(1);
        y[y0 + 4] = accE0.lane(2);
        y[y0 + 5] = accO0.lane(2);
        y[y0 + 6] = accE0.lane(3);
        y[y0 + 7] = accO0.lane(3);
        y[y0 + 8] = accE0.lane(4);
        y[y0 + 9] = accO0.lane(4);
        y[y0 + 10] = accE0.lane(5);
        y[y0 + 11] = accO0.lane(5);
        y[y0 + 12] = accE0.lane(6);
        y[y0 + 13] = accO0.lane(6);
        y[y0 + 14] = accE0.lane(7);
        y[y0 + 15] = accO0.lane(7);
        y[y0 + 16] = accE0.lane(8);
        y[y0 + 17] = accO0.lane(8);
        y[y0 + 18] = accE0.lane(9);
        y[y0 + 19] = accO0.lane(9);
        y[y0 + 20] = accE0.lane(10);
        y[y0 + 21] = accO0.lane(10);
        y[y0 + 22] = accE0.lane(11);
        y[y0 + 23] = accO0.lane(11);
        y[y0 + 24] = accE0.lane(12);
        y[y0 + 25] = accO0.lane(12);
        y[y0 + 26] = accE0.lane(13);
        y[y0 + 27] = accO0.lane(13);
        y[y0 + 28] = accE0.lane(14);
        y[y0 + 29] = accO0.lane(14);
        y[y0 + 30] = accE0.lane(15);
        y[y0 + 31] = accO0.lane(15);
        y[y1 + 0] = accE1.lane(0);
        y[y1 + 1] = accO1.lane(0);
        y[y1 + 2] = accE1.lane(1);
        y[y1 + 3] = accO1.lane(1);
        y[y1 + 4] = accE1.lane(2);
        y[y1 + 5] = accO1.lane(2);
        y[y1 + 6] = accE1.lane(3);
        y[y1 + 7] = accO1.lane(3);
        y[y1 + 8] = accE1.lane(4);
        y[y1 + 9] = accO1.lane(4);
        y[y1 + 10] = accE1.lane(5);
        y[y1 + 11] = accO1.lane(5);
        y[y1 + 12] = accE1.lane(6);
        y[y1 + 13] = accO1.lane(6);
        y[y1 + 14] = accE1.lane(7);
        y[y1 + 15] = accO1.lane(7);
        y[y1 + 16] = accE1.lane(8);
        y[y1 + 17] = accO1.lane(8);
        y[y1 + 18] = accE1.lane(9);
        y[y1 + 19] = accO1.lane(9);
        y[y1 + 20] = accE1.lane(10);
        y[y1 + 21] = accO1.lane(10);
        y[y1 + 22] = accE1.lane(11);
        y[y1 + 23] = accO1.lane(11);
        y[y1 + 24] = accE1.lane(12);
        y[y1 + 25] = accO1.lane(12);
        y[y1 + 26] = accE1.lane(13);
        y[y1 + 27] = accO1.lane(13);
        y[y1 + 28] = accE1.lane(14);
        y[y1 + 29] = accO1.lane(14);
        y[y1 + 30] = accE1.lane(15);
        y[y1 + 31] = accO1.lane(15);
        y[y2 + 0] = accE2.lane(0);
        y[y2 + 1] = accO2.lane(0);
        y[y2 + 2] = accE2.lane(1);
        y[y2 + 3] = accO2.lane(1);
        y[y2 + 4] = accE2.lane(2);
        y[y2 + 5] = accO2.lane(2);
        y[y2 + 6] = accE2.lane(3);
        y[y2 + 7] = accO2.lane(3);
        y[y2 + 8] = accE2.lane(4);
        y[y2 + 9] = accO2.lane(4);
        y[y2 + 10] = accE2.lane(5);
        y[y2 + 11] = accO2.lane(5);
        y[y2 + 12] = accE2.lane(6);
        y[y2 + 13] = accO2.lane(6);
        y[y2 + 14] = accE2.lane(7);
        y[y2 + 15] = accO2.lane(7);
        y[y2 + 16] = accE2.lane(8);
        y[y2 + 17] = accO2.lane(8);
        y[y2 + 18] = accE2.lane(9);
        y[y2 + 19] = accO2.lane(9);
        y[y2 + 20] = accE2.lane(10);
        y[y2 + 21] = accO2.lane(10);
        y[y2 + 22] = accE2.lane(11);
        y[y2 + 23] = accO2.lane(11);
        y[y2 + 24] = accE2.lane(12);
        y[y2 + 25] = accO2.lane(12);
        y[y2 + 26] = accE2.lane(13);
        y[y2 + 27] = accO2.lane(13);
        y[y2 + 28] = accE2.lane(14);
        y[y2 + 29] = accO2.lane(14);
        y[y2 + 30] = accE2.lane(15);
        y[y2 + 31] = accO2.lane(15);
        y[y3 + 0] = accE3.lane(0);
        y[y3 + 1] = accO3.lane(0);
        y[y3 + 2] = accE3.lane(1);
        y[y3 + 3] = accO3.lane(1);
        y[y3 + 4] = accE3.lane(2);
        y[y3 + 5] = accO3.lane(2);
        y[y3 + 6] = accE3.lane(3);
        y[y3 + 7] = accO3.lane(3);
        y[y3 + 8] = accE3.lane(4);
        y[y3 + 9] = accO3.lane(4);
        y[y3 + 10] = accE3.lane(5);
        y[y3 + 11] = accO3.lane(5);
        y[y3 + 12] = accE3.lane(6);
        y[y3 + 13] = accO3.lane(6);
        y[y3 + 14] = accE3.lane(7);
        y[y3 + 15] = accO3.lane(7);
        y[y3 + 16] = accE3.lane(8);
        y[y3 + 17] = accO3.lane(8);
        y[y3 + 18] = accE3.lane(9);
        y[y3 + 19] = accO3.lane(9);
        y[y3 + 20] = accE3.lane(10);
        y[y3 + 21] = accO3.lane(10);
        y[y3 + 22] = accE3.lane(11);
        y[y3 + 23] = accO3.lane(11);
        y[y3 + 24] = accE3.lane(12);
        y[y3 + 25] = accO3.lane(12);
        y[y3 + 26] = accE3.lane(13);
        y[y3 + 27] = accO3.lane(13);
        y[y3 + 28] = accE3.lane(14);
        y[y3 + 29] = accO3.lane(14);
        y[y3 + 30] = accE3.lane(15);
        y[y3 + 31] = accO3.lane(15);
    }
    // ---- end of generated code ----
}
