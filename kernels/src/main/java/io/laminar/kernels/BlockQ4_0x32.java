package io.laminar.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Q4_0x32: {@link BlockQ4_0x16}'s layout for groups of 32 rows, what {@link CpuKernels#prepare} gives
 * Q4_0 weights where the kernels run at 512 bits (see {@link BlockQ8_0x32}). For a row length of
 * {@code nb} blocks:
 *
 * <pre>
 * offset              size       field
 * 64*b                64         d of block column b: 32 fp16 scales, rows 0, 2, ..., 30 then rows 1, 3, ..., 31
 * 64*nb + 512*b       512        quants of block column b: bytes 32*j .. 32*j+31 are byte j (0..15) of rows 0..31,
 *                                each with bit 7 flipped (XOR 0x80)
 * 576*nb                         (group size = 32 * nb * BlockQ4_0.BYTES)
 * </pre>
 */
public final class BlockQ4_0x32 {
    public static final int ROWS = 32;
    /** Scale bytes per block column: 32 fp16. */
    public static final int SCALES_SIZE = ROWS * Short.BYTES;

    private BlockQ4_0x32() {
    }

    static void pack(MemorySegment src, long srcOff, long rowBytes, int nb, MemorySegment dst, long dstOff) {
        BlockQ4_0x16.pack(ROWS, src, srcOff, rowBytes, nb, dst, dstOff);
    }

    static void unpack(MemorySegment src, long srcOff, int nb, MemorySegment dst, long dstOff, long rowBytes) {
        BlockQ4_0x16.unpack(ROWS, src, srcOff, nb, dst, dstOff, rowBytes);
    }
}
