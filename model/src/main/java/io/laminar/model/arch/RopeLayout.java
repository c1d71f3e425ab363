package io.laminar.model.arch;

/** Which elements of a head RoPE rotates together. */
public enum RopeLayout {
    /** Pairs {@code (2i, 2i+1)}: Llama as converted by llama.cpp (which permutes Q/K to this order). */
    NORMAL,
    /** Pairs {@code (i, i + d/2)}: GPT-NeoX style, used by Qwen. */
    NEOX
}
