package io.laminar.actors.scheduler;

import akka.actor.testkit.typed.javadsl.TestProbe;
import io.laminar.actors.scheduler.PipelineScheduler.Submit;
import io.laminar.actors.scheduler.SequenceEvent.FailureKind;
import io.laminar.model.generate.GenerationEnd;
import io.laminar.model.sampling.SamplingParams;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Admission alone: slots, KV blocks, arrival order and the requests it refuses, without a pipeline. */
class AdmissionTest extends ActorTestKitPerClass {
    TestProbe<SequenceEvent> events;
    Admission admission;


    @BeforeEach
    void fresh() {
        events = kit.createTestProbe();
        admission = new Admission(new io.laminar.actors.metrics.LaminarMetrics());
    }

    @Test
    void aRequestWaitsAtAFullKvPoolUntilBlocksAreReleased() {
        admission.open(4, 4, 16, 64);
        // 2 + 62 positions: all four blocks.
        Sequence big = admit(submit("big", 2, 62));
        assertEquals(0, big.progress.slot());
        admission.enqueue(submit("small", 2, 10), 0);
        assertNull(admission.admitNext(), "three slots are free, but no block");
        assertEquals(1, admission.waiting());

        assertEquals(0, admission.release(big));
        Sequence small = admission.admitNext();
        assertEquals("small", small.id());
        assertEquals(1, small.blocks);
        assertSame(small, admission.running(0));
        assertEquals(0, admission.waiting());
    }

    @Test
    void aRequestWaitsForAFreeSlotAndNoneOvertakesIt() {
        admission.open(1, 100, 16, 64);
        Sequence first = admit(submit("first", 2, 10));
        admission.enqueue(submit("second", 40, 20), 0);
        admission.enqueue(submit("third", 2, 1), 0);
        assertNull(admission.admitNext());

        admission.release(first);
        assertEquals("second", admission.admitNext().id());
        assertNull(admission.admitNext());
        assertEquals(1, admission.waiting());
    }

    @Test
    void blocksCoverThePromptAndMaxTokensWithinTheContext() {
        admission.open(4, 16, 16, 64);
        assertEquals(2, admit(submit("a", 16, 1)).blocks, "17 positions");
        assertEquals(4, admit(submit("b", 10, 1000)).blocks, "capped at the context");
    }

    @Test
    void aRequestThatCanNeverFitIsRefused() {
        admission.open(4, 2, 16, 64);
        Submit tooLong = submit("too-long", 64, 1);
        assertTrue(admission.refuseIfImpossible(tooLong));
        expectFailed("too-long", FailureKind.PROMPT_TOO_LONG, "context holds 64");
        Submit tooBig = submit("too-big", 10, 30);
        assertTrue(admission.refuseIfImpossible(tooBig));
        expectFailed("too-big", FailureKind.PROMPT_TOO_LONG,
                "needs 48 positions of KV cache but the smallest stage cache holds 32");
        assertFalse(admission.refuseIfImpossible(submit("fits", 10, 22)));
    }

    @Test
    void waitingRequestsAPipelineCanNeverHoldAreRefusedWhenItOpens() {
        admission.enqueue(submit("big", 10, 100), 0);
        admission.enqueue(submit("small", 10, 5), 0);
        admission.open(4, 2, 16, 64);
        expectFailed("big", FailureKind.PROMPT_TOO_LONG, "positions of KV cache");
        assertEquals(1, admission.waiting());
        assertTrue(admission.validate(submit("big", 1, 1)), "the refused request's id is free again");
        assertEquals("small", admission.admitNext().id());
    }

    @Test
    void invalidRequestsAreRefusedAndIdsAreFreedWhenTheyFinish() {
        assertFalse(admission.validate(submit("empty", 0, 5)));
        expectFailed("empty", FailureKind.INVALID_REQUEST, "empty");
        assertFalse(admission.validate(submit("negative", 2, -1)));
        expectFailed("negative", FailureKind.INVALID_REQUEST, "max_tokens=-1");

        admission.open(2, 8, 16, 64);
        Sequence s = admit(submit("r", 2, 5));
        assertFalse(admission.validate(submit("r", 2, 5)));
        expectFailed("r", FailureKind.INVALID_REQUEST, "already in progress");
        admission.release(s);
        assertTrue(admission.validate(submit("r", 2, 5)));
    }

    @Test
    void waitingRequestsExpireOrAreCancelled() {
        Duration timeout = Duration.ofSeconds(30);
        admission.enqueue(submit("old", 2, 5), 0);
        admission.enqueue(submit("new", 2, 5), timeout.toNanos());
        admission.enqueue(submit("cancelled", 2, 5), timeout.toNanos());
        admission.expire(timeout.toNanos() + 1, timeout, () -> "layers 3-4 are missing");
        expectFailed("old", FailureKind.PIPELINE_NOT_READY, "not ready within 30 s: layers 3-4 are missing");

        assertTrue(admission.cancelWaiting("cancelled"));
        assertEquals(new SequenceEvent.Finished("cancelled", GenerationEnd.CANCELLED, 2, 0, 0, 0),
                events.expectMessageClass(SequenceEvent.Finished.class));
        assertFalse(admission.cancelWaiting("cancelled"));
        assertEquals(1, admission.waiting());
    }

    private Sequence admit(Submit m) {
        assertTrue(admission.validate(m));
        admission.enqueue(m, 0);
        Sequence s = admission.admitNext();
        assertEquals(m.requestId(), s.id());
        return s;
    }

    private Submit submit(String id, int promptLength, int maxTokens) {
        int[] prompt = new int[promptLength];
        java.util.Arrays.fill(prompt, 7);
        return new Submit(id, prompt, maxTokens, SamplingParams.greedy(), events.getRef());
    }

    private void expectFailed(String id, FailureKind kind, String says) {
        SequenceEvent.Failed f = events.expectMessageClass(SequenceEvent.Failed.class);
        assertEquals(id, f.requestId());
        assertEquals(kind, f.kind());
        assertTrue(f.message().contains(says), f.message());
    }
}
