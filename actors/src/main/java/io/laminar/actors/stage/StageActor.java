package io.laminar.actors.stage;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.receptionist.Receptionist;
import akka.actor.typed.receptionist.ServiceKey;
import io.laminar.actors.ComputeThread;
import io.laminar.actors.inspect.AttentionReport;
import io.laminar.kernels.VectorOps;
import io.laminar.actors.PipelineMessage;
import io.laminar.actors.metrics.LaminarMetrics;
import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.model.exec.KvCache;
import io.laminar.model.exec.StageExecutor;
import io.laminar.model.exec.StageWarmUp;
import io.laminar.model.exec.TokenBatch;
import io.laminar.model.exec.WarmUpBudget;
import io.laminar.model.inspect.TopTokens;
import io.laminar.model.sampling.Sampler;
import io.laminar.model.sampling.SamplingParams;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A pipeline stage: owns a contiguous range of layers (their mapped weights, and the KV cache of
 * every sequence passing through) and runs steps over them. The first stage also embeds tokens;
 * the last applies the output head and samples, so only token ids travel back to the scheduler.
 *
 * <p>Steps and slot releases are handled strictly in arrival order, one at a time; the math runs
 * on the process's {@link ComputeThread} and comes back as a message, so the actor never blocks. A
 * step that throws fails only its own sequences: the scheduler hears which stage failed and why,
 * and the stage goes on with the next step.
 */
public final class StageActor extends AbstractBehavior<StageActor.Command> {

    /** Messages a stage receives. */
    public interface Command {
    }

    /**
     * Run the step's entries through this stage, then pass it on along {@code route}.
     *
     * @param header  the step's entries
     * @param hidden  activations {@code [entries x dim]}; empty for the first stage, which embeds
     * @param route   the stages in order
     * @param hop     this stage's index in {@code route}
     * @param replyTo where the last stage sends the sampled tokens, and any stage a failure
     * @param sentAtMicros when it was sent, in microseconds of the wall clock (the receiver's hop
     *                     latency; the only clock two machines share, roughly)
     */
    public record RunStep(StepHeader header, float[] hidden, List<ActorRef<Command>> route, int hop,
                          ActorRef<PipelineScheduler.Command> replyTo, long sentAtMicros)
            implements Command, PipelineMessage {
        /** A step sent now. */
        public RunStep(StepHeader header, float[] hidden, List<ActorRef<Command>> route, int hop,
                       ActorRef<PipelineScheduler.Command> replyTo) {
            this(header, hidden, route, hop, replyTo, wallClockMicros());
        }

        /** Microseconds since the epoch, as precise as the system clock gives them. */
        public static long wallClockMicros() {
            java.time.Instant now = java.time.Instant.now();
            return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
        }
    }

    /** Free the KV blocks of these slots, then pass the release on along {@code route}. */
    public record ReleaseSlots(int[] slots, List<ActorRef<Command>> route, int hop) implements Command, PipelineMessage {
    }

    /** Ask for this stage's {@link StageInfo}. */
    public record Describe(ActorRef<StageInfo> replyTo) implements Command, PipelineMessage {
    }

    /** A step's math finished on the compute thread (with a result or an exception). */
    private record Computed(RunStep step, StepResult result, Throwable failure) implements Command {
    }

    /** The warm-up ran (or failed, which only costs the first requests some speed). */
    private record WarmedUp(StageWarmUp.Outcome outcome, long nanos, Throwable failure) implements Command {
    }

    /**
     * What the compute thread hands back: the updated activations, or the sampled tokens of the last
     * stage, and how long the math took.
     */
    private record StepResult(float[] hidden, int[] slots, int[] tokens, long nanos, List<Report> reports) {
    }

    /** An inspected sequence's capture of one step, for its collector. */
    private record Report(ActorRef<AttentionReport> to, AttentionReport report) {
    }

    /** The key under which stages of model {@code modelId} register with the receptionist. */
    public static ServiceKey<Command> serviceKey(String modelId) {
        return ServiceKey.create(Command.class, "laminar-stage-" + modelId);
    }

    private final StageExecutor runner;
    private final ComputeThread compute;
    private final Consumer<StepHeader> beforeStep;
    private final String name;
    private final String modelId;
    private final TokenBatch batch;
    private final Sampler[] samplers;
    /** Logits rows of the last stage: one per sequence, more in a step with drafts (grown then). */
    private float[] logits;
    private final int[] greedyTokens;
    /** Why this stage's backend could not capture a sequence, for the actor to log; null when it could. */
    private volatile String captureRefused;
    /** Per KV slot, the capture of an inspected sequence, else null. */
    private final StepInspection[] inspections;
    private final ArrayDeque<Command> queue = new ArrayDeque<>();
    private final LaminarMetrics.Stage metrics;
    private boolean busy;

