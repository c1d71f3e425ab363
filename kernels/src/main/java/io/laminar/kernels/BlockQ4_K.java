package io.laminar.kernels;

import static io.laminar.kernels.QuantMath.F32;
import static io.laminar.kernels.QuantMath.I16;
import static io.laminar.kernels.QuantMath.I8;
import static io.laminar.kernels.QuantMath.fp16;
import static io.laminar.kernels.QuantMath.nearestInt;
import static io.laminar.kernels.QuantMath.putFp16;

import java.lang.foreign.MemorySegment;

/**
 * Q4_K (ggml's {@code block_q4_K}): a super-block of 256 weights in 8 sub-blocks of 32, each
 * sub-block with a 6-bit scale and a 6-bit minimum, themselves scaled by two fp16 super-block
 * factors.
 *
 * <pre>
 * offset size field
 *      0    2 d       fp16 super-block scale for the quantized scales
 *      2    2 dmin    fp16 super-block scale for the quantized minimums
 *      4   12 scales  8 scales and 8 minimums, 6 bits each (see {@link #scaleMin})
 *     16  128 qs      nibbles: byte 32*g + l holds weight 64*g + l (low half) and 64*g + 32 + l (high half)
 *    144             (BYTES)
 * </pre>
 *
 * <p>Decode, sub-block {@code j} with scale {@code sc} and minimum {@code m}:
 * {@code x = d * sc * q - dmin * m}, {@code q} in [0, 15]. 4.5 bits per weight.
 */
public final class BlockQ4_K {
    /** Weights per super-block (ggml's {@code QK_K}). */
    public static final int QK = 256;
    /** ggml's {@code K_SCALE_SIZE}. */
    public static final int SCALES_SIZE = 12;
    public static final int D_OFFSET = 0;
    public static final int D_SIZE = Short.BYTES;
    public static final int DMIN_OFFSET = D_OFFSET + D_SIZE;
    public static final int DMIN_SIZE = Short.BYTES;
    public static final int SCALES_OFFSET = DMIN_OFFSET + DMIN_SIZE;
    public static final int QS_OFFSET = SCALES_OFFSET + SCALES_SIZE;
    public static final int QS_SIZE = QK / 2;
    /** Bytes per block: {@code D_SIZE + DMIN_SIZE + SCALES_SIZE + QS_SIZE}. */
    public static final int BYTES = QS_OFFSET + QS_SIZE;
    public static final double BITS_PER_WEIGHT = 8.0 * BYTES / QK;

    private BlockQ4_K() {
    }

    /**
     * ggml's {@code get_scale_min_k4}: the 6-bit scale (low byte of the result) and minimum (next
     * byte) of sub-block {@code j}. Sub-blocks 0-3 keep both in the low 6 bits of bytes j and j+4;
     * sub-blocks 4-7 keep their low 4 bits in byte j+4 and their top 2 bits in the spare top bits
     * of bytes j-4 and j.
     */
    static int scaleMin(MemorySegment s, long scalesOff, int j) {
        int sc;
        int m;
        if (j < 4) {
            sc = s.get(I8, scalesOff + j) & 63;
            m = s.get(I8, scalesOff + j + 4) & 63;
        } else {
            int qj4 = s.get(I8, scalesOff + j + 4) & 0xff;
            sc = (qj4 & 0xF) | (((s.get(I8, scalesOff + j - 4) & 0xff) >> 6) << 4);
            m = (qj4 >> 4) | (((s.get(I8, scalesOff + j) & 0xff) >> 6) << 4);
        }
        return sc | (m << 8);
    }

