package io.laminar.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The layout constants are derived from field sizes; here they must agree with ggml's block sizes. */
class BlockLayoutTest {
    static Stream<Arguments> blocks() {
        return Stream.of(
                arguments(GgmlType.Q8_0, BlockQ8_0.BYTES, BlockQ8_0.QK, BlockQ8_0.BITS_PER_WEIGHT, 8.5),
                arguments(GgmlType.Q4_0, BlockQ4_0.BYTES, BlockQ4_0.QK, BlockQ4_0.BITS_PER_WEIGHT, 4.5),
                arguments(GgmlType.Q4_K, BlockQ4_K.BYTES, BlockQ4_K.QK, BlockQ4_K.BITS_PER_WEIGHT, 4.5),
                arguments(GgmlType.Q6_K, BlockQ6_K.BYTES, BlockQ6_K.QK, BlockQ6_K.BITS_PER_WEIGHT, 6.5625),
                arguments(GgmlType.Q8_K, BlockQ8_K.BYTES, BlockQ8_K.QK, BlockQ8_K.BITS_PER_WEIGHT, 9.125));
    }

    @ParameterizedTest
    @MethodSource("blocks")
    void blockSizesMatchGgml(GgmlType type, int bytes, int qk, double bitsPerWeight, double expectedBitsPerWeight) {
        assertEquals(type.blockBytes(), bytes);
        assertEquals(type.blockSize(), qk);
        assertEquals(expectedBitsPerWeight, bitsPerWeight);
    }

    @Test
    void fieldOffsets() {
        assertEquals(2, BlockQ8_0.QS_OFFSET);
        assertEquals(16, BlockQ4_K.QS_OFFSET);
        assertEquals(208, BlockQ6_K.D_OFFSET);
        assertEquals(260, BlockQ8_K.BSUMS_OFFSET);
    }
}
