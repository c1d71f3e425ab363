package io.laminar.kernels;

import static io.laminar.kernels.QuantMath.I16;
import static io.laminar.kernels.QuantMath.I8;
import static io.laminar.kernels.QuantMath.LE;
import static io.laminar.kernels.Simd.B128;
import static io.laminar.kernels.Simd.F256;
import static io.laminar.kernels.Simd.I256;
import static io.laminar.kernels.Simd.S128;
import static io.laminar.kernels.Simd.S256;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.S2I;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

/**
 * Matrix-times-activations kernels for Q8_0 weights and Q8_0 activations ({@link Activations.Kind#Q8_0}),
 * with ggml's numerics: per block of 32 the products are summed exactly in integers, then scaled by
 * {@code d_w * d_a} and accumulated in float.
 *
 * <p>AVX2 has {@code pmaddubsw}/{@code pmaddwd} for int8 dot products; the Vector API does not. What
 * it does compile well is widening bytes to 16 bits ({@code vpmovsxbw}) and 16-bit multiplies
 * ({@code vpmullw}). The product of two int8 quants in [-128, 127] x [-127, 127] fits in 16 bits and so
 * does the sum of two, so we multiply two columns' worth, add them in 16 bits, and split each pair
 * of 16-bit lanes into 32-bit lanes by shifting ({@code (x << 16) >> 16} and {@code x >> 16}), where
 * the block's 32 products accumulate without overflow.
 *
 * <ul>
 *   <li>{@link #rows}: ggml's row layout. Per block one vector of 16 weights times 16 activations, twice,
 *       reduced to 8 int32 lanes, converted and scaled: the fixed costs (scale, conversion, reduction)
 *       are paid for every block of every row.</li>
 *   <li>{@link #x16}: the {@link BlockQ8_0x16} layout. Lanes are rows: one vector holds column k of 16
 *       rows and is multiplied by activation k in all 16 lanes (one {@code vpbroadcastd} load from
 *       {@link Activations#pairs}), so 16 dot products advance together and the fixed costs are paid once per 16 rows.
 *       About a third fewer instructions per weight than {@link #rows}. The kernels run one flat loop
 *       over column pairs with the per-block work under a branch taken every 16th pair: a nested
 *       per-block loop costs ~30% in C2's loop setup, and fully unrolled block bodies exceed C2's
 *       inlining budget, after which Vector API calls stop being intrinsified and every vector is
 *       boxed (tens of MB allocated per call).</li>
 * </ul>
 */
final class GemmQ8_0 {
    private static final float TWO_POW_112 = 0x1p112f;
    /** What {@code evenBias} adds to each even lane over a block: 16 column pairs x 32768. */
    private static final int EVEN_BIAS_TOTAL = 16 * 0x8000;

    private GemmQ8_0() {
    }

    /** Column of 16 int8 quants at {@code off}, sign-extended to 16-bit lanes. */
    static ShortVector column(MemorySegment w, long off) {
        return (ShortVector) ByteVector.fromMemorySegment(B128, w, off, LE).convertShape(B2S, S256, 0);
    }

    /**
     * Rows in ggml's layout: {@code y[t*ldy + yRow + i]} for row {@code i} in [0, n) at
     * {@code off + i * rowBytes} and tokens [t0, t1). A row is read from memory once and from cache
     * for the other tokens.
     */
    static void rows(MemorySegment w, long off, long rowBytes, int n, int cols, Activations a, int t0, int t1,
            float[] y, int ldy, int yRow) {
        int nb = cols / 32;
        for (int i = 0; i < n; i++) {
            long ro = off + i * rowBytes;
            for (int t = t0; t < t1; t++) {
                y[t * ldy + yRow + i] = Simd.ENABLED
                        ? dot(w, ro, nb, a.q, t * cols, a.d, t * nb)
                        : dotGeneric(w, ro, nb, a.q, t * cols, a.d, t * nb);
            }
        }
    }