    private StageActor(ActorContext<Command> context, StageExecutor runner, ComputeThread compute, String name,
                       String modelId, Consumer<StepHeader> beforeStep, WarmUpBudget warmUp) {
        super(context);
        this.runner = runner;
        this.compute = compute;
        this.beforeStep = beforeStep;
        this.name = name;
        this.modelId = modelId;
        this.batch = new TokenBatch(runner.maxBatch());
        KvCache kv = runner.kvCache();
        boolean last = runner.weights().last();
        this.samplers = last ? new Sampler[kv.maxSequences()] : null;
        this.logits = last ? new float[kv.maxSequences() * runner.config().vocabSize()] : null;
        this.greedyTokens = last ? new int[runner.maxBatch()] : null;
        this.inspections = new StepInspection[kv.maxSequences()];
        this.metrics = LaminarMetrics.get(context.getSystem()).stage(name);
        if (warmUp.isNone()) {
            register();
        } else {
            // Registered only once warm: the scheduler counts a stage from its registration, so the
            // pipeline reports ready when every stage has compiled kernels.
            busy = true;
            long start = System.nanoTime();
            CompletableFuture<StageWarmUp.Outcome> outcome = CompletableFuture.supplyAsync(
                    () -> StageWarmUp.run(runner, warmUp), compute.executor());
            context.pipeToSelf(outcome, (o, failure) -> new WarmedUp(o, System.nanoTime() - start, unwrap(failure)));
        }
    }

    private void register() {
        getContext().getSystem().receptionist().tell(Receptionist.register(serviceKey(modelId), getContext().getSelf()));
    }

    /**
     * @param runner  the stage's layers, KV cache and buffers
     * @param compute the process's compute thread, whose kernels {@code runner} uses
     * @param name    a readable name for errors and status
     * @param modelId the model served, for the receptionist key
     */
    public static Behavior<Command> create(StageExecutor runner, ComputeThread compute, String name, String modelId) {
        return create(runner, compute, name, modelId, header -> { });
    }

    /**
     * @param beforeStep called on the compute thread before each step's math; an exception it throws
     *                   fails the step like any other (used to test fault handling)
     */
    public static Behavior<Command> create(StageExecutor runner, ComputeThread compute, String name, String modelId,
                                           Consumer<StepHeader> beforeStep) {
        return create(runner, compute, name, modelId, beforeStep, WarmUpBudget.NONE);
    }

    /**
     * @param warmUp how long to run {@link StageWarmUp} on the compute thread before registering with
     *               the receptionist ({@link WarmUpBudget#NONE}: register at once)
     */
    public static Behavior<Command> create(StageExecutor runner, ComputeThread compute, String name, String modelId,
                                           Consumer<StepHeader> beforeStep, WarmUpBudget warmUp) {
        return Behaviors.setup(ctx -> new StageActor(ctx, runner, compute, name, modelId, beforeStep, warmUp));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(RunStep.class, this::onWork)
                .onMessage(ReleaseSlots.class, this::onWork)
                .onMessage(Describe.class, this::onDescribe)
                .onMessage(Computed.class, this::onComputed)
                .onMessage(WarmedUp.class, this::onWarmedUp)
                .onSignal(PostStop.class, this::onPostStop)
                .build();
    }

    /** Frees what the stage holds outside the heap (a device stage's memory), on the compute thread. */
    private Behavior<Command> onPostStop(PostStop signal) {
        try {
            compute.executor().execute(runner::close);
        } catch (java.util.concurrent.RejectedExecutionException laneClosed) {
            runner.close();
        }
        return this;
    }

    private Behavior<Command> onWarmedUp(WarmedUp w) {
        if (w.failure() != null) {
            getContext().getLog().warn("stage {} warm-up failed after {} ms, serving cold: {}", name,
                    w.nanos() / 1_000_000, w.failure().toString());
        } else {
            getContext().getLog().info("stage {} warmed up: {} rounds in {} ms, {}", name, w.outcome().rounds(),
                    w.nanos() / 1_000_000, w.outcome().settled() ? "JIT settled" : "budget spent");
        }
        busy = false;
        register();
        pump();
        return this;
    }

