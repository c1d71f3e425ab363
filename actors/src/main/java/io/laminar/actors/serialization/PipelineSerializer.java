package io.laminar.actors.serialization;

import akka.actor.ExtendedActorSystem;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;
import akka.actor.typed.javadsl.Adapter;
import akka.serialization.SerializerWithStringManifest;
import io.laminar.actors.inspect.AttentionReport;
import io.laminar.actors.placement.PlacementAgent;
import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.actors.scheduler.SequenceEvent;
import io.laminar.actors.stage.StageActor;
import io.laminar.actors.stage.StageInfo;
import io.laminar.actors.stage.SequenceOpening;
import io.laminar.actors.stage.StepHeader;
import io.laminar.model.generate.GenerationEnd;
import io.laminar.model.sampling.SamplingParams;

import java.io.NotSerializableException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Laminar's own binary encoding of every message that crosses nodes: little-endian fixed-width
 * fields, length-prefixed strings and arrays, actor references as their serialized paths. A step's
 * activations are a bulk copy of floats (or their F16/BF16 halves, see {@link ActivationFormat}), so a
 * hop costs {@code dim * bytesPerValue} bytes per token plus ~17 bytes of entry metadata and a
 * fixed header.
 */
public final class PipelineSerializer extends SerializerWithStringManifest {
    /** Akka's id for this serializer (ids below 40 are Akka's own). */
    public static final int IDENTIFIER = 7_316_001;

    private static final String RUN_STEP = "S";
    private static final String RELEASE = "R";
    private static final String DESCRIBE = "D";
    private static final String STAGE_INFO = "I";
    private static final String SUBMIT = "U";
    private static final String GET_STATUS = "G";
    private static final String STATUS = "T";
    private static final String STEP_COMPLETED = "C";
    private static final String STEP_FAILED = "F";
    private static final String EVENT_TOKEN = "k";
    private static final String EVENT_FINISHED = "f";
    private static final String EVENT_FAILED = "e";
    private static final String CANCEL = "X";
    private static final String GET_OFFER = "O";
    private static final String OFFER = "o";
    private static final String ASSIGN = "A";
    private static final String ATTENTION = "a";

    private final ActorRefResolver resolver;
    private final ActivationFormat wireFormat;

    /** Akka's constructor: the wire format comes from {@link ActivationFormat#CONFIG_KEY}. */
    public PipelineSerializer(ExtendedActorSystem system) {
        this(system, ActivationFormat.parse(system.settings().config().hasPath(ActivationFormat.CONFIG_KEY)
                ? system.settings().config().getString(ActivationFormat.CONFIG_KEY) : "f32"));
    }

    public PipelineSerializer(ExtendedActorSystem system, ActivationFormat wireFormat) {
        this.resolver = ActorRefResolver.get(Adapter.toTyped(system));
        this.wireFormat = wireFormat;
    }

    @Override
    public int identifier() {
        return IDENTIFIER;
    }

    @Override
    public String manifest(Object o) {
        return switch (o) {
            case StageActor.RunStep ignored -> RUN_STEP;
            case StageActor.ReleaseSlots ignored -> RELEASE;
            case StageActor.Describe ignored -> DESCRIBE;
            case StageInfo ignored -> STAGE_INFO;
            case PipelineScheduler.Submit ignored -> SUBMIT;
            case PipelineScheduler.GetStatus ignored -> GET_STATUS;
            case PipelineScheduler.Cancel ignored -> CANCEL;
            case PipelineScheduler.Status ignored -> STATUS;
            case PipelineScheduler.StepCompleted ignored -> STEP_COMPLETED;
            case PipelineScheduler.StepFailed ignored -> STEP_FAILED;
            case SequenceEvent.Token ignored -> EVENT_TOKEN;
            case SequenceEvent.Finished ignored -> EVENT_FINISHED;
            case SequenceEvent.Failed ignored -> EVENT_FAILED;
            case PlacementAgent.GetOffer ignored -> GET_OFFER;
            case PlacementAgent.Offer ignored -> OFFER;
            case PlacementAgent.Assign ignored -> ASSIGN;
            case AttentionReport ignored -> ATTENTION;
            default -> throw new IllegalArgumentException("not a Laminar pipeline message: " + o.getClass());
        };
    }

