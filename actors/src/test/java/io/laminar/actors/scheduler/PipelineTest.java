package io.laminar.actors.scheduler;

import akka.actor.testkit.typed.javadsl.TestProbe;
import io.laminar.actors.scheduler.PipelineScheduler.StepCompleted;
import io.laminar.actors.scheduler.PipelineScheduler.StepFailed;
import io.laminar.actors.scheduler.PipelineScheduler.Submit;
import io.laminar.actors.scheduler.SequenceEvent.FailureKind;
import io.laminar.actors.stage.StageActor;
import io.laminar.actors.stage.StageInfo;
import io.laminar.model.generate.GenerationEnd;
import io.laminar.model.sampling.SamplingParams;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One lane over one stage, played by a probe: what the pipeline sends, and what it makes of replies. */
class PipelineTest extends ActorTestKitPerClass {
    static final int END = 2;
    TestProbe<StageActor.Command> stage;
    TestProbe<PipelineScheduler.Command> scheduler;
    TestProbe<SequenceEvent> events;
    Admission admission;
    Pipeline pipeline;
    long nextStepId = 100;


    @BeforeEach
    void fresh() {
        stage = kit.createTestProbe();
        scheduler = kit.createTestProbe();
        events = kit.createTestProbe();
        admission = new Admission(new io.laminar.actors.metrics.LaminarMetrics());
        SchedulerSettings settings = new SchedulerSettings("m", t -> t == END, 1, Duration.ofSeconds(30), null,
                Duration.ofSeconds(2));
        List<StageInfo> chain = List.of(new StageInfo(stage.getRef(), "node[0-4]", "m", 0, 5, 5, 8, 16, 2, 64, 16));
        pipeline = Pipeline.over(chain, settings, admission, scheduler.getRef(), () -> nextStepId++,
                LoggerFactory.getLogger(PipelineTest.class)).orElseThrow();
        assertArrayEquals(new int[] {0, 1}, stage.expectMessageClass(StageActor.ReleaseSlots.class).slots(),
                "a new pipeline starts from empty caches");
    }

    @Test
    void stepsCarryTheTokensOnAndTheFinishReleasesTheSlot() {
        submit("r", new int[] {1, 5, 6}, 4);
        StageActor.RunStep prefill = stage.expectMessageClass(StageActor.RunStep.class);
        assertEquals(100, prefill.header().stepId());
        assertArrayEquals(new int[] {1, 5, 6}, prefill.header().tokens());
        assertEquals(scheduler.getRef(), prefill.replyTo());

        pipeline.completed(new StepCompleted(100, 0, new int[] {0}, new int[] {9}));
        assertEquals(new SequenceEvent.Token("r", 0, 9), events.receiveMessage());
        StageActor.RunStep decode = stage.expectMessageClass(StageActor.RunStep.class);
        assertArrayEquals(new int[] {9}, decode.header().tokens());

        pipeline.completed(new StepCompleted(100, 0, new int[] {0}, new int[] {7}));
        stage.expectNoMessage(Duration.ofMillis(100));
        pipeline.completed(new StepCompleted(101, 0, new int[] {0}, new int[] {END}));
        SequenceEvent.Finished f = assertInstanceOf(SequenceEvent.Finished.class, events.receiveMessage(),
                "the stale reply gave no token; the end token ends the sequence");
        assertEquals(GenerationEnd.STOP, f.reason());
        assertEquals(1, f.generatedTokens());
        assertArrayEquals(new int[] {0}, stage.expectMessageClass(StageActor.ReleaseSlots.class).slots());
        assertEquals(0, pipeline.active());
    }

    @Test
    void aFailedStepFailsItsSequenceAndAFailedPipelineAllOfThem() {
        submit("a", new int[] {1, 5}, 4);
        stage.expectMessageClass(StageActor.RunStep.class);
        submit("b", new int[] {1, 6}, 4);
        pipeline.failed(new StepFailed(100, 0, "node[0-4]", "boom"));
        SequenceEvent.Failed a = events.expectMessageClass(SequenceEvent.Failed.class);
        assertEquals("a", a.requestId());
        assertEquals(FailureKind.STAGE_FAILED, a.kind());
        assertTrue(a.message().contains("node[0-4] failed: boom"), a.message());
        assertArrayEquals(new int[] {0}, stage.expectMessageClass(StageActor.ReleaseSlots.class).slots());
        assertEquals(101, stage.expectMessageClass(StageActor.RunStep.class).header().stepId());
        assertEquals(1, pipeline.active());

        pipeline.failAll(FailureKind.STAGE_LOST, "gone");
        assertEquals(new SequenceEvent.Failed("b", FailureKind.STAGE_LOST, "gone"), events.receiveMessage());
        assertEquals(0, admission.slots());
        assertTrue(admission.validate(new Submit("b", new int[] {1}, 1, SamplingParams.greedy(), events.getRef())),
                "the failed request's id is free again");
    }

    private void submit(String id, int[] prompt, int maxTokens) {
        Submit m = new Submit(id, prompt, maxTokens, SamplingParams.greedy(), events.getRef());
        assertTrue(admission.validate(m));
        admission.enqueue(m, 0);
        pipeline.admit();
    }
}
