package io.laminar.kernels;

/**
 * The SIMD CPU backend's entry point: matrix products over {@link WeightMatrix} weights, run on a
 * fixed pool of worker threads.
 *
 * <p>Contract (callers in {@code model} rely on it):
 * <ul>
 *   <li>{@link #matmul}: {@code y[t*rows + r] = sum_c W[r][c] * x[t*cols + c]} for every token
 *       {@code t < nTokens}. Activations are first converted to the weight type's dot format, as
 *       ggml does, and the weights of a batch are streamed from memory once for all its tokens.</li>
 *   <li>No allocation per call once constructed; not thread-safe: one caller at a time.</li>
 * </ul>
 *
 * <p>PLACEHOLDER IMPLEMENTATION: dequantizes row by row with scalar math. The kernels work replaces
 * the internals, keeping this API.
 */
public final class CpuKernels implements AutoCloseable {
    private final int threads;
    private final float[] row;

    /**
     * @param threads   worker threads (1 runs everything on the caller)
     * @param maxTokens the most tokens one call will pass
     * @param maxCols   the largest {@code cols} of any matrix that will be multiplied
     */
    public CpuKernels(int threads, int maxTokens, int maxCols) {
        this.threads = threads;
        this.row = new float[maxCols];
    }

    public int threads() {
        return threads;
    }

    public void matmul(WeightMatrix w, float[] x, int nTokens, float[] y) {
        int rows = w.rows();
        int cols = w.cols();
        long rowBytes = w.rowBytes();
        for (int r = 0; r < rows; r++) {
            Quantization.dequantizeRow(w.type(), w.data(), r * rowBytes, row, 0, cols);
            for (int t = 0; t < nTokens; t++) {
                float sum = 0;
                int xo = t * cols;
                for (int c = 0; c < cols; c++) {
                    sum += row[c] * x[xo + c];
                }
                y[t * rows + r] = sum;
            }
        }
    }

    /** Task for {@link #parallelFor}: handles indices {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int from, int to);
    }

    /** Splits {@code [0, n)} over the worker threads and waits for all of them. */
    public void parallelFor(int n, RangeTask task) {
        task.run(0, n);
    }

    @Override
    public void close() {
    }
}
