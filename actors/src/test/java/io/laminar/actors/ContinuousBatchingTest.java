package io.laminar.actors;

import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.actors.scheduler.SequenceEvent;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.sampling.SamplingParams;
import io.laminar.model.testing.TestModels;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Eight requests of different lengths: one long request starts first, seven shorter ones arrive
 * while it runs. With continuous batching they join its steps: each later request produces its
 * first token before the long one finishes, and every request's tokens equal its solo run.
 */
class ContinuousBatchingTest {
    @Test
    void laterRequestsStartBeforeEarlierLongOnesFinish() throws Exception {
        Path model = TestModels.storiesSized();
        int[][] prompts = new int[8][];
        int[] lengths = new int[8];
        prompts[0] = new int[] {1, 403, 407, 261, 378};
        lengths[0] = 300;
        int[] starts = {403, 432, 261, 376, 298, 315, 421};
        for (int i = 1; i < 8; i++) {
            prompts[i] = new int[] {1, starts[i - 1], 407, 261};
            lengths[i] = 10 + 5 * i;
        }
        int[][] solo = SoloRuns.greedy(model, prompts, lengths, 512);
        HostSettings s = HostSettings.local(model, List.of(new LayerRange(0, 5)), 1).withBatch(16, 8, 512);
        try (PipelineHost host = PipelineHost.start(s)) {
            List<EventCollector> c = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                c.add(new EventCollector(host.system()));
            }
            host.scheduler().tell(new PipelineScheduler.Submit("long", prompts[0], lengths[0], SamplingParams.greedy(),
                    c.get(0).ref));
            // The others arrive once the long one is generating.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (c.get(0).tokenTimes.size() < 5 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            for (int i = 1; i < 8; i++) {
                host.scheduler().tell(new PipelineScheduler.Submit("r" + i, prompts[i], lengths[i],
                        SamplingParams.greedy(), c.get(i).ref));
            }
            for (int i = 0; i < 8; i++) {
                assertInstanceOf(SequenceEvent.Finished.class, c.get(i).end.get(60, TimeUnit.SECONDS));
                assertArrayEquals(solo[i], c.get(i).tokens(), "request " + i + " differs from its solo run");
            }
            List<Long> longTimes = c.get(0).tokenTimes;
            long longFinished = longTimes.getLast();
            assertTrue(solo[0].length > 100, "the long request must really be long: " + solo[0].length);
            for (int i = 1; i < 8; i++) {
                long firstToken = c.get(i).tokenTimes.getFirst();
                assertTrue(firstToken < longFinished, "request " + i + " started only after the long one ended");
                assertTrue(c.get(i).tokenTimes.getLast() < longFinished, "request " + i + " ended after the long one");
            }
        }
    }
}
