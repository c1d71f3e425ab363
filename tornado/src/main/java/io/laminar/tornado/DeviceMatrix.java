package io.laminar.tornado;

import io.laminar.kernels.GgmlType;
import io.laminar.kernels.WeightMatrix;
import io.laminar.model.arch.UnsupportedModelException;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A weight matrix in the arrays its TornadoVM kernel reads, copied once from the mapped model file:
 * F32 as floats, F16 as its raw bits (decoded in the kernel), Q8_0 split into its int8 quants and its
 * per-block scales (widened to float, 36 bytes per 32 weights instead of 34; the kernel dequantizes).
 */
final class DeviceMatrix {
    /** The weight types the TornadoVM backend multiplies. */
    static final String SUPPORTED = "F32, F16, Q8_0";

    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED;

    final String name;
    final GgmlType type;
    final int rows;
    final int cols;
    private final FloatArray f32;
    private final ShortArray f16;
    private final ByteArray quants;
    private final FloatArray scales;

    private DeviceMatrix(WeightMatrix w, FloatArray f32, ShortArray f16, ByteArray quants, FloatArray scales) {
        this.name = w.name();
        this.type = w.type();
        this.rows = w.rows();
        this.cols = w.cols();
        this.f32 = f32;
        this.f16 = f16;
        this.quants = quants;
        this.scales = scales;
    }

    /** Copies {@code w} into TornadoVM arrays (host memory, uploaded with the task graph's first run). */
    static DeviceMatrix of(WeightMatrix w) {
        if (w.layout() != WeightMatrix.Layout.ROWS) {
            throw new IllegalArgumentException("tensor=" + w.name() + ": layout=" + w.layout()
                    + "; the TornadoVM backend reads the file's row layout");
        }
        if ((long) w.rows() * w.cols() > Integer.MAX_VALUE - 16) {
            throw new UnsupportedModelException("tensor " + w.name() + " has " + (long) w.rows() * w.cols()
                    + " elements, more than a TornadoVM array indexes");
        }
        MemorySegment data = w.data();
        return switch (w.type()) {
            case F32 -> new DeviceMatrix(w, FloatArray.fromSegment(data), null, null, null);
            case F16 -> new DeviceMatrix(w, null, ShortArray.fromSegment(data), null, null);
            case Q8_0 -> {
                int blocks = w.rows() * w.cols() / 32;
                ByteArray q = new ByteArray(blocks * 32);
                FloatArray d = new FloatArray(blocks);
                MemorySegment qs = q.getSegment();
                for (int b = 0; b < blocks; b++) {
                    long o = (long) b * GgmlType.Q8_0.blockBytes();
                    d.set(b, Float.float16ToFloat(data.get(SHORT_LE, o)));
                    MemorySegment.copy(data, o + 2, qs, (long) b * 32, 32);
                }
                yield new DeviceMatrix(w, null, null, q, d);
            }
            default -> throw new UnsupportedModelException("tensor " + w.name() + " has type " + w.type()
                    + ", which the TornadoVM backend does not multiply (it does " + SUPPORTED
                    + "); run this stage with --backend cpu");
        };
    }

    /** The arrays to upload once. */
    Object[] arrays() {
        return switch (type) {
            case F32 -> new Object[] {f32};
            case F16 -> new Object[] {f16};
            default -> new Object[] {quants, scales};
        };
    }

    /** Bytes this matrix occupies on the device. */
    long deviceBytes() {
        return switch (type) {
            case F32 -> f32.getNumBytesOfSegment();
            case F16 -> f16.getNumBytesOfSegment();
            default -> quants.getNumBytesOfSegment() + scales.getNumBytesOfSegment();
        };
    }

    /**
     * Adds the task {@code y[t] (+)= W x[t]} for the first {@code meta[countAt]} tokens to {@code graph}.
     * Its grid is {@code rows * LOCAL} work-items in groups of {@link TornadoKernels#LOCAL}.
     */
    void addMatmul(TaskGraph graph, String id, KernelContext ctx, FloatArray x, FloatArray y, IntArray meta,
                   int countAt, boolean accumulate, FloatArray halfScales) {
        int acc = accumulate ? 1 : 0;
        switch (type) {
            case F32 -> graph.task(id, TornadoKernels::matmulF32, ctx, f32, x, y, meta, countAt, rows, cols, acc);
            case F16 -> graph.task(id, TornadoKernels::matmulF16, ctx, f16, halfScales, x, y, meta, countAt, rows, cols,
                    acc);
            default -> graph.task(id, TornadoKernels::matmulQ8_0, ctx, quants, scales, x, y, meta, countAt, rows, cols,
                    acc);
        }
    }
}
