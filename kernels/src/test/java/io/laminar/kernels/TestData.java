package io.laminar.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/** Deterministic test inputs. */
final class TestData {
    private TestData() {
    }

    static float[] gaussian(long seed, int n, float sigma) {
        Random rnd = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian() * sigma;
        }
        return x;
    }

    /** ggml's test-quantize-fns data: {@code 0.1 + 2 cos(i + offset)}. */
    static float[] cosine(float offset, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (0.1 + 2 * Math.cos(i + offset));
        }
        return x;
    }

    /** {@code x} quantized to {@code type} in a fresh segment. */
    static MemorySegment quantize(GgmlType type, float[] x) {
        MemorySegment s = Arena.ofAuto().allocate(type.bytesFor(x.length), 64);
        Quantization.quantizeRow(type, x, 0, x.length, s, 0);
        return s;
    }

    /** A {@code rows x cols} matrix of {@code wf} quantized row by row to {@code type}, rows in ggml's layout. */
    static MemorySegment quantizeRows(GgmlType type, float[] wf, int rows, int cols) {
        MemorySegment data = Arena.ofAuto().allocate(type.bytesFor((long) rows * cols), 64);
        for (int r = 0; r < rows; r++) {
            Quantization.quantizeRow(type, wf, r * cols, cols, data, r * type.bytesFor(cols));
        }
        return data;
    }

    /**
     * Weights {@code w} of {@code type}, {@code x} as a float dot over them reads it (rounded to F16
     * or BF16; F32 as is), and {@code sum w*x} and {@code sum |w*x|} in double.
     */
    record FloatDotCase(MemorySegment w, float[] x, double exact, double abs) {
        /** Gaussian weights (seed {@code wSeed}, sigma 0.05) in {@code type} and activations (seed {@code xSeed}). */
        static FloatDotCase random(GgmlType type, int n, long wSeed, long xSeed) {
            MemorySegment w = quantize(type, gaussian(wSeed, n, 0.05f));
            return of(type, w, dequantize(type, w, n), gaussian(xSeed, n, 1f));
        }

        static FloatDotCase of(GgmlType type, MemorySegment w, float[] wd, float[] x) {
            int n = x.length;
            float[] xr = new float[n];
            switch (type) {
                case F16 -> FloatDots.roundToF16(x, 0, xr, 0, n);
                case BF16 -> FloatDots.roundToBf16(x, 0, xr, 0, n);
                default -> System.arraycopy(x, 0, xr, 0, n);
            }
            double exact = 0;
            double abs = 0;
            for (int i = 0; i < n; i++) {
                exact += (double) wd[i] * xr[i];
                abs += Math.abs((double) wd[i] * xr[i]);
            }
            return new FloatDotCase(w, xr, exact, abs);
        }
    }

    static float[] dequantize(GgmlType type, MemorySegment s, int n) {
        float[] y = new float[n];
        Quantization.dequantizeRow(type, s, 0, y, 0, n);
        return y;
    }

    /** sqrt(mean((a-b)^2)) / sqrt(mean(a^2)). */
    static double relRmse(float[] a, float[] b) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            num += d * d;
            den += (double) a[i] * a[i];
        }
        return Math.sqrt(num / den);
    }
}
