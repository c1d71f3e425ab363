package io.laminar.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

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
 *       from memory once for all tokens of the call. {@link #matmul(WeightMatrix[], float[], int, float[][])}
 *       does the same for up to four matrices that share their input, as one job.</li>
 *   <li>{@link #prepare}: call once per weight at load time. Q8_0 and Q4_0 matrices come back
 *       interleaved ({@link WeightMatrix.Layout#INTERLEAVED_16}, or in groups of 32 rows,
 *       {@link WeightMatrix.Layout#INTERLEAVED_32}, where the kernels run at 512 bits), which {@link #matmul}
 *       multiplies about 1.5x (Q8_0) to 2x (Q4_0) faster than the file's row layout; other types come
 *       back unchanged. {@link #matmul} accepts every layout.</li>
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

    /** The most matrices one {@link #matmul(WeightMatrix[], float[], int, float[][])} call takes. */
    public static final int MAX_MATRICES_PER_CALL = 4;

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
        return prepare(w, arena, Simd.WIDTH == 512 ? WeightMatrix.Layout.INTERLEAVED_32 : WeightMatrix.Layout.INTERLEAVED_16);
    }

    /**
     * As {@link #prepare(WeightMatrix, Arena)} into {@code layout}: {@link WeightMatrix.Layout#INTERLEAVED_32}
     * is multiplied at 512 bits whatever the machine's width (tests compare the layouts anywhere).
     */
    WeightMatrix prepare(WeightMatrix w, Arena arena, WeightMatrix.Layout layout) {
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
        long at = 0;
        int r = 0;
        if (layout == WeightMatrix.Layout.INTERLEAVED_32) {
            for (; r + BlockQ8_0x32.ROWS <= w.rows(); r += BlockQ8_0x32.ROWS, at += BlockQ8_0x32.ROWS * rowBytes) {
                if (w.type() == GgmlType.Q8_0) {
                    BlockQ8_0x32.pack(w.data(), at, rowBytes, nb, dst, at);
                } else {
                    BlockQ4_0x32.pack(w.data(), at, rowBytes, nb, dst, at);
                }
            }
        }
        for (; r + WeightMatrix.GROUP_ROWS <= w.rows(); r += WeightMatrix.GROUP_ROWS, at += WeightMatrix.GROUP_ROWS * rowBytes) {
            if (w.type() == GgmlType.Q8_0) {
                BlockQ8_0x16.pack(w.data(), at, rowBytes, nb, dst, at);
            } else {
                BlockQ4_0x16.pack(w.data(), at, rowBytes, nb, dst, at);
            }
        }
        long tail = at;
        MemorySegment.copy(w.data(), tail, dst, tail, w.data().byteSize() - tail);
        return new WeightMatrix(w.name(), w.type(), w.rows(), w.cols(), dst, layout);
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
        MatmulTask m = matmulTask;
        m.ws[0] = w;
        m.ys[0] = y;
        multiply(1, x, nTokens);
    }

    /**
     * Several matrices times the same activations in one call: {@code ys[i][t*rows_i + r] = sum_c
     * ws[i][r][c] * x[t*cols + c]}, bit for bit what one {@link #matmul} per matrix gives. The
     * activations are converted once, and the rows of all the matrices are split over the threads as
     * one job. A layer's projections that share an input (query, key and value; gate and up) thereby
     * pay a call's fixed costs once: the conversion, waking the workers, and the wait for the slowest
     * thread's last chunk. In a 110M model that makes decode steps 1-2% faster (up to 4% for one sequence
     * on two threads) than one call per matrix.
     *
     * @param ws up to {@link #MAX_MATRICES_PER_CALL} matrices with the same {@code cols} whose types
     *           take the same activation format (for example Q4_K and Q6_K, both Q8_K)
     * @param ys one output per matrix, {@code nTokens * rows} long
     */
    public void matmul(WeightMatrix[] ws, float[] x, int nTokens, float[][] ys) {
        checkOpen();
        if (ys.length != ws.length) {
            throw new IllegalArgumentException(ws.length + " matrices and " + ys.length + " outputs: need one"
                    + " output per matrix");
        }
        if (!canMultiplyTogether(ws)) {
            throw new IllegalArgumentException("tensors " + Arrays.stream(ws)
                    .map(w -> w.name() + " (" + w.type() + ", cols=" + w.cols() + ")").toList()
                    + " cannot share a call: its matrices need the same cols and activation format");
        }
        MatmulTask m = matmulTask;
        for (int i = 0; i < ws.length; i++) {
            m.ws[i] = ws[i];
            m.ys[i] = ys[i];
        }
        multiply(ws.length, x, nTokens);
    }

    /**
     * Whether {@link #matmul(WeightMatrix[], float[], int, float[][])} takes these matrices in one call:
     * 1 to {@link #MAX_MATRICES_PER_CALL} of them, with the same {@code cols} and types that take the
     * same activation format.
     */
    public static boolean canMultiplyTogether(WeightMatrix... ws) {
        if (ws.length < 1 || ws.length > MAX_MATRICES_PER_CALL) {
            return false;
        }
        for (WeightMatrix w : ws) {
            if (w.cols() != ws[0].cols() || Activations.kindFor(w.type()) != Activations.kindFor(ws[0].type())) {
                return false;
            }
        }
        return true;
    }

    /** The product of {@link MatmulTask#ws}{@code [0, count)} and {@code x}, into {@link MatmulTask#ys}. */
    private void multiply(int count, float[] x, int nTokens) {
        MatmulTask m = matmulTask;
        try {
            WeightMatrix first = m.ws[0];
            int cols = first.cols();
            if (nTokens < 1 || nTokens > maxTokens) {
                throw new IllegalArgumentException("tensor=" + first.name() + ": nTokens=" + nTokens + " not in [1, "
                        + maxTokens + "]");
            }
            if (cols > maxCols) {
                throw new IllegalArgumentException("tensor=" + first.name() + ": cols=" + cols + " > maxCols=" + maxCols);
            }
            boolean interleaved = false;
            long work = 0;
            for (int i = 0; i < count; i++) {
                WeightMatrix w = m.ws[i];
                int rows = w.rows();
                if (x.length < nTokens * cols || m.ys[i].length < nTokens * rows) {
                    throw new IllegalArgumentException("tensor=" + w.name() + " " + rows + "x" + cols + " nTokens="
                            + nTokens + ": x.length=" + x.length + " (need " + nTokens * cols + "), y.length="
                            + m.ys[i].length + " (need " + nTokens * rows + ")");
                }
                interleaved |= w.layout() != WeightMatrix.Layout.ROWS;
                work += (long) rows * cols * nTokens;
            }
            Activations.Kind kind = Activations.kindFor(first.type());

            PrepareTask p = prepareTask;
            p.set(kind, x, nTokens, cols, interleaved);
            try {
                if (pool != null && nTokens >= 2 * threads) {
                    pool.run(nTokens, p);
                } else {
                    for (int t = 0; t < nTokens; t++) {
                        p.run(t);
                    }
                }
            } finally {
                p.clear();
            }

            m.set(count, x, nTokens);
            if (pool != null && m.chunks > 1 && work >= minParallelWork) {
                pool.run(m.chunks, m);
            } else {
                for (int c = 0; c < m.chunks; c++) {
                    m.run(c);
                }
            }
        } finally {
            m.clear();
        }
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
        runRanges(n, work, threads, task);
    }

    /**
     * As {@link #parallelFor(int, long, RangeTask)}, but every index is a part of its own ({@code
     * task.run(i, i + 1)}), taken by whichever thread is free: for items of uneven cost, such as the
     * attention of sequences at different lengths or of a prompt's tokens (the last see the most
     * positions), where contiguous ranges would leave one thread most of the work.
     */
    public void parallelForEach(int n, long work, RangeTask task) {
        runRanges(n, work, n, task);
    }

    /** {@code [0, n)} as {@code parts} contiguous ranges on the pool, or on the caller alone when small. */
    private void runRanges(int n, long work, int parts, RangeTask task) {
        checkOpen();
        if (pool == null || n < 2 || work < minParallelWork) {
            if (n > 0) {
                task.run(0, n);
            }
            return;
        }
        ForTask f = forTask;
        f.n = n;
        f.parts = parts;
        f.task = task;
        try {
            pool.run(parts, f);
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

    /** The pool's job for {@link #parallelFor} and {@link #parallelForEach}: part {@code p} is the p-th of {@code parts} contiguous ranges. */
    private final class ForTask implements WorkerPool.Task {
        int n;
        int parts;
        RangeTask task;

        @Override
        public void run(int part) {
            long from = (long) n * part / parts;
            long to = (long) n * (part + 1) / parts;
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

    /**
     * Multiplies units of the call's matrices (a group of rows each, {@link WeightMatrix.Layout#groupRows}),
     * numbered across them in order: part {@code c} is chunk {@code c} of {@code unitsPerChunk} units.
     */
    private final class MatmulTask implements WorkerPool.Task {
        final WeightMatrix[] ws = new WeightMatrix[MAX_MATRICES_PER_CALL];
        final float[][] ys = new float[MAX_MATRICES_PER_CALL][];
        /** Matrix i's units are [firstUnit[i], firstUnit[i + 1]). */
        final int[] firstUnit = new int[MAX_MATRICES_PER_CALL + 1];
        float[] x;
        int nTokens;
        int units;
        int unitsPerChunk;
        int chunks;

        void set(int count, float[] x, int nTokens) {
            this.x = x;
            this.nTokens = nTokens;
            for (int i = 0; i < count; i++) {
                int unitRows = ws[i].layout().groupRows();
                firstUnit[i + 1] = firstUnit[i] + (ws[i].rows() + unitRows - 1) / unitRows;
            }
            this.units = firstUnit[count];
            int wanted = pool == null ? 1 : threads * CHUNKS_PER_THREAD;
            this.unitsPerChunk = Math.max(1, (units + wanted - 1) / wanted);
            this.chunks = (units + unitsPerChunk - 1) / unitsPerChunk;
        }

        void clear() {
            Arrays.fill(ws, null);
            Arrays.fill(ys, null);
            x = null;
        }

        @Override
        public void run(int c) {
            int u = c * unitsPerChunk;
            int u1 = Math.min(units, u + unitsPerChunk);
            int i = 0;
            for (; u < u1; u++) {
                while (u >= firstUnit[i + 1]) {
                    i++;
                }
                unit(ws[i], ys[i], u - firstUnit[i]);
            }
        }

        private void unit(WeightMatrix w, float[] y, int u) {
            MemorySegment data = w.data();
            GgmlType type = w.type();
            int rows = w.rows();
            int cols = w.cols();
            long rowBytes = w.rowBytes();
            int unitRows = w.layout().groupRows();
            int r0 = u * unitRows;
            int end = Math.min(rows, r0 + unitRows);
            boolean q8 = type == GgmlType.Q8_0;
            if (w.layout() == WeightMatrix.Layout.INTERLEAVED_32 && end - r0 == BlockQ8_0x32.ROWS) {
                if (q8) {
                    GemmQ8_0.x32(data, r0 * rowBytes, cols, act, 0, nTokens, y, rows, r0);
                } else {
                    GemmQ4_0.x32(data, r0 * rowBytes, cols, act, 0, nTokens, y, rows, r0);
                }
                return;
            }
            // A group of 16 rows: a unit of INTERLEAVED_16, or the one after INTERLEAVED_32's groups of 32.
            if (r0 < w.interleavedRows()) {
                if (q8) {
                    GemmQ8_0.x16(data, r0 * rowBytes, cols, act, 0, nTokens, y, rows, r0);
                } else {
                    GemmQ4_0.x16(data, r0 * rowBytes, cols, act, 0, nTokens, y, rows, r0);
                }
                r0 += WeightMatrix.GROUP_ROWS;
            }
            int n = end - r0;
            if (n <= 0) {
                return;
            }
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
