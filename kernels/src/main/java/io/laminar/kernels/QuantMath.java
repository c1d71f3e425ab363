package io.laminar.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Scalar helpers shared by the block formats: little-endian value layouts, fp16 access, and the
 * rounding functions ggml's quantizers use, reproduced bit for bit.
 */
final class QuantMath {
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfByte I8 = ValueLayout.JAVA_BYTE;
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    /** ggml's {@code GROUP_MAX_EPS}: below this a group counts as all zero. */
    static final float GROUP_MAX_EPS = 1e-15f;

    private QuantMath() {
    }

    /**
     * The element of largest magnitude among {@code x[off, off + n)} (the first of equals; 0 when all
     * are zero), as ggml's {@code quantize_row_q8_K} and {@code make_qx_quants} find it: their scale is
     * {@code -nmax / max}, so the sign matters.
     */
    static float largestMagnitude(float[] x, int off, int n) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[off + i]);
            if (ax > amax) {
                amax = ax;
                max = x[off + i];
            }
        }
        return max;
    }

    /** Reads the fp16 at byte {@code off} as a float (exact). */
    static float fp16(MemorySegment s, long off) {
        return Float.float16ToFloat(s.get(I16, off));
    }

    /** Writes {@code v} as fp16, rounding to nearest even like F16C's {@code vcvtps2ph}. */
    static void putFp16(MemorySegment s, long off, float v) {
        s.set(I16, off, Float.floatToFloat16(v));
    }

    /** {@code v} rounded to the nearest fp16 value and back. */
    static float roundToFp16(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    /**
     * ggml's {@code nearest_int}: adds 1.5*2^23 so the float unit rounds to nearest even, then reads
     * the integer out of the mantissa. Valid for {@code |v| <= 4194303}.
     */
    static int nearestInt(float v) {
        int i = Float.floatToRawIntBits(v + 12582912f);
        return (i & 0x007fffff) - 0x00400000;
    }

    /** C's {@code roundf}: halfway cases away from zero (Java's {@code Math.round} rounds them up). */
    static float roundf(float v) {
        double a = Math.floor(Math.abs((double) v) + 0.5);
        return (float) Math.copySign(a, v);
    }
}