    @Override
    public byte[] toBinary(Object o) {
        WireWriter w = new WireWriter(resolver, o instanceof StageActor.RunStep s ? 256 + s.hidden().length * 4 + s.header().size() * 32 : 256);
        switch (o) {
            case StageActor.RunStep m -> {
                writeHeader(w, m.header());
                writeActivations(w, m.hidden());
                w.refs(m.route());
                w.i32(m.hop());
                w.ref(m.replyTo());
                w.i64(m.sentAtMicros());
            }
            case StageActor.ReleaseSlots m -> {
                w.ints(m.slots());
                w.refs(m.route());
                w.i32(m.hop());
            }
            case StageActor.Describe m -> w.ref(m.replyTo());
            case StageInfo m -> {
                w.ref(m.stage());
                w.string(m.name());
                w.string(m.modelId());
                w.i32(m.start());
                w.i32(m.end());
                w.i32(m.totalLayers());
                w.i32(m.kvBlocks());
                w.i32(m.blockSize());
                w.i32(m.maxSequences());
                w.i32(m.maxContext());
                w.i32(m.maxBatch());
            }
            case PipelineScheduler.Submit m -> {
                w.string(m.requestId());
                w.ints(m.promptIds());
                w.ints(m.resumeFrom());
                w.i32(m.maxTokens());
                writeSampling(w, m.sampling());
                w.ref(m.replyTo());
                w.optionalRef(m.inspector());
            }
            case PipelineScheduler.GetStatus m -> w.ref(m.replyTo());
            case PipelineScheduler.Cancel m -> w.string(m.requestId());
            case PipelineScheduler.Status m -> {
                w.u8(m.ready() ? 1 : 0);
                w.string(m.detail());
                w.i32(m.active());
                w.i32(m.waiting());
            }
            case PipelineScheduler.StepCompleted m -> {
                w.i64(m.stepId());
                w.i32(m.lane());
                w.ints(m.slots());
                w.ints(m.tokens());
            }
            case PipelineScheduler.StepFailed m -> {
                w.i64(m.stepId());
                w.i32(m.lane());
                w.string(m.stage());
                w.string(m.message());
            }
            case SequenceEvent.Token m -> {
                w.string(m.requestId());
                w.i32(m.index());
                w.i32(m.tokenId());
            }
            case SequenceEvent.Finished m -> {
                w.string(m.requestId());
                w.u8(generationEndId(m.reason()));
                w.i32(m.promptTokens());
                w.i32(m.generatedTokens());
                w.i64(m.promptNanos());
                w.i64(m.generateNanos());
            }
            case SequenceEvent.Failed m -> {
                w.string(m.requestId());
                w.string(m.kind().name());
                w.string(m.message());
            }
            case PlacementAgent.GetOffer m -> w.ref(m.replyTo());
            case PlacementAgent.Offer m -> {
                w.ref(m.agent());
                w.string(m.name());
                w.i64(m.budgetBytes());
            }
            case PlacementAgent.Assign m -> {
                w.i32(m.start());
                w.i32(m.end());
            }
            case AttentionReport m -> AttentionReportCodec.write(w, m);
            default -> throw new IllegalArgumentException("not a Laminar pipeline message: " + o.getClass());
        }
        return w.bytes();
    }

