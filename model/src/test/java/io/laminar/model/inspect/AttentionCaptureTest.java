package io.laminar.model.inspect;

import io.laminar.model.arch.ModelConfig;
import io.laminar.model.exec.KvCache;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.exec.LocalPipeline;
import io.laminar.model.exec.StageExecutor;
import io.laminar.model.exec.TokenBatch;
import io.laminar.kernels.VectorOps;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.testing.TestData;
import io.laminar.model.testing.TestModels;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The weights a stage captures for an inspected sequence are the model's: each row sums to 1 and
 * equals the softmax of the scaled dot products of the same query with the keys the stage cached,
 * recomputed here in double precision, for every layer, head and query token (prompt chunk and
 * decode steps alike); a sequence not marked sends nothing.
 */
class AttentionCaptureTest {
    private static final double TOLERANCE = 1e-5;

    @Test
    void syntheticModelTwoStagesPromptChunksAndDecode() throws IOException {
        check(TestModels.storiesSized(), 2, new int[] {1, 17, 42, 99, 5, 300, 7, 8, 250, 11, 64}, 6);
    }

    @Test
    void stories260KWholeModel() throws IOException {
        check(TestData.stories260K(), 1, new int[] {1, 403, 407, 261, 378}, 4);
    }

    private static void check(Path model, int stages, int[] prompt, int steps) throws IOException {
        try (GgufFile f = GgufFile.open(model)) {
            ModelConfig c = ModelConfig.fromGguf(f);
            try (LocalPipeline p = new LocalPipeline(f, c, LayerRange.split(c.layers(), stages), 2, 8, 2, 64)) {
                List<String> failures = new CopyOnWriteArrayList<>();
                AtomicInteger rows = new AtomicInteger();
                AttentionCapture[] captures = new AttentionCapture[stages];
                for (int s = 0; s < stages; s++) {
                    StageExecutor stage = p.stage(s);
                    LayerRange range = stage.weights().range();
                    captures[s] = new AttentionCapture(range.start(), range.size(), c.heads());
                    AttentionCapture capture = captures[s];
                    stage.inspect(0, (layer, head, position, query, qOff, weights, length) -> {
                        rows.incrementAndGet();
                        capture.attention(layer, head, position, query, qOff, weights, length);
                        String wrong = compare(c, stage.kvCache(), layer - range.start(), head, position, query, qOff,
                                weights, length);
                        if (wrong != null) {
                            failures.add("layer " + layer + " head " + head + " position " + position + ": " + wrong);
                        }
                    });
                }
                int queries = run(p, prompt, steps);
                assertTrue(failures.isEmpty(), () -> failures.size() + " rows differ, first: " + failures.getFirst());
                assertEquals(c.layers() * c.heads() * queries, rows.get(), "one row per layer, head and query token");
                for (AttentionCapture capture : captures) {
                    assertEquals(queries, capture.positions());
                    for (int l = capture.firstLayer(); l < capture.firstLayer() + capture.layers(); l++) {
                        for (int h = 0; h < c.heads(); h++) {
                            for (int q = 0; q < queries; q++) {
                                assertNotNull(capture.row(l, h, q), "layer " + l + " head " + h + " position " + q);
                            }
                        }
                    }
                }
            }
        }
    }

