package io.laminar.actors;

import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.actors.scheduler.SequenceEvent;
import io.laminar.kernels.GgmlType;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.sampling.SamplingParams;
import io.laminar.model.synth.ModelShape;
import io.laminar.model.synth.SyntheticModelWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A request submitted again with the first k tokens an earlier run generated reads them with its
 * prompt and goes on at index k with exactly the tokens of an uninterrupted run: sampled (top-k,
 * top-p, min-p, repetition penalty, fixed seed), greedy, and greedy with a repetition penalty. The
 * prefix is read in several chunks beside another request's decodes, so chunking and batching are
 * exercised too.
 */
class ResumeByPrefillTest {
    @TempDir
    Path tmp;

    @Test
    void aRequestResumedAfterKTokensGivesTheTokensOfAnUninterruptedRun() throws Exception {
        Path model = new SyntheticModelWriter(ModelShape.TINY).weightType(GgmlType.Q8_0).writeCached(tmp);
        int[] prompt = {1, 40, 41, 97, 130, 7, 64};
        int length = 120;
        SamplingParams[] kinds = {
                new SamplingParams(0.9f, 20, 0.9f, 0.02f, 1.3f, 32, 1234L),
                SamplingParams.greedy(),
                new SamplingParams(0f, 40, 1f, 0f, 1.5f, 16, 0L)};
        // Two stages, two lanes; steps of at most 16 entries, so a long prefix takes several chunks.
        HostSettings s = HostSettings.local(model, List.of(new LayerRange(0, 1), new LayerRange(1, 2)), 1)
                .withBatch(16, 4, 256);
        try (PipelineHost host = PipelineHost.start(s)) {
            for (SamplingParams p : kinds) {
                int[] whole = run(host, new PipelineScheduler.Submit("whole", prompt, length, p, null), 0);
                assertTrue(whole.length > 60, p + " stopped after " + whole.length + " tokens: too short to test");
                for (int k : new int[] {1, 17, 59, whole.length - 1}) {
                    int[] prefix = Arrays.copyOf(whole, k);
                    // A plain request beside it, so that the prefix's chunks share steps with decodes.
                    EventCollector neighbour = new EventCollector(host.system());
                    host.scheduler().tell(new PipelineScheduler.Submit("beside-" + k, new int[] {1, 5, 9}, 40,
                            SamplingParams.defaults(k), neighbour.ref));
                    int[] rest = run(host, new PipelineScheduler.Submit("resumed-" + k, prompt, length, p, null)
                            .resumingAfter(prefix), k);
                    assertArrayEquals(Arrays.copyOfRange(whole, k, whole.length), rest, p + ", resumed after " + k);
                    assertInstanceOf(SequenceEvent.Finished.class, neighbour.end.get(60, TimeUnit.SECONDS));
                }
            }
        }
    }

    /**
     * Runs {@code submit} (its reply address replaced) to the end; checks that token indexes start
     * at {@code firstIndex} without gap and that the finish counts every token; returns the tokens.
     */
    private static int[] run(PipelineHost host, PipelineScheduler.Submit submit, int firstIndex) throws Exception {
        EventCollector c = new EventCollector(host.system());
        host.scheduler().tell(new PipelineScheduler.Submit(submit.requestId(), submit.promptIds(),
                submit.resumeFrom(), submit.maxTokens(), submit.sampling(), c.ref));
        SequenceEvent.Finished end = assertInstanceOf(SequenceEvent.Finished.class,
                c.end.get(60, TimeUnit.SECONDS));
        int[] indexes = c.events.stream().filter(e -> e instanceof SequenceEvent.Token)
                .mapToInt(e -> ((SequenceEvent.Token) e).index()).toArray();
        for (int i = 0; i < indexes.length; i++) {
            assertEquals(firstIndex + i, indexes[i], submit.requestId() + ": token indexes " + Arrays.toString(indexes));
        }
        assertEquals(firstIndex + indexes.length, end.generatedTokens(), "max tokens count from the original start");
        return c.tokens();
    }
}
