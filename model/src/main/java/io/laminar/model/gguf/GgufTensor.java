package io.laminar.model.gguf;

import io.laminar.kernels.GgmlType;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A tensor of a GGUF file: its name, shape and type, and a view of its bytes in the mapped file.
 *
 * @param name  the tensor's name, e.g. {@code blk.0.attn_q.weight}
 * @param shape dimensions as GGUF stores them, innermost first: a matrix with {@code rows} rows of
 *              {@code cols} elements has {@code shape = {cols, rows}}
 * @param type  the element type
 * @param data  the tensor's bytes, a slice of the memory-mapped file
 */
public record GgufTensor(String name, long[] shape, GgmlType type, MemorySegment data) {

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** Elements in one row (the innermost dimension). */
    public long cols() {
        return shape[0];
    }

    /** Rows, counting every dimension but the innermost. */
    public long rows() {
        return elementCount() / shape[0];
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape);
    }
}
