package io.laminar.kernels;

import static io.laminar.kernels.QuantMath.I16;
import static io.laminar.kernels.QuantMath.I8;

import java.lang.foreign.MemorySegment;

/**
 * Q8_0x16: sixteen Q8_0 rows interleaved block column by block column, the layout
 * {@link CpuKernels#prepare} gives Q8_0 weights (in the spirit of ggml's CPU "repack" buffers,
 * e.g. {@code block_q4_0x8}). Same quants and scales as 16 {@link BlockQ8_0} blocks, same size.
 *
 * <pre>
 * offset size field
 *      0   32 d    16 fp16 scales: rows 0, 2, 4, ..., 14, then rows 1, 3, ..., 15
 *     32  512 qs   int8 quants, column by column: bytes 32 + 16*k .. 32 + 16*k + 15 are rows 0..15 at column k
 *    544          (BYTES = 16 * BlockQ8_0.BYTES)
 * </pre>
 *
 * <p>A kernel loads the 16 rows' quants of one column as one vector, multiplies it by that
 * column's activation repeated 16 times, and so computes 16 dot products at once; the even/odd
 * scale order matches how it splits 16 int16 lanes into two int32 vectors (see {@link GemmQ8_0}).
 * A matrix in this layout stores {@code rows / 16} groups, each {@code cols / 32} of these blocks
 * in column order, then the remaining {@code rows % 16} rows in ggml's row layout.
 */
public final class BlockQ8_0x16 {
    public static final int ROWS = 16;
    public static final int QK = BlockQ8_0.QK;
    public static final int D_OFFSET = 0;
    public static final int D_SIZE = ROWS * Short.BYTES;
    public static final int QS_OFFSET = D_OFFSET + D_SIZE;
    public static final int QS_SIZE = ROWS * QK;
    /** Bytes per interleaved block: {@code D_SIZE + QS_SIZE}. */
    public static final int BYTES = QS_OFFSET + QS_SIZE;

    private BlockQ8_0x16() {
    }

    /** Where row {@code r} (0..15) of the group puts its scale: even rows first, then odd rows. */
    static int scaleSlot(int r) {
        return (r & 1) * 8 + r / 2;
    }

    /**
     * Interleaves 16 rows of {@code nb} Q8_0 blocks, row {@code r} at {@code src + r * rowBytes},
     * into {@code nb} blocks at {@code dst}.
     */
    static void pack(MemorySegment src, long srcOff, long rowBytes, int nb, MemorySegment dst, long dstOff) {
        for (int b = 0; b < nb; b++) {
            long o = dstOff + (long) b * BYTES;
            for (int r = 0; r < ROWS; r++) {
                long s = srcOff + r * rowBytes + (long) b * BlockQ8_0.BYTES;
                dst.set(I16, o + D_OFFSET + 2L * scaleSlot(r), src.get(I16, s + BlockQ8_0.D_OFFSET));
                for (int k = 0; k < QK; k++) {
                    dst.set(I8, o + QS_OFFSET + 16L * k + r, src.get(I8, s + BlockQ8_0.QS_OFFSET + k));
                }
            }
        }
    }

    /** The inverse of {@link #pack}. */
    static void unpack(MemorySegment src, long srcOff, int nb, MemorySegment dst, long dstOff, long rowBytes) {
        for (int b = 0; b < nb; b++) {
            long o = srcOff + (long) b * BYTES;
            for (int r = 0; r < ROWS; r++) {
                long s = dstOff + r * rowBytes + (long) b * BlockQ8_0.BYTES;
                dst.set(I16, s + BlockQ8_0.D_OFFSET, src.get(I16, o + D_OFFSET + 2L * scaleSlot(r)));
                for (int k = 0; k < QK; k++) {
                    dst.set(I8, s + BlockQ8_0.QS_OFFSET + k, src.get(I8, o + QS_OFFSET + 16L * k + r));
                }
            }
        }
    }
}
