package io.laminar.model.exec;

/**
 * The precision keys and values are kept in.
 *
 * <p>{@link #F16} is llama.cpp's default and what makes Laminar agree with it: keys and values are
 * rounded to half precision when written, and, as ggml's matrix products with F16 operands do,
 * each query is rounded to half precision before its dot products with the keys and the attention
 * weights before they scale the values. (Values are still held in float arrays; the rounding, not
 * the storage, is what the numbers depend on.) {@link #F32} keeps everything in single precision.
 */
public enum KvPrecision {
    F16,
    F32
}
