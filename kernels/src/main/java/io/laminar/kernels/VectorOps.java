package io.laminar.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Element-wise and reduction kernels over float arrays, the small operations between matrix
 * products: RMS normalization, SwiGLU's gate, softmax, dot products and scaled adds. Each is a
 * vector loop over whole vectors followed by a scalar tail from the same index.
 */
public final class VectorOps {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private VectorOps() {
    }

    /**
     * The sum of a vector's lanes, in a fixed order (first lane first). {@code reduceLanes(ADD)} on
     * floats may add in any order, and does differ between the interpreter and C2's intrinsic, so a
     * result would depend on whether the method happened to be compiled: two runs of the same request
     * could differ in the last bit (and a near-tie in the next token). This one never does.
     */
    public static float sumLanes(FloatVector v) {
        float s = 0f;
        for (int i = 0; i < v.length(); i++) {
            s += v.lane(i);
        }
        return s;
    }

    /**
     * {@link #sumLanes(FloatVector)} of the vector whose lanes are {@code lo}'s then {@code hi}'s: how a
     * 128-bit kernel sums what its 256-bit form holds in one vector, in the same order.
     */
    static float sumLanes(FloatVector lo, FloatVector hi) {
        float s = 0f;
        for (int i = 0; i < lo.length(); i++) {
            s += lo.lane(i);
        }
        for (int i = 0; i < hi.length(); i++) {
            s += hi.lane(i);
        }
        return s;
    }

