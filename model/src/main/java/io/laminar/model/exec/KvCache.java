package io.laminar.model.exec;

import java.util.Arrays;

/**
 * The key/value cache of one stage's layers, paged: memory is a pool of fixed-size blocks of
 * {@link #blockSize()} positions, and each sequence (a slot) holds a table of the blocks its
 * positions live in. Sequences of different lengths share the pool without reserving a whole
 * context each; a sequence asks for blocks as it grows and returns them when it ends.
 *
 * <p>Per layer, keys and values are arrays laid out {@code [block][position in block][kvDim]}: at
 * {@link KvPrecision#F16} half-precision bits in {@code short}s (2 bytes a value, as llama.cpp keeps
 * them, so a memory budget holds twice the positions of floats), at {@link KvPrecision#F32} floats.
 * {@link #write} stores a position and {@link #readKeys}/{@link #readValues} widen a run of it back
 * to floats, exactly: an F16 cache is only given values already rounded to half precision.
 */
public final class KvCache {
    private final int layers;
    private final int kvDim;
    private final KvPrecision precision;
    private final int blockSize;
    private final int blockCount;
    private final int maxBlocksPerSequence;
    /** F32 storage, else null. */
    private final float[][] keys;
    private final float[][] values;
    /** F16 storage (half-precision bits), else null. */
    private final short[][] halfKeys;
    private final short[][] halfValues;
    private final int[][] blockTables;
    private final int[] blocksHeld;
    private final int[] freeBlocks;
    private int freeCount;

    /**
     * @param layers         layers of the stage
     * @param kvDim          width of all key heads together
     * @param blockSize      positions per block
     * @param blockCount     blocks in the pool (the memory budget)
     * @param maxSequences   slots: sequences that may hold blocks at once
     * @param maxContext     the longest sequence a slot may hold
     * @param precision      the precision of keys and values
     */
    public KvCache(int layers, int kvDim, int blockSize, int blockCount, int maxSequences, int maxContext,
                   KvPrecision precision) {
        this(layers, kvDim, blockSize, blockCount, maxSequences, maxContext, precision, true);
    }

    private KvCache(int layers, int kvDim, int blockSize, int blockCount, int maxSequences, int maxContext,
                    KvPrecision precision, boolean storage) {
        long valuesPerLayer = (long) blockCount * blockSize * kvDim;
        if (valuesPerLayer > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("KV cache of " + blockCount + " blocks x " + blockSize
                    + " positions x " + kvDim + " is too large for one layer array");
        }
        this.layers = layers;
        this.kvDim = kvDim;
        this.precision = precision;
        this.blockSize = blockSize;
        this.blockCount = blockCount;
        this.maxBlocksPerSequence = (maxContext + blockSize - 1) / blockSize;
        boolean half = precision == KvPrecision.F16;
        this.keys = storage && !half ? new float[layers][(int) valuesPerLayer] : null;
        this.values = storage && !half ? new float[layers][(int) valuesPerLayer] : null;
        this.halfKeys = storage && half ? new short[layers][(int) valuesPerLayer] : null;
        this.halfValues = storage && half ? new short[layers][(int) valuesPerLayer] : null;
        this.blockTables = new int[maxSequences][maxBlocksPerSequence];
        this.blocksHeld = new int[maxSequences];
        this.freeBlocks = new int[blockCount];
        for (int i = 0; i < blockCount; i++) {
            freeBlocks[i] = blockCount - 1 - i;
        }
        this.freeCount = blockCount;
    }

    /** A cache that gives every slot room for a whole context: the simple single-process default. */
    public static KvCache forContext(int layers, int kvDim, int maxSequences, int context) {
        int blockSize = 16;
        int perSequence = (context + blockSize - 1) / blockSize;
        return new KvCache(layers, kvDim, blockSize, perSequence * maxSequences, maxSequences, context,
                KvPrecision.F16);
    }

    /**
     * The block tables of a cache whose keys and values live elsewhere (on a device): the same
     * pool, slots and offsets, no host arrays; {@link #write}, {@link #readKeys} and {@link #readValues} throw.
     */
    public static KvCache withoutStorage(int layers, int kvDim, int blockSize, int blockCount, int maxSequences,
                                         int maxContext, KvPrecision precision) {
        return new KvCache(layers, kvDim, blockSize, blockCount, maxSequences, maxContext, precision, false);
    }

    /** Whether keys and values are held in this object's arrays. */
    public boolean hasStorage() {
        return keys != null || halfKeys != null;
    }

    public int layers() {
        return layers;
    }

    public int kvDim() {
        return kvDim;
    }

    /** The most blocks one slot can hold: {@code maxContext / blockSize}. */
    public int maxBlocksPerSequence() {
        return maxBlocksPerSequence;
    }

    /** Blocks {@code slot} holds now. */
    public int blocksHeld(int slot) {
        return blocksHeld[slot];
    }

