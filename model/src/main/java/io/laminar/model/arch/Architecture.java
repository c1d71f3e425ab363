package io.laminar.model.arch;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The transformer families Laminar runs, named as GGUF's {@code general.architecture} names them,
 * with what distinguishes each from plain Llama.
 */
public enum Architecture {
    /** Llama 2 and 3.x, Mistral, SmolLM, TinyLlama: RoPE on interleaved pairs. */
    LLAMA("llama", RopeLayout.NORMAL, false, false),
    /** Qwen2 and 2.5: biases on the Q, K and V projections; NeoX RoPE. */
    QWEN2("qwen2", RopeLayout.NEOX, true, false),
    /** Qwen3 (dense): RMS norm of each Q and K head before RoPE; NeoX RoPE. */
    QWEN3("qwen3", RopeLayout.NEOX, false, true);

    private final String ggufName;
    private final RopeLayout ropeLayout;
    private final boolean qkvBias;
    private final boolean qkNorm;

    Architecture(String ggufName, RopeLayout ropeLayout, boolean qkvBias, boolean qkNorm) {
        this.ggufName = ggufName;
        this.ropeLayout = ropeLayout;
        this.qkvBias = qkvBias;
        this.qkNorm = qkNorm;
    }

    /** The value of {@code general.architecture}, also the prefix of the architecture's keys. */
    public String ggufName() {
        return ggufName;
    }

    public RopeLayout ropeLayout() {
        return ropeLayout;
    }

    public boolean qkvBias() {
        return qkvBias;
    }

    public boolean qkNorm() {
        return qkNorm;
    }

    /**
     * @throws UnsupportedModelException naming the architecture found and the supported ones
     */
    public static Architecture fromGguf(String name) {
        for (Architecture a : values()) {
            if (a.ggufName.equals(name)) {
                return a;
            }
        }
        throw new UnsupportedModelException("unsupported architecture '" + name + "' (supported: "
                + Arrays.stream(values()).map(Architecture::ggufName).collect(Collectors.joining(", ")) + ")");
    }
}
