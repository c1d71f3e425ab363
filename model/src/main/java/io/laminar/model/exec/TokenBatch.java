package io.laminar.model.exec;

/**
 * The tokens one forward step processes: any mix of prompt chunks and single decode tokens from
 * several sequences. Each entry names its sequence's KV slot and position; entries of one sequence
 * must have distinct positions, and attention of an entry sees every position up to its own.
 * Preallocated with a capacity and refilled each step, so the per-token path allocates nothing.
 */
public final class TokenBatch {
    private final int[] tokens;
    private final int[] slots;
    private final int[] positions;
    private final boolean[] wantLogits;
    private int size;

    public TokenBatch(int capacity) {
        tokens = new int[capacity];
        slots = new int[capacity];
        positions = new int[capacity];
        wantLogits = new boolean[capacity];
    }

    public void clear() {
        size = 0;
    }

    /** Appends a token of sequence {@code slot} at {@code position}; {@code logits} if its next token is wanted. */
    public void add(int token, int slot, int position, boolean logits) {
        if (size == tokens.length) {
            throw new IllegalStateException("batch is full (" + size + " tokens)");
        }
        tokens[size] = token;
        slots[size] = slot;
        positions[size] = position;
        wantLogits[size] = logits;
        size++;
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return tokens.length;
    }

    public int token(int i) {
        return tokens[i];
    }

    public int slot(int i) {
        return slots[i];
    }

    public int position(int i) {
        return positions[i];
    }

    public boolean wantsLogits(int i) {
        return wantLogits[i];
    }

    /** How many entries want logits. */
    public int logitsCount() {
        int n = 0;
        for (int i = 0; i < size; i++) {
            n += wantLogits[i] ? 1 : 0;
        }
        return n;
    }
}