    /** The pool index of the {@code i}-th block of {@code slot} ({@code i < blocksHeld(slot)}). */
    public int block(int slot, int i) {
        return blockTables[slot][i];
    }

    public KvPrecision precision() {
        return precision;
    }

    public int blockSize() {
        return blockSize;
    }

    public int freeBlocks() {
        return freeCount;
    }

    public int blockCount() {
        return blockCount;
    }

    public int maxContext() {
        return maxBlocksPerSequence * blockSize;
    }

    public int maxSequences() {
        return blockTables.length;
    }

    /** Bytes of host memory per block, over all layers, keys and values. */
    public long bytesPerBlock() {
        return 2L * layers * blockSize * kvDim * precision.bytes();
    }

    /** Blocks a sequence of {@code length} positions needs. */
    public int blocksFor(int length) {
        return (length + blockSize - 1) / blockSize;
    }

    /**
     * Makes room for positions {@code [0, length)} of {@code slot}, taking blocks from the pool.
     *
     * @return false, changing nothing, when the pool has too few free blocks
     * @throws IllegalArgumentException when {@code length} exceeds the longest context a slot holds
     */
    public boolean reserve(int slot, int length) {
        int needed = blocksFor(length);
        if (needed > maxBlocksPerSequence) {
            throw new IllegalArgumentException("sequence length " + length + " exceeds the KV cache context "
                    + maxContext());
        }
        int more = needed - blocksHeld[slot];
        if (more <= 0) {
            return true;
        }
        if (more > freeCount) {
            return false;
        }
        for (int i = 0; i < more; i++) {
            blockTables[slot][blocksHeld[slot]++] = freeBlocks[--freeCount];
        }
        return true;
    }

    /** Returns the blocks of {@code slot} to the pool. */
    public void release(int slot) {
        for (int i = 0; i < blocksHeld[slot]; i++) {
            freeBlocks[freeCount++] = blockTables[slot][i];
        }
        blocksHeld[slot] = 0;
    }

    /** Positions {@code slot} has room for. */
    public int capacity(int slot) {
        return blocksHeld[slot] * blockSize;
    }

    /** Offset of position {@code pos} of {@code slot} in a layer's key or value array. */
    public int offset(int slot, int pos) {
        int block = blockTables[slot][pos / blockSize];
        return (block * blockSize + pos % blockSize) * kvDim;
    }

    /**
     * Stores one position of layer {@code layer} (index within the stage) at {@code offset} (from
     * {@link #offset}): {@code kvDim} keys from {@code k[kOff..]} and values from {@code v[vOff..]}.
     * An F16 cache takes values already rounded to half precision.
     */
    public void write(int layer, int offset, float[] k, int kOff, float[] v, int vOff) {
        store(halfKeys, keys, layer, offset, k, kOff);
        store(halfValues, values, layer, offset, v, vOff);
    }

    /** Widens {@code n} keys of layer {@code layer} from {@code offset} into {@code dst[dstOff..]}. */
    public void readKeys(int layer, int offset, float[] dst, int dstOff, int n) {
        load(halfKeys, keys, layer, offset, dst, dstOff, n);
    }

    /** Widens {@code n} values of layer {@code layer} from {@code offset} into {@code dst[dstOff..]}. */
    public void readValues(int layer, int offset, float[] dst, int dstOff, int n) {
        load(halfValues, values, layer, offset, dst, dstOff, n);
    }

    /** One position's keys or values into whichever storage this cache has ({@code half} or {@code full}). */
    private void store(short[][] half, float[][] full, int layer, int offset, float[] src, int srcOff) {
        checkStorage();
        if (half != null) {
            toHalf(src, srcOff, half[layer], offset, kvDim);
        } else {
            System.arraycopy(src, srcOff, full[layer], offset, kvDim);
        }
    }

    private void load(short[][] half, float[][] full, int layer, int offset, float[] dst, int dstOff, int n) {
        checkStorage();
        if (half != null) {
            toFloat(half[layer], offset, dst, dstOff, n);
        } else {
            System.arraycopy(full[layer], offset, dst, dstOff, n);
        }
    }

    // Plain counted loops over arrays: C2 compiles each to vcvtps2ph / vcvtph2ps on 8 values at a
    // time where the CPU has them (F16C on x86).
    private static void toHalf(float[] src, int srcOff, short[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = Float.floatToFloat16(src[srcOff + i]);
        }
    }

    private static void toFloat(short[] src, int srcOff, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = Float.float16ToFloat(src[srcOff + i]);
        }
    }

    private void checkStorage() {
        if (!hasStorage()) {
            throw new IllegalStateException("this KV cache keeps only block tables; its keys and values live on a device");
        }
    }

    @Override
    public String toString() {
        return "KvCache[layers=" + layers + ", blocks=" + blockCount + "x" + blockSize + ", free=" + freeCount
                + ", held=" + Arrays.stream(blocksHeld).sum() + "]";
    }
}
