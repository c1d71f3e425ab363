package io.laminar.actors.scheduler;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.BehaviorBuilder;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.actor.typed.receptionist.ServiceKey;
import akka.cluster.ClusterEvent;
import io.laminar.actors.PipelineMessage;
import io.laminar.actors.inspect.AttentionReport;
import io.laminar.actors.metrics.LaminarMetrics;
import io.laminar.actors.placement.PlacementAgent;
import io.laminar.actors.scheduler.Listings.AgentsListed;
import io.laminar.actors.scheduler.Listings.SchedulersListed;
import io.laminar.actors.scheduler.Listings.StagesListed;
import io.laminar.actors.scheduler.SequenceEvent.FailureKind;
import io.laminar.actors.stage.StageActor;
import io.laminar.actors.stage.StageInfo;
import io.laminar.model.sampling.SamplingParams;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Admits requests for one model, keeps every sequence's state, and drives the stages with
 * continuous batching: sequences join the next step of their lane and leave when they finish,
 * prompts are read in chunks behind the lane's decodes, and several lanes (micro-batches) are in
 * flight at once so that, with S stages, stage k works on one lane while stage k-1 works on the
 * next. Only token ids come back from the last stage.
 *
 * <p>The KV cache is paged; admission reserves the blocks a sequence can ever need (prompt plus
 * maximum tokens, within the context) on every stage, so a running sequence never runs out and a
 * request that does not fit yet waits for others to finish. One that can never fit is refused.
 *
 * <p>The scheduler is in one of three states, each a behaviour of its own: {@linkplain #notReady
 * not ready} (some layer has no stage: requests wait, and layers may be placed on nodes offering
 * memory), {@linkplain #servingOn serving} on a {@link Pipeline}, or {@linkplain #standingBy
 * standing by} while an older scheduler of the same model serves. In every state it follows the
 * stages and placement offers, so that it can serve as soon as it may. What waits and what runs is
 * kept by {@link Admission}, the stages by {@link Stages} (as {@link Listings} and {@link LeavingMembers}
 * report them), and placement by {@link Placement}.
 */
public final class PipelineScheduler {

    /** Messages the scheduler receives. */
    public interface Command {
    }

    /**
     * Generate for a prompt; events go to {@code replyTo}.
     *
     * <p>A request an interruption stopped (a stage lost, the serving process gone) is submitted again
     * with the tokens it had generated as {@code resumeFrom}: they are read with the prompt, in its
     * chunks, and generation goes on at token index {@code resumeFrom.length} with the sampler's
     * state after them, giving the tokens an uninterrupted run gives. {@code maxTokens} counts them.
     *
     * @param resumeFrom the first tokens an earlier run of this request generated; empty for a new request
     * @param inspector  where the stages send its attention weights ({@link AttentionReport}); null if not inspected
     */
    public record Submit(String requestId, int[] promptIds, int[] resumeFrom, int maxTokens, SamplingParams sampling,
                         ActorRef<SequenceEvent> replyTo, ActorRef<AttentionReport> inspector)
            implements Command, PipelineMessage {
        public Submit {
            resumeFrom = resumeFrom == null ? new int[0] : resumeFrom;
        }

        /** A request not inspected. */
        public Submit(String requestId, int[] promptIds, int[] resumeFrom, int maxTokens, SamplingParams sampling,
                      ActorRef<SequenceEvent> replyTo) {
            this(requestId, promptIds, resumeFrom, maxTokens, sampling, replyTo, null);
        }

        /** A new request. */
        public Submit(String requestId, int[] promptIds, int maxTokens, SamplingParams sampling,
                      ActorRef<SequenceEvent> replyTo) {
            this(requestId, promptIds, new int[0], maxTokens, sampling, replyTo, null);
        }

        /** This request resuming after {@code generated}, the tokens its earlier run generated. */
        public Submit resumingAfter(int[] generated) {
            return new Submit(requestId, promptIds, generated, maxTokens, sampling, replyTo, inspector);
        }

        /** This request, marked for inspection: its attention weights go to {@code to}. */
        public Submit inspectedBy(ActorRef<AttentionReport> to) {
            return new Submit(requestId, promptIds, resumeFrom, maxTokens, sampling, replyTo, to);
        }
    }

