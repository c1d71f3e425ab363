package io.laminar.kernels;

/**
 * Row kernels for the float weight types. F32 weights take the activations as given; F16 and
 * BF16 weights take them rounded to their own format ({@link Activations#f}), as ggml does. The
 * arithmetic is {@link FloatDots}.
 */
final class GemmFloat {
    private GemmFloat() {
    }

    static void rows(GgmlType type, java.lang.foreign.MemorySegment w, long off, long rowBytes, int n, int cols,
            float[] x, Activations a, int t0, int t1, float[] y, int ldy, int yRow) {
        for (int i = 0; i < n; i++) {
            long ro = off + i * rowBytes;
            for (int t = t0; t < t1; t++) {
                int xo = t * cols;
                y[t * ldy + yRow + i] = switch (type) {
                    case F32 -> FloatDots.vec_dot_f32(cols, w, ro, x, xo);
                    case F16 -> FloatDots.vec_dot_f16(cols, w, ro, a.f, xo);
                    case BF16 -> FloatDots.vec_dot_bf16(cols, w, ro, a.f, xo);
                    default -> throw new IllegalArgumentException("type=" + type);
                };
            }
        }
    }
}
