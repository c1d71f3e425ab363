package io.laminar.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

/**
 * The stage's kernels in TornadoVM's kernel style: static methods over TornadoVM arrays, with
 * explicit work-items and work-groups ({@link KernelContext}), compiled by TornadoVM for the device
 * (OpenCL C, PTX or SPIR-V). They mirror the CPU backend ({@code CpuKernels}, {@code VectorOps},
 * {@code Rope}, {@code StageRunner}) and are tested against it.
 *
 * <h2>Conventions</h2>
 * <ul>
 *   <li>Activations are row-major {@code [token][width]} float arrays; weights are {@code [rows][cols]}.</li>
 *   <li>Per-step facts travel in one {@code meta} int array ({@link #META_TOKENS}, {@link #META_LOGIT_ROWS},
 *       then positions, slots and logit rows of the batch, see {@link Meta}). Kernels read the token count
 *       there, so one compiled kernel serves every batch size; the host sizes the grids per step.</li>
 *   <li>The KV cache is paged as on the CPU: per layer {@code [block][position in block][kvDim]}, with one
 *       block table per slot in {@code tables[slot * maxBlocks + i]}.</li>
 *   <li>Reductions use work-group local memory and a tree of {@link KernelContext#localBarrier()}s; every
 *       barrier is reached by the whole work-group (loop bounds are uniform).</li>
 *   <li>No bit reinterpretation ({@code Float.intBitsToFloat}): TornadoVM's OpenCL backend does not
 *       lower it. Half-precision values are decoded arithmetically ({@link #halfToFloat}) and rounding to
 *       half precision uses exact float arithmetic ({@link #roundToHalf}), which needs IEEE semantics:
 *       the stage compiles without {@code -cl-fast-relaxed-math} and {@code -cl-mad-enable}.</li>
 * </ul>
 */
public final class TornadoKernels {
    /** Work-items per work-group of the matrix, norm and argmax kernels. */
    public static final int LOCAL = 64;
    /** Tokens a matrix work-group multiplies per pass over a weight row. */
    public static final int TILE = 4;
    /** Work-items per work-group of the attention kernels. */
    public static final int ATTENTION_LOCAL = 32;
    /**
     * Longest context {@link #attention} holds in local memory (16 KiB of scores); longer contexts
     * use {@link #flashAttention}.
     */
    public static final int ATTENTION_MAX_CONTEXT = 4096;

    /** {@code meta[META_TOKENS]}: tokens in the step. */
    public static final int META_TOKENS = 0;
    /** {@code meta[META_LOGIT_ROWS]}: entries that want logits. */
    public static final int META_LOGIT_ROWS = 1;
    /** Where the per-entry arrays of {@code meta} start. */
    public static final int META_HEADER = 2;

    private TornadoKernels() {
    }

    /**
     * Offsets of the per-entry arrays in {@code meta} for a capacity of {@code maxBatch} tokens: positions
     * at {@link #positions()}, KV slots at {@link #slots()}, and the batch entry of each logits row at
     * {@link #logitRows()}.
     */
    public record Meta(int maxBatch) {
        public int positions() {
            return META_HEADER;
        }

        public int slots() {
            return META_HEADER + maxBatch;
        }

        public int logitRows() {
            return META_HEADER + 2 * maxBatch;
        }

        public int size() {
            return META_HEADER + 3 * maxBatch;
        }
    }

    // ---- Half precision ---------------------------------------------------------------------------

    /**
     * {@code table[e]} for the exponent field {@code e} of a half: {@code 2^(e-25)} ({@code 2^-24} for
     * {@code e = 0}), so that a half is {@code (e == 0 ? m : m + 1024) * table[e]} for its mantissa {@code m}.
     */
    public static FloatArray halfScaleTable() {
        FloatArray t = new FloatArray(32);
        t.set(0, (float) Math.scalb(1.0, -24));
        for (int e = 1; e < 32; e++) {
            t.set(e, (float) Math.scalb(1.0, e - 25));
        }
        return t;
    }

