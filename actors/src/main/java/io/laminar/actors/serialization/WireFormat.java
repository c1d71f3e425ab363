package io.laminar.actors.serialization;

import java.util.Locale;

/** How activations are encoded between nodes: exact F32, or half the bytes as F16 or BF16. */
public enum WireFormat {
    F32(4),
    F16(2),
    BF16(2);

    /** The config key that chooses it for a node. */
    public static final String CONFIG_KEY = "laminar.pipeline.wire-format";

    private final int bytesPerValue;

    WireFormat(int bytesPerValue) {
        this.bytesPerValue = bytesPerValue;
    }

    public int bytesPerValue() {
        return bytesPerValue;
    }

    public static WireFormat parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(CONFIG_KEY + "=" + s + " is not one of f32, f16, bf16");
        }
    }
}
