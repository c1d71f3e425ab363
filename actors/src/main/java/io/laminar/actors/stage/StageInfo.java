package io.laminar.actors.stage;

import akka.actor.typed.ActorRef;
import io.laminar.actors.PipelineMessage;

/**
 * What a stage tells the scheduler about itself.
 *
 * @param stage        the stage actor
 * @param name         a readable name: node address and layer range
 * @param modelId      which model it serves (stages of other models are ignored)
 * @param start        first layer hosted
 * @param end          one past the last layer hosted
 * @param totalLayers  layers of the whole model
 * @param kvBlocks     blocks of its paged KV cache
 * @param blockSize    positions per block
 * @param maxSequences KV slots
 * @param maxContext   the longest sequence a slot holds
 * @param maxBatch     the most tokens a step may carry
 */
public record StageInfo(ActorRef<StageActor.Command> stage, String name, String modelId, int start, int end,
                        int totalLayers, int kvBlocks, int blockSize, int maxSequences, int maxContext,
                        int maxBatch) implements PipelineMessage {
    public boolean first() {
        return start == 0;
    }

    public boolean last() {
        return end == totalLayers;
    }
}
