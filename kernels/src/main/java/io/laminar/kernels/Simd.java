package io.laminar.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes the kernels are written for, read once. The kernels use 256-bit vectors (AVX2:
 * 8 floats or ints, 16 shorts, 32 bytes); on hardware whose preferred shape is narrower the Vector
 * API would emulate them slowly, so the scalar {@code _generic} paths are used instead.
 */
final class Simd {
    /** System property that forces the scalar paths ({@code -Dlaminar.kernels.scalar=true}), for comparisons. */
    static final String SCALAR_PROPERTY = "laminar.kernels.scalar";

    static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;
    static final VectorSpecies<Integer> I256 = IntVector.SPECIES_256;
    static final VectorSpecies<Short> S256 = ShortVector.SPECIES_256;
    static final VectorSpecies<Short> S128 = ShortVector.SPECIES_128;
    static final VectorSpecies<Byte> B256 = ByteVector.SPECIES_256;
    static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_64;

    /** Whether the vector kernels run (256-bit vectors are native and the scalar paths were not forced). */
    static final boolean ENABLED = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256
            && !Boolean.getBoolean(SCALAR_PROPERTY);

    private Simd() {
    }
}
