package io.laminar.kernels;

import static io.laminar.kernels.QuantMath.I16;
import static io.laminar.kernels.QuantMath.I8;

import java.lang.foreign.MemorySegment;

/**
 * Q4_0x16: sixteen Q4_0 rows interleaved block column by block column, the layout
 * {@link CpuKernels#prepare} gives Q4_0 weights. Same information as 16 {@link BlockQ4_0} blocks,
 * same size.
 *
 * <pre>
 * offset size field
 *      0   32 d    16 fp16 scales: rows 0, 2, 4, ..., 14, then rows 1, 3, ..., 15
 *     32  256 qs   bytes 32 + 16*j .. 32 + 16*j + 15: byte j of rows 0..15, each XOR 0x80
 *    288          (BYTES = 16 * BlockQ4_0.BYTES)
 * </pre>
 *
 * <p>Flipping bit 7 turns the high nibble {@code q_hi} into the 4-bit two's complement of
 * {@code q_hi - 8}, so the sign-extended byte is {@code s = 16 (q_hi - 8) + q_lo} and
 * {@code s >> 4 = q_hi - 8}: two vector operations give what a kernel needs (see {@link GemmQ4_0}).
 * Groups and the trailing {@code rows % 16} rows are arranged as in {@link BlockQ8_0x16}.
 */
public final class BlockQ4_0x16 {
    public static final int ROWS = 16;
    public static final int QK = BlockQ4_0.QK;
    public static final int D_OFFSET = 0;
    public static final int D_SIZE = ROWS * Short.BYTES;
    public static final int QS_OFFSET = D_OFFSET + D_SIZE;
    public static final int QS_SIZE = ROWS * QK / 2;
    /** Bytes per interleaved block: {@code D_SIZE + QS_SIZE}. */
    public static final int BYTES = QS_OFFSET + QS_SIZE;

    private BlockQ4_0x16() {
    }

    static void pack(MemorySegment src, long srcOff, long rowBytes, int nb, MemorySegment dst, long dstOff) {
        for (int b = 0; b < nb; b++) {
            long o = dstOff + (long) b * BYTES;
            for (int r = 0; r < ROWS; r++) {
                long s = srcOff + r * rowBytes + (long) b * BlockQ4_0.BYTES;
                dst.set(I16, o + D_OFFSET + 2L * BlockQ8_0x16.scaleSlot(r), src.get(I16, s + BlockQ4_0.D_OFFSET));
                for (int j = 0; j < QK / 2; j++) {
                    dst.set(I8, o + QS_OFFSET + 16L * j + r, (byte) (src.get(I8, s + BlockQ4_0.QS_OFFSET + j) ^ 0x80));
                }
            }
        }
    }

    static void unpack(MemorySegment src, long srcOff, int nb, MemorySegment dst, long dstOff, long rowBytes) {
        for (int b = 0; b < nb; b++) {
            long o = srcOff + (long) b * BYTES;
            for (int r = 0; r < ROWS; r++) {
                long s = dstOff + r * rowBytes + (long) b * BlockQ4_0.BYTES;
                dst.set(I16, s + BlockQ4_0.D_OFFSET, src.get(I16, o + D_OFFSET + 2L * BlockQ8_0x16.scaleSlot(r)));
                for (int j = 0; j < QK / 2; j++) {
                    dst.set(I8, s + BlockQ4_0.QS_OFFSET + j, (byte) (src.get(I8, o + QS_OFFSET + 16L * j + r) ^ 0x80));
                }
            }
        }
    }
}