    /**
     * Decodes IEEE half-precision bits with integer arithmetic and one multiply. Finite values and
     * subnormals are exact; the infinities and NaNs (exponent field 31) decode as large finite
     * numbers, which weights never contain.
     */
    public static float halfToFloat(short bits, FloatArray scales) {
        int h = bits;
        if (h < 0) {
            h = h + 65536;
        }
        int exponent = (h >> 10) & 31;
        int mantissa = h & 1023;
        int significand = mantissa;
        if (exponent != 0) {
            significand = mantissa + 1024;
        }
        float magnitude = significand * scales.get(exponent);
        float result = magnitude;
        if (h >= 32768) {
            result = -magnitude;
        }
        return result;
    }

    /**
     * {@code x} rounded to the nearest half-precision value, kept as a float (what the CPU backend's
     * {@code VectorOps.roundToHalf} does with {@code Float.floatToFloat16}). Normal halves: Veltkamp's
     * split keeps the 11 leading significand bits; subnormal halves ({@code |x| < 2^-14}): adding and
     * subtracting {@code 0.75} rounds to a multiple of {@code 2^-24}. Ties may round away from even
     * (the split), and values beyond the half range are not turned into infinities. Needs IEEE float
     * arithmetic: no {@code -cl-fast-relaxed-math}, and no fused multiply-add across the split.
     */
    public static float roundToHalf(float x) {
        float result;
        if (x > -6.1035156e-5f && x < 6.1035156e-5f) {
            float shifted = x + 0.75f;
            result = shifted - 0.75f;
        } else {
            // gamma - (gamma - x), written with subtractions only: TornadoVM contracts a product feeding
            // an addition into fma(), which would compute the split exactly and undo it.
            float gamma = x * 8193.0f;
            float delta = gamma - x;
            result = gamma - delta;
        }
        return result;
    }

    // ---- Matrix products: y[t][r] (+)= sum_c W[r][c] * x[t][c] ----------------------------------------

    /**
     * F32 weights. One work-group of {@link #LOCAL} work-items per weight row (grid: {@code rows * LOCAL});
     * the group strides over the row's columns for {@link #TILE} tokens at a time and sums in local
     * memory, so each weight is read once per {@link #TILE} tokens.
     *
     * @param countAt    the {@code meta} index that holds the number of tokens
     * @param accumulate 1 adds the product to {@code y} (a residual connection), 0 stores it
     */
    public static void matmulF32(KernelContext ctx, FloatArray w, FloatArray x, FloatArray y, IntArray meta,
                                 int countAt, int rows, int cols, int accumulate) {
        int row = ctx.groupIdx;
        int lid = ctx.localIdx;
        float[] part = ctx.allocateFloatLocalArray(256);
        int n = meta.get(countAt);
        int rowBase = row * cols;
        for (int t0 = 0; t0 < n; t0 += 4) {
            float s0 = 0f;
            float s1 = 0f;
            float s2 = 0f;
            float s3 = 0f;
            for (int c = lid; c < cols; c += 64) {
                float wv = w.get(rowBase + c);
                s0 += wv * x.get(t0 * cols + c);
                if (t0 + 1 < n) {
                    s1 += wv * x.get((t0 + 1) * cols + c);
                }
                if (t0 + 2 < n) {
                    s2 += wv * x.get((t0 + 2) * cols + c);
                }
                if (t0 + 3 < n) {
                    s3 += wv * x.get((t0 + 3) * cols + c);
                }
            }
            reduceAndStore(ctx, part, lid, s0, s1, s2, s3, y, t0, n, rows, row, accumulate);
        }
    }