    /**
     * Stop generating for a request (a stop string was seen, its deadline passed, its client left).
     * It ends with {@code Finished(CANCELLED)} after any tokens already on their way; unknown or
     * finished ids are ignored.
     */
    public record Cancel(String requestId) implements Command, PipelineMessage {
    }

    /** Ask whether the pipeline is ready, and what is missing when it is not. */
    public record GetStatus(ActorRef<Status> replyTo) implements Command, PipelineMessage {
    }

    /**
     * @param ready   every layer is hosted by a stage
     * @param detail  the stages in order when ready, else which layers are missing
     * @param active  sequences being generated
     * @param waiting sequences waiting for a slot, KV blocks or the pipeline
     */
    public record Status(boolean ready, String detail, int active, int waiting) implements PipelineMessage {
    }

    /** From the last stage: the tokens sampled for a step's sequences. */
    public record StepCompleted(long stepId, int lane, int[] slots, int[] tokens) implements Command, PipelineMessage {
    }

    /** From any stage: a step failed there. */
    public record StepFailed(long stepId, int lane, String stage, String message) implements Command, PipelineMessage {
    }

    private record StageDescribed(StageInfo info) implements Command {
    }

    private record OfferReceived(PlacementAgent.Offer offer) implements Command {
    }

    /** A cluster member changed status: one leaving takes its stages with it. */
    private record MemberChanged(ClusterEvent.MemberEvent event) implements Command {
    }

    /** A node assigned layers, or offering a budget, left. */
    private record AgentGone(ActorRef<PlacementAgent.Command> agent) implements Command {
    }

    private enum AdmissionTick implements Command {
        INSTANCE
    }

    /** Of several schedulers of one model found in the cluster, the one that serves. */
    public static ActorRef<Command> serving(akka.actor.typed.ActorSystem<?> system, Set<ActorRef<Command>> found) {
        return SchedulerPrecedence.serving(system, found).orElseThrow();
    }

    /** The key under which the scheduler of model {@code modelId} registers with the receptionist. */
    public static ServiceKey<Command> serviceKey(String modelId) {
        return ServiceKey.create(Command.class, "laminar-scheduler-" + modelId);
    }

    private final ActorContext<Command> context;
    private final SchedulerSettings settings;
    /**
     * Where stages answer {@code Describe}. A plain adapter, not an ask: a stage that does not answer
     * is asked again at the next listing, and an ask's reply to a stage that joined while a request
     * waited arrived only once that request had left (seen with a Kafka gateway in this process).
     */
    private final ActorRef<StageInfo> describedAdapter;
    private final Stages stages;
    private final LeavingMembers members;
    private final Admission admission;
    private final LaminarMetrics metrics;
    private final Placement placement;
    /** Unique across pipelines: a late reply from a route given up never passes for a step of the next. */
    private long nextStepId;

    private PipelineScheduler(ActorContext<Command> context, TimerScheduler<Command> timers,
                              SchedulerSettings settings) {
        this.context = context;
        this.settings = settings;
        this.stages = new Stages(settings.modelId());
        this.metrics = LaminarMetrics.get(context.getSystem());
        this.admission = new Admission(metrics);
        this.describedAdapter = context.messageAdapter(StageInfo.class, StageDescribed::new);
        // Where nodes offering a memory budget answer GetOffer (an adapter, as for stages).
        ActorRef<PlacementAgent.Offer> offerAdapter = context.messageAdapter(PlacementAgent.Offer.class,
                OfferReceived::new);
        this.placement = new Placement(settings.footprint(), settings.placementSettle(), offerAdapter,
                agent -> context.watchWith(agent, new AgentGone(agent)), context.getLog());
        timers.startTimerWithFixedDelay(AdmissionTick.INSTANCE, Duration.ofMillis(500));
        this.members = LeavingMembers.follow(context, MemberChanged::new);
        Listings.follow(context, settings.modelId(), members);
    }

