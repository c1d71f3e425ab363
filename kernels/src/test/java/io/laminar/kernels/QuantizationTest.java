package io.laminar.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Round trips through each format stay within named error limits. The limits are relative RMS
 * errors on Gaussian data (blocks of 32 or 256 values), set about 25% above what the formats reach
 * (F16 2.1e-4, BF16 1.7e-3, Q8_0 5.4e-3, Q8_K 7.2e-3, Q6_K 1.8e-2, Q4_K 7.2e-2, Q4_0 8.7e-2),
 * which follows from their step sizes: a uniform quantizer with step {@code s} has RMS error
 * {@code s / sqrt(12)}; Q8_0's step is {@code amax / 127} (about 2.3 sigma / 127 for 32 Gaussian
 * values), Q4_0's {@code amax / 8}; the K-quants fit their scales to the data and do better than
 * their bit counts suggest. F16 and BF16 round to 11 and 8 significant bits.
 */
class QuantizationTest {
    static final double MAX_REL_RMSE_F16 = 2.6e-4;
    static final double MAX_REL_RMSE_BF16 = 2.1e-3;
    static final double MAX_REL_RMSE_Q8_0 = 6.8e-3;
    static final double MAX_REL_RMSE_Q8_K = 9e-3;
    static final double MAX_REL_RMSE_Q6_K = 2.2e-2;
    static final double MAX_REL_RMSE_Q4_K = 9e-2;
    static final double MAX_REL_RMSE_Q4_0 = 1.1e-1;

    @ParameterizedTest
    @CsvSource({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K", "Q8_K"})
    void roundTripErrorIsWithinLimit(GgmlType type) {
        double limit = limit(type);
        for (long seed = 1; seed <= 3; seed++) {
            float[] x = TestData.gaussian(seed, 4096, 0.7f);
            float[] y = TestData.dequantize(type, TestData.quantize(type, x), x.length);
            double err = TestData.relRmse(x, y);
            assertTrue(err <= limit, type + " relative RMS error " + err + " > " + limit);
        }
        float[] c = TestData.cosine(0.5f, 4096);
        double errCos = TestData.relRmse(c, TestData.dequantize(type, TestData.quantize(type, c), c.length));
        assertTrue(errCos <= limit, type + " relative RMS error on cosine data " + errCos + " > " + limit);
    }

    static double limit(GgmlType type) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> MAX_REL_RMSE_F16;
            case BF16 -> MAX_REL_RMSE_BF16;
            case Q8_0 -> MAX_REL_RMSE_Q8_0;
            case Q8_K -> MAX_REL_RMSE_Q8_K;
            case Q6_K -> MAX_REL_RMSE_Q6_K;
            case Q4_K -> MAX_REL_RMSE_Q4_K;
            case Q4_0 -> MAX_REL_RMSE_Q4_0;
            default -> throw new IllegalArgumentException("type=" + type);
        };
    }

    @ParameterizedTest
    @CsvSource({"Q8_0", "Q4_0", "Q4_K", "Q6_K", "Q8_K", "F16", "BF16"})
    void zerosStayZeros(GgmlType type) {
        float[] x = new float[512];
        float[] y = TestData.dequantize(type, TestData.quantize(type, x), x.length);
        for (float v : y) {
            assertEquals(0f, Math.abs(v), type + " turned 0 into " + v);
        }
    }

    @Test
    void q8_KGroupSumsMatchTheQuants() {
        float[] x = TestData.gaussian(9, 512, 1f);
        MemorySegment q = TestData.quantize(GgmlType.Q8_K, x);
        for (int b = 0; b < 2; b++) {
            long base = (long) b * BlockQ8_K.BYTES;
            for (int g = 0; g < BlockQ8_K.BSUMS_COUNT; g++) {
                int sum = 0;
                for (int i = 0; i < 16; i++) {
                    sum += q.get(QuantMath.I8, base + BlockQ8_K.QS_OFFSET + 16 * g + i);
                }
                assertEquals(sum, q.get(QuantMath.I16, base + BlockQ8_K.BSUMS_OFFSET + 2L * g));
            }
        }
    }

    @Test
    void q8_0ActivationQuantizerRoundsHalfToEven() {
        // 127/amax = 1 here, so x*id is exactly x: 2.5 -> 2 (ref: 3), -0.5 -> -0 (ref: -1)
        float[] x = new float[32];
        x[0] = 127;
        x[1] = 2.5f;
        x[2] = -0.5f;
        MemorySegment act = java.lang.foreign.Arena.ofAuto().allocate(BlockQ8_0.BYTES);
        MemorySegment ref = java.lang.foreign.Arena.ofAuto().allocate(BlockQ8_0.BYTES);
        BlockQ8_0.quantize_row_q8_0(x, 0, act, 0, 32);
        BlockQ8_0.quantize_row_q8_0_ref(x, 0, ref, 0, 32);
        assertEquals(2, act.get(QuantMath.I8, BlockQ8_0.QS_OFFSET + 1));
        assertEquals(0, act.get(QuantMath.I8, BlockQ8_0.QS_OFFSET + 2));
        assertEquals(3, ref.get(QuantMath.I8, BlockQ8_0.QS_OFFSET + 1));
        assertEquals(-1, ref.get(QuantMath.I8, BlockQ8_0.QS_OFFSET + 2));
    }

    @Test
    void nearestIntRoundsHalfToEvenAndRoundfAwayFromZero() {
        assertEquals(2, QuantMath.nearestInt(2.5f));
        assertEquals(4, QuantMath.nearestInt(3.5f));
        assertEquals(-2, QuantMath.nearestInt(-2.5f));
        assertEquals(3f, QuantMath.roundf(2.5f));
        assertEquals(-3f, QuantMath.roundf(-2.5f));
        assertEquals(0f, QuantMath.roundf(0.49999997f));
    }
}
