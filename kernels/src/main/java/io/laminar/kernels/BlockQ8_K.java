package io.laminar.kernels;

import static io.laminar.kernels.QuantMath.F32;
import static io.laminar.kernels.QuantMath.I16;
import static io.laminar.kernels.QuantMath.I8;
import static io.laminar.kernels.QuantMath.nearestInt;

import java.lang.foreign.MemorySegment;

/**
 * Q8_K (ggml's {@code block_q8_K}): the activation format for dot products with K-quant weights
 * ({@link BlockQ4_K}, {@link BlockQ6_K}); never stored in model files.
 *
 * <pre>
 * offset size field
 *      0    4 d      float32 scale
 *      4  256 qs     int8 quants
 *    260   32 bsums  16 x int16: sum of qs over each group of 16
 *    292            (BYTES)
 * </pre>
 *
 * <p>Decode: {@code x[i] = d * qs[i]}. The group sums let a dot product apply a weight block's
 * minimum (or offset) without touching the quants again. 9.125 bits per weight.
 */
public final class BlockQ8_K {
    /** Weights per super-block (ggml's {@code QK_K}). */
    public static final int QK = 256;
    public static final int D_OFFSET = 0;
    public static final int D_SIZE = Float.BYTES;
    public static final int QS_OFFSET = D_OFFSET + D_SIZE;
    public static final int QS_SIZE = QK;
    public static final int BSUMS_OFFSET = QS_OFFSET + QS_SIZE;
    public static final int BSUMS_COUNT = QK / 16;
    public static final int BSUMS_SIZE = BSUMS_COUNT * Short.BYTES;
    /** Bytes per block: {@code D_SIZE + QS_SIZE + BSUMS_SIZE}. */
    public static final int BYTES = BSUMS_OFFSET + BSUMS_SIZE;
    public static final double BITS_PER_WEIGHT = 8.0 * BYTES / QK;

    private BlockQ8_K() {
    }

    /**
     * ggml's {@code quantize_row_q8_K_ref} (which x86 llama.cpp also uses for activations):
     * {@code iscale = -127 / max} where {@code max} is the value of largest magnitude,
     * {@code q = min(127, nearest_int(iscale * x))}, {@code d = 1 / iscale}. An all-zero block gets
     * {@code d = 0} and zero sums (ggml leaves its sums unwritten).
     */
    public static void quantize_row_q8_K_ref(float[] x, int xOff, MemorySegment y, long yOff, int k) {
        checkWhole(k);
        for (int i = 0; i < k / QK; i++) {
            int xb = xOff + i * QK;
            long yb = yOff + (long) i * BYTES;
            float max = QuantMath.largestMagnitude(x, xb, QK);
            if (max == 0) {
                y.asSlice(yb, BYTES).fill((byte) 0);
                continue;
            }
            float iscale = -127.f / max;
            for (int j = 0; j < QK; j += 16) {
                int sum = 0;
                for (int ii = 0; ii < 16; ii++) {
                    int v = Math.min(127, nearestInt(iscale * x[xb + j + ii]));
                    y.set(I8, yb + QS_OFFSET + j + ii, (byte) v);
                    sum += v;
                }
                y.set(I16, yb + BSUMS_OFFSET + 2L * (j / 16), (short) sum);
            }
            y.set(F32, yb + D_OFFSET, 1 / iscale);
        }
    }

    public static void dequantize_row_q8_K(MemorySegment x, long xOff, float[] y, int yOff, int k) {
        checkWhole(k);
        for (int i = 0; i < k / QK; i++) {
            long xb = xOff + (long) i * BYTES;
            float d = x.get(F32, xb + D_OFFSET);
            for (int j = 0; j < QK; j++) {
                y[yOff + i * QK + j] = d * x.get(I8, xb + QS_OFFSET + j);
            }
        }
    }

    static void checkWhole(int k) {
        if (k % QK != 0) {
            throw new IllegalArgumentException("K-quants need a multiple of " + QK + " elements, got k=" + k);
        }
    }
}