    /** ggml's {@code quantize_row_q4_K_ref}, including {@code make_qkx2_quants}, bit for bit. */
    public static void quantize_row_q4_K_ref(float[] x, int xOff, MemorySegment y, long yOff, int k) {
        BlockQ8_K.checkWhole(k);
        byte[] l = new byte[QK];
        byte[] laux = new byte[32];
        float[] weights = new float[32];
        float[] mins = new float[QK / 32];
        float[] scales = new float[QK / 32];
        for (int i = 0; i < k / QK; i++) {
            int xb = xOff + i * QK;
            long yb = yOff + (long) i * BYTES;
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < QK / 32; j++) {
                float sumX2 = 0;
                for (int ii = 0; ii < 32; ii++) {
                    sumX2 += x[xb + 32 * j + ii] * x[xb + 32 * j + ii];
                }
                float avX = (float) Math.sqrt(sumX2 / 32);
                for (int ii = 0; ii < 32; ii++) {
                    weights[ii] = avX + Math.abs(x[xb + 32 * j + ii]);
                }
                scales[j] = make_qkx2_quants(32, 15, x, xb + 32 * j, weights, l, 32 * j, mins, j, laux,
                        -1.f, 0.1f, 20, false);
                if (scales[j] > maxScale) {
                    maxScale = scales[j];
                }
                if (mins[j] > maxMin) {
                    maxMin = mins[j];
                }
            }
            float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
            float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
            byte[] sc = new byte[SCALES_SIZE];
            for (int j = 0; j < QK / 32; j++) {
                int ls = Math.min(63, nearestInt(invScale * scales[j]) & 0xff);
                int lm = Math.min(63, nearestInt(invMin * mins[j]) & 0xff);
                if (j < 4) {
                    sc[j] = (byte) ls;
                    sc[j + 4] = (byte) lm;
                } else {
                    sc[j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
                    sc[j - 4] |= (byte) ((ls >> 4) << 6);
                    sc[j] |= (byte) ((lm >> 4) << 6);
                }
            }
            MemorySegment.copy(sc, 0, y, I8, yb + SCALES_OFFSET, SCALES_SIZE);
            putFp16(y, yb + D_OFFSET, maxScale / 63.f);
            putFp16(y, yb + DMIN_OFFSET, maxMin / 63.f);
            float dAll = fp16(y, yb + D_OFFSET);
            float dminAll = fp16(y, yb + DMIN_OFFSET);
            for (int j = 0; j < QK / 32; j++) {
                int sm = scaleMin(y, yb + SCALES_OFFSET, j);
                float d = dAll * (sm & 0xff);
                if (d == 0) {
                    continue;
                }
                float dm = dminAll * (sm >> 8);
                for (int ii = 0; ii < 32; ii++) {
                    int v = nearestInt((x[xb + 32 * j + ii] + dm) / d);
                    l[32 * j + ii] = (byte) Math.max(0, Math.min(15, v));
                }
            }
            for (int j = 0; j < QK; j += 64) {
                for (int ii = 0; ii < 32; ii++) {
                    y.set(I8, yb + QS_OFFSET + j / 2 + ii, (byte) (l[j + ii] | (l[j + ii + 32] << 4)));
                }
            }
        }
    }

