package io.laminar.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The layout constants are derived from field sizes; here they must agree with ggml's block sizes. */
class BlockLayoutTest {
    @Test
    void q8_0MatchesGgml() {
        assertEquals(GgmlType.Q8_0.blockBytes(), BlockQ8_0.BYTES);
        assertEquals(GgmlType.Q8_0.blockSize(), BlockQ8_0.QK);
        assertEquals(2, BlockQ8_0.QS_OFFSET);
        assertEquals(8.5, BlockQ8_0.BITS_PER_WEIGHT);
    }

    @Test
    void q4_0MatchesGgml() {
        assertEquals(GgmlType.Q4_0.blockBytes(), BlockQ4_0.BYTES);
        assertEquals(GgmlType.Q4_0.blockSize(), BlockQ4_0.QK);
        assertEquals(4.5, BlockQ4_0.BITS_PER_WEIGHT);
    }

    @Test
    void q4_KMatchesGgml() {
        assertEquals(GgmlType.Q4_K.blockBytes(), BlockQ4_K.BYTES);
        assertEquals(GgmlType.Q4_K.blockSize(), BlockQ4_K.QK);
        assertEquals(16, BlockQ4_K.QS_OFFSET);
        assertEquals(4.5, BlockQ4_K.BITS_PER_WEIGHT);
    }

    @Test
    void q6_KMatchesGgml() {
        assertEquals(GgmlType.Q6_K.blockBytes(), BlockQ6_K.BYTES);
        assertEquals(GgmlType.Q6_K.blockSize(), BlockQ6_K.QK);
        assertEquals(208, BlockQ6_K.D_OFFSET);
        assertEquals(6.5625, BlockQ6_K.BITS_PER_WEIGHT);
    }

    @Test
    void q8_KMatchesGgml() {
        assertEquals(GgmlType.Q8_K.blockBytes(), BlockQ8_K.BYTES);
        assertEquals(GgmlType.Q8_K.blockSize(), BlockQ8_K.QK);
        assertEquals(260, BlockQ8_K.BSUMS_OFFSET);
    }
}