    static float dot(MemorySegment w, long ro, int nb, short[] q, int qOff, float[] d, int dOff) {
        FloatVector acc = FloatVector.zero(F256);
        for (int b = 0; b < nb; b++) {
            long o = ro + (long) b * BlockQ8_0.BYTES;
            int qb = qOff + 32 * b;
            ShortVector p = column(w, o + BlockQ8_0.QS_OFFSET).mul(ShortVector.fromArray(S256, q, qb))
                    .add(column(w, o + BlockQ8_0.QS_OFFSET + 16).mul(ShortVector.fromArray(S256, q, qb + 16)));
            float s = QuantMath.fp16(w, o + BlockQ8_0.D_OFFSET) * d[dOff + b];
            acc = ((FloatVector) BlockQ8_0.pairSum(p).convert(I2F, 0)).fma(FloatVector.broadcast(F256, s), acc);
        }
        return acc.reduceLanes(ADD);
    }

    static float dotGeneric(MemorySegment w, long ro, int nb, short[] q, int qOff, float[] d, int dOff) {
        float sumf = 0;
        for (int b = 0; b < nb; b++) {
            long o = ro + (long) b * BlockQ8_0.BYTES;
            int sumi = 0;
            for (int j = 0; j < 32; j++) {
                sumi += w.get(I8, o + BlockQ8_0.QS_OFFSET + j) * q[qOff + 32 * b + j];
            }
            sumf += sumi * (QuantMath.fp16(w, o + BlockQ8_0.D_OFFSET) * d[dOff + b]);
        }
        return sumf;
    }

    /**
     * One group of 16 rows in {@link BlockQ8_0x16} layout at {@code go}: {@code y[t*ldy + yRow + r]}
     * for r in [0, 16) and tokens [t0, t1), two tokens per pass over the weights.
     */
    static void x16(MemorySegment w, long go, int cols, Activations a, int t0, int t1, float[] y, int ldy, int yRow) {
        int nb = cols / 32;
        if (!Simd.ENABLED) {
            x16Generic(w, go, nb, a, cols, t0, t1, y, ldy, yRow);
            return;
        }
        int[] tb = a.pairs;
        int t = t0;
        for (; t + 3 <= t1; t += 3) {
            x16t3(w, go, nb, tb, t * cols, (t + 1) * cols, (t + 2) * cols, a.d, t * nb, (t + 1) * nb, (t + 2) * nb,
                    y, t * ldy + yRow, (t + 1) * ldy + yRow, (t + 2) * ldy + yRow);
        }
        for (; t + 2 <= t1; t += 2) {
            x16t2(w, go, nb, tb, t * cols, (t + 1) * cols, a.d, t * nb, (t + 1) * nb,
                    y, t * ldy + yRow, (t + 1) * ldy + yRow);
        }
        for (; t < t1; t++) {
            x16t1(w, go, nb, tb, t * cols, a.d, t * nb, y, t * ldy + yRow);
        }
    }

    static void x16Generic(MemorySegment w, long go, int nb, Activations a, int cols, int t0, int t1,
            float[] y, int ldy, int yRow) {
        for (int t = t0; t < t1; t++) {
            for (int r = 0; r < 16; r++) {
                float sumf = 0;
                for (int b = 0; b < nb; b++) {
                    long o = go + BlockQ8_0x16.quantsOffset(nb, b);
                    int sumi = 0;
                    for (int k = 0; k < 32; k++) {
                        sumi += w.get(I8, o + 16L * k + r) * a.q[t * cols + 32 * b + k];
                    }
                    float dw = BlockQ8_0x16.scale(w, go, b, r);
                    sumf += sumi * (dw * a.d[t * nb + b]);
                }
                y[t * ldy + yRow + r] = sumf;
            }
        }
    }

