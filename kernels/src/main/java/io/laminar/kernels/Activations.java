package io.laminar.kernels;

import static io.laminar.kernels.QuantMath.nearestInt;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Preallocated scratch holding one matmul's activations, converted once per token to the weight
 * type's dot format (ggml's {@code vec_dot_type}) and laid out for the kernels. The values are
 * exactly those of ggml's activation blocks; only their arrangement differs:
 *
 * <ul>
 *   <li>{@link Kind#FLOAT}: F32 activations, used as given (F32 weights).</li>
 *   <li>{@link Kind#F16}, {@link Kind#BF16}: values rounded to F16 / BF16, kept as floats in {@link #f}.</li>
 *   <li>{@link Kind#Q8_0}: Q8_0 quants as shorts in {@link #q}, block scales (the fp16 {@code d}, widened)
 *       in {@link #d}.</li>
 *   <li>{@link Kind#Q8_0_FOR_Q4_0}: Q8_0 for Q4_0 weights. Per block, in {@link #q}: {@code A1[j] = a[j]}
 *       and {@code A2[j] = a[j+16] - 16 a[j]} for j in [0, 16); in {@link #bias}:
 *       {@code -8 * sum(a[0..16))}. {@link GemmQ4_0} explains the algebra.</li>
 *   <li>{@link Kind#Q8_K}: Q8_K quants in {@link #q}, super-block scales in {@link #d}, and the sum of each
 *       16 quants (ggml's {@code bsums}) in {@link #bsum}.</li>
 * </ul>
 *
 * <p>Token {@code t} of a matmul with {@code cols} columns starts at {@code t * cols} in {@link #q} and
 * {@link #f}, at {@code t * cols / 32} in {@link #d} and {@link #bias} (Q8_K: {@code t * cols / 256}
 * in {@link #d}), at {@code t * cols / 16} in {@link #bsum}. The kernels for
 * {@link WeightMatrix.Layout#INTERLEAVED_16} weights need each entry of {@link #q} in all 16 lanes of
 * a vector: {@link #pairs} holds it twice in one int ({@code q << 16 | q & 0xFFFF}, entry {@code i}
 * at {@code i}), which one {@code vpbroadcastd} load spreads over a vector. (A table of 16 copies
 * per entry, 32 bytes per activation, spilled out of L1 for a few tokens and made prefill no
 * faster per token than decode.)
 */
final class Activations {
    enum Kind { FLOAT, F16, BF16, Q8_0, Q8_0_FOR_Q4_0, Q8_K }

    private static final float ROUND_MAGIC = 12582912f;
    /** Floats per vector in the Q8_0 quantizer, at the kernels' width, and the shorts they narrow to. */
    private static final VectorSpecies<Float> QF = Simd.WIDTH == 128 ? Simd.F128 : Simd.F256;
    private static final VectorSpecies<Short> QS = Simd.WIDTH == 128 ? Simd.S64 : Simd.S128;

    final int maxTokens;
    final int maxCols;
    final float[] f;
    final short[] q;
    final float[] d;
    final short[] bias;
    final short[] bsum;
    final int[] pairs;

    Activations(int maxTokens, int maxCols) {
        if (maxTokens < 1 || maxCols < 1) {
            throw new IllegalArgumentException("maxTokens=" + maxTokens + " maxCols=" + maxCols + " must be positive");
        }
        long n = (long) maxTokens * maxCols;
        if (n > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("maxTokens=" + maxTokens + " x maxCols=" + maxCols + " is too large");
        }
        this.maxTokens = maxTokens;
        this.maxCols = maxCols;
        this.f = new float[(int) n];
        this.q = new short[(int) n];
        this.d = new float[(int) (n / 32 + 1)];
        this.bias = new short[(int) (n / 32 + 1)];
        this.bsum = new short[(int) (n / 16 + 1)];
        this.pairs = new int[(int) n];
    }

    static Kind kindFor(GgmlType type) {
        return switch (type) {
            case F32 -> Kind.FLOAT;
            case F16 -> Kind.F16;
            case BF16 -> Kind.BF16;
            case Q8_0 -> Kind.Q8_0;
            case Q4_0 -> Kind.Q8_0_FOR_Q4_0;
            case Q4_K, Q6_K -> Kind.Q8_K;
            default -> throw new UnsupportedOperationException("no kernels for type=" + type
                    + " (supported: " + GgmlType.supportedNames() + ")");
        };
    }

    /** Converts token {@code t}'s activations {@code x[t*cols ..]} for {@code kind}, and fills its {@link #pairs} if asked. */
    void prepare(Kind kind, float[] x, int t, int cols, boolean withPairs) {
        int off = t * cols;
        switch (kind) {
            case FLOAT -> {
            }
            case F16 -> FloatDots.roundToF16(x, off, f, off, cols);
            case BF16 -> FloatDots.roundToBf16(x, off, f, off, cols);
            case Q8_0 -> quantizeQ8_0(x, off, cols);
            case Q8_0_FOR_Q4_0 -> {
                quantizeQ8_0(x, off, cols);
                toQ4Form(off, cols);
            }
            case Q8_K -> quantizeQ8_K(x, off, cols);
        }
        if (withPairs) {
            for (int i = off; i < off + cols; i++) {
                pairs[i] = (q[i] << 16) | (q[i] & 0xFFFF);
            }
        }
    }

    /**
     * llama.cpp's x86 {@code quantize_row_q8_0} ({@link BlockQ8_0#quantize_row_q8_0}) into {@link #q}
     * and {@link #d}. Rounding {@code x * id} to nearest even is done by adding and subtracting
     * 1.5 * 2^23, exact for the |x * id| <= 127 at hand.
     */
    private void quantizeQ8_0(float[] x, int off, int cols) {
        int db = off / 32;
        for (int b = 0; b < cols / 32; b++) {
            int xb = off + b * 32;
            if (Simd.ENABLED) {
                FloatVector m = FloatVector.fromArray(QF, x, xb).abs();
                for (int j = QF.length(); j < 32; j += QF.length()) {
                    m = m.max(FloatVector.fromArray(QF, x, xb + j).abs());
                }
                float amax = m.reduceLanes(VectorOperators.MAX);
                d[db + b] = QuantMath.roundToFp16(amax / 127.f);
                float id = amax != 0 ? 127.f / amax : 0.0f;
                // no helper method here: a vector passed to a call C2 does not inline gets boxed
                for (int j = 0; j < 32; j += QF.length()) {
                    ((ShortVector) ((IntVector) FloatVector.fromArray(QF, x, xb + j).mul(id).add(ROUND_MAGIC).sub(ROUND_MAGIC)
                            .convert(VectorOperators.F2I, 0)).castShape(QS, 0)).intoArray(q, xb + j);
                }
            } else {
                float amax = BlockQ8_0.amax(x, xb);
                d[db + b] = QuantMath.roundToFp16(amax / 127.f);
                float id = amax != 0 ? 127.f / amax : 0.0f;
                for (int j = 0; j < 32; j++) {
                    q[xb + j] = (short) (int) ((x[xb + j] * id + ROUND_MAGIC) - ROUND_MAGIC);
                }
            }
        }
    }

    /** Rewrites each block's Q8_0 quants as (A1, A2) and fills {@link #bias}. */
    private void toQ4Form(int off, int cols) {
        int db = off / 32;
        for (int b = 0; b < cols / 32; b++) {
            int xb = off + b * 32;
            int sum = 0;
            for (int j = 0; j < 16; j++) {
                q[xb + 16 + j] = (short) (q[xb + 16 + j] - 16 * q[xb + j]);
                sum += q[xb + j];
            }
            bias[db + b] = (short) (-8 * sum);
        }
    }

    /** ggml's {@code quantize_row_q8_K_ref} (what x86 llama.cpp runs) into {@link #q}, {@link #d}, {@link #bsum}. */
    private void quantizeQ8_K(float[] x, int off, int cols) {
        for (int b = 0; b < cols / 256; b++) {
            int xb = off + b * 256;
            int db = off / 256 + b;
            float max = QuantMath.largestMagnitude(x, xb, 256);
            if (max == 0) {
                d[db] = 0;
                Arrays.fill(q, xb, xb + 256, (short) 0);
                Arrays.fill(bsum, xb / 16, xb / 16 + 16, (short) 0);
                continue;
            }
            float iscale = -127.f / max;
            for (int j = 0; j < 256; j += 16) {
                int sum = 0;
                for (int i = 0; i < 16; i++) {
                    int v = Math.min(127, nearestInt(iscale * x[xb + j + i]));
                    q[xb + j + i] = (short) v;
                    sum += v;
                }
                bsum[(xb + j) / 16] = (short) sum;
            }
            d[db] = 1 / iscale;
        }
    }
}
