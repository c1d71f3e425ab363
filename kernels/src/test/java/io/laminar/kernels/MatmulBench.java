package io.laminar.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Microbenchmark of {@link CpuKernels#matmul} on the shapes of a stories110M-sized llama (dim 768,
 * hidden 2048, vocab 32000): per configuration, the median (and minimum) time per call over
 * {@code reps} timed rounds of about 100 ms each, after a warm-up, with the bandwidth of weight
 * bytes streamed and the arithmetic rate.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp kernels/target/classes:kernels/target/test-classes \
 *      io.laminar.kernels.MatmulBench [types=F32,Q8_0,Q4_0,Q4_K,Q6_K] [tokens=1,64,128] [threads=1,2]
 *      [layouts=prepared,rows] [shapes=768x768,2048x768,768x2048,32000x768] [reps=7] [cold=false]
 * </pre>
 *
 * <p>Weights are random blocks (random quants, small finite scales): the kernels' speed does not
 * depend on the values. By default one matrix is multiplied over and over, so small matrices are
 * served from the caches, like llama.cpp's own per-op benchmarks; {@code cold=true} rotates over
 * enough copies (>= 96 MB) that every call streams its weights from DRAM, as a forward pass through
 * a model larger than the L3 cache does.
 */
public final class MatmulBench {
    /** Warm-up per configuration: long enough for C2 to compile the kernels (C1-compiled Vector API code is ~100x slower). */
    private static final long WARMUP_NANOS = Long.getLong("bench.warmupMillis", 2000) * 1_000_000L;

    private MatmulBench() {
    }

