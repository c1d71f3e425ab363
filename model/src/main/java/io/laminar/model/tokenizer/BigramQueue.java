package io.laminar.model.tokenizer;

import java.util.Arrays;

/**
 * A binary min-heap of candidate merges. Each entry is a long priority key (the merge order with
 * the left symbol's index as tie-breaker, packed so that smaller means "merge first") and an int
 * payload; the arrays are reused from word to word, so merging allocates nothing per candidate.
 */
final class BigramQueue {
    private long[] keys = new long[64];
    private int[] payloads = new int[64];
    private int size;

    void clear() {
        size = 0;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void push(long key, int payload) {
        if (size == keys.length) {
            keys = Arrays.copyOf(keys, size * 2);
            payloads = Arrays.copyOf(payloads, size * 2);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (keys[parent] <= key) {
                break;
            }
            keys[i] = keys[parent];
            payloads[i] = payloads[parent];
            i = parent;
        }
        keys[i] = key;
        payloads[i] = payload;
    }

    long peekKey() {
        return keys[0];
    }

    int peekPayload() {
        return payloads[0];
    }

    void pop() {
        long key = keys[--size];
        int payload = payloads[size];
        int i = 0;
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            if (child + 1 < size && keys[child + 1] < keys[child]) {
                child++;
            }
            if (key <= keys[child]) {
                break;
            }
            keys[i] = keys[child];
            payloads[i] = payloads[child];
            i = child;
        }
        keys[i] = key;
        payloads[i] = payload;
    }

    /** Packs (order, left index) into a key: smaller order first, then the leftmost pair. */
    static long key(int order, int leftIndex) {
        return ((long) order << 32) | (leftIndex & 0xFFFFFFFFL);
    }

    static int leftIndex(long key) {
        return (int) key;
    }

    static int order(long key) {
        return (int) (key >> 32);
    }

    /** Maps a score so that higher scores give smaller (earlier) orders, for SentencePiece. */
    static int orderOfScore(float score) {
        int bits = Float.floatToIntBits(score);
        int sortable = bits ^ ((bits >> 31) & 0x7FFFFFFF); // signed-int order equals float order
        return ~sortable;
    }
}
