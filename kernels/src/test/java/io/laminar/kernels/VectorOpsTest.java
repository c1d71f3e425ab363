package io.laminar.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VectorOpsTest {
    /**
     * Every float near both ends of the range, ulp by ulp, and a spread over the rest: the clamp once
     * sat at 88.72, below ln(FLT_MAX) = 88.7228, and e^88.7216 came out 0.16% low.
     */
    @Test
    void expIsWithinTwoUlpsOfMathExpUpToWhereItOverflowsOrVanishes() {
        int checked = 0;
        for (float x = 88.70f; x <= 88.75f; x = Math.nextUp(x)) {
            assertCloseToMathExp(x);
            checked++;
        }
        for (float x = -103.5f; x >= -104.5f; x = Math.nextDown(x)) {
            assertCloseToMathExp(x);
            checked++;
        }
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < 200_000; i++) {
            assertCloseToMathExp((float) (random.nextDouble() * 205 - 110));
            checked++;
        }
        assertTrue(checked > 300_000, "checked " + checked);
        assertEquals(1f, VectorOps.exp(0f));
        assertEquals(Float.POSITIVE_INFINITY, VectorOps.exp(88.723f));
        assertEquals(Float.POSITIVE_INFINITY, VectorOps.exp(1000f));
        assertEquals(Float.POSITIVE_INFINITY, VectorOps.exp(Float.POSITIVE_INFINITY));
        assertEquals(0f, VectorOps.exp(-104f));
        assertEquals(0f, VectorOps.exp(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(VectorOps.exp(Float.NaN)));
    }

    private static void assertCloseToMathExp(float x) {
        float got = VectorOps.exp(x);
        float exact = (float) Math.exp(x);
        if (Float.isInfinite(exact)) {
            assertEquals(exact, got, "x=" + x);
        } else if (exact >= Float.MIN_NORMAL) {
            assertTrue(Math.abs(got - exact) <= 2 * Math.ulp(exact), "x=" + x + ": " + got + " vs " + exact);
        } else {
            assertTrue(Math.abs(got - exact) <= 2 * Float.MIN_VALUE, "x=" + x + ": " + got + " vs " + exact);
        }
    }

    /**
     * The vector form, at each width a machine may prefer (NEON and SSE 128, AVX2 256, AVX-512 512;
     * the Vector API runs every shape everywhere, natively or not), equals the scalar form lane by
     * lane, over the same values whatever the width.
     */
    @ParameterizedTest
    @ValueSource(ints = {128, 256, 512})
    void expEveryLaneEqualsTheScalarFormAtEveryWidth(int bits) {
        VectorSpecies<Float> species = VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
        SplittableRandom random = new SplittableRandom(7);
        float[] x = new float[64 * 2_000];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextDouble() * 205 - 110);
        }
        float[] edges = {88.7228f, 88.72283f, 88.72284f, 89f, 1000f, -103.97f, -103.98f, -104f, -1000f, 0f, -0f,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        System.arraycopy(edges, 0, x, 0, edges.length);
        float[] lanes = new float[x.length];
        for (int i = 0; i < x.length; i += species.length()) {
            VectorOps.exp(FloatVector.fromArray(species, x, i)).intoArray(lanes, i);
        }
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToRawIntBits(VectorOps.exp(x[i])), Float.floatToRawIntBits(lanes[i]),
                    bits + "-bit lane " + i + " x=" + x[i]);
        }
    }

    /**
     * The model applies SwiGLU to a whole batch at once; a token's values must not depend on where
     * they fall between the vector loop and its scalar tail (a 172-wide MLP, as stories260K's).
     */
    @Test
    void siluMulGivesEachElementTheSameResultWhereverItFalls() {
        SplittableRandom random = new SplittableRandom(9);
        int width = 172;
        int tokens = 29;
        float[] gate = new float[width * tokens];
        float[] up = new float[gate.length];
        for (int i = 0; i < gate.length; i++) {
            gate[i] = (float) random.nextGaussian() * 4;
            up[i] = (float) random.nextGaussian();
        }
        float[] batched = gate.clone();
        VectorOps.siluMul(batched, 0, up, 0, gate.length);
        for (int t = 0; t < tokens; t++) {
            float[] one = Arrays.copyOfRange(gate, t * width, (t + 1) * width);
            VectorOps.siluMul(one, 0, up, t * width, width);
            assertArrayEquals(one, Arrays.copyOfRange(batched, t * width, (t + 1) * width), "token " + t);
        }
    }
}
