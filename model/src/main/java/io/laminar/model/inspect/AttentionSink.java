package io.laminar.model.inspect;

/**
 * Receives the attention weights a stage computes for one sequence marked for inspection
 * ({@link io.laminar.model.exec.StageExecutor#inspect}). A stage calls it once per layer, head and
 * query token, right after the softmax, from whichever kernel thread computed that row: an
 * implementation must be thread-safe, and must copy what it keeps, since the arrays are the
 * stage's scratch and are overwritten by the next row.
 */
@FunctionalInterface
public interface AttentionSink {

    /**
     * @param layer       the layer, as an index into the whole model (not the stage's range)
     * @param head        the query head
     * @param position    the query token's position in its sequence
     * @param query       the head's query vector after RoPE, {@code headDim} values from {@code queryOffset}
     *                    (for whoever wants to recompute the scores from the cached keys)
     * @param queryOffset where it starts
     * @param weights     the softmax weights over key positions {@code 0..length-1}, from index 0
     * @param length      {@code position + 1}: the positions the query attends to
     */
    void attention(int layer, int head, int position, float[] query, int queryOffset, float[] weights, int length);
}