    private Behavior<Command> onDescribe(Describe d) {
        KvCache kv = runner.kvCache();
        d.replyTo().tell(new StageInfo(getContext().getSelf(), name, modelId, runner.weights().range().start(),
                runner.weights().range().end(), runner.config().layers(), kv.blockCount(), kv.blockSize(),
                kv.maxSequences(), kv.maxContext(), runner.maxBatch()));
        return this;
    }

    private Behavior<Command> onWork(Command work) {
        if (work instanceof RunStep step) {
            metrics.hop(RunStep.wallClockMicros() - step.sentAtMicros());
        }
        queue.add(work);
        pump();
        return this;
    }

    /** Starts queued work in order while the compute thread is free; releases run inline, steps on it. */
    private void pump() {
        while (!busy && !queue.isEmpty()) {
            Command next = queue.poll();
            if (next instanceof ReleaseSlots r) {
                for (int slot : r.slots()) {
                    runner.kvCache().release(slot);
                    if (inspections[slot] != null) {
                        runner.inspect(slot, null);
                        inspections[slot] = null;
                    }
                    if (samplers != null) {
                        samplers[slot] = null;
                    }
                }
                if (r.hop() + 1 < r.route().size()) {
                    r.route().get(r.hop() + 1).tell(new ReleaseSlots(r.slots(), r.route(), r.hop() + 1));
                }
            } else if (next instanceof RunStep step) {
                busy = true;
                CompletableFuture<StepResult> result = CompletableFuture.supplyAsync(() -> compute(step),
                        compute.executor());
                getContext().pipeToSelf(result, (ok, failure) -> new Computed(step, ok, unwrap(failure)));
            }
        }
    }

    /** Runs on the compute thread. */
    private StepResult compute(RunStep step) {
        long start = System.nanoTime();
        StepHeader h = step.header();
        beforeStep.accept(h);
        h.fill(batch);
        KvCache kv = runner.kvCache();
        for (int i = 0; i < batch.size(); i++) {
            if (!kv.reserve(batch.slot(i), batch.position(i) + 1)) {
                throw new IllegalStateException("KV cache has no free block for slot " + batch.slot(i)
                        + " at position " + batch.position(i) + " (" + kv + ")");
            }
        }
        int dim = runner.config().dim();
        float[] hidden = step.hidden();
        if (runner.weights().first()) {
            hidden = new float[h.size() * dim];
            runner.embed(batch, hidden);
        } else if (hidden.length != h.size() * dim) {
            throw new IllegalArgumentException("activations of " + hidden.length + " floats do not match "
                    + h.size() + " entries of width " + dim);
        }
        boolean inspected = openInspections(h);
        runner.forward(batch, hidden);
        if (!runner.weights().last()) {
            return new StepResult(hidden, null, null, System.nanoTime() - start, reports(inspected, h));
        }
        int vocab = runner.config().vocabSize();
        boolean allGreedy = true;
        for (int i = 0; i < h.size(); i++) {
            int slot = h.slots()[i];
            SequenceOpening opening = h.openings() != null ? h.openings()[i] : null;
            if (opening != null) {
                samplers[slot] = new Sampler(opening.sampling(), vocab, opening.generatedBefore());
            }
            if (samplers[slot] == null) {
                throw new IllegalStateException("no sampler for slot " + slot + ": its opening entry never arrived");
            }
            if (h.logits()[i]) {
                // an inspected sequence wants its probabilities, so the logits come to the host
                allGreedy &= plainGreedy(samplers[slot].params()) && inspections[slot] == null;
            }
        }
        // Plain greedy steps need no logits on the host: the stage sends back token ids only.
        if (!allGreedy && logits.length < batch.logitsCount() * vocab) {
            logits = new float[batch.logitsCount() * vocab];
        }
        int rows = allGreedy ? runner.greedy(batch, hidden, greedyTokens) : runner.logits(batch, hidden, logits);
        int[] slots = new int[rows];
        int[] tokens = new int[rows];
        int row = 0;
        int kept = 0;
        boolean rejected = false;
        for (int i = 0; i < h.size(); i++) {
            int slot = h.slots()[i];
            // A drafted token (speculative decoding) follows its sequence's decode entry, asking for
            // logits too. It stands only if it is the token just sampled before it; from the first
            // that is not, the sequence's later rows are neither sampled nor fed to the sampler, so
            // that the sampler sees and draws exactly what it would without drafts.
            boolean drafted = i > 0 && h.logits()[i] && h.logits()[i - 1] && slot == h.slots()[i - 1];
            if (!drafted) {
                rejected = false;
            } else if (!rejected && (kept == 0 || tokens[kept - 1] != h.tokens()[i])) {
                rejected = true;
            }
            if (rejected) {
                row++;
                continue;
            }
            Sampler sampler = samplers[slot];
            sampler.accept(h.tokens()[i]);
            if (h.logits()[i]) {
                slots[kept] = slot;
                if (inspections[slot] != null) { // before sampling, which may rescale the logits
                    inspections[slot].sampled(TopTokens.of(h.positions()[i], logits, row * vocab, vocab,
                            TopTokens.DEFAULT_COUNT));
                }
                // A plain greedy row beside sampled or inspected ones: the vectorized argmax, not the
                // sampler's copy of the vocabulary (the same token: both take the lowest id on ties).
                tokens[kept] = allGreedy ? greedyTokens[row] : plainGreedy(sampler.params())
                        ? VectorOps.argmax(logits, row * vocab, vocab) : sampler.sample(logits, row * vocab);
                if (inspections[slot] != null) {
                    inspections[slot].chose(tokens[kept]);
                }
                kept++;
                row++;
            }
        }
        return new StepResult(null, kept == rows ? slots : Arrays.copyOf(slots, kept),
                kept == rows ? tokens : Arrays.copyOf(tokens, kept), System.nanoTime() - start, reports(inspected, h));
    }

