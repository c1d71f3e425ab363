package io.laminar.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VectorOpsTest {
    @Test
    void expIsWithinTwoUlpsOfMathExpAndEveryLaneEqualsTheScalarForm() {
        SplittableRandom random = new SplittableRandom(5);
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        float[] x = new float[lanes * 20_000];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextDouble() * 190 - 101); // [-101, 89): subnormal to near the float maximum
        }
        float[] lanesOut = new float[x.length];
        for (int i = 0; i < x.length; i += lanes) {
            VectorOps.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, i)).intoArray(lanesOut, i);
        }
        for (int i = 0; i < x.length; i++) {
            float scalar = VectorOps.exp(x[i]);
            assertEquals(Float.floatToRawIntBits(scalar), Float.floatToRawIntBits(lanesOut[i]), "lane " + i + " x=" + x[i]);
            float exact = (float) Math.exp(x[i]);
            if (exact >= Float.MIN_NORMAL) {
                assertTrue(Math.abs(scalar - exact) <= 2 * Math.ulp(exact), "x=" + x[i] + ": " + scalar + " vs " + exact);
            } else {
                assertTrue(Math.abs(scalar - exact) <= 2 * Float.MIN_VALUE + 1e-6f * exact, "x=" + x[i] + ": " + scalar + " vs " + exact);
            }
        }
        assertEquals(1f, VectorOps.exp(0f));
        assertEquals(0f, VectorOps.exp(Float.NEGATIVE_INFINITY), Float.MIN_VALUE);
        assertTrue(Float.isFinite(VectorOps.exp(1000f)));
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
