package io.laminar.kernels;

import static io.laminar.kernels.QuantMath.I16;
import static io.laminar.kernels.QuantMath.I8;

import java.lang.foreign.MemorySegment;

/**
 * Q8_0x16: a group of sixteen Q8_0 rows stored column by column, the layout {@link CpuKernels#prepare}
 * gives Q8_0 weights (in the spirit of ggml's CPU "repack" buffers such as {@code block_q4_0x8}).
 * The same quants and fp16 scales as the 16 rows' {@link BlockQ8_0} blocks, in the same number of
 * bytes. For a row length of {@code nb} blocks:
 *
 * <pre>
 * offset              size       field
 * 32*b                32         d of block column b: 16 fp16 scales, rows 0, 2, ..., 14 then rows 1, 3, ..., 15
 * 32*nb + 512*b       512        quants of block column b: bytes 16*k .. 16*k+15 are column k (0..31) of rows 0..15
 * 544*nb                         (group size = 16 * nb * BlockQ8_0.BYTES)
 * </pre>
 *
 * <p>A kernel loads column k of 16 rows as one vector, multiplies it by activation k repeated 16
 * times, and so advances 16 dot products at once; the even/odd scale order matches how it splits 16
 * int16 lanes into two int32 vectors (see {@link GemmQ8_0}). Scales and quants are kept apart so
 * that the quant address is an affine function of the loop counter, which lets C2 drop the bounds
 * check of every load. A matrix in this layout holds {@code rows / 16} groups, then the remaining
 * {@code rows % 16} rows in ggml's row layout.
 */
public final class BlockQ8_0x16 {
    public static final int ROWS = 16;
    public static final int QK = BlockQ8_0.QK;
    /** Scale bytes per block column: 16 fp16. */
    public static final int SCALES_SIZE = ROWS * Short.BYTES;
    /** Quant bytes per block column: 16 rows x 32. */
    public static final int QS_SIZE = ROWS * QK;
    /** Bytes per block column: {@code SCALES_SIZE + QS_SIZE} (= 16 * BlockQ8_0.BYTES). */
    public static final int BYTES = SCALES_SIZE + QS_SIZE;

    private BlockQ8_0x16() {
    }

    /** Where row {@code r} (0..15) of the group puts its scale: even rows first, then odd rows. */
    static int scaleSlot(int r) {
        return scaleSlot(ROWS, r);
    }

    static long scalesOffset(int b) {
        return (long) SCALES_SIZE * b;
    }

    static long quantsOffset(int nb, int b) {
        return (long) SCALES_SIZE * nb + (long) QS_SIZE * b;
    }

    /** Interleaves 16 rows of {@code nb} Q8_0 blocks, row {@code r} at {@code src + r * rowBytes}, into a group at {@code dst}. */
    static void pack(MemorySegment src, long srcOff, long rowBytes, int nb, MemorySegment dst, long dstOff) {
        pack(ROWS, src, srcOff, rowBytes, nb, dst, dstOff);
    }

    /** The inverse of {@link #pack}. */
    static void unpack(MemorySegment src, long srcOff, int nb, MemorySegment dst, long dstOff, long rowBytes) {
        unpack(ROWS, src, srcOff, nb, dst, dstOff, rowBytes);
    }

    /** Scale of row {@code r} in block column {@code b} of the group at {@code go}. */
    static float scale(MemorySegment w, long go, int b, int r) {
        return scale(ROWS, w, go, b, r);
    }

    // The layout for any number of rows per group (16 here, 32 in BlockQ8_0x32): scales of block
    // column b at rows*2*b, even rows first; its quants at rows*2*nb + rows*32*b, column k of every
    // row at rows*k.

    static int scaleSlot(int rows, int r) {
        return (r & 1) * (rows / 2) + r / 2;
    }

    /** Where the scale of row {@code r} in block column {@code b} sits in a group of {@code rows} rows (Q8_0 and Q4_0 alike). */
    static long scaleAt(int rows, int b, int r) {
        return (long) rows * Short.BYTES * b + 2L * scaleSlot(rows, r);
    }

    private static long quantAt(int rows, int nb, int b, int k, int r) {
        return (long) rows * Short.BYTES * nb + (long) rows * QK * b + (long) rows * k + r;
    }

    static void pack(int rows, MemorySegment src, long srcOff, long rowBytes, int nb, MemorySegment dst, long dstOff) {
        for (int b = 0; b < nb; b++) {
            for (int r = 0; r < rows; r++) {
                long s = srcOff + r * rowBytes + (long) b * BlockQ8_0.BYTES;
                dst.set(I16, dstOff + scaleAt(rows, b, r), src.get(I16, s + BlockQ8_0.D_OFFSET));
                for (int k = 0; k < QK; k++) {
                    dst.set(I8, dstOff + quantAt(rows, nb, b, k, r), src.get(I8, s + BlockQ8_0.QS_OFFSET + k));
                }
            }
        }
    }

    static void unpack(int rows, MemorySegment src, long srcOff, int nb, MemorySegment dst, long dstOff, long rowBytes) {
        for (int b = 0; b < nb; b++) {
            for (int r = 0; r < rows; r++) {
                long s = dstOff + r * rowBytes + (long) b * BlockQ8_0.BYTES;
                dst.set(I16, s + BlockQ8_0.D_OFFSET, src.get(I16, srcOff + scaleAt(rows, b, r)));
                for (int k = 0; k < QK; k++) {
                    dst.set(I8, s + BlockQ8_0.QS_OFFSET + k, src.get(I8, srcOff + quantAt(rows, nb, b, k, r)));
                }
            }
        }
    }

    static float scale(int rows, MemorySegment w, long go, int b, int r) {
        return Float.float16ToFloat(w.get(I16, go + scaleAt(rows, b, r)));
    }

    /** Quant {@code k} of row {@code r} in block column {@code b} of a group of {@code rows} rows at {@code go}. */
    static byte quant(int rows, MemorySegment w, long go, int nb, int b, int k, int r) {
        return w.get(I8, go + quantAt(rows, nb, b, k, r));
    }
}
