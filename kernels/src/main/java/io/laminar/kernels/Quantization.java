package io.laminar.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Conversions between floats and the stored formats of {@link GgmlType}: the deterministic
 * reference quantizers (used to write model files) and dequantizers (used for embedding lookups
 * and tests). The hot path never dequantizes whole matrices: dot products work on blocks.
 */
public final class Quantization {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Quantization() {
    }

    /**
     * Encodes {@code n} floats from {@code src[srcOff..]} into {@code dst} at byte {@code dstOff} in
     * {@code type}'s layout with ggml's deterministic reference quantizer ({@code quantize_row_<t>_ref}),
     * so files we write match llama.cpp's byte for byte. {@code n} must be a whole number of blocks.
     */
    public static void quantizeRow(GgmlType type, float[] src, int srcOff, int n, MemorySegment dst, long dstOff) {
        switch (type) {
            case F32 -> MemorySegment.copy(src, srcOff, dst, F32, dstOff, n);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(I16, dstOff + 2L * i, Float.floatToFloat16(src[srcOff + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(I16, dstOff + 2L * i, floatToBf16(src[srcOff + i]));
                }
            }
            case Q8_0 -> BlockQ8_0.quantize_row_q8_0_ref(src, srcOff, dst, dstOff, n);
            case Q4_0 -> BlockQ4_0.quantize_row_q4_0_ref(src, srcOff, dst, dstOff, n);
            case Q4_K -> BlockQ4_K.quantize_row_q4_K_ref(src, srcOff, dst, dstOff, n);
            case Q6_K -> BlockQ6_K.quantize_row_q6_K_ref(src, srcOff, dst, dstOff, n);
            case Q8_K -> BlockQ8_K.quantize_row_q8_K_ref(src, srcOff, dst, dstOff, n);
            default -> throw new UnsupportedOperationException("quantizeRow type=" + type);
        }
    }

    /** Decodes {@code n} elements of {@code type} at byte {@code srcOff} of {@code src} into {@code dst[dstOff..]}. */
    public static void dequantizeRow(GgmlType type, MemorySegment src, long srcOff, float[] dst, int dstOff, int n) {
        switch (type) {
            case F32 -> MemorySegment.copy(src, F32, srcOff, dst, dstOff, n);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst[dstOff + i] = Float.float16ToFloat(src.get(I16, srcOff + 2L * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst[dstOff + i] = bf16ToFloat(src.get(I16, srcOff + 2L * i));
                }
            }
            case Q8_0 -> BlockQ8_0.dequantize_row_q8_0(src, srcOff, dst, dstOff, n);
            case Q4_0 -> BlockQ4_0.dequantize_row_q4_0(src, srcOff, dst, dstOff, n);
            case Q4_K -> BlockQ4_K.dequantize_row_q4_K(src, srcOff, dst, dstOff, n);
            case Q6_K -> BlockQ6_K.dequantize_row_q6_K(src, srcOff, dst, dstOff, n);
            case Q8_K -> BlockQ8_K.dequantize_row_q8_K(src, srcOff, dst, dstOff, n);
            default -> throw new UnsupportedOperationException("dequantizeRow type=" + type);
        }
    }

    /** bfloat16 is the top half of a float32. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** Rounds to nearest even, as ggml's {@code ggml_compute_fp32_to_bf16}; NaN stays a quiet NaN. */
    public static short floatToBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) {
            return (short) ((u >>> 16) | 64);
        }
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }
}
