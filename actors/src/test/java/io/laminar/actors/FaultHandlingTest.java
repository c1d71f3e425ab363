package io.laminar.actors;

import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.actors.scheduler.SequenceEvent;
import io.laminar.model.arch.ModelConfig;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.sampling.SamplingParams;
import io.laminar.model.testing.TestModels;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FaultHandlingTest {
    static final int POISON = 499;

    @Test
    void aStageThatThrowsFailsOnlyItsStepAndKeepsServing() throws Exception {
        Path model = TestModels.storiesSized();
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
            assertEquals(SequenceEvent.FailureKind.STAGE_FAILED, f.kind());
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
        Path model = TestModels.storiesSized();
        int[] prompt = {1, 403, 407, 261, 378};
        int[] expected = SoloRuns.greedy(model, new int[][] {prompt}, new int[] {8}, 256)[0];
        HostSettings first = HostSettings.local(model, List.of(new LayerRange(0, 3)), 1).withBatch(16, 4, 256)
                .withScheduling(0, Duration.ofSeconds(2));
        try (PipelineHost host = PipelineHost.start(first)) {
            PipelineClient client = new PipelineClient(host.system(), host.scheduler());
            EventCollector early = new EventCollector(host.system());
            host.scheduler().tell(new PipelineScheduler.Submit("early", new int[] {1, 403}, 5,
                    SamplingParams.greedy(), early.ref));
            SequenceEvent.Failed f = assertInstanceOf(SequenceEvent.Failed.class, early.end.get(30, TimeUnit.SECONDS));
            assertEquals(SequenceEvent.FailureKind.PIPELINE_NOT_READY, f.kind());
            assertTrue(f.message().contains("layers 3-4 (of 0-4) are not hosted"), f.message());
            PipelineScheduler.Status status = client.status().toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertTrue(!status.ready() && status.detail().contains("layers 3-4"), status.toString());

            HostSettings second = first.hosting(List.of(new LayerRange(3, 5)), false)
                    .withNetwork("127.0.0.1", 0, List.of("127.0.0.1:" + host.port()));
            try (PipelineHost joiner = PipelineHost.start(second)) {
                client.awaitReady(Duration.ofSeconds(30));
                EventCollector later = new EventCollector(host.system());
                host.scheduler().tell(new PipelineScheduler.Submit("later", prompt, 8, SamplingParams.greedy(),
                        later.ref));
                assertInstanceOf(SequenceEvent.Finished.class, later.end.get(30, TimeUnit.SECONDS));
                assertArrayEquals(expected, later.tokens());
            }
        }
    }

    /**
     * A stage that leaves while sequences run: they fail with an error naming it, the pipeline says
     * which layers are missing, and a replacement stage serves new requests as before. The surviving
     * stage still holds KV blocks for the failed sequences' slots, and the next request needs almost
     * the whole cache in another slot: it only fits once the new route starts from empty caches.
     */
    @Test
    void aStageThatLeavesFailsItsSequencesAndAReplacementServesNewOnes() throws Exception {
        Path model = TestModels.storiesSized();
        int kvDim;
        try (GgufFile f = GgufFile.open(model)) {
            kvDim = ModelConfig.fromGguf(f).kvDim();
        }
        // 17 blocks of 16 positions in the 3-layer stage (F16 keys and values), 25 in the 2-layer one.
        long kvBudget = 17L * 2 * 3 * StageFactory.KV_BLOCK_SIZE * kvDim * Short.BYTES;
        HostSettings first = HostSettings.local(model, List.of(new LayerRange(0, 3)), 1).withBatch(16, 4, 256)
                .withKvBudget(kvBudget).withScheduling(0, Duration.ofSeconds(30));
        HostSettings last = first.hosting(List.of(new LayerRange(3, 5)), false);
        int[] again = {1, 403};
        int[] expected = SoloRuns.greedy(model, new int[][] {again}, new int[] {240}, 256)[0];
        AtomicBoolean slow = new AtomicBoolean();
        try (PipelineHost host = PipelineHost.start(first)) {
            PipelineClient client = new PipelineClient(host.system(), host.scheduler());
            EventCollector running = new EventCollector(host.system());
            PipelineHost leaving = PipelineHost.start(last.withNetwork("127.0.0.1", 0,
                    List.of("127.0.0.1:" + host.port())), header -> {
                        if (slow.get()) {
                            sleep(100);
                        }
                    });
            try (leaving) {
                client.awaitReady(Duration.ofSeconds(30));
                // A short request in slot 0, then a 200-token prompt in slot 1 (13 blocks after its prefill).
                EventCollector shortRun = new EventCollector(host.system());
                host.scheduler().tell(new PipelineScheduler.Submit("short", new int[] {1, 432}, 2,
                        SamplingParams.greedy(), shortRun.ref));
                int[] longPrompt = new int[200];
                for (int i = 0; i < longPrompt.length; i++) {
                    longPrompt[i] = i == 0 ? 1 : 3 + (i * 37) % 490;
                }
                host.scheduler().tell(new PipelineScheduler.Submit("running", longPrompt, 50,
                        SamplingParams.greedy(), running.ref));
                assertInstanceOf(SequenceEvent.Finished.class, shortRun.end.get(30, TimeUnit.SECONDS));
                while (running.tokenTimes.size() < 2 && !running.end.isDone()) {
                    Thread.sleep(1);
                }
                // Its steps now take long enough that it cannot finish before the stage has left.
                slow.set(true);
            }
            SequenceEvent.Failed f = assertInstanceOf(SequenceEvent.Failed.class,
                    running.end.get(60, TimeUnit.SECONDS));
            assertEquals(SequenceEvent.FailureKind.STAGE_LOST, f.kind());
            assertTrue(f.message().contains("[3-4]") && f.message().contains("left"), f.message());
            PipelineScheduler.Status status = client.status().toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertTrue(!status.ready() && status.detail().contains("layers 3-4"), status.toString());

            try (PipelineHost replacement = PipelineHost.start(last.withNetwork("127.0.0.1", 0,
                    List.of("127.0.0.1:" + host.port())))) {
                client.awaitReady(Duration.ofSeconds(30));
                EventCollector later = new EventCollector(host.system());
                host.scheduler().tell(new PipelineScheduler.Submit("again", again, 240, SamplingParams.greedy(),
                        later.ref));
                SequenceEvent end = later.end.get(60, TimeUnit.SECONDS);
                assertInstanceOf(SequenceEvent.Finished.class, end, end.toString());
                assertArrayEquals(expected, later.tokens());
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
