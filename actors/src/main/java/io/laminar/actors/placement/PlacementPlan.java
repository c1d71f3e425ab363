package io.laminar.actors.placement;

import io.laminar.model.exec.LayerRange;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.gguf.GgufTensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a model's layers over stage nodes in proportion to their memory budgets: each node gets a
 * contiguous range whose weights are about its share of the total, the first also carrying the
 * token embedding and the last the output head. Plain arithmetic, no actors.
 */
public final class PlacementPlan {
    private PlacementPlan() {
    }

    /** Bytes of each layer's tensors ({@code blk.N.*}), plus the embedding and head, from the file. */
    public record ModelFootprint(long[] layerBytes, long embeddingBytes, long headBytes) {
        public long total() {
            long t = embeddingBytes + headBytes;
            for (long b : layerBytes) {
                t += b;
            }
            return t;
        }

        /** Bytes a stage hosting {@code range} maps. */
        public long bytesOf(LayerRange range) {
            long b = 0;
            for (int l = range.start(); l < range.end(); l++) {
                b += layerBytes[l];
            }
            if (range.start() == 0) {
                b += embeddingBytes;
            }
            if (range.end() == layerBytes.length) {
                b += headBytes;
            }
            return b;
        }

        public static ModelFootprint of(GgufFile file, int layers) {
            long[] perLayer = new long[layers];
            long embedding = 0;
            long head = 0;
            for (GgufTensor t : file.tensors().values()) {
                long bytes = t.data().byteSize();
                String n = t.name();
                if (n.startsWith("blk.")) {
                    int l = Integer.parseInt(n.substring(4, n.indexOf('.', 4)));
                    if (l < layers) {
                        perLayer[l] += bytes;
                    }
                } else if (n.startsWith("token_embd")) {
                    embedding += bytes;
                } else {
                    head += bytes;
                }
            }
            if (file.findTensor("output.weight") == null) {
                head += embedding; // tied: the last stage maps the embedding too
            }
            return new ModelFootprint(perLayer, embedding, head);
        }
    }

    /**
     * Ranges for nodes with {@code budgets} (bytes, in node order) covering layers
     * {@code [within.start, within.end)}. A node may get no range (null) when there are more nodes
     * than layers.
     *
     * @throws IllegalArgumentException naming the shortfall when the budgets cannot hold the weights
     */
    public static List<LayerRange> split(ModelFootprint model, LayerRange within, long[] budgets) {
        // With more nodes than layers, the nodes beyond the layer count host nothing.
        int nodes = Math.min(budgets.length, within.size());
        long totalBudget = 0;
        for (int i = 0; i < nodes; i++) {
            if (budgets[i] <= 0) {
                throw new IllegalArgumentException("every memory budget must be positive");
            }
            totalBudget += budgets[i];
        }
        long needed = model.bytesOf(within);
        if (needed > totalBudget) {
            throw new IllegalArgumentException(String.format(
                    "layers %s need %.1f MiB of weights but the stage budgets sum to %.1f MiB",
                    within, needed / 1048576.0, totalBudget / 1048576.0));
        }
        List<LayerRange> ranges = new ArrayList<>();
        int layer = within.start();
        double cumulativeShare = 0;
        long assigned = 0;
        for (int i = 0; i < nodes; i++) {
            cumulativeShare += (double) budgets[i] / totalBudget;
            int remainingNodes = nodes - i - 1;
            int start = layer;
            // Take layers while under this node's cumulative share, leaving one per remaining node.
            while (layer < within.end() && within.end() - layer > remainingNodes
                    && (layer == start || assigned + model.layerBytes[layer] <= cumulativeShare * needed)) {
                assigned += model.layerBytes[layer];
                layer++;
            }
            if (i == nodes - 1) {
                layer = within.end();
            }
            ranges.add(layer > start ? new LayerRange(start, layer) : null);
        }
        for (int i = nodes; i < budgets.length; i++) {
            ranges.add(null);
        }
        for (int i = 0; i < nodes; i++) {
            LayerRange r = ranges.get(i);
            if (r != null && model.bytesOf(r) > budgets[i]) {
                throw new IllegalArgumentException(String.format(
                        "node %d would host layers %s (%.1f MiB) but its budget is %.1f MiB", i, r,
                        model.bytesOf(r) / 1048576.0, budgets[i] / 1048576.0));
            }
        }
        return ranges;
    }
}
