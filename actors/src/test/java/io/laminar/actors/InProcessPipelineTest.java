package io.laminar.actors;

import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.actors.scheduler.SequenceEvent;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.exec.WarmUpBudget;
import io.laminar.model.generate.GenerationEnd;
import io.laminar.model.sampling.SamplingParams;
import io.laminar.model.testing.TestModels;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InProcessPipelineTest {
    static final int[][] PROMPTS = {
            {1, 403, 407, 261, 378},
            {1, 403, 407},
            {1, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401},
            {1, 432},
            {1, 376, 298},
    };
    static final int[] LENGTHS = {32, 20, 25, 40, 12};


    /**
     * Longer than this host takes to become ready without a warm-up (about 3 s, mostly forming its
     * one-node cluster), so that a stage serving before its warm-up ended would be caught.
     */
    private static final Duration WARM_UP = Duration.ofSeconds(5);

    /** With the stages' warm-up on: requests sent at once wait for it, and the warm-up changes no token. */
    @Test
    void concurrentRequestsThroughTwoStagesEqualSoloRuns() throws Exception {
        Path model = TestModels.storiesSized();
        int[][] expected = SoloRuns.greedy(model, PROMPTS, LENGTHS, 256);
        HostSettings s = HostSettings.local(model, List.of(new LayerRange(0, 2), new LayerRange(2, 5)), 1)
                .withBatch(8, 4, 256).withWarmUp(WarmUpBudget.exactly(WARM_UP));
        long started = System.nanoTime();
        try (PipelineHost host = PipelineHost.start(s)) {
            List<EventCollector> collectors = new ArrayList<>();
            for (int i = 0; i < PROMPTS.length; i++) {
                EventCollector c = new EventCollector(host.system());
                collectors.add(c);
                host.scheduler().tell(new PipelineScheduler.Submit("r" + i, PROMPTS[i], LENGTHS[i],
                        SamplingParams.greedy(), c.ref));
            }
            for (int i = 0; i < PROMPTS.length; i++) {
                SequenceEvent end = collectors.get(i).end.get(60, TimeUnit.SECONDS);
                assertInstanceOf(SequenceEvent.Finished.class, end, end.toString());
                assertArrayEquals(expected[i], collectors.get(i).tokens(), "request " + i);
                // Stages register only after warming up, so no token can come sooner.
                long firstToken = collectors.get(i).tokenTimes.getFirst() - started;
                assertTrue(firstToken >= WARM_UP.toNanos(), "request " + i + " had a token after "
                        + firstToken / 1_000_000 + " ms, before the " + WARM_UP.toMillis() + " ms warm-up ended");
            }
            assertTrue(host.status().toCompletableFuture().get(5, TimeUnit.SECONDS).ready());
        }
    }

    @Test
    void impossibleRequestsFailClearlyWhileOthersComplete() throws Exception {
        try (PipelineHost host = oneStage(64)) {
            EventCollector tooLong = new EventCollector(host.system());
            int[] longPrompt = new int[100];
            Arrays.fill(longPrompt, 300);
            host.scheduler().tell(new PipelineScheduler.Submit("long", longPrompt, 4, SamplingParams.greedy(),
                    tooLong.ref));
            EventCollector empty = new EventCollector(host.system());
            host.scheduler().tell(new PipelineScheduler.Submit("empty", new int[0], 4, SamplingParams.greedy(),
                    empty.ref));
            EventCollector ok = new EventCollector(host.system());
            host.scheduler().tell(new PipelineScheduler.Submit("ok", PROMPTS[0], 8, SamplingParams.greedy(), ok.ref));

            SequenceEvent.Failed f = assertInstanceOf(SequenceEvent.Failed.class, tooLong.end.get(30, TimeUnit.SECONDS));
            assertEquals(SequenceEvent.FailureKind.PROMPT_TOO_LONG, f.kind());
            assertTrue(f.message().contains("100 tokens") && f.message().contains("64"), f.message());
            assertEquals(SequenceEvent.FailureKind.INVALID_REQUEST,
                    assertInstanceOf(SequenceEvent.Failed.class, empty.end.get(30, TimeUnit.SECONDS)).kind());
            assertInstanceOf(SequenceEvent.Finished.class, ok.end.get(30, TimeUnit.SECONDS));
            assertEquals(8, ok.tokens().length);
        }
    }

    @Test
    void cancelStopsARequestAndLeavesOthersAlone() throws Exception {
        try (PipelineHost host = oneStage(512)) {
            EventCollector cancelled = new EventCollector(host.system());
            EventCollector other = new EventCollector(host.system());
            host.scheduler().tell(new PipelineScheduler.Submit("c", PROMPTS[0], 400, SamplingParams.greedy(),
                    cancelled.ref));
            host.scheduler().tell(new PipelineScheduler.Submit("o", PROMPTS[1], 30, SamplingParams.greedy(), other.ref));
            while (cancelled.tokenTimes.size() < 3) {
                Thread.sleep(1);
            }
            host.scheduler().tell(new PipelineScheduler.Cancel("c"));
            SequenceEvent.Finished f = assertInstanceOf(SequenceEvent.Finished.class,
                    cancelled.end.get(30, TimeUnit.SECONDS));
            assertEquals(GenerationEnd.CANCELLED, f.reason());
            assertTrue(cancelled.tokens().length < 400 && cancelled.tokens().length == f.generatedTokens());
            assertInstanceOf(SequenceEvent.Finished.class, other.end.get(30, TimeUnit.SECONDS));
            assertEquals(30, other.tokens().length);
        }
    }

    /** The stories-sized model in one in-process stage, for two sequences of up to {@code context} tokens. */
    private static PipelineHost oneStage(int context) throws Exception {
        return PipelineHost.start(HostSettings.local(TestModels.storiesSized(), List.of(new LayerRange(0, 5)), 1)
                .withBatch(8, 2, context));
    }
}
