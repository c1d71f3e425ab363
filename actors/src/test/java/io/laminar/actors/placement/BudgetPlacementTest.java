package io.laminar.actors.placement;

import io.laminar.actors.EventCollector;
import io.laminar.actors.HostSettings;
import io.laminar.actors.PipelineClient;
import io.laminar.actors.PipelineHost;
import io.laminar.actors.SoloRuns;
import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.actors.scheduler.SequenceEvent;
import io.laminar.model.sampling.SamplingParams;
import io.laminar.model.testing.TestModels;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two nodes offer memory budgets 2:1; the scheduler splits the layers between them and serves. */
class BudgetPlacementTest {
    static final int[] PROMPT = {1, 403, 407, 261, 378};

    /** Settings every node of these tests starts from: a 5-layer synthetic model, one thread, small batches. */
    HostSettings base;
    /** The prompt's 8 greedy tokens from a single process. */
    int[] expected;

    @BeforeEach
    void model() throws Exception {
        Path model = TestModels.storiesSized();
        base = HostSettings.local(model, List.of(), 1).withBatch(16, 4, 256);
        expected = SoloRuns.greedy(model, new int[][] {PROMPT}, new int[] {8}, 256)[0];
    }

    @Test
    void nodesWithBudgetsAreAssignedLayersInProportion() throws Exception {
        try (PipelineHost scheduler = PipelineHost.start(base.hosting(List.of(), true))) {
            List<String> seed = List.of("127.0.0.1:" + scheduler.port());
            try (PipelineHost big = budgetNode(base, 64, seed);
                 PipelineHost small = budgetNode(base, 32, seed)) {
                PipelineClient client = new PipelineClient(scheduler.system(), scheduler.scheduler());
                PipelineScheduler.Status status = client.awaitReady(Duration.ofSeconds(60));
                // Stage names are "host:port[A-B]"; both nodes host something and together all five layers.
                String detail = status.detail();
                assertTrue(detail.contains(":" + big.port() + "[") && detail.contains(":" + small.port() + "["), detail);
                assertTrue(detail.contains("[0-") && detail.contains("-4]"), detail);

                assertServes(scheduler);
            }
        }
    }

    /**
     * A node that hosted its share leaves: its layers are missing, and a node offering a budget
     * afterwards is assigned them (placement is not a one-off), after which requests are served
     * as before.
     */
    @Test
    void layersOfANodeThatLeftArePlacedOnANodeThatOffersLater() throws Exception {
        try (PipelineHost scheduler = PipelineHost.start(base.hosting(List.of(), true))) {
            List<String> seed = List.of("127.0.0.1:" + scheduler.port());
            PipelineClient client = new PipelineClient(scheduler.system(), scheduler.scheduler());
            try (PipelineHost big = budgetNode(base, 64, seed)) {
                try (PipelineHost small = budgetNode(base, 32, seed)) {
                    client.awaitReady(Duration.ofSeconds(60));
                }
                PipelineScheduler.Status gap = client.awaitStatus(st -> !st.ready(), "broken", Duration.ofSeconds(30));
                assertTrue(gap.detail().contains("not hosted"), gap.detail());
                try (PipelineHost spare = budgetNode(base, 64, seed)) {
                    PipelineScheduler.Status status = client.awaitReady(Duration.ofSeconds(60));
                    assertTrue(status.detail().contains(":" + spare.port() + "[")
                            && status.detail().contains(":" + big.port() + "["), status.detail());
                    assertServes(scheduler);
                }
            }
        }
    }

    /** A node that offers {@code mib} MiB for weights and KV cache and joins through {@code seed}. */
    private static PipelineHost budgetNode(HostSettings base, long mib, List<String> seed) throws Exception {
        return PipelineHost.start(base.offeringBudget(mib << 20, false).withNetwork("127.0.0.1", 0, seed));
    }

    /** A greedy request through the scheduler gives the tokens of a single process. */
    private void assertServes(PipelineHost scheduler) throws Exception {
        EventCollector c = new EventCollector(scheduler.system());
        scheduler.scheduler().tell(new PipelineScheduler.Submit("r", PROMPT, 8, SamplingParams.greedy(), c.ref));
        assertInstanceOf(SequenceEvent.Finished.class, c.end.get(30, TimeUnit.SECONDS));
        assertArrayEquals(expected, c.tokens());
    }
}
