package io.laminar.actors.serialization;

import io.laminar.kernels.Quantization;

import java.nio.ByteBuffer;
import java.util.Locale;

/** How activations are encoded between nodes: exact F32, or half the bytes as F16 or BF16. */
public enum ActivationFormat {
    F32(0, 4),
    F16(1, 2),
    BF16(2, 2);

    /** The config key that chooses it for a node. */
    public static final String CONFIG_KEY = "laminar.pipeline.wire-format";

    /** Its id on the wire, fixed (as GgmlType's): a format added or moved cannot change another's. */
    private final int id;
    private final int bytesPerValue;

    ActivationFormat(int id, int bytesPerValue) {
        this.id = id;
        this.bytesPerValue = bytesPerValue;
    }

    public int id() {
        return id;
    }

    /** Writes {@code x} at {@code b}'s position, which it advances, in this format. */
    void put(ByteBuffer b, float[] x) {
        switch (this) {
            case F32 -> {
                b.asFloatBuffer().put(x);
                b.position(b.position() + x.length * 4);
            }
            case F16 -> {
                for (float v : x) {
                    b.putShort(Float.floatToFloat16(v));
                }
            }
            case BF16 -> {
                for (float v : x) {
                    b.putShort(Quantization.floatToBf16(v));
                }
            }
        }
    }

    /** Reads {@code x.length} values in this format from {@code b}'s position, which it advances. */
    void get(ByteBuffer b, float[] x) {
        switch (this) {
            case F32 -> {
                b.asFloatBuffer().get(x);
                b.position(b.position() + x.length * 4);
            }
            case F16 -> {
                for (int i = 0; i < x.length; i++) {
                    x[i] = Float.float16ToFloat(b.getShort());
                }
            }
            case BF16 -> {
                for (int i = 0; i < x.length; i++) {
                    x[i] = Quantization.bf16ToFloat(b.getShort());
                }
            }
        }
    }

    /** The format with wire id {@code id}. */
    public static ActivationFormat ofId(int id) {
        for (ActivationFormat f : values()) {
            if (f.id == id) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown activation format id " + id);
    }

    public int bytesPerValue() {
        return bytesPerValue;
    }

    public static ActivationFormat parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(CONFIG_KEY + "=" + s + " is not one of f32, f16, bf16");
        }
    }
}
