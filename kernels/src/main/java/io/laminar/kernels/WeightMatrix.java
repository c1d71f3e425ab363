package io.laminar.kernels;

import java.lang.foreign.MemorySegment;

/**
 * A weight matrix: {@code rows} rows of {@code cols} elements of {@link GgmlType} {@code type}, in a
 * memory segment that is usually a slice of a memory-mapped model file.
 *
 * @param name   the tensor's name, for error messages
 * @param type   the element type
 * @param rows   output features
 * @param cols   input features (the dot-product length)
 * @param data   {@code rows * rowBytes()} bytes
 * @param layout how the rows are arranged in {@code data}
 */
public record WeightMatrix(String name, GgmlType type, int rows, int cols, MemorySegment data, Layout layout) {
    /** How a matrix's rows are arranged in its segment. Every layout takes the same number of bytes. */
    public enum Layout {
        /** ggml's layout, what model files store: row after row, each a run of blocks. */
        ROWS,
        /**
         * Groups of 16 rows interleaved block column by block column ({@link BlockQ8_0x16},
         * {@link BlockQ4_0x16}), then the last {@code rows % 16} rows as in {@link #ROWS}. Made by
         * {@link CpuKernels#prepare}; Q8_0 and Q4_0 only.
         */
        INTERLEAVED_16,
        /**
         * Groups of 32 rows interleaved the same way ({@link BlockQ8_0x32}, {@link BlockQ4_0x32}); where 16
         * or more rows are left, one group of 16 as in {@link #INTERLEAVED_16}; then the last {@code rows % 16}
         * rows as in {@link #ROWS}. What {@link CpuKernels#prepare} gives Q8_0 and Q4_0 where the kernels run at 512 bits,
         * whose vectors hold a column of 32 rows. Every row is in the same kind of group (or row) as
         * in {@link #INTERLEAVED_16}, so each gets the same bits from both.
         */
        INTERLEAVED_32;

        /** Rows per group: the rows one kernel call multiplies together, and so a unit of parallel work. */
        public int groupRows() {
            return this == INTERLEAVED_32 ? 32 : GROUP_ROWS;
        }
    }

    /** Rows per interleaved group of {@link Layout#INTERLEAVED_16}, and per unit of work in the row layout. */
    public static final int GROUP_ROWS = 16;

    public WeightMatrix {
        if (layout == null) {
            throw new IllegalArgumentException("tensor=" + name + ": layout is null");
        }
        if (cols % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor=" + name + " type=" + type + ": cols=" + cols
                    + " is not a multiple of the block size " + type.blockSize());
        }
        long expected = (long) rows * type.bytesFor(cols);
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor=" + name + ": " + data.byteSize() + " bytes, expected "
                    + expected + " for " + rows + "x" + cols + " " + type);
        }
        if (layout != Layout.ROWS && type != GgmlType.Q8_0 && type != GgmlType.Q4_0) {
            throw new IllegalArgumentException("tensor=" + name + " type=" + type + ": layout=" + layout
                    + " exists for Q8_0 and Q4_0 only");
        }
    }

    /** A matrix in ggml's row layout. */
    public WeightMatrix(String name, GgmlType type, int rows, int cols, MemorySegment data) {
        this(name, type, rows, cols, data, Layout.ROWS);
    }

    /** Bytes of one row. */
    public long rowBytes() {
        return type.bytesFor(cols);
    }

    /** Rows stored in interleaved groups (of 32 or 16): {@code rows - rows % 16} for an interleaved layout, else 0. */
    public int interleavedRows() {
        return layout == Layout.ROWS ? 0 : rows - rows % GROUP_ROWS;
    }

    /**
     * The segment of row {@code row}.
     *
     * @throws IllegalStateException if the row sits in an interleaved group
     */
    public MemorySegment row(int row) {
        if (row < interleavedRows()) {
            throw new IllegalStateException("tensor=" + name + " layout=" + layout + ": row=" + row
                    + " is interleaved with its group's rows");
        }
        long rb = rowBytes();
        return data.asSlice(row * rb, rb);
    }
}
