package io.laminar.model.tokenizer;

import java.util.Arrays;

/**
 * An open-addressing map from long to int with an explicit missing value, for the BPE pair ranks:
 * a few hundred thousand entries that would otherwise be boxed twice each.
 */
final class LongIntHashMap {
    private static final long EMPTY = Long.MIN_VALUE;

    private final int missingValue;
    private long[] keys;
    private int[] values;
    private int size;

    LongIntHashMap(int expectedSize, int missingValue) {
        this.missingValue = missingValue;
        int capacity = Integer.highestOneBit(Math.max(16, expectedSize * 2 - 1)) << 1;
        keys = new long[capacity];
        values = new int[capacity];
        Arrays.fill(keys, EMPTY);
    }

    int get(long key) {
        int mask = keys.length - 1;
        for (int i = slot(key, mask); ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == key) {
                return values[i];
            }
            if (k == EMPTY) {
                return missingValue;
            }
        }
    }

    /** Stores the value unless the key is present already (the first merge listed wins, as in llama.cpp). */
    void putIfAbsent(long key, int value) {
        if (key == EMPTY) {
            throw new IllegalArgumentException("key=" + key + " is reserved");
        }
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        int mask = keys.length - 1;
        for (int i = slot(key, mask); ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == key) {
                return;
            }
            if (k == EMPTY) {
                keys[i] = key;
                values[i] = value;
                size++;
                return;
            }
        }
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new int[oldValues.length * 2];
        Arrays.fill(keys, EMPTY);
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) {
                putIfAbsent(oldKeys[i], oldValues[i]);
            }
        }
    }

    private static int slot(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }
}
