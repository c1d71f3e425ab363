package io.laminar.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Q8_0x32: {@link BlockQ8_0x16}'s layout for groups of 32 rows, what {@link CpuKernels#prepare} gives
 * Q8_0 weights where the kernels run at 512 bits: one 512-bit vector of 16-bit lanes holds column k
 * of all 32 rows, so each activation broadcast serves 32 dot products. For a row length of
 * {@code nb} blocks:
 *
 * <pre>
 * offset              size       field
 * 64*b                64         d of block column b: 32 fp16 scales, rows 0, 2, ..., 30 then rows 1, 3, ..., 31
 * 64*nb + 1024*b      1024       quants of block column b: bytes 32*k .. 32*k+31 are column k (0..31) of rows 0..31
 * 1088*nb                        (group size = 32 * nb * BlockQ8_0.BYTES)
 * </pre>
 *
 * <p>A matrix in this layout holds {@code rows / 32} groups, then the remaining {@code rows % 32} rows
 * in ggml's row layout.
 */
public final class BlockQ8_0x32 {
    public static final int ROWS = 32;
    public static final int QK = BlockQ8_0.QK;
    /** Scale bytes per block column: 32 fp16. */
    public static final int SCALES_SIZE = ROWS * Short.BYTES;
    /** Quant bytes per block column: 32 rows x 32. */
    public static final int QS_SIZE = ROWS * QK;

    private BlockQ8_0x32() {
    }

    /** Interleaves 32 rows of {@code nb} Q8_0 blocks, row {@code r} at {@code src + r * rowBytes}, into a group at {@code dst}. */
    static void pack(MemorySegment src, long srcOff, long rowBytes, int nb, MemorySegment dst, long dstOff) {
        BlockQ8_0x16.pack(ROWS, src, srcOff, rowBytes, nb, dst, dstOff);
    }

    /** The inverse of {@link #pack}. */
    static void unpack(MemorySegment src, long srcOff, int nb, MemorySegment dst, long dstOff, long rowBytes) {
        BlockQ8_0x16.unpack(ROWS, src, srcOff, nb, dst, dstOff, rowBytes);
    }

    /** Scale of row {@code r} in block column {@code b} of the group at {@code go}. */
    static float scale(MemorySegment w, long go, int b, int r) {
        return BlockQ8_0x16.scale(ROWS, w, go, b, r);
    }
}
