package io.laminar.actors.inspect;

import io.laminar.actors.PipelineMessage;
import io.laminar.model.inspect.TopTokens;

/**
 * What one stage computed, in one step, for one sequence marked for inspection: the attention
 * weights of its layers for the sequence's tokens in the step, and on the last stage the model's
 * top next-token probabilities and the token it chose. Sent by the stage straight to the request's
 * {@link AttentionCollector}, wherever that runs, so the scheduler carries none of it.
 *
 * @param modelLayers the model's layer count, so that a reader knows how many to expect
 * @param firstLayer the stage's first layer, as an index into the whole model
 * @param layers     how many layers the stage computes
 * @param heads      query heads per layer
 * @param positions  the sequence's query positions in the step, ascending
 * @param tokens     the token at each of those positions
 * @param weights    for each position {@code p} in order, for each layer, for each head: the
 *                   {@code p + 1} softmax weights over key positions {@code 0..p}
 * @param top        the last stage's top next-token probabilities, one per position whose logits
 *                   were wanted (empty on other stages)
 * @param chosen     the token chosen after each entry of {@code top}
 */
public record AttentionReport(int modelLayers, int firstLayer, int layers, int heads, int[] positions, int[] tokens, float[] weights,
                              TopTokens[] top, int[] chosen)
        implements AttentionCollector.Command, PipelineMessage {

    /** How many weights {@code positions} need: the length {@code weights} must have. */
    public static long weightCount(int layers, int heads, int[] positions) {
        long n = 0;
        for (int p : positions) {
            n += (long) layers * heads * (p + 1);
        }
        return n;
    }
}
