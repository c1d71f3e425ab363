package io.laminar.tornado;

import io.laminar.actors.EventCollector;
import io.laminar.actors.HostSettings;
import io.laminar.actors.PipelineHost;
import io.laminar.actors.SoloRuns;
import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.actors.scheduler.SequenceEvent;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.sampling.SamplingParams;
import io.laminar.model.testing.TestData;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * TornadoVM stages inside the actor pipeline: concurrent greedy requests, continuously batched
 * (prompt chunks and decode tokens of several sequences in one step), through two stages of which
 * one or both run on TornadoVM, give the same tokens as the CPU alone.
 */
class TornadoPipelineTest {
    static final int[][] PROMPTS = {
            {1, 403, 407, 261, 378},
            {1, 403, 407},
            {1, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401},
            {1, 432},
    };
    static final int[] LENGTHS = {32, 20, 25, 30};

    @BeforeEach
    void device() {
        TornadoDevice.assume();
    }

    @ParameterizedTest(name = "backends {0}")
    @ValueSource(strings = {"cpu,tornadovm", "tornadovm,cpu", "tornadovm"})
    void concurrentGreedyRequestsEqualCpuSoloRuns(String backends) throws Exception {
        Path model = TestData.stories260K();
        int[][] expected = SoloRuns.greedy(model, PROMPTS, LENGTHS, 256);
        HostSettings s = HostSettings.local(model, List.of(new LayerRange(0, 2), new LayerRange(2, 5)), 1)
                .withBatch(8, 4, 256)
                .withBackends(List.of(backends.split(",")));
        try (PipelineHost host = PipelineHost.start(s)) {
            List<EventCollector> collectors = new ArrayList<>();
            for (int i = 0; i < PROMPTS.length; i++) {
                EventCollector c = new EventCollector(host.system());
                collectors.add(c);
                host.scheduler().tell(new PipelineScheduler.Submit("r" + i, PROMPTS[i], LENGTHS[i],
                        SamplingParams.greedy(), c.ref));
            }
            for (int i = 0; i < PROMPTS.length; i++) {
                SequenceEvent end = collectors.get(i).end.get(120, TimeUnit.SECONDS);
                assertInstanceOf(SequenceEvent.Finished.class, end, end.toString());
                assertArrayEquals(expected[i], collectors.get(i).tokens(), "request " + i);
            }
        }
    }
}
