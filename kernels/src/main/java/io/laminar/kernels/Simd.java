package io.laminar.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector width the kernels run at, chosen once at start-up from the machine's preferred shape,
 * and the shapes they use. {@link #WIDTH} is 512 where 512-bit vectors are native (AVX-512), 256
 * where the widest are 256 bits (AVX2), 128 where they are 128 bits (ARM's NEON, x86 without AVX2,
 * or {@code -XX:MaxVectorSize=16}), and 0 (the scalar {@code _generic} paths) where vectors are
 * narrower or the scalar paths are forced. A kernel's 128-bit form splits each 256-bit lane group of
 * its 256-bit form into two vectors, and its 512-bit form holds two of them side by side (32 rows
 * where the 256-bit form holds 16); every lane's arithmetic stays the same, so every width gives the
 * same bits: a result does not depend on the machine. Kernels without a 512-bit form run their
 * 256-bit form at 512. Kernels are written per width with constant species: a species passed as an
 * argument is not a compile-time constant to C2, which then boxes every vector.
 */
final class Simd {
    /** System property that forces the scalar paths ({@code -Dlaminar.kernels.scalar=true}), for comparisons. */
    static final String SCALAR_PROPERTY = "laminar.kernels.scalar";
    /**
     * System property that caps the width ({@code -Dlaminar.kernels.width=256} or {@code 128}): runs
     * the narrower kernels on a wider machine, for comparisons. A width above the machine's is not taken.
     */
    static final String WIDTH_PROPERTY = "laminar.kernels.width";

    // The shapes, by width: a kernel of one width uses that width's float, int and short shapes,
    // and the byte shape of half its width, whose lanes widen into its short vectors.

    // 512 bits (AVX-512)
    static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
    static final VectorSpecies<Integer> I512 = IntVector.SPECIES_512;
    static final VectorSpecies<Short> S512 = ShortVector.SPECIES_512;

    // 256 bits (AVX2)
    static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;
    static final VectorSpecies<Integer> I256 = IntVector.SPECIES_256;
    static final VectorSpecies<Short> S256 = ShortVector.SPECIES_256;
    static final VectorSpecies<Byte> B256 = ByteVector.SPECIES_256;

    // 128 bits (NEON, SSE)
    static final VectorSpecies<Float> F128 = FloatVector.SPECIES_128;
    static final VectorSpecies<Integer> I128 = IntVector.SPECIES_128;
    static final VectorSpecies<Short> S128 = ShortVector.SPECIES_128;
    static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;

    // 64 bits: halves of the 128-bit kernels' shapes
    static final VectorSpecies<Short> S64 = ShortVector.SPECIES_64;
    static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_64;

    /** 512, 256, 128 or 0 (scalar): the kernels' vector width in bits, fixed for the life of the JVM. */
    static final int WIDTH = width(FloatVector.SPECIES_PREFERRED.vectorBitSize(),
            Boolean.getBoolean(SCALAR_PROPERTY), Integer.getInteger(WIDTH_PROPERTY, 512));

    /** Whether any vector kernels run ({@link #WIDTH} is not 0). */
    static final boolean ENABLED = WIDTH > 0;

    private Simd() {
    }

    static int width(int preferredBits, boolean scalar, int cap) {
        if (scalar) {
            return 0;
        }
        int bits = Math.min(preferredBits, cap);
        return bits >= 512 ? 512 : bits >= 256 ? 256 : bits >= 128 ? 128 : 0;
    }
}