    /** {@code sum a[aOff+i] * b[bOff+i]} for {@code i < n}. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(F);
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
        }
        float sum = sumLanes(acc);
        for (; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    /** {@code y[yOff+i] += a * x[xOff+i]} for {@code i < n}. */
    public static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(F, a);
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xOff + i).fma(va, FloatVector.fromArray(F, y, yOff + i))
                    .intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += a * x[xOff + i];
        }
    }

    /** {@code y[yOff+i] += x[xOff+i]} for {@code i < n}. */
    public static void add(float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xOff + i).add(FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += x[xOff + i];
        }
    }

    /** {@code x[off+i] *= s} for {@code i < n}. */
    public static void scale(float[] x, int off, float s, int n) {
        int i = 0;
        FloatVector vs = FloatVector.broadcast(F, s);
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, off + i).mul(vs).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] *= s;
        }
    }

    /**
     * RMS normalization with a learned scale: {@code out = x / sqrt(mean(x^2) + eps) * weight}.
     * The sum of squares is accumulated in double, as ggml does, so long rows lose no precision.
     */
    public static void rmsNorm(float[] out, int outOff, float[] x, int xOff, float[] weight, int n, float eps) {
        // As ggml: each square rounded to float, summed in double, in order. The order matters: a
        // last-bit difference here can flip a rounding in the next layer's activation quantization.
        double ss = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            ss += v * v;
        }
        int i = 0;
        float scale = 1.0f / (float) Math.sqrt((float) (ss / n) + eps);
        FloatVector vs = FloatVector.broadcast(F, scale);
        i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xOff + i).mul(vs).mul(FloatVector.fromArray(F, weight, i))
                    .intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = x[xOff + i] * scale * weight[i];
        }
    }

    /** SwiGLU's gate in place: {@code gate[i] = silu(gate[i]) * up[i]}, with {@code silu(v) = v / (1 + e^-v)}. */
    public static void siluMul(float[] gate, int gOff, float[] up, int uOff, int n) {
        int i = 0;
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, gate, gOff + i);
            FloatVector silu = g.div(one.add(exp(g.neg())));
            silu.mul(FloatVector.fromArray(F, up, uOff + i)).intoArray(gate, gOff + i);
        }
        for (; i < n; i++) {
            float g = gate[gOff + i];
            gate[gOff + i] = g / (1f + exp(-g)) * up[uOff + i];
        }
    }

    /** Softmax in place over {@code x[off, off+n)}; returns nothing, the row sums to one. */
    public static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        int i = 0;
        FloatVector vmax = FloatVector.broadcast(F, max);
        FloatVector acc = FloatVector.zero(F);
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector e = exp(FloatVector.fromArray(F, x, off + i).sub(vmax));
            e.intoArray(x, off + i);
            acc = acc.add(e);
        }
        double sum = sumLanes(acc);
        for (; i < n; i++) {
            float e = exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        scale(x, off, (float) (1.0 / sum), n);
    }

    // e^x as a polynomial (the Cephes expf scheme: x = k ln2 + r with |r| <= ln2/2, a degree-5
    // polynomial for (e^r - 1 - r) / r^2, then 2^k in two halves so that results down to the
    // subnormals come out), about 1 ulp from e^x. Not VectorOperators.EXP: C2 computes that with
    // its vector math library and the interpreter and C1 with Math.exp per lane, which differ in the
    // last bit; a token's SwiGLU and attention weights then depended on whether the code had been
    // compiled yet, and on where the token's values fell between vector and scalar tail (batch 1
    // against batch 29 for a 172-wide MLP). The vector and scalar forms below do the same IEEE
    // operations in the same order, so every lane equals the scalar result, compiled or not.
    //
    // The clamp only keeps 2^k representable in two halves; it must not cut into the range where
    // e^x is finite (up to ln(FLT_MAX) = 88.7228...) or rounds to a subnormal (down to -103.97...).
    // Past either end the polynomial itself overflows to infinity or rounds to zero, as Math.exp.
    private static final float EXP_LO = -104f;
    private static final float EXP_HI = 89f;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float ROUND = 12582912f; // 1.5 * 2^23: x + ROUND - ROUND rounds x to an integer
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;

    /** e^x, lane by lane: bit for bit {@link #exp(float)}. */
    static FloatVector exp(FloatVector x) {
        FloatVector v = x.max(EXP_LO).min(EXP_HI);
        FloatVector k = v.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = v.sub(k.mul(LN2_HI)); // exact: LN2_HI has 9 significant bits, |k| <= 150
        r = k.fma(FloatVector.broadcast(v.species(), -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(v.species(), P0).fma(r, FloatVector.broadcast(v.species(), P1));
        p = p.fma(r, FloatVector.broadcast(v.species(), P2));
        p = p.fma(r, FloatVector.broadcast(v.species(), P3));
        p = p.fma(r, FloatVector.broadcast(v.species(), P4));
        p = p.fma(r, FloatVector.broadcast(v.species(), P5));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        IntVector ki = (IntVector) k.convert(VectorOperators.F2I, 0);
        IntVector k1 = ki.lanewise(VectorOperators.ASHR, 1);
        IntVector k2 = ki.sub(k1);
        return y.mul(k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                .mul(k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
    }

    /** e^x, about 1 ulp (see the constants above): infinity past ln(FLT_MAX), zero where e^x rounds to zero. */
    static float exp(float x) {
        float v = Math.min(Math.max(x, EXP_LO), EXP_HI);
        float k = v * LOG2E + ROUND - ROUND;
        float r = v - k * LN2_HI;
        r = Math.fma(k, -LN2_LO, r);
        float p = Math.fma(P0, r, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float y = Math.fma(p, r * r, r) + 1f;
        int ki = (int) k;
        int k1 = ki >> 1;
        int k2 = ki - k1;
        return y * Float.intBitsToFloat((k1 + 127) << 23) * Float.intBitsToFloat((k2 + 127) << 23);
    }

    /** Rounds {@code x[off, off+n)} to the nearest half-precision value (kept as floats). */
    public static void roundToHalf(float[] x, int off, int n) {
        for (int i = off; i < off + n; i++) {
            x[i] = Float.float16ToFloat(Float.floatToFloat16(x[i]));
        }
    }

    /** Index of the largest of {@code x[off, off+n)} (the first, on ties). */
    public static int argmax(float[] x, int off, int n) {
        int best = 0;
        float bestValue = x[off];
        for (int i = 1; i < n; i++) {
            if (x[off + i] > bestValue) {
                bestValue = x[off + i];
                best = i;
            }
        }
        return best;
    }
}
