package io.laminar.model.arch;

/**
 * Applies rotary position embeddings, computing each position's angles as ggml does (in float,
 * {@code theta_i = pos * base^(-2i/dims)} by repeated multiplication, divided by the per-pair
 * frequency factor when the model has one, then scaled), so that positions agree with llama.cpp.
 */
public final class Rope {
    private final RopeConfig config;
    private final float thetaScale;
    private final int pairs;

    public Rope(RopeConfig config) {
        this.config = config;
        this.thetaScale = (float) Math.pow(config.freqBase(), -2.0 / config.dims());
        this.pairs = config.dims() / 2;
    }

    /** Number of (cos, sin) pairs per position: {@code dims / 2}. */
    public int pairs() {
        return pairs;
    }

    /** Fills {@code cos[off..off+pairs)} and {@code sin[...]} for position {@code pos}. */
    public void angles(int pos, float[] cos, float[] sin, int off) {
        float theta = pos;
        float[] factors = config.freqFactors();
        float scale = config.freqScale();
        for (int i = 0; i < pairs; i++) {
            float ff = factors != null ? factors[i] : 1f;
            float t = scale * (theta / ff);
            cos[off + i] = (float) Math.cos(t);
            sin[off + i] = (float) Math.sin(t);
            theta *= thetaScale;
        }
    }

    /**
     * Rotates {@code heads} consecutive heads of width {@code headDim} starting at {@code x[off]},
     * with angles from {@link #angles} at {@code cos/sin[aOff..]}.
     */
    public void rotate(float[] x, int off, int heads, int headDim, float[] cos, float[] sin, int aOff) {
        boolean neox = config.layout() == RopeLayout.NEOX;
        for (int h = 0; h < heads; h++) {
            int base = off + h * headDim;
            for (int i = 0; i < pairs; i++) {
                int i0 = neox ? base + i : base + 2 * i;
                int i1 = neox ? base + i + pairs : i0 + 1;
                float c = cos[aOff + i];
                float s = sin[aOff + i];
                float x0 = x[i0];
                float x1 = x[i1];
                x[i0] = x0 * c - x1 * s;
                x[i1] = x0 * s + x1 * c;
            }
        }
    }
}
