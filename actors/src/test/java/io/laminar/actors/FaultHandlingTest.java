package io.laminar.actors;

import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.actors.scheduler.SequenceEvent;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.sampling.SamplingParams;
import io.laminar.model.testing.TestData;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FaultHandlingTest {
    static final int POISON = 499;

    @Test
    void aStageThatThrowsFailsOnlyItsStepAndKeepsServing() throws Exception {
        Path model = TestData.stories260K();
        // Two stages, two lanes: the poisoned request travels in its own micro-batch.
        HostSettings s = HostSettings.local(model, List.of(new LayerRange(0, 3), new LayerRange(3, 5)), 1)
                .withBatch(16, 4, 256).withScheduling(2, Duration.ofSeconds(30));
        try (PipelineHost host = PipelineHost.start(s, header -> {
            for (int t : header.tokens()) {
                if (t == POISON) {
                    throw new IllegalStateException("injected fault");
                }
            }
        })) {
            EventCollector longRun = new EventCollector(host.system());
            host.scheduler().tell(new PipelineScheduler.Submit("long", new int[] {1, 403, 407, 261, 378}, 120,
                    SamplingParams.greedy(), longRun.ref));
            while (longRun.tokenTimes.size() < 3) {
                Thread.sleep(1);
            }
            EventCollector poisoned = new EventCollector(host.system());
            host.scheduler().tell(new PipelineScheduler.Submit("poisoned", new int[] {1, POISON, 403}, 10,
                    SamplingParams.greedy(), poisoned.ref));
            SequenceEvent.Failed f = assertInstanceOf(SequenceEvent.Failed.class,
                    poisoned.end.get(30, TimeUnit.SECONDS));
            assertEquals(SequenceEvent.ErrorCode.STAGE_FAILED, f.code());
            assertTrue(f.message().contains("[0-2]") && f.message().contains("injected fault"), f.message());

            EventCollector after = new EventCollector(host.system());
            host.scheduler().tell(new PipelineScheduler.Submit("after", new int[] {1, 432}, 10,
                    SamplingParams.greedy(), after.ref));
            assertInstanceOf(SequenceEvent.Finished.class, after.end.get(30, TimeUnit.SECONDS));
            assertEquals(10, after.tokens().length);
            SequenceEvent longEnd = longRun.end.get(60, TimeUnit.SECONDS);
            assertInstanceOf(SequenceEvent.Finished.class, longEnd, longEnd.toString());
        }
    }

    @Test
    void aMissingStageIsNamedAndTheRequestRunsOnceItJoins() throws Exception {
        Path model = TestData.stories260K();
        HostSettings first = HostSettings.local(model, List.of(new LayerRange(0, 3)), 1).withBatch(16, 4, 256)
                .withScheduling(0, Duration.ofSeconds(2));
        try (PipelineHost host = PipelineHost.start(first)) {
            PipelineClient client = new PipelineClient(host.system(), host.scheduler());
            EventCollector early = new EventCollector(host.system());
            host.scheduler().tell(new PipelineScheduler.Submit("early", new int[] {1, 403}, 5,
                    SamplingParams.greedy(), early.ref));
            SequenceEvent.Failed f = assertInstanceOf(SequenceEvent.Failed.class, early.end.get(30, TimeUnit.SECONDS));
            assertEquals(SequenceEvent.ErrorCode.PIPELINE_NOT_READY, f.code());
            assertTrue(f.message().contains("layers 3-4 (of 0-4) are not hosted"), f.message());
            PipelineScheduler.Status status = client.status().toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertTrue(!status.ready() && status.detail().contains("layers 3-4"), status.toString());

            HostSettings second = first.hosting(List.of(new LayerRange(3, 5)), false)
                    .withNetwork("127.0.0.1", 0, List.of("127.0.0.1:" + host.port()));
            try (PipelineHost joiner = PipelineHost.start(second)) {
                client.awaitReady(Duration.ofSeconds(30));
                EventCollector later = new EventCollector(host.system());
                host.scheduler().tell(new PipelineScheduler.Submit("later", new int[] {1, 403, 407, 261, 378}, 8,
                        SamplingParams.greedy(), later.ref));
                assertInstanceOf(SequenceEvent.Finished.class, later.end.get(30, TimeUnit.SECONDS));
                assertEquals(List.of(432, 383, 286, 261, 376, 298, 315, 421),
                        java.util.Arrays.stream(later.tokens()).boxed().toList());
            }
        }
    }
}