    /** As {@link #matmulF32}, F16 weights given as their bits, decoded in the kernel ({@link #halfToFloat}). */
    public static void matmulF16(KernelContext ctx, ShortArray w, FloatArray halfScales, FloatArray x, FloatArray y,
                                 IntArray meta, int countAt, int rows, int cols, int accumulate) {
        int row = ctx.groupIdx;
        int lid = ctx.localIdx;
        float[] part = ctx.allocateFloatLocalArray(256);
        int n = meta.get(countAt);
        int rowBase = row * cols;
        for (int t0 = 0; t0 < n; t0 += 4) {
            float s0 = 0f;
            float s1 = 0f;
            float s2 = 0f;
            float s3 = 0f;
            for (int c = lid; c < cols; c += 64) {
                float wv = halfToFloat(w.get(rowBase + c), halfScales);
                s0 += wv * x.get(t0 * cols + c);
                if (t0 + 1 < n) {
                    s1 += wv * x.get((t0 + 1) * cols + c);
                }
                if (t0 + 2 < n) {
                    s2 += wv * x.get((t0 + 2) * cols + c);
                }
                if (t0 + 3 < n) {
                    s3 += wv * x.get((t0 + 3) * cols + c);
                }
            }
            reduceAndStore(ctx, part, lid, s0, s1, s2, s3, y, t0, n, rows, row, accumulate);
        }
    }

    /**
     * As {@link #matmulF32}, Q8_0 weights: the int8 quants of each element in {@code q} and the scale of
     * each block of 32 in {@code d} (ggml's {@code block_q8_0} split into its two fields at load time,
     * the scales widened to float); each weight is dequantized in the kernel as {@code q * d}.
     */
    public static void matmulQ8_0(KernelContext ctx, ByteArray q, FloatArray d, FloatArray x, FloatArray y,
                                  IntArray meta, int countAt, int rows, int cols, int accumulate) {
        int row = ctx.groupIdx;
        int lid = ctx.localIdx;
        float[] part = ctx.allocateFloatLocalArray(256);
        int n = meta.get(countAt);
        int rowBase = row * cols;
        for (int t0 = 0; t0 < n; t0 += 4) {
            float s0 = 0f;
            float s1 = 0f;
            float s2 = 0f;
            float s3 = 0f;
            for (int c = lid; c < cols; c += 64) {
                int i = rowBase + c;
                float wv = q.get(i) * d.get(i / 32);
                s0 += wv * x.get(t0 * cols + c);
                if (t0 + 1 < n) {
                    s1 += wv * x.get((t0 + 1) * cols + c);
                }
                if (t0 + 2 < n) {
                    s2 += wv * x.get((t0 + 2) * cols + c);
                }
                if (t0 + 3 < n) {
                    s3 += wv * x.get((t0 + 3) * cols + c);
                }
            }
            reduceAndStore(ctx, part, lid, s0, s1, s2, s3, y, t0, n, rows, row, accumulate);
        }
    }

