package io.laminar.kernels;

import static io.laminar.kernels.QuantMath.I8;
import static io.laminar.kernels.QuantMath.LE;
import static io.laminar.kernels.Simd.B128;
import static io.laminar.kernels.Simd.B64;
import static io.laminar.kernels.Simd.F128;
import static io.laminar.kernels.Simd.F256;
import static io.laminar.kernels.Simd.I128;
import static io.laminar.kernels.Simd.I256;
import static io.laminar.kernels.Simd.S128;
import static io.laminar.kernels.Simd.S256;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

/**
 * Row kernels for the K-quants ({@link BlockQ4_K}, {@link BlockQ6_K}) with Q8_K activations
 * ({@link Activations.Kind#Q8_K}), following ggml's AVX2 {@code vec_dot_q4_K_q8_K} and
 * {@code vec_dot_q6_K_q8_K} numerically: every super-block's scaled products are summed exactly in
 * 32-bit integers, the minimums (Q4_K) and the -32 offset (Q6_K) go through the activation group sums,
 * and only then does float arithmetic start.
 *
 * <p>Quants are unpacked in 16-bit lanes (16 bytes widened at a time), multiplied by the 16-bit
 * activations, and pairs of lanes are summed into 32-bit lanes, where the sub-block scale multiplies
 * them. Products stay within 16 bits: 15 * 127 * 2 for Q4_K, 63 * 127 for Q6_K's unsigned quants.
 *
 * <p>The 128-bit forms load 8 bytes at a time and keep each 256-bit vector's lanes 0-3 and 4-7 in two
 * vectors, with the same integer sums, FMA steps and lane-summing order: the same bits at both widths.
 *
 * <p>No vector crosses a method call in the loops: a helper C2 decides not to inline (its inlining
 * budget runs out in methods this size) makes every vector passed to it a heap object. The 256-bit
 * forms pass their accumulator to {@link VectorOps#sumLanes} once per dot (64 bytes allocated); the
 * 128-bit forms sum their lanes in place.
 */
final class GemmKQuants {
    private GemmKQuants() {
    }

    static void rowsQ4_K(MemorySegment w, long off, long rowBytes, int n, int cols, Activations a, int t0, int t1,
            float[] y, int ldy, int yRow) {
        rowsQ4_K(w, off, rowBytes, n, cols, a, t0, t1, y, ldy, yRow, Simd.WIDTH);
    }

    /** As {@link #rowsQ4_K(MemorySegment, long, long, int, int, Activations, int, int, float[], int, int)} at {@code width} bits (0: scalar). */
    static void rowsQ4_K(MemorySegment w, long off, long rowBytes, int n, int cols, Activations a, int t0, int t1,
            float[] y, int ldy, int yRow, int width) {
        int nsb = cols / 256;
        for (int i = 0; i < n; i++) {
            long ro = off + i * rowBytes;
            for (int t = t0; t < t1; t++) {
                y[t * ldy + yRow + i] = width >= 256 ? dotQ4_K(w, ro, nsb, a, t * cols)
                        : width == 128 ? dotQ4_K128(w, ro, nsb, a, t * cols)
                        : dotQ4_KGeneric(w, ro, nsb, a, t * cols);
            }
        }
    }

    static void rowsQ6_K(MemorySegment w, long off, long rowBytes, int n, int cols, Activations a, int t0, int t1,
            float[] y, int ldy, int yRow) {
        rowsQ6_K(w, off, rowBytes, n, cols, a, t0, t1, y, ldy, yRow, Simd.WIDTH);
    }

    /** As {@link #rowsQ6_K(MemorySegment, long, long, int, int, Activations, int, int, float[], int, int)} at {@code width} bits (0: scalar). */
    static void rowsQ6_K(MemorySegment w, long off, long rowBytes, int n, int cols, Activations a, int t0, int t1,
            float[] y, int ldy, int yRow, int width) {
        int nsb = cols / 256;
        for (int i = 0; i < n; i++) {
            long ro = off + i * rowBytes;
            for (int t = t0; t < t1; t++) {
                y[t * ldy + yRow + i] = width >= 256 ? dotQ6_K(w, ro, nsb, a, t * cols)
                        : width == 128 ? dotQ6_K128(w, ro, nsb, a, t * cols)
                        : dotQ6_KGeneric(w, ro, nsb, a, t * cols);
            }
        }
    }

