package io.laminar.actors.serialization;

import akka.actor.ExtendedActorSystem;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.javadsl.Adapter;
import akka.serialization.Serialization;
import akka.serialization.SerializationExtension;
import com.typesafe.config.ConfigFactory;
import io.laminar.actors.inspect.AttentionReport;
import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.actors.scheduler.SequenceEvent;
import io.laminar.actors.stage.StageActor;
import io.laminar.actors.stage.StageInfo;
import io.laminar.actors.stage.SequenceOpening;
import io.laminar.actors.stage.StepHeader;
import io.laminar.model.generate.GenerationEnd;
import io.laminar.model.inspect.TopTokens;
import io.laminar.model.sampling.SamplingParams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.NotSerializableException;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PipelineSerializerTest {
    static ActorTestKit kit;
    static PipelineSerializer f32;
    static PipelineSerializer f16;
    static PipelineSerializer bf16;

    @BeforeAll
    static void start() {
        kit = ActorTestKit.create(ConfigFactory.parseResources("laminar.conf").withFallback(ConfigFactory.load()));
        ExtendedActorSystem sys = (ExtendedActorSystem) Adapter.toClassic(kit.system());
        f32 = new PipelineSerializer(sys);
        f16 = new PipelineSerializer(sys, ActivationFormat.F16);
        bf16 = new PipelineSerializer(sys, ActivationFormat.BF16);
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    @SuppressWarnings("unchecked")
    static <T> T roundTrip(PipelineSerializer s, T message) throws NotSerializableException {
        return (T) s.fromBinary(s.toBinary(message), s.manifest(message));
    }

    @Test
    void everyMessageIsBoundToTheLaminarSerializer() {
        Serialization serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));
        TestProbe<StageInfo> probe = kit.createTestProbe();
        assertEquals(PipelineSerializer.IDENTIFIER,
                serialization.findSerializerFor(new StageActor.Describe(probe.getRef())).identifier());
        assertEquals(PipelineSerializer.IDENTIFIER,
                serialization.findSerializerFor(new SequenceEvent.Token("r", 0, 1)).identifier());
    }

    @Test
    void stepsRoundTripExactlyInF32() throws Exception {
        TestProbe<StageActor.Command> a = kit.createTestProbe();
        TestProbe<StageActor.Command> b = kit.createTestProbe();
        TestProbe<PipelineScheduler.Command> sched = kit.createTestProbe();
        SamplingParams p = new SamplingParams(0.7f, 40, 0.9f, 0.05f, 1.1f, 64, 42L);
        StepHeader h = new StepHeader(7L, 1, new int[] {1, 2, 3}, new int[] {0, 0, 5}, new int[] {10, 11, 0},
                new boolean[] {false, true, true}, new SequenceOpening[] {null, new SequenceOpening(p, 0),
                new SequenceOpening(SamplingParams.greedy(), 250)});
        float[] hidden = {1.5f, -2.25f, 3.0e-8f, Float.MAX_VALUE, 0f, -0f};
        StageActor.RunStep step = new StageActor.RunStep(h, hidden, List.of(a.getRef(), b.getRef()), 1, sched.getRef());
        StageActor.RunStep back = roundTrip(f32, step);
        assertEquals(7L, back.header().stepId());
        assertEquals(1, back.header().lane());
        assertArrayEquals(h.tokens(), back.header().tokens());
        assertArrayEquals(h.slots(), back.header().slots());
        assertArrayEquals(h.positions(), back.header().positions());
        assertArrayEquals(h.logits(), back.header().logits());
        assertEquals(null, back.header().openings()[0]);
        assertEquals(new SequenceOpening(p, 0), back.header().openings()[1]);
        assertEquals(new SequenceOpening(SamplingParams.greedy(), 250), back.header().openings()[2],
                "a resumed sequence's sampler starts after the draws of its earlier tokens");
        assertArrayEquals(hidden, back.hidden());
        assertEquals(List.of(a.getRef(), b.getRef()), back.route());
        assertEquals(sched.getRef(), back.replyTo());
    }

    @Test
    void halfPrecisionWireFormatsRoundWithinTheirPrecision() throws Exception {
        TestProbe<StageActor.Command> a = kit.createTestProbe();
        TestProbe<PipelineScheduler.Command> sched = kit.createTestProbe();
        float[] hidden = new float[768];
        for (int i = 0; i < hidden.length; i++) {
            hidden[i] = (float) Math.sin(i * 0.37) * (i % 7 + 1);
        }
        StepHeader h = new StepHeader(1, 0, new int[] {5}, new int[] {0}, new int[] {3}, new boolean[] {true}, null);
        StageActor.RunStep step = new StageActor.RunStep(h, hidden, List.of(a.getRef()), 0, sched.getRef());
        int f32Bytes = f32.toBinary(step).length;
        int f16Bytes = f16.toBinary(step).length;
        int bf16Bytes = bf16.toBinary(step).length;
        assertEquals(768 * 2, f32Bytes - f16Bytes, "F16 halves the activation bytes");
        assertEquals(f16Bytes, bf16Bytes);
        float[] viaF16 = roundTrip(f16, step).hidden();
        float[] viaBf16 = roundTrip(bf16, step).hidden();
        for (int i = 0; i < hidden.length; i++) {
            // F16 keeps 11 significant bits, BF16 8: relative errors below 2^-11 and 2^-8.
            assertEquals(hidden[i], viaF16[i], Math.abs(hidden[i]) * 0x1p-11 + 1e-7, "f16 at " + i);
            assertEquals(hidden[i], viaBf16[i], Math.abs(hidden[i]) * 0x1p-8 + 1e-7, "bf16 at " + i);
        }
    }

    @Test
    void controlMessagesAndEventsRoundTrip() throws Exception {
        TestProbe<SequenceEvent> events = kit.createTestProbe();
        TestProbe<StageActor.Command> stage = kit.createTestProbe();
        PipelineScheduler.Submit submit = new PipelineScheduler.Submit("req-ü", new int[] {1, 2, 3}, 16,
                SamplingParams.greedy(), events.getRef());
        PipelineScheduler.Submit s2 = roundTrip(f32, submit);
        assertEquals("req-ü", s2.requestId());
        assertArrayEquals(new int[] {1, 2, 3}, s2.promptIds());
        assertArrayEquals(new int[0], s2.resumeFrom());
        assertEquals(16, s2.maxTokens());
        assertEquals(SamplingParams.greedy(), s2.sampling());
        assertEquals(events.getRef(), s2.replyTo());
        SamplingParams sampled = new SamplingParams(0.7f, 40, 0.9f, 0.05f, 1.1f, 64, -5L);
        PipelineScheduler.Submit resumed = roundTrip(f32, new PipelineScheduler.Submit("r", new int[] {1, 2},
                16, sampled, events.getRef()).resumingAfter(new int[] {7, 8, 9}));
        assertArrayEquals(new int[] {1, 2}, resumed.promptIds());
        assertArrayEquals(new int[] {7, 8, 9}, resumed.resumeFrom(), "the tokens generated before travel with it");
        assertEquals(16, resumed.maxTokens());
        assertEquals(sampled, resumed.sampling());

        StageInfo info = new StageInfo(stage.getRef(), "n[0-2]", "m", 0, 3, 5, 100, 16, 8, 512, 64);
        assertEquals(info, roundTrip(f32, info));
        assertEquals(new SequenceEvent.Token("r", 3, 99), roundTrip(f32, new SequenceEvent.Token("r", 3, 99)));
        SequenceEvent.Finished fin = new SequenceEvent.Finished("r", GenerationEnd.STOP, 5, 7, 100L, 200L);
        assertEquals(fin, roundTrip(f32, fin));
        SequenceEvent.Failed failed = new SequenceEvent.Failed("r", SequenceEvent.FailureKind.STAGE_FAILED, "boom");
        assertEquals(failed, roundTrip(f32, failed));
        PipelineScheduler.StepCompleted done = roundTrip(f32,
                new PipelineScheduler.StepCompleted(3, 1, new int[] {0, 4}, new int[] {17, 18}));
        assertArrayEquals(new int[] {17, 18}, done.tokens());
        StageActor.ReleaseSlots rel = roundTrip(f32, new StageActor.ReleaseSlots(new int[] {2}, List.of(stage.getRef()), 0));
        assertArrayEquals(new int[] {2}, rel.slots());
        PipelineScheduler.Status status = new PipelineScheduler.Status(false, "layers 3-4 missing", 0, 2);
        assertEquals(status, roundTrip(f32, status));
    }

    @Test
    void inspectionTravelsWithSubmitOpeningAndReports() throws Exception {
        TestProbe<SequenceEvent> events = kit.createTestProbe();
        TestProbe<AttentionReport> collector = kit.createTestProbe();
        PipelineScheduler.Submit submit = roundTrip(f32, new PipelineScheduler.Submit("r", new int[] {1}, 4,
                SamplingParams.greedy(), events.getRef()).inspectedBy(collector.getRef()));
        assertEquals(collector.getRef(), submit.inspector());
        assertEquals(null, roundTrip(f32, new PipelineScheduler.Submit("r", new int[] {1}, 4, SamplingParams.greedy(),
                events.getRef())).inspector(), "an uninspected request stays uninspected");
        TestProbe<StageActor.Command> a = kit.createTestProbe();
        TestProbe<PipelineScheduler.Command> sched = kit.createTestProbe();
        SequenceOpening opening = new SequenceOpening(SamplingParams.greedy(), 0, collector.getRef());
        StepHeader h = new StepHeader(1, 0, new int[] {5}, new int[] {0}, new int[] {0}, new boolean[] {true},
                new SequenceOpening[] {opening});
        StageActor.RunStep back = roundTrip(f32, new StageActor.RunStep(h, new float[4], List.of(a.getRef()), 0,
                sched.getRef()));
        assertEquals(opening, back.header().openings()[0]);

        // 2 layers x 1 head, positions 1 and 2: 2 + 3 weights per layer
        float[] weights = {0.25f, 0.75f, 0.5f, 0.5f, 0.1f, 0.2f, 0.7f, 0.3f, 0.3f, 0.4f};
        AttentionReport report = new AttentionReport(5, 3, 2, 1, new int[] {1, 2}, new int[] {42, 43}, weights,
                new TopTokens[] {new TopTokens(2, new int[] {9, 8}, new float[] {0.6f, 0.3f})}, new int[] {9});
        AttentionReport r2 = roundTrip(f32, report);
        assertEquals(3, r2.firstLayer());
        assertArrayEquals(new int[] {1, 2}, r2.positions());
        assertArrayEquals(new int[] {42, 43}, r2.tokens());
        assertArrayEquals(weights, r2.weights());
        assertArrayEquals(new int[] {9, 8}, r2.top()[0].tokens());
        assertArrayEquals(new float[] {0.6f, 0.3f}, r2.top()[0].probabilities());
        assertArrayEquals(new int[] {9}, r2.chosen());
        byte[] bytes = f32.toBinary(report);
        bytes[16] = 5; // a third position the weights do not cover
        assertThrows(NotSerializableException.class, () -> f32.fromBinary(bytes, f32.manifest(report)));
    }

    @Test
    void corruptBytesAreRejectedNotTrusted() throws Exception {
        TestProbe<StageActor.Command> a = kit.createTestProbe();
        TestProbe<PipelineScheduler.Command> sched = kit.createTestProbe();
        StepHeader h = new StepHeader(1, 0, new int[] {5}, new int[] {0}, new int[] {3}, new boolean[] {true}, null);
        byte[] bytes = f32.toBinary(new StageActor.RunStep(h, new float[64], List.of(a.getRef()), 0, sched.getRef()));
        byte[] truncated = Arrays.copyOf(bytes, bytes.length / 2);
        assertThrows(NotSerializableException.class, () -> f32.fromBinary(truncated, "S"));
        byte[] huge = bytes.clone();
        huge[12] = (byte) 0x7f; // entry count byte -> billions of entries
        huge[15] = (byte) 0x7f;
        NotSerializableException e = assertThrows(NotSerializableException.class, () -> f32.fromBinary(huge, "S"));
        assertTrue(e.getMessage().contains("entries"), e.getMessage());
        assertThrows(NotSerializableException.class, () -> f32.fromBinary(bytes, "?"));
    }

    /**
     * Enums travel as fixed ids, not ordinals: these numbers are the protocol, and a node of another
     * version reads them. Changing one is a breaking change of the wire between nodes.
     */
    @Test
    void enumsHaveFixedWireIds() throws Exception {
        int[] expected = {0, 1, 2, 3};
        GenerationEnd[] reasons = {GenerationEnd.STOP, GenerationEnd.LENGTH, GenerationEnd.CONTEXT, GenerationEnd.CANCELLED};
        assertEquals(reasons.length, GenerationEnd.values().length, "a new generation end needs a fixed id here");
        for (int i = 0; i < reasons.length; i++) {
            assertEquals(expected[i], PipelineSerializer.generationEndId(reasons[i]));
            assertEquals(reasons[i], PipelineSerializer.generationEnd(expected[i]));
            SequenceEvent.Finished fin = new SequenceEvent.Finished("r", reasons[i], 1, 2, 3L, 4L);
            assertEquals(fin, roundTrip(f32, fin));
        }
        assertThrows(IllegalArgumentException.class, () -> PipelineSerializer.generationEnd(9));
        assertEquals(0, ActivationFormat.F32.id());
        assertEquals(1, ActivationFormat.F16.id());
        assertEquals(2, ActivationFormat.BF16.id());
        assertEquals(ActivationFormat.values().length, 3, "a new activation format needs a fixed id here");
        assertThrows(IllegalArgumentException.class, () -> ActivationFormat.ofId(7));
    }
}