    /** Null when {@code weights} match the softmax of the query against the cached keys, else what differs. */
    private static String compare(ModelConfig c, KvCache kv, int localLayer, int head, int position, float[] query,
                                  int qOff, float[] weights, int length) {
        if (length != position + 1) {
            return "length " + length;
        }
        int headDim = c.headDim();
        int kvHead = head / (c.heads() / c.kvHeads());
        float[] key = new float[c.kvDim()];
        double[] scores = new double[length];
        double max = Double.NEGATIVE_INFINITY;
        for (int p = 0; p < length; p++) {
            kv.readKeys(localLayer, kv.offset(0, p), key, 0, c.kvDim());
            double dot = 0;
            for (int i = 0; i < headDim; i++) {
                dot += (double) query[qOff + i] * key[kvHead * headDim + i];
            }
            scores[p] = dot / Math.sqrt(headDim);
            max = Math.max(max, scores[p]);
        }
        double sum = 0;
        for (int p = 0; p < length; p++) {
            scores[p] = Math.exp(scores[p] - max);
            sum += scores[p];
        }
        double rowSum = 0;
        for (int p = 0; p < length; p++) {
            rowSum += weights[p];
            if (Math.abs(weights[p] - scores[p] / sum) > TOLERANCE) {
                return "weight " + p + " is " + weights[p] + ", recomputed " + scores[p] / sum;
            }
        }
        return Math.abs(rowSum - 1) > TOLERANCE ? "row sums to " + rowSum : null;
    }

    /**
     * Prompt in chunks of the batch size, then greedy decode steps, for the inspected sequence in slot 0
     * beside an uninspected one in slot 1 sharing the first half of the steps. Returns the query tokens slot 0 ran.
     */
    private static int run(LocalPipeline p, int[] prompt, int steps) {
        int vocab = p.config().vocabSize();
        float[] logits = new float[vocab * p.maxBatch()];
        TokenBatch batch = new TokenBatch(p.maxBatch());
        p.reserve(0, prompt.length + steps);
        p.reserve(1, prompt.length + steps);
        int pos = 0;
        int chunk = p.maxBatch() / 2;
        for (int i = 0; i < prompt.length; i += chunk) {
            batch.clear();
            for (int j = i; j < Math.min(prompt.length, i + chunk); j++, pos++) {
                batch.add(prompt[j], 0, pos, j == prompt.length - 1);
                batch.add(prompt[prompt.length - 1 - j], 1, pos, j == prompt.length - 1);
            }
            p.step(batch, logits);
        }
        for (int s = 0; s < steps; s++, pos++) {
            int next = VectorOps.argmax(logits, 0, vocab);
            batch.clear();
            batch.add(next, 0, pos, true);
            if (s < steps / 2) { // then alone, so that attention splits by head instead of by token
                batch.add(next, 1, pos, true);
            }
            p.step(batch, logits);
        }
        return pos;
    }

    /** A backend that does not capture (TornadoVM for now) says so, rather than ignoring the mark. */
    @Test
    void aBackendWithoutCaptureRefusesToInspect() {
        StageExecutor device = new StageExecutor() {
            public String backend() { return "tornadovm"; }
            public ModelConfig config() { return null; }
            public io.laminar.model.weights.StageWeights weights() { return null; }
            public KvCache kvCache() { return null; }
            public int maxBatch() { return 1; }
            public void embed(TokenBatch batch, float[] x) { }
            public void forward(TokenBatch batch, float[] x) { }
            public int logits(TokenBatch batch, float[] x, float[] logits) { return 0; }
            public int greedy(TokenBatch batch, float[] x, int[] tokens) { return 0; }
        };
        UnsupportedOperationException e = org.junit.jupiter.api.Assertions.assertThrows(
                UnsupportedOperationException.class, () -> device.inspect(0, new AttentionCapture(0, 1, 1)));
        assertTrue(e.getMessage().contains("CPU-only") && e.getMessage().contains("tornadovm"), e.getMessage());
        device.inspect(0, null); // unmarking is always fine
    }

    @Test
    void topTokensAreTheMostLikelyWithTheirSoftmaxProbabilities() {
        float[] logits = {0.5f, 3f, -1f, 3f, 2f, 0f};
        TopTokens top = TopTokens.of(7, logits, 0, logits.length, 3);
        assertArrayEquals(new int[] {1, 3, 4}, top.tokens());
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - 3);
        }
        assertEquals(1 / sum, top.probabilities()[0], 1e-6);
        assertEquals(1 / sum, top.probabilities()[1], 1e-6);
        assertEquals(Math.exp(-1) / sum, top.probabilities()[2], 1e-6);
        assertEquals(7, top.position());
    }
}