    /**
     * Starts capturing the sequences this step opens marked for inspection, and notes the tokens of
     * every inspected one in it. Returns whether the step has any: the only cost for those without.
     */
    private boolean openInspections(StepHeader h) {
        boolean any = false;
        for (int i = 0; i < h.size(); i++) {
            int slot = h.slots()[i];
            SequenceOpening opening = h.openings() != null ? h.openings()[i] : null;
            if (opening != null && opening.inspector() != null) {
                StepInspection capture = new StepInspection(opening.inspector(), runner.config().layers(),
                        runner.weights().range().start(),
                        runner.weights().range().size(), runner.config().heads());
                try {
                    runner.inspect(slot, capture);
                    inspections[slot] = capture;
                } catch (UnsupportedOperationException cannot) {
                    // The request runs on uninspected here; its rows of these layers stay empty.
                    captureRefused = cannot.getMessage();
                }
            }
            if (inspections[slot] != null) {
                inspections[slot].token(h.positions()[i], h.tokens()[i]);
                any = true;
            }
        }
        return any;
    }

    /** The step's captures of inspected sequences, each once. */
    private List<Report> reports(boolean inspected, StepHeader h) {
        if (!inspected) {
            return List.of();
        }
        List<Report> out = new ArrayList<>();
        for (int slot : h.slots()) {
            StepInspection capture = inspections[slot];
            AttentionReport report = capture != null ? capture.report() : null;
            if (report != null) {
                out.add(new Report(capture.collector, report));
            }
        }
        return out;
    }

    /** Greedy without a repetition penalty: the choice is the argmax of the logits alone. */
    private static boolean plainGreedy(SamplingParams p) {
        return p.isGreedy() && (p.repeatPenalty() == 1f || p.repeatLastN() == 0);
    }

    private Behavior<Command> onComputed(Computed c) {
        busy = false;
        if (captureRefused != null) {
            getContext().getLog().warn("stage {}: a request marked for inspection is not captured here: {}", name,
                    captureRefused);
            captureRefused = null;
        }
        RunStep step = c.step();
        StepHeader h = step.header();
        if (c.failure() != null) {
            getContext().getLog().warn("stage {} failed step {}: {}", name, h.stepId(), c.failure().toString());
            step.replyTo().tell(new PipelineScheduler.StepFailed(h.stepId(), h.lane(), name, describe(c.failure())));
            for (StepInspection capture : inspections) {
                if (capture != null) {
                    capture.report(); // drops what the failed step captured half-way
                }
            }
        } else if (c.result().tokens() != null) {
            c.result().reports().forEach(r -> r.to().tell(r.report()));
            metrics.stepComputed(c.result().nanos(), h.size());
            step.replyTo().tell(new PipelineScheduler.StepCompleted(h.stepId(), h.lane(), c.result().slots(),
                    c.result().tokens()));
        } else {
            c.result().reports().forEach(r -> r.to().tell(r.report()));
            metrics.stepComputed(c.result().nanos(), h.size());
            step.route().get(step.hop() + 1).tell(new RunStep(h, c.result().hidden(), step.route(), step.hop() + 1,
                    step.replyTo()));
        }
        pump();
        return this;
    }

    private static Throwable unwrap(Throwable t) {
        while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static String describe(Throwable t) {
        return t.getClass().getSimpleName() + (t.getMessage() != null ? ": " + t.getMessage() : "");
    }
}