    /** Sums four per-work-item partials over the work-group and stores (or adds) them as tokens t0..t0+3. */
    private static void reduceAndStore(KernelContext ctx, float[] part, int lid, float s0, float s1, float s2, float s3,
                                       FloatArray y, int t0, int n, int rows, int row, int accumulate) {
        part[lid] = s0;
        part[64 + lid] = s1;
        part[128 + lid] = s2;
        part[192 + lid] = s3;
        for (int stride = 32; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) {
                part[lid] += part[lid + stride];
                part[64 + lid] += part[64 + lid + stride];
                part[128 + lid] += part[128 + lid + stride];
                part[192 + lid] += part[192 + lid + stride];
            }
        }
        ctx.localBarrier();
        if (lid < 4 && t0 + lid < n) {
            int o = (t0 + lid) * rows + row;
            float v = part[64 * lid];
            if (accumulate == 1) {
                v = y.get(o) + v;
            }
            y.set(o, v);
        }
        ctx.localBarrier();
    }

    // ---- Normalization and element-wise -------------------------------------------------------------

    /**
     * RMS normalization, one work-group of {@link #LOCAL} per row of width {@code dim}:
     * {@code out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * weight}. Rows are the first {@code meta[countAt] *
     * rowsPerToken} rows of {@code x}; {@code out} may be {@code x} (per-head norms work in place).
     */
    public static void rmsNorm(KernelContext ctx, FloatArray x, FloatArray out, FloatArray weight, IntArray meta,
                               int countAt, int rowsPerToken, int dim, float eps) {
        int r = ctx.groupIdx;
        int lid = ctx.localIdx;
        float[] part = ctx.allocateFloatLocalArray(64);
        int rowsLive = meta.get(countAt) * rowsPerToken;
        int base = r * dim;
        float ss = 0f;
        if (r < rowsLive) {
            for (int i = lid; i < dim; i += 64) {
                float v = x.get(base + i);
                ss += v * v;
            }
        }
        part[lid] = ss;
        for (int stride = 32; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) {
                part[lid] += part[lid + stride];
            }
        }
        ctx.localBarrier();
        float scale = 1.0f / TornadoMath.sqrt(part[0] / dim + eps);
        if (r < rowsLive) {
            for (int i = lid; i < dim; i += 64) {
                out.set(base + i, x.get(base + i) * scale * weight.get(i));
            }
        }
    }

    /**
     * The final norm of the last stage for the entries that want logits: row {@code r} of {@code out}
     * is the normalized row {@code meta[logitRowsAt + r]} of {@code x}, for {@code r < meta[META_LOGIT_ROWS]}.
     */
    public static void rmsNormRows(KernelContext ctx, FloatArray x, FloatArray out, FloatArray weight, IntArray meta,
                                   int logitRowsAt, int dim, float eps) {
        int r = ctx.groupIdx;
        int lid = ctx.localIdx;
        float[] part = ctx.allocateFloatLocalArray(64);
        int live = meta.get(META_LOGIT_ROWS);
        int src = 0;
        if (r < live) {
            src = meta.get(logitRowsAt + r) * dim;
        }
        float ss = 0f;
        if (r < live) {
            for (int i = lid; i < dim; i += 64) {
                float v = x.get(src + i);
                ss += v * v;
            }
        }
        part[lid] = ss;
        for (int stride = 32; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) {
                part[lid] += part[lid + stride];
            }
        }
        ctx.localBarrier();
        float scale = 1.0f / TornadoMath.sqrt(part[0] / dim + eps);
        if (r < live) {
            for (int i = lid; i < dim; i += 64) {
                out.set(r * dim + i, x.get(src + i) * scale * weight.get(i));
            }
        }
    }

    /** {@code y[t][i] += bias[i]} for the step's tokens; one work-item per element. */
    public static void addBias(KernelContext ctx, FloatArray y, FloatArray bias, IntArray meta, int width) {
        int i = ctx.globalIdx;
        if (i < meta.get(META_TOKENS) * width) {
            y.set(i, y.get(i) + bias.get(i % width));
        }
    }

    /** SwiGLU: {@code gate = silu(gate) * up}, one work-item per element of the step's tokens. */
    public static void swiglu(KernelContext ctx, FloatArray gate, FloatArray up, IntArray meta, int width) {
        int i = ctx.globalIdx;
        if (i < meta.get(META_TOKENS) * width) {
            float g = gate.get(i);
            gate.set(i, g / (1.0f + TornadoMath.exp(-g)) * up.get(i));
        }
    }

    // ---- RoPE and the KV cache -------------------------------------------------------------------------

    /**
     * Rotates the query heads of the step's tokens (one work-item per token and head) with the angles of
     * each token's position ({@code cos/sin[t * pairs + i]}, computed on the host exactly as the CPU
     * does), then, with a half-precision KV cache, rounds them to half as ggml does before attention.
     *
     * @param neox 1 for NeoX layout (pairs {@code (i, i + pairs)}), 0 for GPT-J ({@code (2i, 2i + 1)})
     */
    public static void ropeQuery(KernelContext ctx, FloatArray q, FloatArray cos, FloatArray sin, IntArray meta,
                                 int heads, int headDim, int pairs, int neox, int halfKv) {
        int id = ctx.globalIdx;
        int t = id / heads;
        if (t < meta.get(META_TOKENS)) {
            int base = id * headDim;
            rotate(q, base, cos, sin, t * pairs, pairs, neox);
            if (halfKv == 1) {
                for (int i = 0; i < headDim; i++) {
                    q.set(base + i, roundToHalf(q.get(base + i)));
                }
            }
        }
    }

    /**
     * Rotates the key heads (one work-item per token and KV head), rounds keys and values to half with
     * a half-precision cache, and writes both into the cache at the token's slot and position.
     */
    public static void ropeStoreKv(KernelContext ctx, FloatArray k, FloatArray v, FloatArray cos, FloatArray sin,
                                   FloatArray keys, FloatArray values, IntArray meta, IntArray tables, int kvHeads,
                                   int headDim, int pairs, int neox, int halfKv, int positionsAt, int slotsAt,
                                   int blockSize, int maxBlocks) {
        int id = ctx.globalIdx;
        int t = id / kvHeads;
        if (t < meta.get(META_TOKENS)) {
            int h = id - t * kvHeads;
            int base = id * headDim;
            rotate(k, base, cos, sin, t * pairs, pairs, neox);
            int pos = meta.get(positionsAt + t);
            int slot = meta.get(slotsAt + t);
            int block = tables.get(slot * maxBlocks + pos / blockSize);
            int kvDim = kvHeads * headDim;
            int dst = (block * blockSize + pos % blockSize) * kvDim + h * headDim;
            for (int i = 0; i < headDim; i++) {
                float kv = k.get(base + i);
                float vv = v.get(base + i);
                if (halfKv == 1) {
                    kv = roundToHalf(kv);
                    vv = roundToHalf(vv);
                }
                keys.set(dst + i, kv);
                values.set(dst + i, vv);
            }
        }
    }

    private static void rotate(FloatArray x, int base, FloatArray cos, FloatArray sin, int aOff, int pairs, int neox) {
        for (int i = 0; i < pairs; i++) {
            int i0 = base + 2 * i;
            int i1 = i0 + 1;
            if (neox == 1) {
                i0 = base + i;
                i1 = base + i + pairs;
            }
            float c = cos.get(aOff + i);
            float s = sin.get(aOff + i);
            float x0 = x.get(i0);
            float x1 = x.get(i1);
            x.set(i0, x0 * c - x1 * s);
            x.set(i1, x0 * s + x1 * c);
        }
    }

    // ---- Attention -------------------------------------------------------------------------------------

    /**
     * Attention of each token and query head over its sequence's cached positions {@code 0..pos}, one
     * work-group of {@link #ATTENTION_LOCAL} per (token, head): scores in local memory (at most
     * {@link #ATTENTION_MAX_CONTEXT} positions), softmax, then the weighted sum of values. With a
     * half-precision cache the weights are rounded to half before they scale the values, as on the CPU
     * (and in ggml), which is why this version keeps every score: {@link #flashAttention} cannot.
     */
    public static void attention(KernelContext ctx, FloatArray q, FloatArray keys, FloatArray values, FloatArray out,
                                 IntArray meta, IntArray tables, int heads, int kvHeads, int headDim, float scale,
                                 int halfKv, int positionsAt, int slotsAt, int blockSize, int maxBlocks) {
        int g = ctx.groupIdx;
        int lid = ctx.localIdx;
        float[] s = ctx.allocateFloatLocalArray(4096);
        float[] red = ctx.allocateFloatLocalArray(32);
        int t = g / heads;
        int h = g - t * heads;
        boolean live = t < meta.get(META_TOKENS);
        int len = 0;
        int slot = 0;
        if (live) {
            len = meta.get(positionsAt + t) + 1;
            slot = meta.get(slotsAt + t);
        }
        int kvDim = kvHeads * headDim;
        int kvOff = (h / (heads / kvHeads)) * headDim;
        int qo = g * headDim;
        for (int p = lid; p < len; p += 32) {
            int off = (tables.get(slot * maxBlocks + p / blockSize) * blockSize + p % blockSize) * kvDim + kvOff;
            float dot = 0f;
            for (int i = 0; i < headDim; i++) {
                dot += q.get(qo + i) * keys.get(off + i);
            }
            s[p] = dot * scale;
        }
        // Maximum of the scores.
        float m = -3.4028235e38f;
        for (int p = lid; p < len; p += 32) {
            m = TornadoMath.max(m, s[p]);
        }
        red[lid] = m;
        for (int stride = 16; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) {
                red[lid] = TornadoMath.max(red[lid], red[lid + stride]);
            }
        }
        ctx.localBarrier();
        float max = red[0];
        ctx.localBarrier();
        // Exponentials and their sum.
        float sum = 0f;
        for (int p = lid; p < len; p += 32) {
            float e = TornadoMath.exp(s[p] - max);
            s[p] = e;
            sum += e;
        }
        red[lid] = sum;
        for (int stride = 16; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) {
                red[lid] += red[lid + stride];
            }
        }
        ctx.localBarrier();
        float inv = 1.0f / red[0];
        for (int p = lid; p < len; p += 32) {
            float w = s[p] * inv;
            if (halfKv == 1) {
                w = roundToHalf(w);
            }
            s[p] = w;
        }
        ctx.localBarrier();
        // Weighted sum of the values, one output dimension per work-item at a time.
        for (int d = lid; d < headDim; d += 32) {
            float acc = 0f;
            for (int p = 0; p < len; p++) {
                int off = (tables.get(slot * maxBlocks + p / blockSize) * blockSize + p % blockSize) * kvDim + kvOff;
                acc += s[p] * values.get(off + d);
            }
            if (live) {
                out.set(qo + d, acc);
            }
        }
    }

    /**
     * Flash-style attention for contexts of any length: one work-group of {@link #ATTENTION_LOCAL} per
     * (token, head) walks the positions in tiles of {@link #ATTENTION_LOCAL}, keeping a running maximum,
     * a running sum of exponentials and the running weighted sum of values (online softmax), so local
     * memory does not grow with the context. Work-item {@code i} owns output dimensions {@code i, i+32,
     * i+64, i+96} ({@code headDim <= 128}). The attention weights are not rounded to half (they are never
     * all known at once), which differs from the CPU by about {@code 1e-3} relative.
     */
    public static void flashAttention(KernelContext ctx, FloatArray q, FloatArray keys, FloatArray values,
                                      FloatArray out, IntArray meta, IntArray tables, int heads, int kvHeads,
                                      int headDim, float scale, int positionsAt, int slotsAt, int blockSize,
                                      int maxBlocks) {
        int g = ctx.groupIdx;
        int lid = ctx.localIdx;
        float[] s = ctx.allocateFloatLocalArray(32);
        float[] red = ctx.allocateFloatLocalArray(32);
        int t = g / heads;
        int h = g - t * heads;
        boolean live = t < meta.get(META_TOKENS);
        int len = 0;
        int slot = 0;
        if (live) {
            len = meta.get(positionsAt + t) + 1;
            slot = meta.get(slotsAt + t);
        }
        int kvDim = kvHeads * headDim;
        int kvOff = (h / (heads / kvHeads)) * headDim;
        int qo = g * headDim;
        float runningMax = -3.4028235e38f;
        float runningSum = 0f;
        float acc0 = 0f;
        float acc1 = 0f;
        float acc2 = 0f;
        float acc3 = 0f;
        for (int tile = 0; tile < len; tile += 32) {
            int p = tile + lid;
            float score = -3.4028235e38f;
            if (p < len) {
                int off = (tables.get(slot * maxBlocks + p / blockSize) * blockSize + p % blockSize) * kvDim + kvOff;
                float dot = 0f;
                for (int i = 0; i < headDim; i++) {
                    dot += q.get(qo + i) * keys.get(off + i);
                }
                score = dot * scale;
            }
            s[lid] = score;
            red[lid] = score;
            for (int stride = 16; stride > 0; stride /= 2) {
                ctx.localBarrier();
                if (lid < stride) {
                    red[lid] = TornadoMath.max(red[lid], red[lid + stride]);
                }
            }
            ctx.localBarrier();
            float newMax = TornadoMath.max(runningMax, red[0]);
            float correction = TornadoMath.exp(runningMax - newMax);
            ctx.localBarrier();
            float e = 0f;
            if (p < len) {
                e = TornadoMath.exp(score - newMax);
            }
            s[lid] = e;
            ctx.localBarrier();
            int tileLen = TornadoMath.min(32, len - tile);
            float tileSum = 0f;
            acc0 = acc0 * correction;
            acc1 = acc1 * correction;
            acc2 = acc2 * correction;
            acc3 = acc3 * correction;
            for (int j = 0; j < tileLen; j++) {
                int pj = tile + j;
                int off = (tables.get(slot * maxBlocks + pj / blockSize) * blockSize + pj % blockSize) * kvDim + kvOff;
                float wj = s[j];
                tileSum += wj;
                if (lid < headDim) {
                    acc0 += wj * values.get(off + lid);
                }
                if (lid + 32 < headDim) {
                    acc1 += wj * values.get(off + lid + 32);
                }
                if (lid + 64 < headDim) {
                    acc2 += wj * values.get(off + lid + 64);
                }
                if (lid + 96 < headDim) {
                    acc3 += wj * values.get(off + lid + 96);
                }
            }
            runningSum = runningSum * correction + tileSum;
            runningMax = newMax;
            ctx.localBarrier();
        }
        if (live) {
            float inv = 1.0f / runningSum;
            if (lid < headDim) {
                out.set(qo + lid, acc0 * inv);
            }
            if (lid + 32 < headDim) {
                out.set(qo + lid + 32, acc1 * inv);
            }
            if (lid + 64 < headDim) {
                out.set(qo + lid + 64, acc2 * inv);
            }
            if (lid + 96 < headDim) {
                out.set(qo + lid + 96, acc3 * inv);
            }
        }
    }

    // ---- Sampling ----------------------------------------------------------------------------------------

    /**
     * Greedy sampling on the device: for each logits row {@code r < meta[META_LOGIT_ROWS]}, the index of
     * its largest value (the lowest index on ties), one work-group of {@link #LOCAL} per row. Only these
     * ids need to leave the device.
     */
    public static void argmax(KernelContext ctx, FloatArray logits, IntArray ids, IntArray meta, int vocab) {
        int r = ctx.groupIdx;
        int lid = ctx.localIdx;
        float[] bestValue = ctx.allocateFloatLocalArray(64);
        int[] bestIndex = ctx.allocateIntLocalArray(64);
        boolean live = r < meta.get(META_LOGIT_ROWS);
        float bv = -3.4028235e38f;
        int bi = vocab;
        if (live) {
            for (int i = lid; i < vocab; i += 64) {
                float v = logits.get(r * vocab + i);
                if (v > bv) {
                    bv = v;
                    bi = i;
                }
            }
        }
        bestValue[lid] = bv;
        bestIndex[lid] = bi;
        for (int stride = 32; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) {
                float ov = bestValue[lid + stride];
                int oi = bestIndex[lid + stride];
                if (ov > bestValue[lid] || (ov == bestValue[lid] && oi < bestIndex[lid])) {
                    bestValue[lid] = ov;
                    bestIndex[lid] = oi;
                }
            }
        }
        if (live && lid == 0) {
            ids.set(r, bestIndex[0]);
        }
    }
}
