package io.laminar.actors.stage;

import akka.actor.typed.ActorRef;
import io.laminar.actors.inspect.AttentionReport;
import io.laminar.model.inspect.AttentionSink;
import io.laminar.model.inspect.TopTokens;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * A stage's capture for one inspected sequence: collects the rows its layers compute during one
 * step (from the kernel threads, hence synchronized), then {@link #report} turns them into an
 * {@link AttentionReport} for the request's collector and starts the next step empty.
 */
final class StepInspection implements AttentionSink {
    final ActorRef<AttentionReport> collector;
    private final int modelLayers;
    private final int firstLayer;
    private final int layers;
    private final int heads;
    /** position -> [layer * heads + head] -> weights. */
    private final TreeMap<Integer, float[][]> rows = new TreeMap<>();
    private final TreeMap<Integer, Integer> tokens = new TreeMap<>();
    private final List<TopTokens> top = new ArrayList<>();
    private final List<Integer> chosen = new ArrayList<>();

    StepInspection(ActorRef<AttentionReport> collector, int modelLayers, int firstLayer, int layers, int heads) {
        this.collector = collector;
        this.modelLayers = modelLayers;
        this.firstLayer = firstLayer;
        this.layers = layers;
        this.heads = heads;
    }

    @Override
    public synchronized void attention(int layer, int head, int position, float[] query, int queryOffset,
                                       float[] weights, int length) {
        rows.computeIfAbsent(position, p -> new float[layers * heads][])[(layer - firstLayer) * heads + head] =
                Arrays.copyOf(weights, length);
    }

    synchronized void token(int position, int token) {
        tokens.put(position, token);
    }

    /** The last stage's probabilities for the step of {@code probabilities.position()}; {@link #chose} follows. */
    synchronized void sampled(TopTokens probabilities) {
        top.add(probabilities);
        chosen.add(-1);
    }

    /** The token the sampler chose after the latest {@link #sampled}. */
    synchronized void chose(int token) {
        chosen.set(chosen.size() - 1, token);
    }

    /** This step's report, or null if the sequence had no token in it; then empties the capture. */
    synchronized AttentionReport report() {
        if (rows.isEmpty() && top.isEmpty()) {
            return null;
        }
        int[] positions = rows.keySet().stream().mapToInt(Integer::intValue).toArray();
        int[] ids = new int[positions.length];
        float[] weights = new float[Math.toIntExact(AttentionReport.weightCount(layers, heads, positions))];
        int at = 0;
        for (int i = 0; i < positions.length; i++) {
            ids[i] = tokens.getOrDefault(positions[i], -1);
            for (float[] row : rows.get(positions[i])) {
                if (row != null) { // every row is there unless a step failed half-way
                    System.arraycopy(row, 0, weights, at, row.length);
                }
                at += positions[i] + 1;
            }
        }
        AttentionReport report = new AttentionReport(modelLayers, firstLayer, layers, heads, positions, ids, weights,
                top.toArray(TopTokens[]::new), chosen.stream().mapToInt(Integer::intValue).toArray());
        rows.clear();
        tokens.clear();
        top.clear();
        chosen.clear();
        return report;
    }
}
