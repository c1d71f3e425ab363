package io.laminar.actors.inspect;

import io.laminar.model.inspect.TopTokens;

import java.util.Arrays;
import java.util.TreeMap;

/**
 * What is known of one inspected request, merged from its stages' {@link AttentionReport}s: per
 * layer and head, the attention weights of each query position; the token at each position; the
 * top next-token probabilities of each step and the token chosen. Written by its
 * {@link AttentionCollector}, read by whoever shows it (the HTTP endpoint, {@code generate
 * --attention}), hence synchronized. Bounded: past {@code maxValues} weights further reports are
 * dropped and {@link #truncated} says so.
 */
public final class Inspection {
    private final String requestId;
    private final int promptTokens;
    private final long maxValues;
    private int layers;
    private int heads;
    /** [layer][head][position] -> weights over 0..position; sized on the first report. */
    private float[][][][] rows = new float[0][][][];
    private int[] tokens = new int[0];
    private final TreeMap<Integer, TopTokens> top = new TreeMap<>();
    private final TreeMap<Integer, Integer> chosen = new TreeMap<>();
    private long values;
    private boolean truncated;
    private boolean finished;
    /** Bumped on every change, so a reader can tell whether to fetch again. */
    private long revision;

    /**
     * @param promptTokens the request's prompt length: its first {@code promptTokens} positions are the prompt
     * @param maxValues    the most weights kept
     */
    public Inspection(String requestId, int promptTokens, long maxValues) {
        this.requestId = requestId;
        this.promptTokens = promptTokens;
        this.maxValues = maxValues;
    }

    public String requestId() {
        return requestId;
    }

    public int promptTokens() {
        return promptTokens;
    }

    /** Merges one stage's report of one step. */
    public synchronized void add(AttentionReport r) {
        if (values + r.weights().length > maxValues) {
            truncated = true;
            notifyAll();
            return;
        }
        int totalLayers = Math.max(layers, Math.max(r.modelLayers(), r.firstLayer() + r.layers()));
        if (totalLayers > rows.length) {
            rows = Arrays.copyOf(rows, totalLayers);
        }
        layers = totalLayers;
        heads = Math.max(heads, r.heads());
        int at = 0;
        for (int i = 0; i < r.positions().length; i++) {
            int p = r.positions()[i];
            noteToken(p, r.tokens()[i]);
            for (int l = r.firstLayer(); l < r.firstLayer() + r.layers(); l++) {
                if (rows[l] == null) {
                    rows[l] = new float[r.heads()][0][];
                }
                for (int h = 0; h < r.heads(); h++) {
                    float[][] byPosition = rows[l][h];
                    if (p >= byPosition.length) {
                        byPosition = rows[l][h] = Arrays.copyOf(byPosition, Math.max(p + 1, byPosition.length * 2));
                    }
                    byPosition[p] = Arrays.copyOfRange(r.weights(), at, at + p + 1);
                    at += p + 1;
                }
            }
        }
        values += r.weights().length;
        for (int i = 0; i < r.top().length; i++) {
            top.put(r.top()[i].position(), r.top()[i]);
            chosen.put(r.top()[i].position(), r.chosen()[i]);
            noteToken(r.top()[i].position() + 1, r.chosen()[i]);
        }
        revision++;
        notifyAll();
    }

    private void noteToken(int position, int token) {
        if (position >= tokens.length) {
            int old = tokens.length;
            tokens = Arrays.copyOf(tokens, Math.max(position + 1, old * 2));
            Arrays.fill(tokens, old, tokens.length, -1);
        }
        tokens[position] = token;
    }

    /** The request ended: nothing more is expected beyond reports still on their way. */
    public synchronized void finish() {
        finished = true;
        revision++;
        notifyAll();
    }

    /**
     * Waits until every layer has query position {@code queries - 1} (stages report independently,
     * so the last ones may arrive after the request finished), the capture is truncated, or the
     * timeout passes. Returns whether everything arrived.
     */
    public synchronized boolean awaitQueries(int queries, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (!truncated && queryCount(queries) < queries) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return !truncated;
    }

    /** How many of the first {@code limit} positions every layer's first head has (a layer not reported has none). */
    private int queryCount(int limit) {
        if (rows.length == 0) {
            return 0;
        }
        int n = 0;
        for (int p = 0; p < limit; p++) {
            for (float[][][] layer : rows) {
                if (layer == null || p >= layer[0].length || layer[0][p] == null) {
                    return n;
                }
            }
            n++;
        }
        return n;
    }

    public synchronized int layers() {
        return layers;
    }

    public synchronized int heads() {
        return heads;
    }

    /** One past the highest position with a known token (prompt, generated, and the last chosen one). */
    public synchronized int tokenCount() {
        int n = tokens.length;
        while (n > 0 && tokens[n - 1] < 0) {
            n--;
        }
        return n;
    }

    /** The token at {@code position}, or -1 if not known yet. */
    public synchronized int token(int position) {
        return position < tokens.length ? tokens[position] : -1;
    }

    /** The weights of query {@code position} at {@code layer} and {@code head}, or null if not (yet) reported. */
    public synchronized float[] row(int layer, int head, int position) {
        if (layer >= rows.length || rows[layer] == null || head >= rows[layer].length) {
            return null;
        }
        float[][] byPosition = rows[layer][head];
        return position < byPosition.length ? byPosition[position] : null;
    }

    /** The top next-token probabilities after each position that had them, by position. */
    public synchronized TreeMap<Integer, TopTokens> top() {
        return new TreeMap<>(top);
    }

    /** The token chosen after {@code position}, or -1. */
    public synchronized int chosen(int position) {
        return chosen.getOrDefault(position, -1);
    }

    public synchronized long values() {
        return values;
    }

    public synchronized boolean truncated() {
        return truncated;
    }

    public synchronized boolean finished() {
        return finished;
    }

    public synchronized long revision() {
        return revision;
    }
}
