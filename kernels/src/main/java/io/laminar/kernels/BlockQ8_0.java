package io.laminar.kernels;

import static io.laminar.kernels.QuantMath.I8;
import static io.laminar.kernels.QuantMath.fp16;
import static io.laminar.kernels.QuantMath.putFp16;
import static io.laminar.kernels.QuantMath.roundf;

import java.lang.foreign.MemorySegment;

/**
 * Q8_0 (ggml's {@code block_q8_0}): 32 weights as int8 with one fp16 scale. Also the activation
 * format for Q8_0 and Q4_0 weights.
 *
 * <pre>
 * offset size field
 *      0    2 d    fp16 scale (delta)
 *      2   32 qs   int8 quants
 *     34          (BYTES)
 * </pre>
 *
 * <p>Decode: {@code x[i] = d * qs[i]}. 34 bytes per 32 weights: 8.5 bits per weight.
 */
public final class BlockQ8_0 {
    /** Weights per block (ggml's {@code QK8_0}). */
    public static final int QK = 32;
    public static final int D_OFFSET = 0;
    public static final int D_SIZE = Short.BYTES;
    public static final int QS_OFFSET = D_OFFSET + D_SIZE;
    public static final int QS_SIZE = QK * Byte.BYTES;
    /** Bytes per block: {@code D_SIZE + QS_SIZE}. */
    public static final int BYTES = QS_OFFSET + QS_SIZE;
    public static final double BITS_PER_WEIGHT = 8.0 * BYTES / QK;

    private BlockQ8_0() {
    }

    /**
     * The reference quantizer ggml writes model files with ({@code quantize_row_q8_0_ref}):
     * {@code d = amax / 127}, {@code q = roundf(x / d)} (halfway cases away from zero).
     */
    public static void quantize_row_q8_0_ref(float[] x, int xOff, MemorySegment y, long yOff, int k) {
        checkWhole(k);
        for (int i = 0; i < k / QK; i++) {
            int xb = xOff + i * QK;
            long yb = yOff + (long) i * BYTES;
            float amax = 0;
            for (int j = 0; j < QK; j++) {
                amax = Math.max(amax, Math.abs(x[xb + j]));
            }
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            putFp16(y, yb + D_OFFSET, d);
            for (int j = 0; j < QK; j++) {
                y.set(I8, yb + QS_OFFSET + j, (byte) (int) roundf(x[xb + j] * id));
            }
        }
    }

    /**
     * The activation quantizer llama.cpp runs on x86 ({@code quantize_row_q8_0} in
     * {@code arch/x86/quants.c}): {@code d = amax / 127}, {@code q = rint(x * (127 / amax))}, rounding
     * halfway cases to even. It differs from {@link #quantize_row_q8_0_ref} in the last bit of a few
     * quants; using it keeps our activations identical to llama.cpp's. Quants stay within ±127.
     */
    public static void quantize_row_q8_0(float[] x, int xOff, MemorySegment y, long yOff, int k) {
        checkWhole(k);
        for (int i = 0; i < k / QK; i++) {
            int xb = xOff + i * QK;
            long yb = yOff + (long) i * BYTES;
            float amax = amax(x, xb);
            putFp16(y, yb + D_OFFSET, amax / 127.f);
            float id = amax != 0 ? 127.f / amax : 0.0f;
            for (int j = 0; j < QK; j++) {
                y.set(I8, yb + QS_OFFSET + j, (byte) (int) Math.rint(x[xb + j] * id));
            }
        }
    }

    static float amax(float[] x, int off) {
        float amax = 0;
        for (int j = 0; j < QK; j++) {
            amax = Math.max(amax, Math.abs(x[off + j]));
        }
        return amax;
    }

    /** {@code y[i] = d * qs[i]} for {@code k} weights. */
    public static void dequantize_row_q8_0(MemorySegment x, long xOff, float[] y, int yOff, int k) {
        checkWhole(k);
        for (int i = 0; i < k / QK; i++) {
            long xb = xOff + (long) i * BYTES;
            float d = fp16(x, xb + D_OFFSET);
            for (int j = 0; j < QK; j++) {
                y[yOff + i * QK + j] = x.get(I8, xb + QS_OFFSET + j) * d;
            }
        }
    }

    /** Scalar dot of {@code n} Q8_0 weights with {@code n} Q8_0 activations: exact int sum per block, float across. */
    public static float vec_dot_q8_0_q8_0_generic(int n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        checkWhole(n);
        float sumf = 0;
        for (int i = 0; i < n / QK; i++) {
            long xb = xOff + (long) i * BYTES;
            long yb = yOff + (long) i * BYTES;
            int sumi = 0;
            for (int j = 0; j < QK; j++) {
                sumi += x.get(I8, xb + QS_OFFSET + j) * y.get(I8, yb + QS_OFFSET + j);
            }
            sumf += sumi * (fp16(x, xb + D_OFFSET) * fp16(y, yb + D_OFFSET));
        }
        return sumf;
    }

    static void checkWhole(int k) {
        if (k % QK != 0) {
            throw new IllegalArgumentException("Q8_0 needs a multiple of " + QK + " elements, got k=" + k);
        }
    }
}