    public static void main(String[] args) {
        String types = "F32,Q8_0,Q4_0,Q4_K,Q6_K";
        String tokens = "1,64,128";
        String threads = "1,2";
        String layouts = "prepared,rows";
        String shapes = "768x768,2048x768,768x2048,32000x768";
        int reps = 7;
        boolean cold = false;
        for (String a : args) {
            String[] kv = a.split("=", 2);
            switch (kv[0]) {
                case "types" -> types = kv[1];
                case "tokens" -> tokens = kv[1];
                case "threads" -> threads = kv[1];
                case "layouts" -> layouts = kv[1];
                case "shapes" -> shapes = kv[1];
                case "reps" -> reps = Integer.parseInt(kv[1]);
                case "cold" -> cold = Boolean.parseBoolean(kv[1]);
                default -> throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        int[] toks = Arrays.stream(tokens.split(",")).mapToInt(Integer::parseInt).toArray();
        int maxTok = Arrays.stream(toks).max().orElse(1);
        System.out.printf(Locale.ROOT, "# %s, %d cores, simd=%s, cold=%s%n", System.getProperty("java.vm.version"),
                Runtime.getRuntime().availableProcessors(), Simd.ENABLED, cold);
        System.out.printf(Locale.ROOT, "%-10s %-5s %-9s %5s %3s %11s %11s %8s %8s %9s%n",
                "shape", "type", "layout", "ntok", "thr", "median_us", "min_us", "GB/s", "GFLOP/s", "alloc_B");
        java.util.Set<String> warmed = new java.util.HashSet<>();
        for (String th : threads.split(",")) {
            int nThreads = Integer.parseInt(th);
            try (CpuKernels k = new CpuKernels(nThreads, maxTok, 2048)) {
                for (String tn : types.split(",")) {
                    GgmlType type = GgmlType.valueOf(tn);
                    for (String shape : shapes.split(",")) {
                        String[] rc = shape.split("x");
                        int rows = Integer.parseInt(rc[0]);
                        int cols = Integer.parseInt(rc[1]);
                        long bytes = type.bytesFor((long) rows * cols);
                        int copies = cold ? (int) Math.max(1, (96L << 20) / bytes + 1) : 1;
                        List<WeightMatrix> raw = new ArrayList<>();
                        for (int c = 0; c < copies; c++) {
                            raw.add(randomMatrix(type, rows, cols, 17 + c));
                        }
                        for (String layout : layouts.split(",")) {
                            boolean prepared = layout.equals("prepared");
                            if (prepared && type != GgmlType.Q8_0 && type != GgmlType.Q4_0 && layouts.contains("rows")) {
                                continue;
                            }
                            WeightMatrix[] ws = raw.stream().map(w -> prepared ? k.prepare(w) : w).toArray(WeightMatrix[]::new);
                            for (int nt : toks) {
                                run(k, ws, type, layout, shape, nt, nThreads, reps, bytes, warmed.add(type + layout + nt) ? 3 : 1);
                            }
                        }
                    }
                }
            }
        }
    }

    private static void run(CpuKernels k, WeightMatrix[] ws, GgmlType type, String layout, String shape, int nt,
            int nThreads, int reps, long bytes, int warmups) {
        int rows = ws[0].rows();
        int cols = ws[0].cols();
        float[] x = new float[nt * cols];
        Random rnd = new Random(3);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        float[] y = new float[nt * rows];
        long warmEnd = System.nanoTime() + warmups * WARMUP_NANOS;
        int i = 0;
        while (System.nanoTime() < warmEnd || i < 20) {
            k.matmul(ws[i++ % ws.length], x, nt, y);
        }
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        double[] us = new double[reps];
        long allocBefore = mx.getCurrentThreadAllocatedBytes();
        long calls = 0;
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            long t1;
            int n = 0;
            do {
                k.matmul(ws[i++ % ws.length], x, nt, y);
                n++;
                t1 = System.nanoTime();
            } while (t1 - t0 < 100_000_000L || n < 3);
            us[r] = (t1 - t0) / 1e3 / n;
            calls += n;
        }
        long alloc = (mx.getCurrentThreadAllocatedBytes() - allocBefore) / calls;
        Arrays.sort(us);
        double med = us[reps / 2];
        System.out.printf(Locale.ROOT, "%-10s %-5s %-9s %5d %3d %11.1f %11.1f %8.2f %8.2f %9d%n",
                shape, type, layout, nt, nThreads, med, us[0], bytes / (med * 1e3), 2.0 * rows * cols * nt / (med * 1e3), alloc);
    }

    /** Random blocks with finite fp16 scales around 1e-3 (values do not change the kernels' speed). */
    static WeightMatrix randomMatrix(GgmlType type, int rows, int cols, long seed) {
        long size = type.bytesFor((long) rows * cols);
        MemorySegment s = Arena.ofAuto().allocate(size, 64);
        Random rnd = new Random(seed);
        byte[] buf = new byte[1 << 16];
        for (long o = 0; o < size; o += buf.length) {
            rnd.nextBytes(buf);
            int n = (int) Math.min(buf.length, size - o);
            MemorySegment.copy(buf, 0, s, QuantMath.I8, o, n);
        }
        int bb = type.blockBytes();
        switch (type) {
            case F32 -> {
                for (long e = 0; e < size / 4; e++) {
                    s.set(QuantMath.F32, 4 * e, (float) rnd.nextGaussian() * 0.05f);
                }
            }
            case F16, BF16 -> {
                for (long e = 0; e < size / 2; e++) {
                    float v = (float) rnd.nextGaussian() * 0.05f;
                    s.set(QuantMath.I16, 2 * e, type == GgmlType.F16 ? Float.floatToFloat16(v) : Quantization.floatToBf16(v));
                }
            }
            case Q8_0, Q4_0 -> {
                for (long b = 0; b < size; b += bb) {
                    QuantMath.putFp16(s, b, 1e-3f * (1 + rnd.nextFloat()));
                }
            }
            case Q4_K -> {
                for (long b = 0; b < size; b += bb) {
                    QuantMath.putFp16(s, b + BlockQ4_K.D_OFFSET, 1e-3f);
                    QuantMath.putFp16(s, b + BlockQ4_K.DMIN_OFFSET, 1e-4f);
                }
            }
            case Q6_K -> {
                for (long b = 0; b < size; b += bb) {
                    QuantMath.putFp16(s, b + BlockQ6_K.D_OFFSET, 1e-3f);
                }
            }
            default -> throw new IllegalArgumentException("type=" + type);
        }
        return new WeightMatrix(type + "-" + rows + "x" + cols, type, rows, cols, s);
    }
}