    /** 1 token(s) x 16 rows: group at {@code go}, 4 column pairs per step. */
    private static void x16t1(MemorySegment w, long go, int nb, int[] tb, int tb0, float[] d, int d0, float[] y, int y0) {
        ShortVector evenBias = IntVector.broadcast(I256, 0x8000).reinterpretAsShorts();
        FloatVector accE0 = FloatVector.zero(F256);
        FloatVector accO0 = FloatVector.zero(F256);
        IntVector iX0 = IntVector.zero(I256);
        IntVector iO0 = IntVector.zero(I256);
        long q0 = go + (long) BlockQ8_0x16.SCALES_SIZE * nb;
        for (int i = 0; i < 4 * nb; i++) {
            long q = q0 + 128L * i;
            int a = 8 * i;
            ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 0, LE).convertShape(B2S, S256, 0);
            ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 16, LE).convertShape(B2S, S256, 0);
            IntVector x00 = w0.mul(IntVector.broadcast(I256, tb[tb0 + a + 0]).reinterpretAsShorts()).add(w1.mul(IntVector.broadcast(I256, tb[tb0 + a + 1]).reinterpretAsShorts())).add(evenBias).reinterpretAsInts();
            iX0 = iX0.add(x00);
            iO0 = iO0.add(x00.lanewise(ASHR, 16));
            ShortVector w2 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 32, LE).convertShape(B2S, S256, 0);
            ShortVector w3 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 48, LE).convertShape(B2S, S256, 0);
            IntVector x01 = w2.mul(IntVector.broadcast(I256, tb[tb0 + a + 2]).reinterpretAsShorts()).add(w3.mul(IntVector.broadcast(I256, tb[tb0 + a + 3]).reinterpretAsShorts())).add(evenBias).reinterpretAsInts();
            iX0 = iX0.add(x01);
            iO0 = iO0.add(x01.lanewise(ASHR, 16));
            ShortVector w4 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 64, LE).convertShape(B2S, S256, 0);
            ShortVector w5 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 80, LE).convertShape(B2S, S256, 0);
            IntVector x02 = w4.mul(IntVector.broadcast(I256, tb[tb0 + a + 4]).reinterpretAsShorts()).add(w5.mul(IntVector.broadcast(I256, tb[tb0 + a + 5]).reinterpretAsShorts())).add(evenBias).reinterpretAsInts();
            iX0 = iX0.add(x02);
            iO0 = iO0.add(x02.lanewise(ASHR, 16));
            ShortVector w6 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 96, LE).convertShape(B2S, S256, 0);
            ShortVector w7 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 112, LE).convertShape(B2S, S256, 0);
            IntVector x03 = w6.mul(IntVector.broadcast(I256, tb[tb0 + a + 6]).reinterpretAsShorts()).add(w7.mul(IntVector.broadcast(I256, tb[tb0 + a + 7]).reinterpretAsShorts())).add(evenBias).reinterpretAsInts();
            iX0 = iX0.add(x03);
            iO0 = iO0.add(x03.lanewise(ASHR, 16));
            if ((i & 3) == 3) {
                int b = i / 4;
                long so = go + (long) BlockQ8_0x16.SCALES_SIZE * b;
                IntVector hE = (IntVector) ShortVector.fromMemorySegment(S128, w, so, LE).convertShape(S2I, I256, 0);
                FloatVector sE = hE.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hE.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                IntVector hO = (IntVector) ShortVector.fromMemorySegment(S128, w, so + 16, LE).convertShape(S2I, I256, 0);
                FloatVector sO = hO.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hO.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                float da0 = d[d0 + b];
                IntVector iE0 = iX0.sub(iO0.lanewise(LSHL, 16)).sub(EVEN_BIAS_TOTAL);
                accE0 = ((FloatVector) iE0.convert(I2F, 0)).fma(sE.mul(da0), accE0);
                accO0 = ((FloatVector) iO0.convert(I2F, 0)).fma(sO.mul(da0), accO0);
                iX0 = IntVector.zero(I256);
                iO0 = IntVector.zero(I256);
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

    /** 2 token(s) x 16 rows: group at {@code go}, 4 column pairs per step. */
    private static void x16t2(MemorySegment w, long go, int nb, int[] tb, int tb0, int tb1, float[] d, int d0, int d1, float[] y, int y0, int y1) {
        ShortVector evenBias = IntVector.broadcast(I256, 0x8000).reinterpretAsShorts();
        FloatVector accE0 = FloatVector.zero(F256);
        FloatVector accO0 = FloatVector.zero(F256);
        IntVector iX0 = IntVector.zero(I256);
        IntVector iO0 = IntVector.zero(I256);
        FloatVector accE1 = FloatVector.zero(F256);
        FloatVector accO1 = FloatVector.zero(F256);
        IntVector iX1 = IntVector.zero(I256);
        IntVector iO1 = IntVector.zero(I256);
        long q0 = go + (long) BlockQ8_0x16.SCALES_SIZE * nb;
        for (int i = 0; i < 4 * nb; i++) {
            long q = q0 + 128L * i;
            int a = 8 * i;
            ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 0, LE).convertShape(B2S, S256, 0);
            ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 16, LE).convertShape(B2S, S256, 0);
            IntVector x00 = w0.mul(IntVector.broadcast(I256, tb[tb0 + a + 0]).reinterpretAsShorts()).add(w1.mul(IntVector.broadcast(I256, tb[tb0 + a + 1]).reinterpretAsShorts())).add(evenBias).reinterpretAsInts();
            iX0 = iX0.add(x00);
            iO0 = iO0.add(x00.lanewise(ASHR, 16));
            IntVector x10 = w0.mul(IntVector.broadcast(I256, tb[tb1 + a + 0]).reinterpretAsShorts()).add(w1.mul(IntVector.broadcast(I256, tb[tb1 + a + 1]).reinterpretAsShorts())).add(evenBias).reinterpretAsInts();
            iX1 = iX1.add(x10);
            iO1 = iO1.add(x10.lanewise(ASHR, 16));
            ShortVector w2 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 32, LE).convertShape(B2S, S256, 0);
            ShortVector w3 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 48, LE).convertShape(B2S, S256, 0);
            IntVector x01 = w2.mul(IntVector.broadcast(I256, tb[tb0 + a + 2]).reinterpretAsShorts()).add(w3.mul(IntVector.broadcast(I256, tb[tb0 + a + 3]).reinterpretAsShorts())).add(evenBias).reinterpretAsInts();
            iX0 = iX0.add(x01);
            iO0 = iO0.add(x01.lanewise(ASHR, 16));
            IntVector x11 = w2.mul(IntVector.broadcast(I256, tb[tb1 + a + 2]).reinterpretAsShorts()).add(w3.mul(IntVector.broadcast(I256, tb[tb1 + a + 3]).reinterpretAsShorts())).add(evenBias).reinterpretAsInts();
            iX1 = iX1.add(x11);
            iO1 = iO1.add(x11.lanewise(ASHR, 16));
            ShortVector w4 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 64, LE).convertShape(B2S, S256, 0);
            ShortVector w5 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 80, LE).convertShape(B2S, S256, 0);
            IntVector x02 = w4.mul(IntVector.broadcast(I256, tb[tb0 + a + 4]).reinterpretAsShorts()).add(w5.mul(IntVector.broadcast(I256, tb[tb0 + a + 5]).reinterpretAsShorts())).add(evenBias).reinterpretAsInts();
            iX0 = iX0.add(x02);
            iO0 = iO0.add(x02.lanewise(ASHR, 16));
            IntVector x12 = w4.mul(IntVector.broadcast(I256, tb[tb1 + a + 4]).reinterpretAsShorts()).add(w5.mul(IntVector.broadcast(I256, tb[tb1 + a + 5]).reinterpretAsShorts())).add(evenBias).reinterpretAsInts();
            iX1 = iX1.add(x12);
            iO1 = iO1.add(x12.lanewise(ASHR, 16));
            ShortVector w6 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 96, LE).convertShape(B2S, S256, 0);
            ShortVector w7 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 112, LE).convertShape(B2S, S256, 0);
            IntVector x03 = w6.mul(IntVector.broadcast(I256, tb[tb0 + a + 6]).reinterpretAsShorts()).add(w7.mul(IntVector.broadcast(I256, tb[tb0 + a + 7]).reinterpretAsShorts())).add(evenBias).reinterpretAsInts();
            iX0 = iX0.add(x03);
            iO0 = iO0.add(x03.lanewise(ASHR, 16));
            IntVector x13 = w6.mul(IntVector.broadcast(I256, tb[tb1 + a + 6]).reinterpretAsShorts()).add(w7.mul(IntVector.broadcast(I256, tb[tb1 + a + 7]).reinterpretAsShorts())).add(evenBias).reinterpretAsInts();
            iX1 = iX1.add(x13);
            iO1 = iO1.add(x13.lanewise(ASHR, 16));
            if ((i & 3) == 3) {
                int b = i / 4;
                long so = go + (long) BlockQ8_0x16.SCALES_SIZE * b;
                IntVector hE = (IntVector) ShortVector.fromMemorySegment(S128, w, so, LE).convertShape(S2I, I256, 0);
                FloatVector sE = hE.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hE.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                IntVector hO = (IntVector) ShortVector.fromMemorySegment(S128, w, so + 16, LE).convertShape(S2I, I256, 0);
                FloatVector sO = hO.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hO.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                float da0 = d[d0 + b];
                IntVector iE0 = iX0.sub(iO0.lanewise(LSHL, 16)).sub(EVEN_BIAS_TOTAL);
                accE0 = ((FloatVector) iE0.convert(I2F, 0)).fma(sE.mul(da0), accE0);
                accO0 = ((FloatVector) iO0.convert(I2F, 0)).fma(sO.mul(da0), accO0);
                iX0 = IntVector.zero(I256);
                iO0 = IntVector.zero(I256);
                float da1 = d[d1 + b];
                IntVector iE1 = iX1.sub(iO1.lanewise(LSHL, 16)).sub(EVEN_BIAS_TOTAL);
                accE1 = ((FloatVector) iE1.convert(I2F, 0)).fma(sE.mul(da1), accE1);
                accO1 = ((FloatVector) iO1.convert(I2F, 0)).fma(sO.mul(da1), accO1);
                iX1 = IntVector.zero(I256);
                iO1 = IntVector.zero(I256);
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

    /** 3 token(s) x 16 rows: group at {@code go}, 2 column pairs per step. */
    private static void x16t3(MemorySegment w, long go, int nb, int[] tb, int tb0, int tb1, int tb2, float[] d, int d0, int d1, int d2, float[] y, int y0, int y1, int y2) {
        ShortVector evenBias = IntVector.broadcast(I256, 0x8000).reinterpretAsShorts();
        FloatVector accE0 = FloatVector.zero(F256);
        FloatVector accO0 = FloatVector.zero(F256);
        IntVector iX0 = IntVector.zero(I256);
        IntVector iO0 = IntVector.zero(I256);
        FloatVector accE1 = FloatVector.zero(F256);
        FloatVector accO1 = FloatVector.zero(F256);
        IntVector iX1 = IntVector.zero(I256);
        IntVector iO1 = IntVector.zero(I256);
        FloatVector accE2 = FloatVector.zero(F256);
        FloatVector accO2 = FloatVector.zero(F256);
        IntVector iX2 = IntVector.zero(I256);
        IntVector iO2 = IntVector.zero(I256);
        long q0 = go + (long) BlockQ8_0x16.SCALES_SIZE * nb;
        for (int i = 0; i < 8 * nb; i++) {
            long q = q0 + 64L * i;
            int a = 4 * i;
            ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 0, LE).convertShape(B2S, S256, 0);
            ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 16, LE).convertShape(B2S, S256, 0);
            IntVector x00 = w0.mul(IntVector.broadcast(I256, tb[tb0 + a + 0]).reinterpretAsShorts()).add(w1.mul(IntVector.broadcast(I256, tb[tb0 + a + 1]).reinterpretAsShorts())).add(evenBias).reinterpretAsInts();
            iX0 = iX0.add(x00);
            iO0 = iO0.add(x00.lanewise(ASHR, 16));
            IntVector x10 = w0.mul(IntVector.broadcast(I256, tb[tb1 + a + 0]).reinterpretAsShorts()).add(w1.mul(IntVector.broadcast(I256, tb[tb1 + a + 1]).reinterpretAsShorts())).add(evenBias).reinterpretAsInts();
            iX1 = iX1.add(x10);
            iO1 = iO1.add(x10.lanewise(ASHR, 16));
            IntVector x20 = w0.mul(IntVector.broadcast(I256, tb[tb2 + a + 0]).reinterpretAsShorts()).add(w1.mul(IntVector.broadcast(I256, tb[tb2 + a + 1]).reinterpretAsShorts())).add(evenBias).reinterpretAsInts();
            iX2 = iX2.add(x20);
            iO2 = iO2.add(x20.lanewise(ASHR, 16));
            ShortVector w2 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 32, LE).convertShape(B2S, S256, 0);
            ShortVector w3 = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + 48, LE).convertShape(B2S, S256, 0);
            IntVector x01 = w2.mul(IntVector.broadcast(I256, tb[tb0 + a + 2]).reinterpretAsShorts()).add(w3.mul(IntVector.broadcast(I256, tb[tb0 + a + 3]).reinterpretAsShorts())).add(evenBias).reinterpretAsInts();
            iX0 = iX0.add(x01);
            iO0 = iO0.add(x01.lanewise(ASHR, 16));
            IntVector x11 = w2.mul(IntVector.broadcast(I256, tb[tb1 + a + 2]).reinterpretAsShorts()).add(w3.mul(IntVector.broadcast(I256, tb[tb1 + a + 3]).reinterpretAsShorts())).add(evenBias).reinterpretAsInts();
            iX1 = iX1.add(x11);
            iO1 = iO1.add(x11.lanewise(ASHR, 16));
            IntVector x21 = w2.mul(IntVector.broadcast(I256, tb[tb2 + a + 2]).reinterpretAsShorts()).add(w3.mul(IntVector.broadcast(I256, tb[tb2 + a + 3]).reinterpretAsShorts())).add(evenBias).reinterpretAsInts();
            iX2 = iX2.add(x21);
            iO2 = iO2.add(x21.lanewise(ASHR, 16));
            if ((i & 7) == 7) {
                int b = i / 8;
                long so = go + (long) BlockQ8_0x16.SCALES_SIZE * b;
                IntVector hE = (IntVector) ShortVector.fromMemorySegment(S128, w, so, LE).convertShape(S2I, I256, 0);
                FloatVector sE = hE.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hE.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                IntVector hO = (IntVector) ShortVector.fromMemorySegment(S128, w, so + 16, LE).convertShape(S2I, I256, 0);
                FloatVector sO = hO.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hO.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                float da0 = d[d0 + b];
                IntVector iE0 = iX0.sub(iO0.lanewise(LSHL, 16)).sub(EVEN_BIAS_TOTAL);
                accE0 = ((FloatVector) iE0.convert(I2F, 0)).fma(sE.mul(da0), accE0);
                accO0 = ((FloatVector) iO0.convert(I2F, 0)).fma(sO.mul(da0), accO0);
                iX0 = IntVector.zero(I256);
                iO0 = IntVector.zero(I256);
                float da1 = d[d1 + b];
                IntVector iE1 = iX1.sub(iO1.lanewise(LSHL, 16)).sub(EVEN_BIAS_TOTAL);
                accE1 = ((FloatVector) iE1.convert(I2F, 0)).fma(sE.mul(da1), accE1);
                accO1 = ((FloatVector) iO1.convert(I2F, 0)).fma(sO.mul(da1), accO1);
                iX1 = IntVector.zero(I256);
                iO1 = IntVector.zero(I256);
                float da2 = d[d2 + b];
                IntVector iE2 = iX2.sub(iO2.lanewise(LSHL, 16)).sub(EVEN_BIAS_TOTAL);
                accE2 = ((FloatVector) iE2.convert(I2F, 0)).fma(sE.mul(da2), accE2);
                accO2 = ((FloatVector) iO2.convert(I2F, 0)).fma(sO.mul(da2), accO2);
                iX2 = IntVector.zero(I256);
                iO2 = IntVector.zero(I256);
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
    }

}
