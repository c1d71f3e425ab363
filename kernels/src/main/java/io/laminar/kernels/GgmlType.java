package io.laminar.kernels;

/**
 * The tensor element types of ggml, with the numeric ids GGUF files store and the block layout of
 * each. Every type ggml defines is listed, so that a file can be validated (its tensors' byte sizes
 * checked) and an unsupported type named precisely; {@link #supported()} says which ones Laminar
 * can compute with.
 *
 * <p>A quantized type stores {@link #blockSize()} elements in {@link #blockBytes()} bytes; the
 * layouts of the supported ones are described in {@link BlockQ8_0}, {@link BlockQ4_0},
 * {@link BlockQ4_K}, {@link BlockQ6_K} and {@link BlockQ8_K} (the activation format of K-quants).
 */
public enum GgmlType {
    F32(0, 1, 4, true),
    F16(1, 1, 2, true),
    Q4_0(2, 32, 18, true),
    Q4_1(3, 32, 20, false),
    Q5_0(6, 32, 22, false),
    Q5_1(7, 32, 24, false),
    Q8_0(8, 32, 34, true),
    Q8_1(9, 32, 36, false),
    Q2_K(10, 256, 84, false),
    Q3_K(11, 256, 110, false),
    Q4_K(12, 256, 144, true),
    Q5_K(13, 256, 176, false),
    Q6_K(14, 256, 210, true),
    /** Activation format for dot products with K-quants; never stored in model files. */
    Q8_K(15, 256, 292, false),
    IQ2_XXS(16, 256, 66, false),
    IQ2_XS(17, 256, 74, false),
    IQ3_XXS(18, 256, 98, false),
    IQ1_S(19, 256, 50, false),
    IQ4_NL(20, 32, 18, false),
    IQ3_S(21, 256, 110, false),
    IQ2_S(22, 256, 82, false),
    IQ4_XS(23, 256, 136, false),
    I8(24, 1, 1, false),
    I16(25, 1, 2, false),
    I32(26, 1, 4, false),
    I64(27, 1, 8, false),
    F64(28, 1, 8, false),
    IQ1_M(29, 256, 56, false),
    BF16(30, 1, 2, true),
    TQ1_0(34, 256, 54, false),
    TQ2_0(35, 256, 66, false),
    MXFP4(39, 32, 17, false);

    private static final GgmlType[] BY_ID = new GgmlType[64];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final int blockSize;
    private final int blockBytes;
    private final boolean supported;

    GgmlType(int id, int blockSize, int blockBytes, boolean supported) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
        this.supported = supported;
    }

    /** The id GGUF files store for this type (ggml's {@code enum ggml_type}). */
    public int id() {
        return id;
    }

    /** Elements per block: 1 for plain floats, 32 or 256 for quantized types. */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes one block occupies. */
    public int blockBytes() {
        return blockBytes;
    }

    /** Whether Laminar's kernels can compute with weights of this type. */
    public boolean supported() {
        return supported;
    }

    public boolean quantized() {
        return blockSize > 1;
    }

    /**
     * Bytes that {@code elements} elements occupy.
     *
     * @throws IllegalArgumentException if {@code elements} is not a whole number of blocks
     */
    public long bytesFor(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(
                    "type=" + this + " needs a multiple of " + blockSize + " elements, got elements=" + elements);
        }
        return elements / blockSize * blockBytes;
    }

    /** The type with GGUF id {@code id}, or {@code null} when ggml defines no such type. */
    public static GgmlType byId(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
    }

    /** The types Laminar computes with, for error messages. */
    public static String supportedNames() {
        StringBuilder sb = new StringBuilder();
        for (GgmlType t : values()) {
            if (t.supported) {
                sb.append(sb.isEmpty() ? "" : ", ").append(t);
            }
        }
        return sb.toString();
    }
}