    /**
     * ggml's {@code make_qkx2_quants}: fits {@code x ~ scale * L - min} with {@code L} in
     * [0, nmax], trying {@code nstep + 1} candidate scales around {@code nmax / (max - min)} and
     * keeping the one with the least weighted error. Stores the minimum (as a positive number) in
     * {@code theMin[minIdx]} and returns the scale.
     */
    static float make_qkx2_quants(int n, int nmax, float[] x, int xOff, float[] weights, byte[] l, int lOff,
            float[] theMin, int minIdx, byte[] laux, float rmin, float rdelta, int nstep, boolean useMad) {
        float min = x[xOff];
        float max = x[xOff];
        float sumW = weights[0];
        float sumX = sumW * x[xOff];
        for (int i = 1; i < n; i++) {
            float xi = x[xOff + i];
            if (xi < min) {
                min = xi;
            }
            if (xi > max) {
                max = xi;
            }
            float w = weights[i];
            sumW += w;
            sumX += w * xi;
        }
        if (min > 0) {
            min = 0;
        }
        if (max == min) {
            for (int i = 0; i < n; i++) {
                l[lOff + i] = 0;
            }
            theMin[minIdx] = -min;
            return 0.f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int li = nearestInt(iscale * (x[xOff + i] - min));
            l[lOff + i] = (byte) Math.max(0, Math.min(nmax, li));
            float diff = scale * l[lOff + i] + min - x[xOff + i];
            diff = useMad ? Math.abs(diff) : diff * diff;
            bestError += weights[i] * diff;
        }
        if (nstep < 1) {
            theMin[minIdx] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXl = 0;
            for (int i = 0; i < n; i++) {
                int li = nearestInt(iscale * (x[xOff + i] - min));
                li = Math.max(0, Math.min(nmax, li));
                laux[i] = (byte) li;
                float w = weights[i];
                sumL += w * li;
                sumL2 += w * li * li;
                sumXl += w * li * x[xOff + i];
            }
            float dd = sumW * sumL2 - sumL * sumL;
            if (dd > 0) {
                float thisScale = (sumW * sumXl - sumX * sumL) / dd;
                float thisMin = (sumL2 * sumX - sumL * sumXl) / dd;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXl / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * laux[i] + thisMin - x[xOff + i];
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    curError += weights[i] * diff;
                }
                if (curError < bestError) {
                    System.arraycopy(laux, 0, l, lOff, n);
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin[minIdx] = -min;
        return scale;
    }

    public static void dequantize_row_q4_K(MemorySegment x, long xOff, float[] y, int yOff, int k) {
        BlockQ8_K.checkWhole(k);
        for (int i = 0; i < k / QK; i++) {
            long xb = xOff + (long) i * BYTES;
            float d = fp16(x, xb + D_OFFSET);
            float min = fp16(x, xb + DMIN_OFFSET);
            int yo = yOff + i * QK;
            for (int g = 0; g < 4; g++) {
                int sm1 = scaleMin(x, xb + SCALES_OFFSET, 2 * g);
                int sm2 = scaleMin(x, xb + SCALES_OFFSET, 2 * g + 1);
                float d1 = d * (sm1 & 0xff);
                float m1 = min * (sm1 >> 8);
                float d2 = d * (sm2 & 0xff);
                float m2 = min * (sm2 >> 8);
                for (int l = 0; l < 32; l++) {
                    int q = x.get(I8, xb + QS_OFFSET + 32 * g + l) & 0xff;
                    y[yo + 64 * g + l] = d1 * (q & 0xF) - m1;
                    y[yo + 64 * g + 32 + l] = d2 * (q >> 4) - m2;
                }
            }
        }
    }

    /**
     * Scalar dot of {@code n} Q4_K weights with {@code n} {@link BlockQ8_K} activations: per
     * super-block the scaled quant products and the minimums (through the activation group sums)
     * are summed exactly in integers, then scaled.
     */
    public static float vec_dot_q4_K_q8_K_generic(int n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        BlockQ8_K.checkWhole(n);
        float sumf = 0;
        for (int i = 0; i < n / QK; i++) {
            long xb = xOff + (long) i * BYTES;
            long yb = yOff + (long) i * BlockQ8_K.BYTES;
            int sumi = 0;
            int summ = 0;
            for (int j = 0; j < 8; j++) {
                int sm = scaleMin(x, xb + SCALES_OFFSET, j);
                int g = j / 2;
                int shift = (j & 1) * 4;
                int isum = 0;
                for (int l = 0; l < 32; l++) {
                    int q = ((x.get(I8, xb + QS_OFFSET + 32 * g + l) & 0xff) >> shift) & 0xF;
                    isum += q * y.get(I8, yb + BlockQ8_K.QS_OFFSET + 32 * j + l);
                }
                sumi += (sm & 0xff) * isum;
                summ += (sm >> 8) * (y.get(I16, yb + BlockQ8_K.BSUMS_OFFSET + 4L * j)
                        + y.get(I16, yb + BlockQ8_K.BSUMS_OFFSET + 4L * j + 2));
            }
            float dy = y.get(F32, yb + BlockQ8_K.D_OFFSET);
            sumf += fp16(x, xb + D_OFFSET) * dy * sumi;
            sumf -= fp16(x, xb + DMIN_OFFSET) * dy * summ;
        }
        return sumf;
    }

}