    /** One Q4_K row against Q8_K activations starting at {@code qOff} (a multiple of 256). */
    static float dotQ4_K(MemorySegment w, long ro, int nsb, Activations a, int qOff) {
        short[] q = a.q;
        FloatVector acc = FloatVector.zero(F256);
        float accMin = 0;
        for (int i = 0; i < nsb; i++) {
            long xb = ro + (long) i * BlockQ4_K.BYTES;
            int qb = qOff + 256 * i;
            // ggml's utmp unpacking: the 12 scale bytes become 8 scales (sc) and 8 minimums (mn), a byte each
            long so = xb + BlockQ4_K.SCALES_OFFSET;
            int u0 = w.get(QuantMath.I32, so);
            int u1 = w.get(QuantMath.I32, so + 4);
            int u2 = w.get(QuantMath.I32, so + 8);
            int u3 = ((u2 >>> 4) & 0x0f0f0f0f) | (((u1 >>> 6) & 0x03030303) << 4);
            int m0 = u1 & 0x3f3f3f3f;
            u1 = (u2 & 0x0f0f0f0f) | (((u0 >>> 6) & 0x03030303) << 4);
            u0 &= 0x3f3f3f3f;
            long sc = (u0 & 0xFFFFFFFFL) | ((long) u1 << 32);
            long mn = (m0 & 0xFFFFFFFFL) | ((long) u3 << 32);
            IntVector sumi = IntVector.zero(I256);
            int summ = 0;
            for (int g = 0; g < 4; g++) {
                int sc1 = (int) (sc >>> (16 * g)) & 0xff;
                int sc2 = (int) (sc >>> (16 * g + 8)) & 0xff;
                int mn1 = (int) (mn >>> (16 * g)) & 0xff;
                int mn2 = (int) (mn >>> (16 * g + 8)) & 0xff;
                long qs = xb + BlockQ4_K.QS_OFFSET + 32 * g;
                ShortVector v0 = (ShortVector) ByteVector.fromMemorySegment(B128, w, qs, LE).convertShape(B2S, S256, 0);
                ShortVector v1 = (ShortVector) ByteVector.fromMemorySegment(B128, w, qs + 16, LE).convertShape(B2S, S256, 0);
                int ab = qb + 64 * g;
                IntVector pLo = v0.and((short) 0xF).mul(ShortVector.fromArray(S256, q, ab))
                        .add(v1.and((short) 0xF).mul(ShortVector.fromArray(S256, q, ab + 16))).reinterpretAsInts();
                IntVector pHi = v0.lanewise(ASHR, 4).and((short) 0xF).mul(ShortVector.fromArray(S256, q, ab + 32))
                        .add(v1.lanewise(ASHR, 4).and((short) 0xF).mul(ShortVector.fromArray(S256, q, ab + 48))).reinterpretAsInts();
                // pairs of 16-bit lanes summed into 32-bit lanes, then times the sub-block scale
                sumi = sumi.add(pLo.lanewise(ASHR, 16).add(pLo.lanewise(LSHL, 16).lanewise(ASHR, 16)).mul(sc1))
                        .add(pHi.lanewise(ASHR, 16).add(pHi.lanewise(LSHL, 16).lanewise(ASHR, 16)).mul(sc2));
                int bs = qb / 16 + 4 * g;
                summ += mn1 * (a.bsum[bs] + a.bsum[bs + 1]) + mn2 * (a.bsum[bs + 2] + a.bsum[bs + 3]);
            }
            float dy = a.d[qb / 256];
            acc = ((FloatVector) sumi.convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, QuantMath.fp16(w, xb + BlockQ4_K.D_OFFSET) * dy), acc);
            accMin += QuantMath.fp16(w, xb + BlockQ4_K.DMIN_OFFSET) * dy * summ;
        }
        return VectorOps.sumLanes(acc) - accMin;
    }

    /**
     * {@link #dotQ4_K} with 128-bit vectors, bit for bit: {@code sumL} and {@code accL} hold the
     * 256-bit form's int and float lanes 0-3 (quant bytes 0-7 and 16-23 of each 32-byte group),
     * {@code sumH} and {@code accH} its lanes 4-7 (bytes 8-15 and 24-31); the integer sums per lane,
     * the FMA steps and the order the lanes are summed in are the same.
     */
    static float dotQ4_K128(MemorySegment w, long ro, int nsb, Activations a, int qOff) {
        short[] q = a.q;
        FloatVector accL = FloatVector.zero(F128);
        FloatVector accH = FloatVector.zero(F128);
        float accMin = 0;
        for (int i = 0; i < nsb; i++) {
            long xb = ro + (long) i * BlockQ4_K.BYTES;
            int qb = qOff + 256 * i;
            long so = xb + BlockQ4_K.SCALES_OFFSET;
            int u0 = w.get(QuantMath.I32, so);
            int u1 = w.get(QuantMath.I32, so + 4);
            int u2 = w.get(QuantMath.I32, so + 8);
            int u3 = ((u2 >>> 4) & 0x0f0f0f0f) | (((u1 >>> 6) & 0x03030303) << 4);
            int m0 = u1 & 0x3f3f3f3f;
            u1 = (u2 & 0x0f0f0f0f) | (((u0 >>> 6) & 0x03030303) << 4);
            u0 &= 0x3f3f3f3f;
            long sc = (u0 & 0xFFFFFFFFL) | ((long) u1 << 32);
            long mn = (m0 & 0xFFFFFFFFL) | ((long) u3 << 32);
            IntVector sumL = IntVector.zero(I128);
            IntVector sumH = IntVector.zero(I128);
            int summ = 0;
            for (int g = 0; g < 4; g++) {
                int sc1 = (int) (sc >>> (16 * g)) & 0xff;
                int sc2 = (int) (sc >>> (16 * g + 8)) & 0xff;
                int mn1 = (int) (mn >>> (16 * g)) & 0xff;
                int mn2 = (int) (mn >>> (16 * g + 8)) & 0xff;
                long qs = xb + BlockQ4_K.QS_OFFSET + 32 * g;
                ShortVector v0 = (ShortVector) ByteVector.fromMemorySegment(B64, w, qs, LE).convertShape(B2S, S128, 0);
                ShortVector v1 = (ShortVector) ByteVector.fromMemorySegment(B64, w, qs + 8, LE).convertShape(B2S, S128, 0);
                ShortVector v2 = (ShortVector) ByteVector.fromMemorySegment(B64, w, qs + 16, LE).convertShape(B2S, S128, 0);
                ShortVector v3 = (ShortVector) ByteVector.fromMemorySegment(B64, w, qs + 24, LE).convertShape(B2S, S128, 0);
                int ab = qb + 64 * g;
                IntVector pLoL = v0.and((short) 0xF).mul(ShortVector.fromArray(S128, q, ab))
                        .add(v2.and((short) 0xF).mul(ShortVector.fromArray(S128, q, ab + 16))).reinterpretAsInts();
                IntVector pLoH = v1.and((short) 0xF).mul(ShortVector.fromArray(S128, q, ab + 8))
                        .add(v3.and((short) 0xF).mul(ShortVector.fromArray(S128, q, ab + 24))).reinterpretAsInts();
                IntVector pHiL = v0.lanewise(ASHR, 4).and((short) 0xF).mul(ShortVector.fromArray(S128, q, ab + 32))
                        .add(v2.lanewise(ASHR, 4).and((short) 0xF).mul(ShortVector.fromArray(S128, q, ab + 48))).reinterpretAsInts();
                IntVector pHiH = v1.lanewise(ASHR, 4).and((short) 0xF).mul(ShortVector.fromArray(S128, q, ab + 40))
                        .add(v3.lanewise(ASHR, 4).and((short) 0xF).mul(ShortVector.fromArray(S128, q, ab + 56))).reinterpretAsInts();
                sumL = sumL.add(pLoL.lanewise(ASHR, 16).add(pLoL.lanewise(LSHL, 16).lanewise(ASHR, 16)).mul(sc1))
                        .add(pHiL.lanewise(ASHR, 16).add(pHiL.lanewise(LSHL, 16).lanewise(ASHR, 16)).mul(sc2));
                sumH = sumH.add(pLoH.lanewise(ASHR, 16).add(pLoH.lanewise(LSHL, 16).lanewise(ASHR, 16)).mul(sc1))
                        .add(pHiH.lanewise(ASHR, 16).add(pHiH.lanewise(LSHL, 16).lanewise(ASHR, 16)).mul(sc2));
                int bs = qb / 16 + 4 * g;
                summ += mn1 * (a.bsum[bs] + a.bsum[bs + 1]) + mn2 * (a.bsum[bs + 2] + a.bsum[bs + 3]);
            }
            float dy = a.d[qb / 256];
            FloatVector s = FloatVector.broadcast(F128, QuantMath.fp16(w, xb + BlockQ4_K.D_OFFSET) * dy);
            accL = ((FloatVector) sumL.convert(I2F, 0)).fma(s, accL);
            accH = ((FloatVector) sumH.convert(I2F, 0)).fma(s, accH);
            accMin += QuantMath.fp16(w, xb + BlockQ4_K.DMIN_OFFSET) * dy * summ;
        }
        float s = 0;
        for (int l = 0; l < 4; l++) {
            s += accL.lane(l);
        }
        for (int l = 0; l < 4; l++) {
            s += accH.lane(l);
        }
        return s - accMin;
    }

    static float dotQ4_KGeneric(MemorySegment w, long ro, int nsb, Activations a, int qOff) {
        float sumf = 0;
        for (int i = 0; i < nsb; i++) {
            long xb = ro + (long) i * BlockQ4_K.BYTES;
            int qb = qOff + 256 * i;
            int sumi = 0;
            int summ = 0;
            for (int j = 0; j < 8; j++) {
                int sm = BlockQ4_K.scaleMin(w, xb + BlockQ4_K.SCALES_OFFSET, j);
                int isum = 0;
                for (int l = 0; l < 32; l++) {
                    int v = ((w.get(I8, xb + BlockQ4_K.QS_OFFSET + 32 * (j / 2) + l) & 0xff) >> (4 * (j & 1))) & 0xF;
                    isum += v * a.q[qb + 32 * j + l];
                }
                sumi += (sm & 0xff) * isum;
                summ += (sm >> 8) * (a.bsum[qb / 16 + 2 * j] + a.bsum[qb / 16 + 2 * j + 1]);
            }
            float dy = a.d[qb / 256];
            sumf += QuantMath.fp16(w, xb + BlockQ4_K.D_OFFSET) * dy * sumi;
            sumf -= QuantMath.fp16(w, xb + BlockQ4_K.DMIN_OFFSET) * dy * summ;
        }
        return sumf;
    }

    /**
     * One Q6_K row against Q8_K activations. Quants are used unsigned (0..63) and the offset is taken
     * out afterwards as {@code 32 * sum(scale * bsum)}, as ggml's AVX2 code does.
     */
    static float dotQ6_K(MemorySegment w, long ro, int nsb, Activations a, int qOff) {
        short[] q = a.q;
        FloatVector acc = FloatVector.zero(F256);
        for (int i = 0; i < nsb; i++) {
            long xb = ro + (long) i * BlockQ6_K.BYTES;
            int qb = qOff + 256 * i;
            long scales = xb + BlockQ6_K.SCALES_OFFSET;
            IntVector sumi = IntVector.zero(I256);
            for (int half = 0; half < 2; half++) {
                long ql = xb + BlockQ6_K.QL_OFFSET + 64L * half;
                long qh = xb + BlockQ6_K.QH_OFFSET + 32L * half;
                int ab = qb + 128 * half;
                for (int h = 0; h < 32; h += 16) {
                    ShortVector l0 = (ShortVector) ByteVector.fromMemorySegment(B128, w, ql + h, LE).convertShape(B2S, S256, 0);
                    ShortVector l1 = (ShortVector) ByteVector.fromMemorySegment(B128, w, ql + 32 + h, LE).convertShape(B2S, S256, 0);
                    ShortVector hb = (ShortVector) ByteVector.fromMemorySegment(B128, w, qh + h, LE).convertShape(B2S, S256, 0);
                    IntVector p1 = l0.and((short) 0xF).or(hb.and((short) 3).lanewise(LSHL, 4))
                            .mul(ShortVector.fromArray(S256, q, ab + h)).reinterpretAsInts();
                    IntVector p2 = l1.and((short) 0xF).or(hb.and((short) 0xC).lanewise(LSHL, 2))
                            .mul(ShortVector.fromArray(S256, q, ab + 32 + h)).reinterpretAsInts();
                    IntVector p3 = l0.lanewise(ASHR, 4).and((short) 0xF).or(hb.and((short) 0x30))
                            .mul(ShortVector.fromArray(S256, q, ab + 64 + h)).reinterpretAsInts();
                    IntVector p4 = l1.lanewise(ASHR, 4).and((short) 0xF).or(hb.lanewise(ASHR, 2).and((short) 0x30))
                            .mul(ShortVector.fromArray(S256, q, ab + 96 + h)).reinterpretAsInts();
                    int is = 8 * half + h / 16;
                    // pairs of 16-bit lanes summed into 32-bit lanes, then times the sub-block scale
                    sumi = sumi
                            .add(p1.lanewise(ASHR, 16).add(p1.lanewise(LSHL, 16).lanewise(ASHR, 16)).mul(w.get(I8, scales + is)))
                            .add(p2.lanewise(ASHR, 16).add(p2.lanewise(LSHL, 16).lanewise(ASHR, 16)).mul(w.get(I8, scales + is + 2)))
                            .add(p3.lanewise(ASHR, 16).add(p3.lanewise(LSHL, 16).lanewise(ASHR, 16)).mul(w.get(I8, scales + is + 4)))
                            .add(p4.lanewise(ASHR, 16).add(p4.lanewise(LSHL, 16).lanewise(ASHR, 16)).mul(w.get(I8, scales + is + 6)));
                }
            }
            int offset = 0;
            for (int j = 0; j < 16; j++) {
                offset += w.get(I8, scales + j) * a.bsum[qb / 16 + j];
            }
            float d = QuantMath.fp16(w, xb + BlockQ6_K.D_OFFSET) * a.d[qb / 256];
            acc = ((FloatVector) sumi.sub(IntVector.zero(I256).withLane(0, 32 * offset)).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, d), acc);
        }
        return VectorOps.sumLanes(acc);
    }

    /**
     * {@link #dotQ6_K} with 128-bit vectors, bit for bit: {@code sumL} and {@code accL} hold the
     * 256-bit form's lanes 0-3 (bytes 0-7 of each 16-byte load), {@code sumH} and {@code accH} its
     * lanes 4-7 (bytes 8-15); the offset comes off lane 0, as there.
     */
    static float dotQ6_K128(MemorySegment w, long ro, int nsb, Activations a, int qOff) {
        short[] q = a.q;
        FloatVector accL = FloatVector.zero(F128);
        FloatVector accH = FloatVector.zero(F128);
        for (int i = 0; i < nsb; i++) {
            long xb = ro + (long) i * BlockQ6_K.BYTES;
            int qb = qOff + 256 * i;
            long scales = xb + BlockQ6_K.SCALES_OFFSET;
            IntVector sumL = IntVector.zero(I128);
            IntVector sumH = IntVector.zero(I128);
            for (int half = 0; half < 2; half++) {
                long ql = xb + BlockQ6_K.QL_OFFSET + 64L * half;
                long qh = xb + BlockQ6_K.QH_OFFSET + 32L * half;
                int ab = qb + 128 * half;
                for (int h = 0; h < 32; h += 16) {
                    int is = 8 * half + h / 16;
                    int s1 = w.get(I8, scales + is);
                    int s2 = w.get(I8, scales + is + 2);
                    int s3 = w.get(I8, scales + is + 4);
                    int s4 = w.get(I8, scales + is + 6);
                    // k = 0: the 256-bit form's lanes 0-3 (into sumL), k = 8: its lanes 4-7 (into sumH)
                    for (int k = 0; k < 16; k += 8) {
                        ShortVector l0 = (ShortVector) ByteVector.fromMemorySegment(B64, w, ql + h + k, LE).convertShape(B2S, S128, 0);
                        ShortVector l1 = (ShortVector) ByteVector.fromMemorySegment(B64, w, ql + 32 + h + k, LE).convertShape(B2S, S128, 0);
                        ShortVector hb = (ShortVector) ByteVector.fromMemorySegment(B64, w, qh + h + k, LE).convertShape(B2S, S128, 0);
                        IntVector p1 = l0.and((short) 0xF).or(hb.and((short) 3).lanewise(LSHL, 4))
                                .mul(ShortVector.fromArray(S128, q, ab + h + k)).reinterpretAsInts();
                        IntVector p2 = l1.and((short) 0xF).or(hb.and((short) 0xC).lanewise(LSHL, 2))
                                .mul(ShortVector.fromArray(S128, q, ab + 32 + h + k)).reinterpretAsInts();
                        IntVector p3 = l0.lanewise(ASHR, 4).and((short) 0xF).or(hb.and((short) 0x30))
                                .mul(ShortVector.fromArray(S128, q, ab + 64 + h + k)).reinterpretAsInts();
                        IntVector p4 = l1.lanewise(ASHR, 4).and((short) 0xF).or(hb.lanewise(ASHR, 2).and((short) 0x30))
                                .mul(ShortVector.fromArray(S128, q, ab + 96 + h + k)).reinterpretAsInts();
                        IntVector part = p1.lanewise(ASHR, 16).add(p1.lanewise(LSHL, 16).lanewise(ASHR, 16)).mul(s1)
                                .add(p2.lanewise(ASHR, 16).add(p2.lanewise(LSHL, 16).lanewise(ASHR, 16)).mul(s2))
                                .add(p3.lanewise(ASHR, 16).add(p3.lanewise(LSHL, 16).lanewise(ASHR, 16)).mul(s3))
                                .add(p4.lanewise(ASHR, 16).add(p4.lanewise(LSHL, 16).lanewise(ASHR, 16)).mul(s4));
                        if (k == 0) {
                            sumL = sumL.add(part);
                        } else {
                            sumH = sumH.add(part);
                        }
                    }
                }
            }
            int offset = 0;
            for (int j = 0; j < 16; j++) {
                offset += w.get(I8, scales + j) * a.bsum[qb / 16 + j];
            }
            FloatVector d = FloatVector.broadcast(F128, QuantMath.fp16(w, xb + BlockQ6_K.D_OFFSET) * a.d[qb / 256]);
            accL = ((FloatVector) sumL.sub(IntVector.zero(I128).withLane(0, 32 * offset)).convert(I2F, 0)).fma(d, accL);
            accH = ((FloatVector) sumH.convert(I2F, 0)).fma(d, accH);
        }
        float s = 0;
        for (int l = 0; l < 4; l++) {
            s += accL.lane(l);
        }
        for (int l = 0; l < 4; l++) {
            s += accH.lane(l);
        }
        return s;
    }

    static float dotQ6_KGeneric(MemorySegment w, long ro, int nsb, Activations a, int qOff) {
        float sumf = 0;
        for (int i = 0; i < nsb; i++) {
            long xb = ro + (long) i * BlockQ6_K.BYTES;
            int qb = qOff + 256 * i;
            int sumi = 0;
            for (int j = 0; j < 16; j++) {
                int isum = 0;
                for (int ii = 0; ii < 16; ii++) {
                    isum += (BlockQ6_K.quant(w, xb, 16 * j + ii) - 32) * a.q[qb + 16 * j + ii];
                }
                sumi += w.get(I8, xb + BlockQ6_K.SCALES_OFFSET + j) * isum;
            }
            sumf += QuantMath.fp16(w, xb + BlockQ6_K.D_OFFSET) * a.d[qb / 256] * sumi;
        }
        return sumf;
    }
}
