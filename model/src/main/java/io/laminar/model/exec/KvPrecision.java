package io.laminar.model.exec;

/**
 * The precision keys and values are kept in.
 *
 * <p>{@link #F16} is llama.cpp's default and what makes Laminar agree with it: keys and values are
 * rounded to half precision and stored in 2 bytes, and, as ggml's matrix products with F16 operands
 * do, each query is rounded to half precision before its dot products with the keys and the
 * attention weights before they scale the values. {@link #F32} keeps everything in single precision,
 * in 4 bytes.
 */
public enum KvPrecision {
    F16(2),
    F32(4);

    private final int bytes;

    KvPrecision(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes one stored key or value takes on the host. */
    public int bytes() {
        return bytes;
    }
}
