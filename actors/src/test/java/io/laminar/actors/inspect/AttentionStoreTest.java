package io.laminar.actors.inspect;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import io.laminar.model.inspect.TopTokens;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The store keeps the most recent inspected requests within its count and weight bounds, and an
 * inspection merges the reports of several stages (in any order) into one picture, refusing
 * what would take it past the budget.
 */
class AttentionStoreTest {
    static ActorTestKit kit;

    @BeforeAll
    static void start() {
        kit = ActorTestKit.create();
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    /** One stage's report of positions {@code positions}, every weight {@code 1 / (p + 1)}. */
    static AttentionReport report(int firstLayer, int layers, int heads, int... positions) {
        float[] weights = new float[(int) AttentionReport.weightCount(layers, heads, positions)];
        int at = 0;
        int[] tokens = new int[positions.length];
        for (int i = 0; i < positions.length; i++) {
            tokens[i] = 10 + positions[i];
            for (int r = 0; r < layers * heads; r++) {
                for (int k = 0; k <= positions[i]; k++) {
                    weights[at++] = 1f / (positions[i] + 1);
                }
            }
        }
        return new AttentionReport(firstLayer + layers, firstLayer, layers, heads, positions, tokens, weights, new TopTokens[0], new int[0]);
    }

    @Test
    void reportsOfSeveralStagesMergeIntoOnePicture() {
        Inspection i = new Inspection("r", 3, 1_000);
        i.add(report(2, 3, 2, 0, 1, 2)); // the second stage's prompt chunk first
        i.add(report(0, 2, 2, 0, 1, 2));
        i.add(new AttentionReport(5, 2, 3, 2, new int[] {3}, new int[] {13}, new float[3 * 2 * 4],
                new TopTokens[] {new TopTokens(3, new int[] {7, 8}, new float[] {0.7f, 0.2f})}, new int[] {7}));
        assertEquals(5, i.layers());
        assertEquals(2, i.heads());
        assertArrayEquals(new float[] {1 / 3f, 1 / 3f, 1 / 3f}, i.row(4, 1, 2));
        assertArrayEquals(new float[] {1 / 2f, 1 / 2f}, i.row(0, 0, 1));
        assertNull(i.row(0, 0, 3), "the first stage has not reported position 3");
        assertEquals(5, i.tokenCount(), "the prompt, a query token and the token chosen after it");
        assertEquals(7, i.token(4));
        assertEquals(7, i.chosen(3));
        assertFalse(i.truncated());
    }

    @Test
    void anInspectionPastItsBudgetStopsTakingReports() {
        Inspection i = new Inspection("r", 2, 20);
        i.add(report(0, 1, 2, 0, 1, 2)); // 2 * (1 + 2 + 3) = 12 weights
        i.add(report(0, 1, 2, 3, 4)); // 2 * (4 + 5) = 18 more: over 20
        assertTrue(i.truncated());
        assertEquals(12, i.values());
        assertNull(i.row(0, 0, 3));
    }

    @Test
    void theBoundsAreSettings() {
        ActorTestKit small = ActorTestKit.create(com.typesafe.config.ConfigFactory.parseString(
                "laminar.inspect.max-requests = 1").withFallback(com.typesafe.config.ConfigFactory.load()));
        try {
            AttentionStore store = AttentionStore.get(small.system());
            store.start(small.system(), "x", 1);
            store.start(small.system(), "y", 1);
            assertEquals(List.of("y"), store.recent().stream().map(Inspection::requestId).toList());
        } finally {
            small.shutdownTestKit();
        }
    }

    @Test
    void theStoreKeepsTheNewestWithinItsCountAndWeights() {
        AttentionStore store = new AttentionStore(2, 100);
        AttentionStore.Started a = store.start(kit.system(), "a", 1);
        store.start(kit.system(), "b", 1);
        store.start(kit.system(), "c", 1);
        assertEquals(List.of("b", "c"), store.recent().stream().map(Inspection::requestId).toList(), "at most 2");
        assertTrue(store.find("a").isEmpty());
        a.inspection().add(report(0, 1, 1, 0)); // a request dropped already keeps nothing reachable

        store.find("b").orElseThrow().add(report(0, 2, 4, 0, 1, 2, 3, 4)); // 2 * 4 * 15 = 120 > 100: refused
        assertTrue(store.find("b").orElseThrow().truncated());
        store.find("b").orElseThrow().add(report(0, 2, 4, 0, 1, 2)); // 48
        store.find("c").orElseThrow().add(report(0, 2, 4, 0, 1, 2, 3)); // 80: 128 in all
        assertEquals(List.of("c"), store.recent().stream().map(Inspection::requestId).toList(),
                "over the weights, the oldest goes");
        assertTrue(store.find("nope").isEmpty());
    }
}
