package io.laminar.actors.placement;

import io.laminar.actors.EventCollector;
import io.laminar.actors.HostSettings;
import io.laminar.actors.PipelineClient;
import io.laminar.actors.PipelineHost;
import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.actors.scheduler.SequenceEvent;
import io.laminar.model.sampling.SamplingParams;
import io.laminar.model.testing.TestData;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two nodes offer memory budgets 2:1; the scheduler splits the layers between them and serves. */
class BudgetPlacementTest {
    @Test
    void nodesWithBudgetsAreAssignedLayersInProportion() throws Exception {
        Path model = TestData.stories260K();
        HostSettings base = HostSettings.local(model, List.of(), 1).withBatch(16, 4, 256);
        try (PipelineHost scheduler = PipelineHost.start(base.hosting(List.of(), true))) {
            List<String> seed = List.of("127.0.0.1:" + scheduler.port());
            try (PipelineHost big = PipelineHost.start(base.offeringBudget(64L << 20, false)
                    .withNetwork("127.0.0.1", 0, seed));
                 PipelineHost small = PipelineHost.start(base.offeringBudget(32L << 20, false)
                         .withNetwork("127.0.0.1", 0, seed))) {
                PipelineClient client = new PipelineClient(scheduler.system(), scheduler.scheduler());
                PipelineScheduler.Status status = client.awaitReady(Duration.ofSeconds(60));
                // Stage names are "host:port[A-B]"; both nodes host something and together all five layers.
                String detail = status.detail();
                assertTrue(detail.contains(":" + big.port() + "[") && detail.contains(":" + small.port() + "["), detail);
                assertTrue(detail.contains("[0-") && detail.contains("-4]"), detail);

                EventCollector c = new EventCollector(scheduler.system());
                scheduler.scheduler().tell(new PipelineScheduler.Submit("r", new int[] {1, 403, 407, 261, 378}, 8,
                        SamplingParams.greedy(), c.ref));
                assertInstanceOf(SequenceEvent.Finished.class, c.end.get(30, TimeUnit.SECONDS));
                assertEquals(List.of(432, 383, 286, 261, 376, 298, 315, 421),
                        Arrays.stream(c.tokens()).boxed().toList());
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
        Path model = TestData.stories260K();
        HostSettings base = HostSettings.local(model, List.of(), 1).withBatch(16, 4, 256);
        try (PipelineHost scheduler = PipelineHost.start(base.hosting(List.of(), true))) {
            List<String> seed = List.of("127.0.0.1:" + scheduler.port());
            PipelineClient client = new PipelineClient(scheduler.system(), scheduler.scheduler());
            try (PipelineHost big = PipelineHost.start(base.offeringBudget(64L << 20, false)
                    .withNetwork("127.0.0.1", 0, seed))) {
                try (PipelineHost small = PipelineHost.start(base.offeringBudget(32L << 20, false)
                        .withNetwork("127.0.0.1", 0, seed))) {
                    client.awaitReady(Duration.ofSeconds(60));
                }
                PipelineScheduler.Status gap = awaitStatus(client, st -> !st.ready());
                assertTrue(gap.detail().contains("not hosted"), gap.detail());
                try (PipelineHost spare = PipelineHost.start(base.offeringBudget(64L << 20, false)
                        .withNetwork("127.0.0.1", 0, seed))) {
                    PipelineScheduler.Status status = client.awaitReady(Duration.ofSeconds(60));
                    assertTrue(status.detail().contains(":" + spare.port() + "[")
                            && status.detail().contains(":" + big.port() + "["), status.detail());
                    EventCollector c = new EventCollector(scheduler.system());
                    scheduler.scheduler().tell(new PipelineScheduler.Submit("r", new int[] {1, 403, 407, 261, 378}, 8,
                            SamplingParams.greedy(), c.ref));
                    assertInstanceOf(SequenceEvent.Finished.class, c.end.get(30, TimeUnit.SECONDS));
                    assertEquals(List.of(432, 383, 286, 261, 376, 298, 315, 421),
                            Arrays.stream(c.tokens()).boxed().toList());
                }
            }
        }
    }

    private static PipelineScheduler.Status awaitStatus(PipelineClient c,
            java.util.function.Predicate<PipelineScheduler.Status> p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        PipelineScheduler.Status last = null;
        while (System.nanoTime() < deadline) {
            last = c.status().toCompletableFuture().get(5, TimeUnit.SECONDS);
            if (p.test(last)) {
                return last;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("status never matched: " + last);
    }
}
