package io.laminar.kernels;

import static io.laminar.kernels.QuantMath.I16;
import static io.laminar.kernels.QuantMath.I8;

import java.lang.foreign.MemorySegment;

/**
 * Q4_0x16: a group of sixteen Q4_0 rows stored column by column, the layout
 * {@link CpuKernels#prepare} gives Q4_0 weights. The same information as the rows'
 * {@link BlockQ4_0} blocks, in the same number of bytes. For a row length of {@code nb} blocks:
 *
 * <pre>
 * offset              size       field
 * 32*b                32         d of block column b: 16 fp16 scales, rows 0, 2, ..., 14 then rows 1, 3, ..., 15
 * 32*nb + 256*b       256        quants of block column b: bytes 16*j .. 16*j+15 are byte j (0..15) of rows 0..15,
 *                                each with bit 7 flipped (XOR 0x80)
 * 288*nb                         (group size = 16 * nb * BlockQ4_0.BYTES)
 * </pre>
 *
 * <p>Flipping bit 7 turns the high nibble {@code q_hi} into the 4-bit two's complement of
 * {@code q_hi - 8}, so the sign-extended byte is {@code s = 16 (q_hi - 8) + q_lo} and
 * {@code s >> 4 = q_hi - 8}: two vector operations give what a kernel needs (see {@link GemmQ4_0}).
 * Scales apart from quants for the reason given in {@link BlockQ8_0x16}; the trailing
 * {@code rows % 16} rows follow the groups in ggml's row layout.
 */
public final class BlockQ4_0x16 {
    public static final int ROWS = 16;
    public static final int QK = BlockQ4_0.QK;
    /** Scale bytes per block column: 16 fp16. */
    public static final int SCALES_SIZE = ROWS * Short.BYTES;
    /** Quant bytes per block column: 16 rows x 16 bytes. */
    public static final int QS_SIZE = ROWS * QK / 2;
    /** Bytes per block column: {@code SCALES_SIZE + QS_SIZE} (= 16 * BlockQ4_0.BYTES). */
    public static final int BYTES = SCALES_SIZE + QS_SIZE;

    private BlockQ4_0x16() {
    }

    static long scalesOffset(int b) {
        return (long) SCALES_SIZE * b;
    }

    static long quantsOffset(int nb, int b) {
        return (long) SCALES_SIZE * nb + (long) QS_SIZE * b;
    }

    static void pack(MemorySegment src, long srcOff, long rowBytes, int nb, MemorySegment dst, long dstOff) {
        pack(ROWS, src, srcOff, rowBytes, nb, dst, dstOff);
    }

    static void unpack(MemorySegment src, long srcOff, int nb, MemorySegment dst, long dstOff, long rowBytes) {
        unpack(ROWS, src, srcOff, nb, dst, dstOff, rowBytes);
    }

    // The layout for any number of rows per group (16 here, 32 in BlockQ4_0x32): scales as in
    // BlockQ8_0x16; the quants of block column b at rows*2*nb + rows*16*b, byte j of every row at rows*j.

    /** Byte {@code j} (bit 7 flipped) of row {@code r} in block column {@code b} of a group of {@code rows} rows. */
    static long quantAt(int rows, int nb, int b, int j, int r) {
        return (long) rows * Short.BYTES * nb + (long) rows * (QK / 2) * b + (long) rows * j + r;
    }

    static void pack(int rows, MemorySegment src, long srcOff, long rowBytes, int nb, MemorySegment dst, long dstOff) {
        for (int b = 0; b < nb; b++) {
            for (int r = 0; r < rows; r++) {
                long s = srcOff + r * rowBytes + (long) b * BlockQ4_0.BYTES;
                dst.set(I16, dstOff + BlockQ8_0x16.scaleAt(rows, b, r), src.get(I16, s + BlockQ4_0.D_OFFSET));
                for (int j = 0; j < QK / 2; j++) {
                    dst.set(I8, dstOff + quantAt(rows, nb, b, j, r), (byte) (src.get(I8, s + BlockQ4_0.QS_OFFSET + j) ^ 0x80));
                }
            }
        }
    }

    static void unpack(int rows, MemorySegment src, long srcOff, int nb, MemorySegment dst, long dstOff, long rowBytes) {
        for (int b = 0; b < nb; b++) {
            for (int r = 0; r < rows; r++) {
                long s = dstOff + r * rowBytes + (long) b * BlockQ4_0.BYTES;
                dst.set(I16, s + BlockQ4_0.D_OFFSET, src.get(I16, srcOff + BlockQ8_0x16.scaleAt(rows, b, r)));
                for (int j = 0; j < QK / 2; j++) {
                    dst.set(I8, s + BlockQ4_0.QS_OFFSET + j, (byte) (src.get(I8, srcOff + quantAt(rows, nb, b, j, r)) ^ 0x80));
                }
            }
        }
    }
}
