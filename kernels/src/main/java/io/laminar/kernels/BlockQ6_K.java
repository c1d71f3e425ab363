package io.laminar.kernels;

import static io.laminar.kernels.QuantMath.F32;
import static io.laminar.kernels.QuantMath.GROUP_MAX_EPS;
import static io.laminar.kernels.QuantMath.I8;
import static io.laminar.kernels.QuantMath.fp16;
import static io.laminar.kernels.QuantMath.nearestInt;
import static io.laminar.kernels.QuantMath.putFp16;

import java.lang.foreign.MemorySegment;

/**
 * Q6_K (ggml's {@code block_q6_K}): a super-block of 256 weights in 16 sub-blocks of 16, 6-bit
 * quants, an int8 scale per sub-block and one fp16 super-block scale.
 *
 * <pre>
 * offset size field
 *      0  128 ql      low 4 bits of the quants
 *    128   64 qh      high 2 bits of the quants
 *    192   16 scales  int8 sub-block scales
 *    208    2 d       fp16 super-block scale
 *    210             (BYTES)
 * </pre>
 *
 * <p>Within each half {@code n} (0 or 128) and {@code l} in [0, 32), with {@code ql} and
 * {@code qh} advanced by 64 and 32 bytes per half: weight {@code n+l} takes the low nibble of
 * {@code ql[l]} and bits 0-1 of {@code qh[l]}; {@code n+l+32} the low nibble of {@code ql[l+32]} and
 * bits 2-3; {@code n+l+64} the high nibble of {@code ql[l]} and bits 4-5; {@code n+l+96} the high
 * nibble of {@code ql[l+32]} and bits 6-7. Decode: {@code x = d * scales[i/16] * (q - 32)}.
 * 6.5625 bits per weight.
 */
public final class BlockQ6_K {
    /** Weights per super-block (ggml's {@code QK_K}). */
    public static final int QK = 256;
    public static final int QL_OFFSET = 0;
    public static final int QL_SIZE = QK / 2;
    public static final int QH_OFFSET = QL_OFFSET + QL_SIZE;
    public static final int QH_SIZE = QK / 4;
    public static final int SCALES_OFFSET = QH_OFFSET + QH_SIZE;
    public static final int SCALES_SIZE = QK / 16;
    public static final int D_OFFSET = SCALES_OFFSET + SCALES_SIZE;
    public static final int D_SIZE = Short.BYTES;
    /** Bytes per block: {@code QL_SIZE + QH_SIZE + SCALES_SIZE + D_SIZE}. */
    public static final int BYTES = D_OFFSET + D_SIZE;
    public static final double BITS_PER_WEIGHT = 8.0 * BYTES / QK;

    private BlockQ6_K() {
    }

    /** The 6-bit quant (0..63) of weight {@code i} of the super-block at {@code xb}. */
    static int quant(MemorySegment x, long xb, int i) {
        int n = i / 128;
        int r = i % 128;
        int l = r % 32;
        int which = r / 32;
        long ql = xb + QL_OFFSET + 64L * n;
        long qh = xb + QH_OFFSET + 32L * n;
        int lowByte = x.get(I8, ql + l + ((which & 1) != 0 ? 32 : 0)) & 0xff;
        int low = which < 2 ? lowByte & 0xF : lowByte >> 4;
        int high = ((x.get(I8, qh + l) & 0xff) >> (2 * which)) & 3;
        return low | (high << 4);
    }

    /** ggml's {@code quantize_row_q6_K_ref}, including {@code make_qx_quants}, bit for bit. */
    public static void quantize_row_q6_K_ref(float[] x, int xOff, MemorySegment y, long yOff, int k) {
        BlockQ8_K.checkWhole(k);
        byte[] l = new byte[QK];
        float[] scales = new float[QK / 16];
        for (int i = 0; i < k / QK; i++) {
            int xb = xOff + i * QK;
            long yb = yOff + (long) i * BYTES;
            float maxScale = 0;
            float maxAbsScale = 0;
            for (int ib = 0; ib < QK / 16; ib++) {
                float scale = make_qx_quants(16, 32, x, xb + 16 * ib, l, 16 * ib, 1);
                scales[ib] = scale;
                float absScale = Math.abs(scale);
                if (absScale > maxAbsScale) {
                    maxAbsScale = absScale;
                    maxScale = scale;
                }
            }
            if (maxAbsScale < GROUP_MAX_EPS) {
                y.asSlice(yb, BYTES).fill((byte) 0);
                continue;
            }
            float iscale = -128.f / maxScale;
            putFp16(y, yb + D_OFFSET, 1 / iscale);
            for (int ib = 0; ib < QK / 16; ib++) {
                y.set(I8, yb + SCALES_OFFSET + ib, (byte) Math.min(127, nearestInt(iscale * scales[ib])));
            }
            float dAll = fp16(y, yb + D_OFFSET);
            for (int j = 0; j < QK / 16; j++) {
                float d = dAll * y.get(I8, yb + SCALES_OFFSET + j);
                if (d == 0) {
                    continue;
                }
                for (int ii = 0; ii < 16; ii++) {
                    int v = nearestInt(x[xb + 16 * j + ii] / d);
                    v = Math.max(-32, Math.min(31, v));
                    l[16 * j + ii] = (byte) (v + 32);
                }
            }
            for (int j = 0; j < QK; j += 128) {
                long ql = yb + QL_OFFSET + j / 2;
                long qh = yb + QH_OFFSET + j / 4;
                for (int ii = 0; ii < 32; ii++) {
                    int q1 = l[j + ii] & 0xF;
                    int q2 = l[j + ii + 32] & 0xF;
                    int q3 = l[j + ii + 64] & 0xF;
                    int q4 = l[j + ii + 96] & 0xF;
                    y.set(I8, ql + ii, (byte) (q1 | (q3 << 4)));
                    y.set(I8, ql + ii + 32, (byte) (q2 | (q4 << 4)));
                    y.set(I8, qh + ii, (byte) ((l[j + ii] >> 4) | ((l[j + ii + 32] >> 4) << 2)
                            | ((l[j + ii + 64] >> 4) << 4) | ((l[j + ii + 96] >> 4) << 6)));
                }
            }
        }
    }

