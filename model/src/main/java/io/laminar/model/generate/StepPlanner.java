package io.laminar.model.generate;

import io.laminar.model.exec.TokenBatch;

import java.util.List;

/**
 * Forms one forward step from the sequences that take part in it: first one decode entry for every
 * sequence that is generating, then chunks of the prompts still being read, up to the batch's
 * capacity. Decodes come first so that a long prompt, read in chunks over several steps, never
 * stalls the sequences already generating.
 */
public final class StepPlanner {
    private StepPlanner() {
    }

    /**
     * Fills {@code batch} (cleared first) and writes into {@code owners} the sequence of each logits
     * row the step will produce, in order. Returns the number of rows.
     */
    public static int plan(List<SequenceProgress> sequences, TokenBatch batch, SequenceProgress[] owners) {
        batch.clear();
        int rows = 0;
        for (SequenceProgress s : sequences) {
            if (s.prefilled() && !s.finished()) {
                s.addDecodeEntry(batch);
                owners[rows++] = s;
            }
        }
        for (SequenceProgress s : sequences) {
            if (!s.prefilled() && !s.finished() && batch.size() < batch.capacity()) {
                if (s.addPromptChunk(batch, batch.capacity() - batch.size())) {
                    owners[rows++] = s;
                }
            }
        }
        return rows;
    }
}
