package io.laminar.model.generate;

import io.laminar.model.exec.TokenBatch;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * Where one sequence stands: how much of its prompt has gone through the model, its position, the
 * tokens generated so far and whether it has finished. Shared by the synchronous {@link Generator}
 * and the actor pipeline's scheduler, so both batch sequences the same way.
 *
 * <p>A sequence may resume after tokens an interrupted run generated: they are read with the prompt,
 * in its chunks, since a chunk fills the KV cache exactly as one token per step does, and they count
 * as generated, so the next token has their count for index and the length limits count from the
 * original start.
 */
public final class SequenceProgress {
    private final int[] prompt;
    /** What is read before generating: the prompt, then the tokens generated before a resume. */
    private final int[] input;
    private final int maxTokens;
    private final int context;
    private int slot = -1;
    private int promptDone;
    private int position;
    private int lastToken;
    private int[] generated = new int[16];
    private int generatedCount;
    private GenerationEnd finish;

    /**
     * @param prompt    the prompt's token ids
     * @param maxTokens the most tokens to generate
     * @param context   the longest sequence (prompt and generated tokens) the KV cache holds
     */
    public SequenceProgress(int[] prompt, int maxTokens, int context) {
        this(prompt, new int[0], maxTokens, context);
    }

    /**
     * A sequence resuming after {@code generatedBefore}, the first tokens an earlier run of the same
     * request generated; it finishes at once when that run had already reached a limit.
     *
     * @param maxTokens the most tokens to generate, those generated before included
     */
    public SequenceProgress(int[] prompt, int[] generatedBefore, int maxTokens, int context) {
        this.prompt = prompt;
        this.maxTokens = maxTokens;
        this.context = context;
        this.generatedCount = generatedBefore.length;
        if (generatedBefore.length == 0) {
            this.input = prompt;
        } else {
            this.input = Arrays.copyOf(prompt, prompt.length + generatedBefore.length);
            System.arraycopy(generatedBefore, 0, input, prompt.length, generatedBefore.length);
            this.generated = Arrays.copyOf(generatedBefore, Math.max(16, generatedBefore.length));
        }
        if (generatedCount >= maxTokens) {
            finish = GenerationEnd.LENGTH;
        } else if (generatedCount > 0 && input.length - 1 >= context) {
            // Its last token was taken at the context's end (see accept): that run ended there.
            finish = GenerationEnd.CONTEXT;
        }
    }

    public int slot() {
        return slot;
    }

    public void assignSlot(int slot) {
        this.slot = slot;
    }

    public int[] prompt() {
        return prompt;
    }

    /** Whether the whole prompt (and any tokens generated before a resume) has been sent through the model. */
    public boolean prefilled() {
        return promptDone == input.length;
    }

    /** Whether no token of this sequence has been sent yet. */
    public boolean notStarted() {
        return promptDone == 0;
    }

    /** Positions the sequence will have filled after its next step's entries. */
    public int lengthAfterDecode() {
        return position + 1;
    }

    public int generatedCount() {
        return generatedCount;
    }

    public int[] generated() {
        return Arrays.copyOf(generated, generatedCount);
    }

    public GenerationEnd finish() {
        return finish;
    }

    public boolean finished() {
        return finish != null;
    }

    /** The longest this sequence can grow: its prompt plus every token it may generate, within the context. */
    public int maxLength() {
        return (int) Math.min((long) prompt.length + maxTokens, context);
    }

    /** Appends this sequence's next decode entry (its last generated token) to {@code batch}. */
    public void addDecodeEntry(TokenBatch batch) {
        batch.add(lastToken, slot, position++, true);
    }

    /**
     * Appends the decode entry and, after it, {@code n} drafted tokens at the next positions, each
     * asking for logits: row i then holds what follows the draft's first i tokens. The drafts'
     * positions become the sequence's only as {@link #draftTaken()} says they were right; a wrong
     * draft's keys and values are written over by the next step at those positions.
     */
    public void addDecodeEntries(TokenBatch batch, int[] draft, int n) {
        batch.add(lastToken, slot, position, true);
        for (int i = 0; i < n; i++) {
            batch.add(draft[i], slot, position + 1 + i, true);
        }
        position++;
    }

    /**
     * How many drafted tokens a step may check for this sequence: as many as it may still generate
     * after the decode entry's, within the context.
     */
    public int draftRoom() {
        return Math.max(0, Math.min(maxTokens - generatedCount - 1, context - 1 - position));
    }

    /** The next drafted token was the one sampled: its entry stands as this sequence's next position. */
    public void draftTaken() {
        position++;
    }

    /** The prompt (with the tokens generated before a resume) and the tokens generated, in order, into {@code out}. */
    public int history(int[] out) {
        int fromInput = input.length;
        int extra = generatedCount - (input.length - prompt.length);
        System.arraycopy(input, 0, out, 0, fromInput);
        System.arraycopy(generated, generatedCount - extra, out, fromInput, extra);
        return fromInput + extra;
    }

    /**
     * Appends the next chunk of the prompt (followed by the tokens generated before a resume), at
     * most {@code budget} tokens; the last one asks for logits. Returns whether the chunk ends the
     * prompt (so this sequence owns a logits row).
     */
    public boolean addPromptChunk(TokenBatch batch, int budget) {
        int take = Math.min(input.length - promptDone, budget);
        for (int i = 0; i < take; i++) {
            int p = promptDone + i;
            batch.add(input[p], slot, p, p == input.length - 1);
        }
        promptDone += take;
        position = promptDone;
        return prefilled();
    }

    /** Prompt tokens (with those generated before a resume) not yet sent. */
    public int promptRemaining() {
        return input.length - promptDone;
    }

    /**
     * Takes the token sampled from this sequence's latest logits. Returns true when the token is
     * part of the output (it is neither past the end nor an end-of-generation token).
     */
    public boolean accept(int token, IntPredicate endOfGeneration) {
        if (finish != null) {
            return false;
        }
        if (endOfGeneration.test(token)) {
            finish = GenerationEnd.STOP;
            return false;
        }
        if (generatedCount == generated.length) {
            generated = Arrays.copyOf(generated, generatedCount * 2);
        }
        generated[generatedCount++] = token;
        lastToken = token;
        if (generatedCount >= maxTokens) {
            finish = GenerationEnd.LENGTH;
        } else if (position >= context) {
            finish = GenerationEnd.CONTEXT;
        }
        return true;
    }

    /** Ends the sequence early (cancelled, or failed elsewhere). */
    public void stop(GenerationEnd reason) {
        if (finish == null) {
            finish = reason;
        }
    }
}