    /**
     * ggml's {@code make_qx_quants} for {@code qw == NULL}: symmetric quants {@code L} in
     * [0, 2*nmax) (stored with +nmax), scale searched over 19 candidates around {@code -nmax / max}
     * to maximise the weighted fit. {@code rmseType} 1 weights by {@code x^2}.
     */
    static float make_qx_quants(int n, int nmax, float[] x, int xOff, byte[] l, int lOff, int rmseType) {
        float max = QuantMath.largestMagnitude(x, xOff, n);
        if (Math.abs(max) < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) {
                l[lOff + i] = 0;
            }
            return 0.f;
        }
        float iscale = -nmax / max;
        if (rmseType == 0) {
            for (int i = 0; i < n; i++) {
                int li = nearestInt(iscale * x[xOff + i]);
                l[lOff + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, li)));
            }
            return 1 / iscale;
        }
        boolean returnEarly = false;
        if (rmseType < 0) {
            rmseType = -rmseType;
            returnEarly = true;
        }
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xOff + i];
            int li = nearestInt(iscale * xi);
            li = Math.max(-nmax, Math.min(nmax - 1, li));
            l[lOff + i] = (byte) (li + nmax);
            float w = weight(rmseType, xi);
            sumlx += w * xi * li;
            suml2 += w * li * li;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        if (returnEarly) {
            return suml2 > 0 ? 0.5f * (scale + 1 / iscale) : 1 / iscale;
        }
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xOff + i];
                int li = nearestInt(iscale * xi);
                li = Math.max(-nmax, Math.min(nmax - 1, li));
                float w = weight(rmseType, xi);
                sumlx += w * xi * li;
                suml2 += w * li * li;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) {
                    int li = nearestInt(iscale * x[xOff + i]);
                    l[lOff + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, li)));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    private static float weight(int rmseType, float x) {
        return switch (rmseType) {
            case 1 -> x * x;
            case 2 -> 1;
            case 3 -> Math.abs(x);
            default -> (float) Math.sqrt(Math.abs(x));
        };
    }

    public static void dequantize_row_q6_K(MemorySegment x, long xOff, float[] y, int yOff, int k) {
        BlockQ8_K.checkWhole(k);
        for (int i = 0; i < k / QK; i++) {
            long xb = xOff + (long) i * BYTES;
            float d = fp16(x, xb + D_OFFSET);
            for (int j = 0; j < QK; j++) {
                y[yOff + i * QK + j] = d * x.get(I8, xb + SCALES_OFFSET + j / 16) * (quant(x, xb, j) - 32);
            }
        }
    }

    /** Scalar dot of {@code n} Q6_K weights with {@code n} {@link BlockQ8_K} activations. */
    public static float vec_dot_q6_K_q8_K_generic(int n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        BlockQ8_K.checkWhole(n);
        float sumf = 0;
        for (int i = 0; i < n / QK; i++) {
            long xb = xOff + (long) i * BYTES;
            long yb = yOff + (long) i * BlockQ8_K.BYTES;
            int sumi = 0;
            for (int j = 0; j < QK / 16; j++) {
                int isum = 0;
                for (int ii = 0; ii < 16; ii++) {
                    isum += (quant(x, xb, 16 * j + ii) - 32) * y.get(I8, yb + BlockQ8_K.QS_OFFSET + 16 * j + ii);
                }
                sumi += x.get(I8, xb + SCALES_OFFSET + j) * isum;
            }
            sumf += fp16(x, xb + D_OFFSET) * y.get(F32, yb + BlockQ8_K.D_OFFSET) * sumi;
        }
        return sumf;
    }
}