    public static Behavior<Command> create(SchedulerSettings settings) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(
                timers -> new PipelineScheduler(ctx, timers, settings).notReady()));
    }

    /**
     * Some layer has no stage. Requests wait, and fail after the admission timeout naming the
     * missing layers; offered budgets are used to place them. Serves once a chain of stages covers
     * every layer.
     */
    private Behavior<Command> notReady() {
        return withOffers(waiting()
                .onMessage(StagesListed.class, m -> stagesListed(m).isEmpty() ? Behaviors.same()
                        : serveIfCovered(Behaviors.same()))
                .onMessage(StageDescribed.class, m -> {
                    stageDescribed(m);
                    return serveIfCovered(Behaviors.same());
                })
                .onMessage(SchedulersListed.class, m -> servingElsewhere(m)
                        .map(this::standBy).orElseGet(Behaviors::same))
                .onMessage(GetStatus.class, m -> reply(m, new Status(false, missingLayers(), 0, admission.waiting())))
                .onMessageEquals(AdmissionTick.INSTANCE, () -> {
                    placement.placeIfDue(stages, System.nanoTime());
                    admission.expire(System.nanoTime(), settings.admissionTimeout(), this::missingLayers);
                    return Behaviors.same();
                }));
    }

    /** Every layer is hosted: requests are admitted and stepped through {@code pipeline}. */
    private Behavior<Command> servingOn(Pipeline pipeline) {
        metrics.pipelineReady(true);
        return withOffers(Behaviors.receive(Command.class)
                .onMessage(Submit.class, m -> {
                    if (admission.validate(m) && !admission.refuseIfImpossible(m)) {
                        admission.enqueue(m, System.nanoTime());
                        pipeline.admit();
                    }
                    return Behaviors.same();
                })
                .onMessage(Cancel.class, m -> {
                    if (!admission.cancelWaiting(m.requestId())) {
                        pipeline.cancel(m.requestId());
                    }
                    return Behaviors.same();
                })
                .onMessage(StepCompleted.class, m -> {
                    pipeline.completed(m);
                    return Behaviors.same();
                })
                .onMessage(StepFailed.class, m -> {
                    pipeline.failed(m);
                    return Behaviors.same();
                })
                .onMessage(StagesListed.class, m -> {
                    List<String> left = stagesListed(m);
                    if (left.isEmpty()) {
                        return Behaviors.same();
                    }
                    if (stages.chain().map(pipeline::runsOn).orElse(false)) {
                        pipeline.admit();
                        return Behaviors.same();
                    }
                    pipeline.failAll(FailureKind.STAGE_LOST, "stage " + String.join(", ", left) + " left the pipeline "
                            + pipeline.description() + " (stopped or unreachable) while the request was running;"
                            + " resubmit it once the pipeline is ready again");
                    return serveIfCovered(notReady());
                })
                .onMessage(StageDescribed.class, m -> {
                    stageDescribed(m);
                    return Behaviors.same();
                })
                .onMessage(SchedulersListed.class, m -> servingElsewhere(m).map(other -> {
                    pipeline.failAll(FailureKind.PIPELINE_NOT_READY, standbyDetail(other));
                    return standBy(other);
                }).orElseGet(Behaviors::same))
                .onMessage(GetStatus.class, m -> reply(m, new Status(true, pipeline.description(), pipeline.active(),
                        admission.waiting())))
                .onMessageEquals(AdmissionTick.INSTANCE, Behaviors::same));
    }

    /**
     * Another scheduler of this model, on an older member, serves (see {@link SchedulerPrecedence}):
     * this one says so, its requests wait and then fail, and it takes over when that one leaves.
     */
    private Behavior<Command> standingBy(ActorRef<Command> serving) {
        String detail = standbyDetail(serving);
        return withOffers(waiting()
                .onMessage(StagesListed.class, m -> {
                    stagesListed(m);
                    return Behaviors.same();
                })
                .onMessage(StageDescribed.class, m -> {
                    stageDescribed(m);
                    return Behaviors.same();
                })
                .onMessage(SchedulersListed.class, m -> {
                    Optional<ActorRef<Command>> elsewhere = servingElsewhere(m);
                    if (elsewhere.isEmpty()) {
                        context.getLog().info("no older scheduler of model '{}' remains: this one serves",
                                settings.modelId());
                        return serveIfCovered(notReady());
                    }
                    return elsewhere.get().equals(serving) ? Behaviors.same() : standBy(elsewhere.get());
                })
                .onMessage(GetStatus.class, m -> reply(m, new Status(false, detail, 0, admission.waiting())))
                .onMessageEquals(AdmissionTick.INSTANCE, () -> {
                    admission.expire(System.nanoTime(), settings.admissionTimeout(), () -> detail);
                    return Behaviors.same();
                }));
    }

    /** Serves on the chain of stages that covers every layer, if there is one; else behaves as {@code otherwise}. */
    private Behavior<Command> serveIfCovered(Behavior<Command> otherwise) {
        Optional<Pipeline> pipeline = stages.chain().flatMap(chain -> Pipeline.over(chain, settings, admission,
                context.getSelf(), () -> nextStepId++, context.getLog()));
        if (pipeline.isEmpty()) {
            return otherwise;
        }
        pipeline.get().admit();
        return servingOn(pipeline.get());
    }

    private Behavior<Command> standBy(ActorRef<Command> serving) {
        context.getLog().warn("model '{}' already has a scheduler, at {}: this one stands by",
                settings.modelId(), serving.path());
        return standingBy(serving);
    }

    /**
     * What the two states without a pipeline share: requests queue (and a cancel takes one out of
     * the queue); replies of a pipeline given up are dropped.
     */
    private BehaviorBuilder<Command> waiting() {
        metrics.pipelineReady(false);
        return Behaviors.receive(Command.class)
                .onMessage(Submit.class, this::enqueue)
                .onMessage(Cancel.class, this::cancelWaiting)
                .onMessage(StepCompleted.class, m -> Behaviors.same())
                .onMessage(StepFailed.class, m -> Behaviors.same());
    }

    /**
     * Adds what every state does alike: follow placement offers, which are used only while not
     * ready but kept current so that placement can act at once.
     */
    private Behavior<Command> withOffers(BehaviorBuilder<Command> builder) {
        return builder
                .onMessage(AgentsListed.class, m -> {
                    placement.agentsListed(m.agents(), System.nanoTime());
                    return Behaviors.same();
                })
                .onMessage(OfferReceived.class, m -> {
                    placement.offered(m.offer(), System.nanoTime());
                    return Behaviors.same();
                })
                .onMessage(AgentGone.class, m -> {
                    placement.agentGone(m.agent());
                    return Behaviors.same();
                })
                .onMessage(MemberChanged.class, m -> {
                    if (members.changed(m.event())) { // handled as a listing without the member's stages
                        context.getSelf().tell(new StagesListed(members.present()));
                    }
                    return Behaviors.same();
                })
                .build();
    }

    /** Follows the listed stages, asking new ones to describe themselves; returns the names of those that left. */
    private List<String> stagesListed(StagesListed m) {
        List<String> left = stages.retain(m.stages());
        for (ActorRef<StageActor.Command> ref : stages.undescribed(m.stages())) {
            ref.tell(new StageActor.Describe(describedAdapter));
        }
        return left;
    }

    private void stageDescribed(StageDescribed m) {
        stages.described(m.info());
        placement.stageJoined(stages);
    }

    /** The scheduler that serves this model instead of this one, if another does. */
    private Optional<ActorRef<Command>> servingElsewhere(SchedulersListed m) {
        return SchedulerPrecedence.serving(context.getSystem(), m.schedulers())
                .filter(serving -> !serving.equals(context.getSelf()));
    }

    private Behavior<Command> enqueue(Submit m) {
        if (admission.validate(m)) {
            admission.enqueue(m, System.nanoTime());
        }
        return Behaviors.same();
    }

    private Behavior<Command> cancelWaiting(Cancel m) {
        admission.cancelWaiting(m.requestId());
        return Behaviors.same();
    }

    private Behavior<Command> reply(GetStatus m, Status status) {
        m.replyTo().tell(status);
        return Behaviors.same();
    }

    /** Which layers no stage hosts, and why placement did not assign them, for people. */
    private String missingLayers() {
        return placement.error().map(e -> e + "; ").orElse("") + stages.unhostedLayers();
    }

    private String standbyDetail(ActorRef<Command> serving) {
        return "this scheduler stands by: model '" + settings.modelId() + "' is served by the scheduler at "
                + serving.path().address() + " (one scheduler per model; this one serves if that one leaves)";
    }
}
