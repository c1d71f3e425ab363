package io.laminar.model.generate;

import io.laminar.model.exec.TokenBatch;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * Where one sequence stands: how much of its prompt has gone through the model, its position, the
 * tokens generated so far and whether it has finished. Shared by the synchronous {@link Generator}
 * and the actor pipeline's scheduler, so both batch sequences the same way.
 */
public final class SequenceProgress {
    private final int[] prompt;
    private final int maxTokens;
    private final int context;
    private int slot = -1;
    private int promptDone;
    private int position;
    private int lastToken;
    private int[] generated = new int[16];
    private int generatedCount;
    private FinishReason finish;

    /**
     * @param prompt    the prompt's token ids
     * @param maxTokens the most tokens to generate
     * @param context   the longest sequence (prompt and generated tokens) the KV cache holds
     */
    public SequenceProgress(int[] prompt, int maxTokens, int context) {
        this.prompt = prompt;
        this.maxTokens = maxTokens;
        this.context = context;
        if (maxTokens == 0) {
            finish = FinishReason.LENGTH;
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

    /** Whether the whole prompt has been sent through the model. */
    public boolean prefilled() {
        return promptDone == prompt.length;
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

    public FinishReason finish() {
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
     * Appends the next chunk of the prompt, at most {@code budget} tokens; the prompt's last token
     * asks for logits. Returns whether the chunk ends the prompt (so this sequence owns a logits row).
     */
    public boolean addPromptChunk(TokenBatch batch, int budget) {
        int take = Math.min(prompt.length - promptDone, budget);
        for (int i = 0; i < take; i++) {
            int p = promptDone + i;
            batch.add(prompt[p], slot, p, p == prompt.length - 1);
        }
        promptDone += take;
        position = promptDone;
        return prefilled();
    }

    /** Prompt tokens not yet sent. */
    public int promptRemaining() {
        return prompt.length - promptDone;
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
            finish = FinishReason.STOP;
            return false;
        }
        if (generatedCount == generated.length) {
            generated = Arrays.copyOf(generated, generatedCount * 2);
        }
        generated[generatedCount++] = token;
        lastToken = token;
        if (generatedCount >= maxTokens) {
            finish = FinishReason.LENGTH;
        } else if (position >= context) {
            finish = FinishReason.CONTEXT;
        }
        return true;
    }

    /** Ends the sequence early (cancelled, or failed elsewhere). */
    public void stop(FinishReason reason) {
        if (finish == null) {
            finish = reason;
        }
    }
}
