package io.laminar.actors;

import io.laminar.actors.inspect.AttentionStore;
import io.laminar.actors.inspect.Inspection;
import io.laminar.actors.scheduler.SequenceEvent;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.inspect.TopTokens;
import io.laminar.model.sampling.SamplingParams;
import io.laminar.model.testing.TestModels;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A request marked for inspection, through two stages beside one that is not: both get the tokens
 * of a run alone, and the inspected one's store entry has every layer's and head's weights for
 * every query token (each row summing to 1), and the top probabilities of every generated token,
 * led by the greedy choice.
 */
class InspectedRequestTest {
    private static final int[] PROMPT = {1, 403, 407, 261, 378, 12, 99};
    private static final int TOKENS = 9;

    @Test
    void stagesReportTheirLayersToTheStore() throws Exception {
        Path model = TestModels.storiesSized();
        int[][] expected = SoloRuns.greedy(model, new int[][] {PROMPT}, new int[] {TOKENS}, 64);
        HostSettings s = HostSettings.local(model, List.of(new LayerRange(0, 2), new LayerRange(2, 5)), 1)
                .withBatch(4, 2, 64);
        try (PipelineHost host = PipelineHost.start(s)) {
            PipelineClient client = new PipelineClient(host.system(), host.scheduler());
            client.awaitReady(Duration.ofSeconds(30));
            Tokens plain = new Tokens();
            Tokens inspected = new Tokens();
            client.submit("plain", PROMPT, TOKENS, SamplingParams.greedy(), plain);
            Inspection inspection = client.submit("seen", PROMPT, TOKENS, SamplingParams.greedy(), inspected, true);
            assertInstanceOf(SequenceEvent.Finished.class, plain.end.get(60, TimeUnit.SECONDS));
            assertInstanceOf(SequenceEvent.Finished.class, inspected.end.get(60, TimeUnit.SECONDS));
            assertArrayEquals(expected[0], plain.ids());
            assertArrayEquals(expected[0], inspected.ids(), "inspection changes no token");

            int queries = PROMPT.length + TOKENS - 1; // the last token chosen is never run
            assertTrue(inspection.awaitQueries(queries, 10_000), "every layer reported every query token");
            assertTrue(inspection.finished());
            assertEquals(5, inspection.layers());
            assertEquals(8, inspection.heads());
            for (int l = 0; l < 5; l++) {
                for (int h = 0; h < 8; h++) {
                    for (int q = 0; q < queries; q++) {
                        float[] row = inspection.row(l, h, q);
                        assertNotNull(row, "layer " + l + " head " + h + " query " + q);
                        assertEquals(q + 1, row.length);
                        double sum = 0;
                        for (float w : row) {
                            sum += w;
                        }
                        assertEquals(1, sum, 1e-5, "layer " + l + " head " + h + " query " + q);
                    }
                }
            }
            TreeMap<Integer, TopTokens> top = inspection.top();
            assertEquals(TOKENS, top.size(), "one distribution per generated token");
            int i = 0;
            for (TopTokens t : top.values()) {
                assertEquals(PROMPT.length - 1 + i, t.position());
                assertEquals(TopTokens.DEFAULT_COUNT, t.tokens().length);
                assertEquals(expected[0][i], t.tokens()[0], "greedy picks the most likely");
                assertEquals(expected[0][i], inspection.chosen(t.position()));
                i++;
            }
            assertEquals(PROMPT.length + TOKENS, inspection.tokenCount());
            assertEquals(PROMPT[3], inspection.token(3));
            assertTrue(AttentionStore.get(host.system()).find("seen").isPresent());
            assertTrue(AttentionStore.get(host.system()).find("plain").isEmpty(), "only inspected requests are kept");
        }
    }

    /**
     * A stage whose backend cannot capture ({@link NoCaptureBackend}, as TornadoVM for now) runs the
     * marked request uncaptured: its tokens are unchanged, the CPU stage's layers are there, its own
     * layers and the top probabilities (it is the last stage) stay empty.
     */
    @Test
    void aStageThatCannotCaptureRunsTheRequestUncaptured() throws Exception {
        Path model = TestModels.storiesSized();
        int[][] expected = SoloRuns.greedy(model, new int[][] {PROMPT}, new int[] {TOKENS}, 64);
        HostSettings s = HostSettings.local(model, List.of(new LayerRange(0, 2), new LayerRange(2, 5)), 1)
                .withBatch(4, 2, 64).withBackends(List.of("cpu", NoCaptureBackend.NAME));
        try (PipelineHost host = PipelineHost.start(s)) {
            PipelineClient client = new PipelineClient(host.system(), host.scheduler());
            client.awaitReady(Duration.ofSeconds(30));
            Tokens inspected = new Tokens();
            Inspection inspection = client.submit("half", PROMPT, TOKENS, SamplingParams.greedy(), inspected, true);
            assertInstanceOf(SequenceEvent.Finished.class, inspected.end.get(60, TimeUnit.SECONDS));
            assertArrayEquals(expected[0], inspected.ids());
            int queries = PROMPT.length + TOKENS - 1;
            assertTrue(!inspection.awaitQueries(queries, 1_000), "layers 2-4 never report");
            for (int q = 0; q < queries; q++) {
                assertNotNull(inspection.row(1, 7, q), "the CPU stage's layers are captured");
                assertEquals(null, inspection.row(2, 0, q), "the other stage's are not");
            }
            assertTrue(inspection.top().isEmpty());
        }
    }

    /** Records a request's tokens and end. */
    private static final class Tokens extends CompletingListener {
        final List<Integer> ids = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public void onToken(int index, int tokenId) {
            ids.add(tokenId);
        }

        int[] ids() {
            return ids.stream().mapToInt(Integer::intValue).toArray();
        }
    }
}
