package io.laminar.model.generate;

import io.laminar.model.exec.TokenBatch;

import java.util.List;

/**
 * Forms one forward step from the sequences that take part in it: first one decode entry for every
 * sequence that is generating, then chunks of the prompts still being read, up to the batch's
 * capacity. Decodes come first so that a long prompt, read in chunks over several steps, never
 * stalls the sequences already generating. With a {@link Drafter}, a generating sequence's decode
 * entry is followed by drafted tokens (speculative decoding), as many as the batch has room for
 * once every generating sequence has its decode entry.
 */
public final class StepPlanner {
    private StepPlanner() {
    }

    /** Proposes tokens to check after a sequence's next one. */
    public interface Drafter {
        /** Writes at most {@code limit} tokens into {@code out}; returns how many. */
        int draft(SequenceProgress sequence, int limit, int[] out);
    }

    /**
     * Fills {@code batch} (cleared first) and writes into {@code owners} the sequence of each logits
     * row the step will produce, in order. Returns the number of rows.
     */
    public static int plan(List<SequenceProgress> sequences, TokenBatch batch, SequenceProgress[] owners) {
        return plan(sequences, batch, owners, null, null);
    }

    /**
     * As {@link #plan(List, TokenBatch, SequenceProgress[])}, with up to what {@code drafter}
     * proposes after each generating sequence's decode entry. A sequence's rows are consecutive and
     * its batch entries are those same indices: row i of a decode holds what follows entry i.
     *
     * @param draft scratch for the drafter, at least the batch's capacity
     */
    public static int plan(List<SequenceProgress> sequences, TokenBatch batch, SequenceProgress[] owners,
                           Drafter drafter, int[] draft) {
        batch.clear();
        int rows = 0;
        int generating = 0;
        for (SequenceProgress s : sequences) {
            if (s.prefilled() && !s.finished()) {
                generating++;
            }
        }
        int spare = batch.capacity() - generating;
        for (SequenceProgress s : sequences) {
            if (s.prefilled() && !s.finished()) {
                int n = drafter == null || spare <= 0 ? 0 : drafter.draft(s, Math.min(spare, s.draftRoom()), draft);
                s.addDecodeEntries(batch, draft, n);
                spare -= n;
                for (int i = 0; i <= n; i++) {
                    owners[rows++] = s;
                }
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
