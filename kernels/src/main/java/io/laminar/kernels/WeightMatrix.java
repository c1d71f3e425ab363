package io.laminar.kernels;

import java.lang.foreign.MemorySegment;

/**
 * A weight matrix as a model file stores it: {@code rows} rows of {@code cols} elements, row-major,
 * each row a whole number of {@link GgmlType} blocks, in a memory segment that is usually a slice
 * of a memory-mapped file.
 *
 * @param name the tensor's name, for error messages
 * @param type the element type
 * @param rows output features
 * @param cols input features (the dot-product length)
 * @param data {@code rows * rowBytes()} bytes
 */
public record WeightMatrix(String name, GgmlType type, int rows, int cols, MemorySegment data) {
    public WeightMatrix {
        if (cols % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor=" + name + " type=" + type + ": cols=" + cols
                    + " is not a multiple of the block size " + type.blockSize());
        }
        long expected = (long) rows * type.bytesFor(cols);
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor=" + name + ": " + data.byteSize() + " bytes, expected "
                    + expected + " for " + rows + "x" + cols + " " + type);
        }
    }

    /** Bytes of one row. */
    public long rowBytes() {
        return type.bytesFor(cols);
    }

    /** The segment of row {@code row}. */
    public MemorySegment row(int row) {
        long rb = rowBytes();
        return data.asSlice(row * rb, rb);
    }
}
