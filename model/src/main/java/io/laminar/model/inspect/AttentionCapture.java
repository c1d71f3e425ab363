package io.laminar.model.inspect;

import java.util.Arrays;

/**
 * The attention weights of one inspected sequence for a range of layers: per layer and head, one
 * row of weights per query position. Rows arrive from the stage's kernel threads in any order
 * (a prompt chunk is split by token), so every method is synchronized; only inspected sequences
 * pay for it.
 */
public final class AttentionCapture implements AttentionSink {
    private final int firstLayer;
    private final int heads;
    /** [layer - firstLayer][head][position] -> weights over positions 0..position, or null. */
    private final float[][][][] rows;
    private long values;

    /**
     * @param firstLayer the first layer captured, as an index into the whole model
     * @param layers     how many layers from there
     * @param heads      query heads per layer
     */
    public AttentionCapture(int firstLayer, int layers, int heads) {
        this.firstLayer = firstLayer;
        this.heads = heads;
        this.rows = new float[layers][heads][0][];
    }

    @Override
    public synchronized void attention(int layer, int head, int position, float[] query, int queryOffset,
                                       float[] weights, int length) {
        float[][] byPosition = rows[layer - firstLayer][head];
        if (position >= byPosition.length) {
            byPosition = Arrays.copyOf(byPosition, Math.max(position + 1, byPosition.length * 2));
            rows[layer - firstLayer][head] = byPosition;
        }
        if (byPosition[position] == null) {
            values += length;
        }
        byPosition[position] = Arrays.copyOf(weights, length);
    }

    public int firstLayer() {
        return firstLayer;
    }

    public int layers() {
        return rows.length;
    }

    public int heads() {
        return heads;
    }

    /** The weights of query {@code position} at {@code layer} (a whole-model index) and {@code head}, or null. */
    public synchronized float[] row(int layer, int head, int position) {
        float[][] byPosition = rows[layer - firstLayer][head];
        return position < byPosition.length ? byPosition[position] : null;
    }

    /** One past the highest query position captured in any layer and head. */
    public synchronized int positions() {
        int n = 0;
        for (float[][][] layer : rows) {
            for (float[][] byPosition : layer) {
                for (int p = byPosition.length - 1; p >= n; p--) {
                    if (byPosition[p] != null) {
                        n = p + 1;
                        break;
                    }
                }
            }
        }
        return n;
    }

    /** The floats held, for bounding a store of captures. */
    public synchronized long values() {
        return values;
    }
}
