package io.laminar.model.weights;

import io.laminar.kernels.WeightMatrix;

/**
 * The weights of one transformer block. Matrices stay in the mapped file; the small vectors (norm
 * scales, biases) are copied to the heap.
 *
 * @param attnNorm RMS-norm scale before attention, [dim]
 * @param wq       query projection, [qDim x dim]
 * @param wk       key projection, [kvDim x dim]
 * @param wv       value projection, [kvDim x dim]
 * @param wo       attention output projection, [dim x qDim]
 * @param bq       query bias [qDim] (Qwen2), or {@code null}
 * @param bk       key bias [kvDim] (Qwen2), or {@code null}
 * @param bv       value bias [kvDim] (Qwen2), or {@code null}
 * @param qNorm    per-head RMS-norm scale of queries [headDim] (Qwen3), or {@code null}
 * @param kNorm    per-head RMS-norm scale of keys [headDim] (Qwen3), or {@code null}
 * @param ffnNorm  RMS-norm scale before the MLP, [dim]
 * @param gate     MLP gate projection, [hidden x dim]
 * @param up       MLP up projection, [hidden x dim]
 * @param down     MLP down projection, [dim x hidden]
 */
public record LayerWeights(
        float[] attnNorm,
        WeightMatrix wq,
        WeightMatrix wk,
        WeightMatrix wv,
        WeightMatrix wo,
        float[] bq,
        float[] bk,
        float[] bv,
        float[] qNorm,
        float[] kNorm,
        float[] ffnNorm,
        WeightMatrix gate,
        WeightMatrix up,
        WeightMatrix down) {
}
