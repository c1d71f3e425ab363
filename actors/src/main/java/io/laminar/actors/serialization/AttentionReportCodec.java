package io.laminar.actors.serialization;

import io.laminar.actors.inspect.AttentionReport;
import io.laminar.model.inspect.TopTokens;

/** The wire form of an {@link AttentionReport}: its arrays length-prefixed, the weights as raw floats. */
final class AttentionReportCodec {
    /** More layers than any model has: a report claiming more is corrupt (it would size arrays by it). */
    private static final int MAX_LAYERS = 4096;

    private AttentionReportCodec() {
    }

    static void write(WireWriter w, AttentionReport m) {
        w.i32(m.modelLayers());
        w.i32(m.firstLayer());
        w.i32(m.layers());
        w.i32(m.heads());
        w.ints(m.positions());
        w.ints(m.tokens());
        w.i32(m.weights().length);
        w.floatsRaw(m.weights());
        w.i32(m.top().length);
        for (TopTokens t : m.top()) {
            w.i32(t.position());
            w.ints(t.tokens());
            w.floatsRaw(t.probabilities());
        }
        w.ints(m.chosen());
    }

    static AttentionReport read(WireReader r) {
        int modelLayers = r.i32();
        int firstLayer = r.i32();
        int layers = r.i32();
        int heads = r.i32();
        int[] positions = r.ints();
        int[] tokens = r.ints();
        float[] weights = r.floatsRaw(r.i32());
        if (modelLayers > MAX_LAYERS || layers < 0 || heads < 0 || firstLayer < 0 || firstLayer + layers > modelLayers
                || tokens.length != positions.length
                || weights.length != AttentionReport.weightCount(layers, heads, positions)) {
            throw new IllegalArgumentException("attention report of " + weights.length + " weights does not match "
                    + positions.length + " positions of layers " + firstLayer + "+" + layers + " of " + modelLayers
                    + " x " + heads + " heads");
        }
        int n = r.i32();
        if (n < 0 || n > r.remaining() / 8) {
            throw new IllegalArgumentException(n + " top-token lists in " + r.remaining() + " bytes");
        }
        TopTokens[] top = new TopTokens[n];
        for (int i = 0; i < n; i++) {
            int position = r.i32();
            int[] ids = r.ints();
            top[i] = new TopTokens(position, ids, r.floatsRaw(ids.length));
        }
        return new AttentionReport(modelLayers, firstLayer, layers, heads, positions, tokens, weights, top, r.ints());
    }
}
