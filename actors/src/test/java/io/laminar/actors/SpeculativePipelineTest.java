package io.laminar.actors;

import io.laminar.actors.metrics.LaminarMetrics;
import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.actors.scheduler.SchedulerSettings;
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
 * Speculative decoding through the actor pipeline: the scheduler drafts by prompt lookup, the last
 * stage checks each draft against the token it samples, and the streams equal those of the same
 * pipeline without drafts, greedy and seeded with a repetition penalty, over two stages.
 */
class SpeculativePipelineTest {
    static final int[] REPEATING = {1, 403, 407, 261, 378, 298, 403, 407, 261, 378, 298, 403, 407};
    static final int[][] PROMPTS = {REPEATING, {1, 403, 407, 261, 378}, REPEATING};
    static final int[] LENGTHS = {48, 40, 40};
    static final SamplingParams[] SAMPLING = {SamplingParams.greedy(), SamplingParams.greedy(),
            new SamplingParams(0.9f, 40, 0.95f, 0.05f, 1.1f, 64, 1234)};

    @Test
    void draftedStreamsEqualPlainOnes() throws Exception {
        Path model = TestModels.storiesSized();
        int[][] plain = run(model, 0, null);
        long[] drafts = new long[2];
        int[][] speculative = run(model, 4, drafts);
        for (int i = 0; i < PROMPTS.length; i++) {
            assertArrayEquals(plain[i], speculative[i], "request " + i);
        }
        assertTrue(drafts[1] > 0 && drafts[1] <= drafts[0], drafts[1] + " of " + drafts[0] + " drafted tokens kept");
    }

    /** The requests' tokens through two stages; {@code drafts} receives drafted and accepted counts. */
    private static int[][] run(Path model, int draftTokens, long[] drafts) throws Exception {
        HostSettings s = HostSettings.local(model, List.of(new LayerRange(0, 2), new LayerRange(2, 5)), 1)
                .withBatch(8, 4, 256)
                .withScheduling(new HostSettings.Scheduling(0, SchedulerSettings.DEFAULT_ADMISSION_TIMEOUT, draftTokens));
        try (PipelineHost host = PipelineHost.start(s)) {
            List<EventCollector> collectors = new ArrayList<>();
            for (int i = 0; i < PROMPTS.length; i++) {
                EventCollector c = new EventCollector(host.system());
                collectors.add(c);
                host.scheduler().tell(new PipelineScheduler.Submit("r" + i, PROMPTS[i], LENGTHS[i], SAMPLING[i], c.ref));
            }
            int[][] tokens = new int[PROMPTS.length][];
            for (int i = 0; i < PROMPTS.length; i++) {
                SequenceEvent end = collectors.get(i).end.get(60, TimeUnit.SECONDS);
                assertInstanceOf(SequenceEvent.Finished.class, end, end.toString());
                tokens[i] = collectors.get(i).tokens();
            }
            if (drafts != null) {
                LaminarMetrics metrics = LaminarMetrics.get(host.system());
                drafts[0] = metrics.draftTokens();
                drafts[1] = metrics.draftTokensAccepted();
            }
            return tokens;
        }
    }
}
