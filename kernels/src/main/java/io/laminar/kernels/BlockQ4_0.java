package io.laminar.kernels;

import static io.laminar.kernels.QuantMath.I8;
import static io.laminar.kernels.QuantMath.fp16;
import static io.laminar.kernels.QuantMath.putFp16;

import java.lang.foreign.MemorySegment;

/**
 * Q4_0 (ggml's {@code block_q4_0}): 32 weights as 4-bit unsigned quants with one fp16 scale.
 *
 * <pre>
 * offset size field
 *      0    2 d    fp16 scale (delta)
 *      2   16 qs   nibbles: byte j holds weight j in its low half, weight j+16 in its high half
 *     18          (BYTES)
 * </pre>
 *
 * <p>Decode: {@code x[j] = d * ((qs[j] & 15) - 8)}, {@code x[j+16] = d * ((qs[j] >> 4) - 8)}.
 * 18 bytes per 32 weights: 4.5 bits per weight. Dot products pair it with {@link BlockQ8_0} activations.
 */
public final class BlockQ4_0 {
    /** Weights per block (ggml's {@code QK4_0}). */
    public static final int QK = 32;
    public static final int D_OFFSET = 0;
    public static final int D_SIZE = Short.BYTES;
    public static final int QS_OFFSET = D_OFFSET + D_SIZE;
    public static final int QS_SIZE = QK / 2;
    /** Bytes per block: {@code D_SIZE + QS_SIZE}. */
    public static final int BYTES = QS_OFFSET + QS_SIZE;
    public static final double BITS_PER_WEIGHT = 8.0 * BYTES / QK;

    private BlockQ4_0() {
    }

    /**
     * ggml's {@code quantize_row_q4_0_ref}: {@code d = max / -8} where {@code max} is the value of
     * largest magnitude (sign kept), {@code q = min(15, (int) (x / d + 8.5))}.
     */
    public static void quantize_row_q4_0_ref(float[] x, int xOff, MemorySegment y, long yOff, int k) {
        checkWhole(k);
        for (int i = 0; i < k / QK; i++) {
            int xb = xOff + i * QK;
            long yb = yOff + (long) i * BYTES;
            float amax = 0;
            float max = 0;
            for (int j = 0; j < QK; j++) {
                float v = x[xb + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            putFp16(y, yb + D_OFFSET, d);
            for (int j = 0; j < QK / 2; j++) {
                float x0 = x[xb + j] * id;
                float x1 = x[xb + QK / 2 + j] * id;
                int xi0 = Math.min(15, (byte) (int) (x0 + 8.5f));
                int xi1 = Math.min(15, (byte) (int) (x1 + 8.5f));
                y.set(I8, yb + QS_OFFSET + j, (byte) (xi0 | (xi1 << 4)));
            }
        }
    }

    public static void dequantize_row_q4_0(MemorySegment x, long xOff, float[] y, int yOff, int k) {
        checkWhole(k);
        for (int i = 0; i < k / QK; i++) {
            long xb = xOff + (long) i * BYTES;
            float d = fp16(x, xb + D_OFFSET);
            for (int j = 0; j < QK / 2; j++) {
                int q = x.get(I8, xb + QS_OFFSET + j) & 0xff;
                y[yOff + i * QK + j] = ((q & 0x0F) - 8) * d;
                y[yOff + i * QK + j + QK / 2] = ((q >> 4) - 8) * d;
            }
        }
    }

    /** Scalar dot of {@code n} Q4_0 weights with {@code n} Q8_0 activations. */
    public static float vec_dot_q4_0_q8_0_generic(int n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        checkWhole(n);
        float sumf = 0;
        for (int i = 0; i < n / QK; i++) {
            long xb = xOff + (long) i * BYTES;
            long yb = yOff + (long) i * BlockQ8_0.BYTES + BlockQ8_0.QS_OFFSET;
            int sumi0 = 0;
            int sumi1 = 0;
            for (int j = 0; j < QK / 2; j++) {
                int q = x.get(I8, xb + QS_OFFSET + j) & 0xff;
                sumi0 += ((q & 0x0F) - 8) * y.get(I8, yb + j);
                sumi1 += ((q >> 4) - 8) * y.get(I8, yb + j + QK / 2);
            }
            sumf += (sumi0 + sumi1) * (fp16(x, xb + D_OFFSET) * fp16(y, yOff + (long) i * BlockQ8_0.BYTES));
        }
        return sumf;
    }

    static void checkWhole(int k) {
        if (k % QK != 0) {
            throw new IllegalArgumentException("Q4_0 needs a multiple of " + QK + " elements, got k=" + k);
        }
    }
}
