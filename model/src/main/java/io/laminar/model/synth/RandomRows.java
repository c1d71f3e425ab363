package io.laminar.model.synth;

import java.nio.charset.StandardCharsets;

/**
 * Random rows for synthetic weights: SplitMix64 streams, one per (tensor, row), so that any row
 * can be made on any thread in any order with the same values; and per-thread scratch.
 */
final class RandomRows {
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);
    /** Scales a centred sum of four 16-bit uniforms to unit variance: sqrt(12 / 4) / 2^16. */
    private static final double IRWIN_HALL_4 = Math.sqrt(3.0) / 65536.0;
    /** The mean of that sum, 4 * 65535 / 2. */
    private static final long IRWIN_HALL_4_MEAN = 2 * 65535;

    private RandomRows() {
    }

    static float[] scratch(int n) {
        float[][] holder = SCRATCH.get();
        if (holder[0].length < n) {
            holder[0] = new float[n];
        }
        return holder[0];
    }

    /**
     * Fills {@code v[0..n)} with {@code mean + std * g}, g approximately standard normal: the four
     * 16-bit quarters of one SplitMix64 output, summed, centred and scaled.
     */
    static void fill(float[] v, int n, long tensorSeed, long row, float mean, float std) {
        long state = mix64(tensorSeed + mix64(row + 0x632BE59BD9B4E019L));
        double scale = std * IRWIN_HALL_4;
        for (int i = 0; i < n; i++) {
            state += 0x9E3779B97F4A7C15L;
            long r = mix64(state);
            long sum = (r & 0xFFFF) + ((r >>> 16) & 0xFFFF) + ((r >>> 32) & 0xFFFF) + (r >>> 48) - IRWIN_HALL_4_MEAN;
            v[i] = (float) (mean + sum * scale);
        }
    }

    /** SplitMix64's finalizer (Steele, Lea, Flood 2014). */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** 64-bit FNV-1a of the UTF-8 bytes: a tensor name's stable contribution to its seed. */
    static long fnv1a64(String s) {
        long h = 0xCBF29CE484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x100000001B3L;
        }
        return h;
    }
}
