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
import static jdk.incubator.vector.VectorOperators.GE;
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
 *       rows and is multiplied by activation k repeated 16 times (a load from {@link Activations#table},
 *       no shuffle), so 16 dot products advance together and the fixed costs are paid once per 16 rows.
 *       About a third fewer instructions per weight than {@link #rows}. Each block's 16 column pairs
 *       are unrolled by hand: C2 does not fully unroll the loop and its loop overhead per block was
 *       measured at ~30%.</li>
 * </ul>
 */
final class GemmQ8_0 {
    private static final float TWO_POW_112 = 0x1p112f;

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
        short[] tb = a.table();
        int t = t0;
        for (; t + 2 <= t1; t += 2) {
            x16t2(w, go, nb, tb, 16 * t * cols, 16 * (t + 1) * cols, a.d, t * nb, (t + 1) * nb,
                    y, t * ldy + yRow, (t + 1) * ldy + yRow);
        }
        for (; t < t1; t++) {
            x16t1(w, go, nb, tb, 16 * t * cols, a.d, t * nb, y, t * ldy + yRow);
        }
    }

    static void x16Generic(MemorySegment w, long go, int nb, Activations a, int cols, int t0, int t1,
            float[] y, int ldy, int yRow) {
        for (int t = t0; t < t1; t++) {
            for (int r = 0; r < 16; r++) {
                float sumf = 0;
                for (int b = 0; b < nb; b++) {
                    long o = go + (long) b * BlockQ8_0x16.BYTES;
                    int sumi = 0;
                    for (int k = 0; k < 32; k++) {
                        sumi += w.get(I8, o + BlockQ8_0x16.QS_OFFSET + 16L * k + r) * a.q[t * cols + 32 * b + k];
                    }
                    float dw = Float.float16ToFloat(w.get(I16, o + BlockQ8_0x16.D_OFFSET + 2L * BlockQ8_0x16.scaleSlot(r)));
                    sumf += sumi * (dw * a.d[t * nb + b]);
                }
                y[t * ldy + yRow + r] = sumf;
            }
        }
    }

    /** 1 token(s) x 16 rows of Q8_0x16 weights at {@code go}; see the class comment. */
    private static void x16t1(MemorySegment w, long go, int nb, short[] tb, int tb0, float[] d, int d0, float[] y, int y0) {
        FloatVector accE0 = FloatVector.zero(F256);
        FloatVector accO0 = FloatVector.zero(F256);
        for (int b = 0; b < nb; b++) {
            long o = go + (long) b * BlockQ8_0x16.BYTES;
            int a0 = tb0 + 512 * b;
            IntVector iE0 = IntVector.zero(I256);
            IntVector iO0 = IntVector.zero(I256);
            ShortVector w0;
            ShortVector w1;
            IntVector x;
            w0 = column(w, o + 32);
            w1 = column(w, o + 48);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 0)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 16))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 64);
            w1 = column(w, o + 80);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 32)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 48))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 96);
            w1 = column(w, o + 112);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 64)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 80))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 128);
            w1 = column(w, o + 144);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 96)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 112))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 160);
            w1 = column(w, o + 176);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 128)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 144))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 192);
            w1 = column(w, o + 208);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 160)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 176))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 224);
            w1 = column(w, o + 240);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 192)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 208))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 256);
            w1 = column(w, o + 272);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 224)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 240))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 288);
            w1 = column(w, o + 304);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 256)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 272))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 320);
            w1 = column(w, o + 336);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 288)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 304))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 352);
            w1 = column(w, o + 368);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 320)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 336))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 384);
            w1 = column(w, o + 400);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 352)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 368))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 416);
            w1 = column(w, o + 432);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 384)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 400))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 448);
            w1 = column(w, o + 464);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 416)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 432))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 480);
            w1 = column(w, o + 496);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 448)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 464))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 512);
            w1 = column(w, o + 528);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 480)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 496))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            IntVector hE = (IntVector) ShortVector.fromMemorySegment(S128, w, o, LE).convertShape(S2I, I256, 0);
            IntVector mE = hE.and(0x7FFF);
            FloatVector sE = mE.lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112).reinterpretAsInts()
                    .blend(mE.lanewise(LSHL, 13).or(0x7F800000), mE.compare(GE, 0x7C00))
                    .or(hE.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
            IntVector hO = (IntVector) ShortVector.fromMemorySegment(S128, w, o + 16, LE).convertShape(S2I, I256, 0);
            IntVector mO = hO.and(0x7FFF);
            FloatVector sO = mO.lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112).reinterpretAsInts()
                    .blend(mO.lanewise(LSHL, 13).or(0x7F800000), mO.compare(GE, 0x7C00))
                    .or(hO.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
            float da0 = d[d0 + b];
            accE0 = ((FloatVector) iE0.convert(I2F, 0)).fma(sE.mul(da0), accE0);
            accO0 = ((FloatVector) iO0.convert(I2F, 0)).fma(sO.mul(da0), accO0);
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

    /** 2 token(s) x 16 rows of Q8_0x16 weights at {@code go}; see the class comment. */
    private static void x16t2(MemorySegment w, long go, int nb, short[] tb, int tb0, int tb1, float[] d, int d0, int d1, float[] y, int y0, int y1) {
        FloatVector accE0 = FloatVector.zero(F256);
        FloatVector accO0 = FloatVector.zero(F256);
        FloatVector accE1 = FloatVector.zero(F256);
        FloatVector accO1 = FloatVector.zero(F256);
        for (int b = 0; b < nb; b++) {
            long o = go + (long) b * BlockQ8_0x16.BYTES;
            int a0 = tb0 + 512 * b;
            IntVector iE0 = IntVector.zero(I256);
            IntVector iO0 = IntVector.zero(I256);
            int a1 = tb1 + 512 * b;
            IntVector iE1 = IntVector.zero(I256);
            IntVector iO1 = IntVector.zero(I256);
            ShortVector w0;
            ShortVector w1;
            IntVector x;
            w0 = column(w, o + 32);
            w1 = column(w, o + 48);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 0)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 16))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            x = w0.mul(ShortVector.fromArray(S256, tb, a1 + 0)).add(w1.mul(ShortVector.fromArray(S256, tb, a1 + 16))).reinterpretAsInts();
            iO1 = iO1.add(x.lanewise(ASHR, 16));
            iE1 = iE1.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 64);
            w1 = column(w, o + 80);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 32)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 48))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            x = w0.mul(ShortVector.fromArray(S256, tb, a1 + 32)).add(w1.mul(ShortVector.fromArray(S256, tb, a1 + 48))).reinterpretAsInts();
            iO1 = iO1.add(x.lanewise(ASHR, 16));
            iE1 = iE1.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 96);
            w1 = column(w, o + 112);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 64)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 80))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            x = w0.mul(ShortVector.fromArray(S256, tb, a1 + 64)).add(w1.mul(ShortVector.fromArray(S256, tb, a1 + 80))).reinterpretAsInts();
            iO1 = iO1.add(x.lanewise(ASHR, 16));
            iE1 = iE1.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 128);
            w1 = column(w, o + 144);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 96)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 112))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            x = w0.mul(ShortVector.fromArray(S256, tb, a1 + 96)).add(w1.mul(ShortVector.fromArray(S256, tb, a1 + 112))).reinterpretAsInts();
            iO1 = iO1.add(x.lanewise(ASHR, 16));
            iE1 = iE1.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 160);
            w1 = column(w, o + 176);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 128)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 144))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            x = w0.mul(ShortVector.fromArray(S256, tb, a1 + 128)).add(w1.mul(ShortVector.fromArray(S256, tb, a1 + 144))).reinterpretAsInts();
            iO1 = iO1.add(x.lanewise(ASHR, 16));
            iE1 = iE1.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 192);
            w1 = column(w, o + 208);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 160)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 176))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            x = w0.mul(ShortVector.fromArray(S256, tb, a1 + 160)).add(w1.mul(ShortVector.fromArray(S256, tb, a1 + 176))).reinterpretAsInts();
            iO1 = iO1.add(x.lanewise(ASHR, 16));
            iE1 = iE1.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 224);
            w1 = column(w, o + 240);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 192)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 208))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            x = w0.mul(ShortVector.fromArray(S256, tb, a1 + 192)).add(w1.mul(ShortVector.fromArray(S256, tb, a1 + 208))).reinterpretAsInts();
            iO1 = iO1.add(x.lanewise(ASHR, 16));
            iE1 = iE1.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 256);
            w1 = column(w, o + 272);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 224)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 240))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            x = w0.mul(ShortVector.fromArray(S256, tb, a1 + 224)).add(w1.mul(ShortVector.fromArray(S256, tb, a1 + 240))).reinterpretAsInts();
            iO1 = iO1.add(x.lanewise(ASHR, 16));
            iE1 = iE1.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 288);
            w1 = column(w, o + 304);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 256)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 272))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            x = w0.mul(ShortVector.fromArray(S256, tb, a1 + 256)).add(w1.mul(ShortVector.fromArray(S256, tb, a1 + 272))).reinterpretAsInts();
            iO1 = iO1.add(x.lanewise(ASHR, 16));
            iE1 = iE1.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 320);
            w1 = column(w, o + 336);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 288)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 304))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            x = w0.mul(ShortVector.fromArray(S256, tb, a1 + 288)).add(w1.mul(ShortVector.fromArray(S256, tb, a1 + 304))).reinterpretAsInts();
            iO1 = iO1.add(x.lanewise(ASHR, 16));
            iE1 = iE1.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 352);
            w1 = column(w, o + 368);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 320)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 336))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            x = w0.mul(ShortVector.fromArray(S256, tb, a1 + 320)).add(w1.mul(ShortVector.fromArray(S256, tb, a1 + 336))).reinterpretAsInts();
            iO1 = iO1.add(x.lanewise(ASHR, 16));
            iE1 = iE1.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 384);
            w1 = column(w, o + 400);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 352)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 368))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            x = w0.mul(ShortVector.fromArray(S256, tb, a1 + 352)).add(w1.mul(ShortVector.fromArray(S256, tb, a1 + 368))).reinterpretAsInts();
            iO1 = iO1.add(x.lanewise(ASHR, 16));
            iE1 = iE1.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 416);
            w1 = column(w, o + 432);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 384)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 400))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            x = w0.mul(ShortVector.fromArray(S256, tb, a1 + 384)).add(w1.mul(ShortVector.fromArray(S256, tb, a1 + 400))).reinterpretAsInts();
            iO1 = iO1.add(x.lanewise(ASHR, 16));
            iE1 = iE1.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 448);
            w1 = column(w, o + 464);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 416)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 432))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            x = w0.mul(ShortVector.fromArray(S256, tb, a1 + 416)).add(w1.mul(ShortVector.fromArray(S256, tb, a1 + 432))).reinterpretAsInts();
            iO1 = iO1.add(x.lanewise(ASHR, 16));
            iE1 = iE1.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 480);
            w1 = column(w, o + 496);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 448)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 464))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            x = w0.mul(ShortVector.fromArray(S256, tb, a1 + 448)).add(w1.mul(ShortVector.fromArray(S256, tb, a1 + 464))).reinterpretAsInts();
            iO1 = iO1.add(x.lanewise(ASHR, 16));
            iE1 = iE1.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            w0 = column(w, o + 512);
            w1 = column(w, o + 528);
            x = w0.mul(ShortVector.fromArray(S256, tb, a0 + 480)).add(w1.mul(ShortVector.fromArray(S256, tb, a0 + 496))).reinterpretAsInts();
            iO0 = iO0.add(x.lanewise(ASHR, 16));
            iE0 = iE0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            x = w0.mul(ShortVector.fromArray(S256, tb, a1 + 480)).add(w1.mul(ShortVector.fromArray(S256, tb, a1 + 496))).reinterpretAsInts();
            iO1 = iO1.add(x.lanewise(ASHR, 16));
            iE1 = iE1.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16));
            IntVector hE = (IntVector) ShortVector.fromMemorySegment(S128, w, o, LE).convertShape(S2I, I256, 0);
            IntVector mE = hE.and(0x7FFF);
            FloatVector sE = mE.lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112).reinterpretAsInts()
                    .blend(mE.lanewise(LSHL, 13).or(0x7F800000), mE.compare(GE, 0x7C00))
                    .or(hE.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
            IntVector hO = (IntVector) ShortVector.fromMemorySegment(S128, w, o + 16, LE).convertShape(S2I, I256, 0);
            IntVector mO = hO.and(0x7FFF);
            FloatVector sO = mO.lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112).reinterpretAsInts()
                    .blend(mO.lanewise(LSHL, 13).or(0x7F800000), mO.compare(GE, 0x7C00))
                    .or(hO.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
            float da0 = d[d0 + b];
            accE0 = ((FloatVector) iE0.convert(I2F, 0)).fma(sE.mul(da0), accE0);
            accO0 = ((FloatVector) iO0.convert(I2F, 0)).fma(sO.mul(da0), accO0);
            float da1 = d[d1 + b];
            accE1 = ((FloatVector) iE1.convert(I2F, 0)).fma(sE.mul(da1), accE1);
            accO1 = ((FloatVector) iO1.convert(I2F, 0)).fma(sO.mul(da1), accO1);
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

}
