package io.laminar.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The SIMD CPU backend's entry point: matrix products over {@link WeightMatrix} weights, run on a
 * fixed pool of worker threads.
 *
 * <p>Contract (callers in {@code model} rely on it):
 * <ul>
 *   <li>{@link #matmul}: {@code y[t*rows + r] = sum_c W[r][c] * x[t*cols + c]} for every token
 *       {@code t < nTokens}. Activations are first converted to the weight type's dot format, as
 *       ggml does (F32 as is; F16 / BF16 rounded; Q8_0 for Q8_0 and Q4_0 weights; Q8_K for Q4_K and
 *       Q6_K), once per token; the rows are then split over the threads, and each weight row is read
 *       from memory once for all tokens of the call.</li>
 *   <li>{@link #prepare}: call once per weight at load time. Q8_0 and Q4_0 matrices come back
 *       interleaved ({@link WeightMatrix.Layout#INTERLEAVED_16}), which {@link #matmul} multiplies about
 *       1.5x (Q8_0) to 2x (Q4_0) faster than the file's row layout; other types come back unchanged.
 *       {@link #matmul} accepts both layouts.</li>
 *   <li>No allocation per call once constructed; not thread-safe: one caller at a time.</li>
 *   <li>With {@code threads == 1} everything runs on the calling thread.</li>
 * </ul>
 */
public final class CpuKernels implements AutoCloseable {
    /**
     * Multiply-adds below which a call runs on the caller alone: handing work to the pool costs a
     * few microseconds (more when a worker must be woken, or when other processes hold the cores),
     * which small matrices (a 64x64 layer is a microsecond of work) never earn back.
     */
    static final long MIN_PARALLEL_WORK = 1L << 17;

    private final long minParallelWork;

    /** Rows per unit of work handed to a thread (one interleaved group). */
    private static final int UNIT_ROWS = WeightMatrix.GROUP_ROWS;
    /** Units of work per thread and call, so that a slow thread (a busy core) delays the others little. */
    private static final int CHUNKS_PER_THREAD = 8;

    private final int threads;
    private final int maxTokens;
    private final int maxCols;
    private final Activations act;
    private final WorkerPool pool;
    private final MatmulTask matmulTask = new MatmulTask();
    private final PrepareTask prepareTask = new PrepareTask();
    private final ForTask forTask = new ForTask();
    private boolean closed;

    /**
     * @param threads   worker threads, the caller included (1 runs everything on the caller)
     * @param maxTokens the most tokens one call will pass
     * @param maxCols   the largest {@code cols} of any matrix that will be multiplied
     */
    public CpuKernels(int threads, int maxTokens, int maxCols) {
        this(threads, maxTokens, maxCols, MIN_PARALLEL_WORK);
    }

    /** As the public constructor, with the parallel threshold chosen (tests use 0 to split everything). */
    CpuKernels(int threads, int maxTokens, int maxCols, long minParallelWork) {
        this.minParallelWork = minParallelWork;
        if (threads < 1) {
            throw new IllegalArgumentException("threads=" + threads + " must be at least 1");
        }
        this.threads = threads;
        this.maxTokens = maxTokens;
        this.maxCols = maxCols;
        this.act = new Activations(maxTokens, maxCols);
        this.pool = threads > 1 ? new WorkerPool(threads, "laminar-kernels") : null;
    }

    public int threads() {
        return threads;
    }

    /**
     * {@code w} in the layout {@link #matmul} is fastest with: Q8_0 and Q4_0 are copied into
     * {@link WeightMatrix.Layout#INTERLEAVED_16} in memory that lives as long as the returned matrix is
     * reachable; other types, matrices already interleaved, and the rare matrix with a non-finite block
     * scale are returned as they are.
     */
    public WeightMatrix prepare(WeightMatrix w) {
        return prepare(w, Arena.ofAuto());
    }

    /** As {@link #prepare(WeightMatrix)}, allocating the interleaved copy in {@code arena}. */
    public WeightMatrix prepare(WeightMatrix w, Arena arena) {
        if (w.layout() != WeightMatrix.Layout.ROWS || (w.type() != GgmlType.Q8_0 && w.type() != GgmlType.Q4_0)
                || !finiteScales(w)) {
            return w;
        }
        MemorySegment dst;
        try {
            dst = arena.allocate(w.data().byteSize(), 64);
        } catch (OutOfMemoryError e) {
            throw new IllegalStateException("tensor=" + w.name() + ": no room for its " + (w.data().byteSize() >> 20)
                    + " MiB rearranged copy in native memory; the JVM caps it at the heap size unless run with"
                    + " -XX:MaxDirectMemorySize (./laminar sets 1t): " + e.getMessage(), e);
        }
        long rowBytes = w.rowBytes();
        int nb = w.cols() / 32;
        int groups = w.rows() / UNIT_ROWS;
        long groupBytes = UNIT_ROWS * rowBytes;
        for (int g = 0; g < groups; g++) {
            if (w.type() == GgmlType.Q8_0) {
                BlockQ8_0x16.pack(w.data(), g * groupBytes, rowBytes, nb, dst, g * groupBytes);
            } else {
                BlockQ4_0x16.pack(w.data(), g * groupBytes, rowBytes, nb, dst, g * groupBytes);
            }
        }
        long tail = groups * groupBytes;
        MemorySegment.copy(w.data(), tail, dst, tail, w.data().byteSize() - tail);
        return new WeightMatrix(w.name(), w.type(), w.rows(), w.cols(), dst, WeightMatrix.Layout.INTERLEAVED_16);
    }

    /**
     * Whether every block scale is a finite fp16. The interleaved kernels widen scales with integer
     * operations that are exact for finite values only; a matrix with an infinite or NaN scale (which
     * makes llama.cpp's results non-finite too) stays in the row layout, whose kernels handle them.
     */
    private static boolean finiteScales(WeightMatrix w) {
        MemorySegment s = w.data();
        long size = s.byteSize();
        int bb = w.type().blockBytes();
        for (long o = 0; o < size; o += bb) {
            if ((s.get(QuantMath.I16, o) & 0x7C00) == 0x7C00) {
                return false;
            }
        }
        return true;
    }

    public void matmul(WeightMatrix w, float[] x, int nTokens, float[] y) {
        checkOpen();
        int rows = w.rows();
        int cols = w.cols();
        if (nTokens < 1 || nTokens > maxTokens) {
            throw new IllegalArgumentException("tensor=" + w.name() + ": nTokens=" + nTokens + " not in [1, " + maxTokens + "]");
        }
        if (cols > maxCols) {
            throw new IllegalArgumentException("tensor=" + w.name() + ": cols=" + cols + " > maxCols=" + maxCols);
        }
        if (x.length < nTokens * cols || y.length < nTokens * rows) {
            throw new IllegalArgumentException("tensor=" + w.name() + " " + rows + "x" + cols + " nTokens=" + nTokens
                    + ": x.length=" + x.length + " (need " + nTokens * cols + "), y.length=" + y.length
                    + " (need " + nTokens * rows + ")");
        }
        Activations.Kind kind = Activations.kindFor(w.type());
        boolean interleaved = w.layout() == WeightMatrix.Layout.INTERLEAVED_16;

        PrepareTask p = prepareTask;
        p.set(kind, x, nTokens, cols, interleaved);
        if (pool != null && nTokens >= 2 * threads) {
            pool.run(nTokens, p);
        } else {
            for (int t = 0; t < nTokens; t++) {
                p.run(t);
            }
        }
        p.clear();

        MatmulTask m = matmulTask;
        m.set(w, x, nTokens, y, interleaved);
        if (pool != null && m.chunks > 1 && (long) rows * cols * nTokens >= minParallelWork) {
            pool.run(m.chunks, m);
        } else {
            for (int c = 0; c < m.chunks; c++) {
                m.run(c);
            }
        }
        m.clear();
    }

    /** Task for {@link #parallelFor}: handles indices {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int from, int to);
    }

    /** Splits {@code [0, n)} into {@link #threads()} contiguous ranges, runs them on the pool and waits for all. */
    public void parallelFor(int n, RangeTask task) {
        parallelFor(n, Long.MAX_VALUE, task);
    }

    /**
     * As {@link #parallelFor(int, RangeTask)}, but runs on the caller alone when {@code work} (an
     * estimate of multiply-adds) is too small to repay waking the workers.
     */
    public void parallelFor(int n, long work, RangeTask task) {
        checkOpen();
        if (pool == null || n < 2 || work < minParallelWork) {
            if (n > 0) {
                task.run(0, n);
            }
            return;
        }
        ForTask f = forTask;
        f.n = n;
        f.task = task;
        try {
            pool.run(threads, f);
        } finally {
            f.task = null;
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (pool != null) {
                pool.close();
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("CpuKernels is closed");
        }
    }

    /** The pool's job for {@link #parallelFor}: part {@code p} is the p-th of {@code threads} contiguous ranges. */
    private final class ForTask implements WorkerPool.Task {
        int n;
        RangeTask task;

        @Override
        public void run(int part) {
            long from = (long) n * part / threads;
            long to = (long) n * (part + 1) / threads;
            if (from < to) {
                task.run((int) from, (int) to);
            }
        }
    }

    /** Converts the activations: part {@code t} is token {@code t}. */
    private final class PrepareTask implements WorkerPool.Task {
        Activations.Kind kind;
        float[] x;
        int nTokens;
        int cols;
        boolean pairs;

        void set(Activations.Kind kind, float[] x, int nTokens, int cols, boolean pairs) {
            this.kind = kind;
            this.x = x;
            this.nTokens = nTokens;
            this.cols = cols;
            this.pairs = pairs;
        }

        void clear() {
            x = null;
        }

        @Override
        public void run(int t) {
            act.prepare(kind, x, t, cols, pairs);
        }
    }

    /** Multiplies units of 16 rows: part {@code c} is chunk {@code c} of {@code unitsPerChunk} units. */
    private final class MatmulTask implements WorkerPool.Task {
        WeightMatrix w;
        MemorySegment data;
        GgmlType type;
        float[] x;
        int nTokens;
        float[] y;
        boolean interleaved;
        int units;
        int groups;
        int unitsPerChunk;
        int chunks;

        void set(WeightMatrix w, float[] x, int nTokens, float[] y, boolean interleaved) {
            this.w = w;
            this.x = x;
            this.data = w.data();
            this.type = w.type();
            this.nTokens = nTokens;
            this.y = y;
            this.interleaved = interleaved;
            this.units = (w.rows() + UNIT_ROWS - 1) / UNIT_ROWS;
            this.groups = interleaved ? w.rows() / UNIT_ROWS : 0;
            int wanted = pool == null ? 1 : threads * CHUNKS_PER_THREAD;
            this.unitsPerChunk = Math.max(1, (units + wanted - 1) / wanted);
            this.chunks = (units + unitsPerChunk - 1) / unitsPerChunk;
        }

        void clear() {
            w = null;
            data = null;
            x = null;
            y = null;
        }

        @Override
        public void run(int c) {
            int u1 = Math.min(units, (c + 1) * unitsPerChunk);
            for (int u = c * unitsPerChunk; u < u1; u++) {
                unit(u);
            }
        }

        private void unit(int u) {
            int rows = w.rows();
            int cols = w.cols();
            long rowBytes = w.rowBytes();
            int r0 = u * UNIT_ROWS;
            if (u < groups) {
                long go = r0 * rowBytes;
                if (type == GgmlType.Q8_0) {
                    GemmQ8_0.x16(data, go, cols, act, 0, nTokens, y, rows, r0);
                } else {
                    GemmQ4_0.x16(data, go, cols, act, 0, nTokens, y, rows, r0);
                }
                return;
            }
            int n = Math.min(UNIT_ROWS, rows - r0);
            long off = r0 * rowBytes;
            switch (type) {
                case F32, F16, BF16 -> GemmFloat.rows(type, data, off, rowBytes, n, cols, x, act, 0, nTokens, y, rows, r0);
                case Q8_0 -> GemmQ8_0.rows(data, off, rowBytes, n, cols, act, 0, nTokens, y, rows, r0);
                case Q4_0 -> GemmQ4_0.rows(data, off, rowBytes, n, cols, act, 0, nTokens, y, rows, r0);
                case Q4_K -> GemmKQuants.rowsQ4_K(data, off, rowBytes, n, cols, act, 0, nTokens, y, rows, r0);
                case Q6_K -> GemmKQuants.rowsQ6_K(data, off, rowBytes, n, cols, act, 0, nTokens, y, rows, r0);
                default -> throw new UnsupportedOperationException("type=" + type);
            }
        }
    }
}