    @Override
    public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
        WireReader r = new WireReader(resolver, bytes);
        try {
            return switch (manifest) {
                case RUN_STEP -> new StageActor.RunStep(readHeader(r), readActivations(r),
                        r.refs(), r.i32(), r.ref(), r.i64());
                case RELEASE -> new StageActor.ReleaseSlots(r.ints(), r.refs(), r.i32());
                case DESCRIBE -> new StageActor.Describe(r.ref());
                case STAGE_INFO -> new StageInfo(r.ref(), r.string(), r.string(), r.i32(), r.i32(), r.i32(),
                        r.i32(), r.i32(), r.i32(), r.i32(), r.i32());
                case SUBMIT -> new PipelineScheduler.Submit(r.string(), r.ints(), r.ints(), r.i32(), readSampling(r),
                        r.ref(), r.optionalRef());
                case GET_STATUS -> new PipelineScheduler.GetStatus(r.ref());
                case CANCEL -> new PipelineScheduler.Cancel(r.string());
                case STATUS -> new PipelineScheduler.Status(r.u8() == 1, r.string(), r.i32(), r.i32());
                case STEP_COMPLETED -> new PipelineScheduler.StepCompleted(r.i64(), r.i32(), r.ints(), r.ints());
                case STEP_FAILED -> new PipelineScheduler.StepFailed(r.i64(), r.i32(), r.string(), r.string());
                case EVENT_TOKEN -> new SequenceEvent.Token(r.string(), r.i32(), r.i32());
                case EVENT_FINISHED -> new SequenceEvent.Finished(r.string(), generationEnd(r.u8()),
                        r.i32(), r.i32(), r.i64(), r.i64());
                case EVENT_FAILED -> new SequenceEvent.Failed(r.string(),
                        SequenceEvent.FailureKind.valueOf(r.string()), r.string());
                case GET_OFFER -> new PlacementAgent.GetOffer(r.ref());
                case OFFER -> new PlacementAgent.Offer(r.ref(), r.string(), r.i64());
                case ASSIGN -> new PlacementAgent.Assign(r.i32(), r.i32());
                case ATTENTION -> AttentionReportCodec.read(r);
                default -> throw new NotSerializableException("unknown Laminar manifest '" + manifest + "'");
            };
        } catch (BufferUnderflowException | IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new NotSerializableException("corrupt Laminar message (manifest " + manifest + "): " + e);
        }
    }

    /** Bytes a step of {@code entries} tokens and {@code dim}-wide activations costs on the wire, route excluded. */
    public int stepBytes(int entries, int dim) {
        return 8 + 4 + 4 + entries * 12 + (entries + 7) / 8 + 1 + 1 + 4 + entries * dim * wireFormat.bytesPerValue();
    }

    // ---- step parts -------------------------------------------------------------------------

    private void writeHeader(WireWriter w, StepHeader h) {
        int n = h.size();
        w.i64(h.stepId());
        w.i32(h.lane());
        w.i32(n);
        w.intsRaw(h.tokens());
        w.intsRaw(h.slots());
        w.intsRaw(h.positions());
        byte[] bits = new byte[(n + 7) / 8];
        for (int i = 0; i < n; i++) {
            if (h.logits()[i]) {
                bits[i >> 3] |= (byte) (1 << (i & 7));
            }
        }
        w.raw(bits);
        if (h.openings() == null) {
            w.u8(0);
        } else {
            w.u8(1);
            for (SequenceOpening o : h.openings()) {
                w.u8(o != null ? 1 : 0);
                if (o != null) {
                    writeSampling(w, o.sampling());
                    w.i32(o.generatedBefore());
                    w.optionalRef(o.inspector());
                }
            }
        }
    }

    private StepHeader readHeader(WireReader r) {
        long stepId = r.i64();
        int lane = r.i32();
        int n = r.i32();
        if (n < 0 || n > r.remaining() / 12) {
            throw new IllegalArgumentException("step claims " + n + " entries in " + r.remaining() + " bytes");
        }
        int[] tokens = r.intsRaw(n);
        int[] slots = r.intsRaw(n);
        int[] positions = r.intsRaw(n);
        byte[] bits = r.raw((n + 7) / 8);
        boolean[] logits = new boolean[n];
        for (int i = 0; i < n; i++) {
            logits[i] = (bits[i >> 3] & (1 << (i & 7))) != 0;
        }
        SequenceOpening[] openings = null;
        if (r.u8() == 1) {
            openings = new SequenceOpening[n];
            for (int i = 0; i < n; i++) {
                if (r.u8() == 1) {
                    openings[i] = new SequenceOpening(readSampling(r), r.i32(), r.optionalRef());
                }
            }
        }
        return new StepHeader(stepId, lane, tokens, slots, positions, logits, openings);
    }

    /**
     * A generation end's fixed id on the wire, not its ordinal: a value added to the enum, or the
     * values reordered, cannot change what another's id means. The switch fails to compile when a
     * value is added without an id.
     */
    static int generationEndId(GenerationEnd reason) {
        return switch (reason) {
            case STOP -> 0;
            case LENGTH -> 1;
            case CONTEXT -> 2;
            case CANCELLED -> 3;
        };
    }

    static GenerationEnd generationEnd(int id) {
        return switch (id) {
            case 0 -> GenerationEnd.STOP;
            case 1 -> GenerationEnd.LENGTH;
            case 2 -> GenerationEnd.CONTEXT;
            case 3 -> GenerationEnd.CANCELLED;
            default -> throw new IllegalArgumentException("unknown generation end id " + id);
        };
    }

    private void writeActivations(WireWriter w, float[] x) {
        w.u8(wireFormat.id());
        w.i32(x.length);
        wireFormat.put(w.reserve(x.length * wireFormat.bytesPerValue()), x);
    }

    private static float[] readActivations(WireReader r) {
        ActivationFormat format = ActivationFormat.ofId(r.u8());
        int n = r.i32();
        if (n < 0 || (long) n * format.bytesPerValue() > r.remaining()) {
            throw new IllegalArgumentException("activations claim " + n + " values in " + r.remaining() + " bytes");
        }
        float[] x = new float[n];
        format.get(r.buffer, x);
        return x;
    }

    private static void writeSampling(WireWriter w, SamplingParams p) {
        w.f32(p.temperature());
        w.i32(p.topK());
        w.f32(p.topP());
        w.f32(p.minP());
        w.f32(p.repeatPenalty());
        w.i32(p.repeatLastN());
        w.i64(p.seed());
    }

    private static SamplingParams readSampling(WireReader r) {
        return new SamplingParams(r.f32(), r.i32(), r.f32(), r.f32(), r.f32(), r.i32(), r.i64());
    }
}
