package io.laminar.actors.stage;

import io.laminar.model.exec.TokenBatch;

/**
 * What a step carries besides activations: its id and micro-batch lane, and one entry per token
 * (token id, KV slot, position, whether its logits are wanted). Entries that open a sequence carry
 * its {@link SequenceOpening}, so the last stage can set up that sequence's sampler in step order.
 *
 * @param stepId    unique per scheduler
 * @param lane      the micro-batch lane the step belongs to
 * @param tokens    token ids (the first stage embeds them, the last feeds them to samplers)
 * @param slots     KV slot of each entry
 * @param positions position of each entry in its sequence
 * @param logits    whether the entry's next-token distribution is wanted
 * @param openings  null, or one per entry: non-null on an entry that opens a sequence
 */
public record StepHeader(long stepId, int lane, int[] tokens, int[] slots, int[] positions, boolean[] logits,
                         SequenceOpening[] openings) {

    public int size() {
        return tokens.length;
    }

    /** Copies the entries of a planned batch. */
    public static StepHeader of(long stepId, int lane, TokenBatch batch, SequenceOpening[] openings) {
        int n = batch.size();
        int[] tokens = new int[n];
        int[] slots = new int[n];
        int[] positions = new int[n];
        boolean[] logits = new boolean[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = batch.token(i);
            slots[i] = batch.slot(i);
            positions[i] = batch.position(i);
            logits[i] = batch.wantsLogits(i);
        }
        return new StepHeader(stepId, lane, tokens, slots, positions, logits, openings);
    }

    /** Refills {@code batch} with these entries. */
    public void fill(TokenBatch batch) {
        batch.clear();
        for (int i = 0; i < tokens.length; i++) {
            batch.add(tokens[i], slots[i], positions[i], logits[i]);
        }
    }
}
