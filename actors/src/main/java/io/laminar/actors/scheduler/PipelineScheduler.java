package io.laminar.actors.scheduler;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.actor.typed.receptionist.Receptionist;
import akka.actor.typed.receptionist.ServiceKey;
import io.laminar.actors.PipelineMessage;
import io.laminar.actors.placement.PlacementAgent;
import io.laminar.actors.placement.PlacementPlan;
import io.laminar.actors.scheduler.SequenceEvent.ErrorCode;
import io.laminar.actors.stage.StageActor;
import io.laminar.actors.stage.StageInfo;
import io.laminar.actors.stage.StepHeader;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.exec.TokenBatch;
import io.laminar.model.generate.FinishReason;
import io.laminar.model.generate.SequenceProgress;
import io.laminar.model.generate.StepPlanner;
import io.laminar.model.sampling.SamplingParams;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
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
 */
public final class PipelineScheduler extends AbstractBehavior<PipelineScheduler.Command> {

    /** Messages the scheduler receives. */
    public interface Command {
    }

    /** Generate for a prompt; events go to {@code replyTo}. */
    public record Submit(String requestId, int[] promptIds, int maxTokens, SamplingParams sampling,
                         ActorRef<SequenceEvent> replyTo) implements Command, PipelineMessage {
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

    /** A receptionist listing: of stages, of nodes offering memory for placement, or of this model's schedulers. */
    private record StagesListed(Receptionist.Listing listing) implements Command {
    }

    private record StageDescribed(StageInfo info) implements Command {
    }

    private record OfferReceived(PlacementAgent.Offer offer) implements Command {
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

    /** A request and its progress. */
    private static final class Sequence {
        final Submit request;
        final long arrivedNanos;
        SequenceProgress progress;
        int lane = -1;
        int blocks;
        boolean samplingSent;
        /** A Failed event was sent: no Finished follows. */
        boolean failed;
        long firstStepNanos;
        long firstTokenNanos;

        Sequence(Submit request, long arrivedNanos) {
            this.request = request;
            this.arrivedNanos = arrivedNanos;
        }
    }

    /** A micro-batch: the sequences that travel together, with at most one step in flight. */
    private static final class Lane {
        final List<Sequence> sequences = new ArrayList<>();
        long inFlight = -1;
        int[] inFlightSlots = new int[0];
    }

    private final SchedulerSettings settings;
    private final ActorRef<Receptionist.Listing> listingAdapter;
    /**
     * Where stages answer {@code Describe}. A plain adapter, not an ask: a stage that does not answer
     * is asked again at the next listing, and an ask's reply to a stage that joined while a request
     * waited arrived only once that request had left (seen with a Kafka gateway in this process).
     */
    private final ActorRef<StageInfo> describedAdapter;
    /** Where nodes offering a memory budget answer {@code GetOffer} (an adapter, as for stages). */
    private final ActorRef<PlacementAgent.Offer> offerAdapter;
    private final Map<ActorRef<StageActor.Command>, StageInfo> stages = new HashMap<>();
    private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
    private final Set<String> knownIds = new HashSet<>();
    // Placement: nodes offering memory budgets, and whether their layers were assigned.
    private final Map<ActorRef<PlacementAgent.Command>, PlacementAgent.Offer> offers = new HashMap<>();
    private long offersChangedNanos;
    /**
     * Layers assigned to a node whose stage has not joined yet: placement counts them as hosted
     * until the stage joins or the node leaves (watched), so that they are not assigned twice.
     */
    private final Map<ActorRef<PlacementAgent.Command>, LayerRange> pendingAssignments = new HashMap<>();
    private String placementError;
    /** The scheduler that serves this model while this one stands by, or null. */
    private ActorRef<Command> servingElsewhere;

    // The pipeline, once every layer is covered.
    private List<ActorRef<StageActor.Command>> route;
    private String routeDescription = "";
    private Lane[] lanes = new Lane[0];
    private Sequence[] bySlot = new Sequence[0];
    private int freeBlocks;
    private int totalBlocks;
    private int blockSize = 1;
    private int context;
    private TokenBatch builder;
    private SequenceProgress[] owners;
    private long nextStepId;

    private PipelineScheduler(ActorContext<Command> context, TimerScheduler<Command> timers,
                              SchedulerSettings settings) {
        super(context);
        this.settings = settings;
        this.listingAdapter = context.messageAdapter(Receptionist.Listing.class, StagesListed::new);
        this.describedAdapter = context.messageAdapter(StageInfo.class, StageDescribed::new);
        this.offerAdapter = context.messageAdapter(PlacementAgent.Offer.class, OfferReceived::new);
        context.getSystem().receptionist().tell(
                Receptionist.subscribe(StageActor.serviceKey(settings.modelId()), listingAdapter));
        // One adapter per message class: both subscriptions arrive as StagesListed, told apart by key.
        context.getSystem().receptionist().tell(
                Receptionist.subscribe(PlacementAgent.serviceKey(settings.modelId()), listingAdapter));
        context.getSystem().receptionist().tell(Receptionist.register(serviceKey(settings.modelId()), context.getSelf()));
        context.getSystem().receptionist().tell(Receptionist.subscribe(serviceKey(settings.modelId()), listingAdapter));
        timers.startTimerWithFixedDelay(AdmissionTick.INSTANCE, Duration.ofMillis(500));
    }

    public static Behavior<Command> create(SchedulerSettings settings) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new PipelineScheduler(ctx, timers, settings)));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Submit.class, this::onSubmit)
                .onMessage(Cancel.class, this::onCancel)
                .onMessage(GetStatus.class, this::onGetStatus)
                .onMessage(StepCompleted.class, this::onStepCompleted)
                .onMessage(StepFailed.class, this::onStepFailed)
                .onMessage(StagesListed.class, this::onStagesListed)
                .onMessage(StageDescribed.class, this::onStageDescribed)
                .onMessage(OfferReceived.class, this::onOfferReceived)
                .onMessage(AgentGone.class, this::onAgentGone)
                .onMessageEquals(AdmissionTick.INSTANCE, this::onAdmissionTick)
                .build();
    }

    // ---- membership -------------------------------------------------------------------------

    private Behavior<Command> onStagesListed(StagesListed m) {
        if (m.listing().isForKey(PlacementAgent.serviceKey(settings.modelId()))) {
            return onAgentsListed(m.listing());
        }
        if (m.listing().isForKey(serviceKey(settings.modelId()))) {
            return onSchedulersListed(m.listing());
        }
        Set<ActorRef<StageActor.Command>> current = m.listing().getServiceInstances(
                StageActor.serviceKey(settings.modelId()));
        // Instances on unreachable nodes are not listed: a crashed node's stage leaves here too.
        List<String> left = new ArrayList<>();
        for (Iterator<Map.Entry<ActorRef<StageActor.Command>, StageInfo>> it = stages.entrySet().iterator();
             it.hasNext(); ) {
            Map.Entry<ActorRef<StageActor.Command>, StageInfo> e = it.next();
            if (!current.contains(e.getKey())) {
                left.add(e.getValue().name());
                it.remove();
            }
        }
        for (ActorRef<StageActor.Command> ref : current) {
            if (!stages.containsKey(ref)) {
                ref.tell(new StageActor.Describe(describedAdapter));
            }
        }
        if (!left.isEmpty()) {
            rebuildRoute(String.join(", ", left));
        }
        return this;
    }

    /**
     * Another scheduler of this model on an older member serves (see {@link SchedulerPrecedence}):
     * this one stands by, and takes over when that one leaves.
     */
    private Behavior<Command> onSchedulersListed(Receptionist.Listing listing) {
        ActorRef<Command> serving = SchedulerPrecedence.serving(getContext().getSystem(),
                listing.getServiceInstances(serviceKey(settings.modelId()))).orElse(null);
        ActorRef<Command> elsewhere = serving == null || serving.equals(getContext().getSelf()) ? null : serving;
        if (java.util.Objects.equals(elsewhere, servingElsewhere)) {
            return this;
        }
        servingElsewhere = elsewhere;
        if (elsewhere != null) {
            getContext().getLog().warn("model '{}' already has a scheduler, at {}: this one stands by",
                    settings.modelId(), elsewhere.path());
            if (route != null) {
                failAllRunning(ErrorCode.PIPELINE_NOT_READY, standbyDetail());
                route = null;
            }
        } else {
            getContext().getLog().info("no older scheduler of model '{}' remains: this one serves", settings.modelId());
            rebuildRoute("");
        }
        return this;
    }

    private String standbyDetail() {
        return "this scheduler stands by: model '" + settings.modelId() + "' is served by the scheduler at "
                + servingElsewhere.path().address() + " (one scheduler per model; this one serves if that one leaves)";
    }

    private Behavior<Command> onStageDescribed(StageDescribed m) {
        stages.put(m.info().stage(), m.info());
        pendingAssignments.values().removeIf(this::hosted);
        if (route == null) {
            rebuildRoute("");
        }
        return this;
    }

    /**
     * Chains stages from layer 0 to the last; when the chain breaks, running sequences are lost.
     *
     * @param left the stages that just left, for the error message
     */
    private void rebuildRoute(String left) {
        List<StageInfo> chain = servingElsewhere != null ? null : chain();
        List<ActorRef<StageActor.Command>> newRoute = chain == null ? null
                : chain.stream().map(StageInfo::stage).toList();
        if (route != null && !route.equals(newRoute)) {
            failAllRunning(ErrorCode.STAGE_LOST, "stage " + left + " left the pipeline " + routeDescription
                    + " (stopped or unreachable) while the request was running; resubmit it once the pipeline"
                    + " is ready again");
            route = null;
        }
        if (route == null && chain != null) {
            adopt(chain);
        }
        admit();
    }

    /** The stages covering every layer in order (the first found for each range), or null. */
    private List<StageInfo> chain() {
        if (stages.isEmpty()) {
            return null;
        }
        int total = stages.values().iterator().next().totalLayers();
        List<StageInfo> chain = new ArrayList<>();
        int next = 0;
        while (next < total) {
            StageInfo found = null;
            for (StageInfo s : stages.values()) {
                if (s.start() == next && (found == null || s.name().compareTo(found.name()) < 0)) {
                    found = s;
                }
            }
            if (found == null) {
                return null;
            }
            chain.add(found);
            next = found.end();
        }
        return chain;
    }

    /** Which layers no stage hosts, for error messages (or that another scheduler serves). */
    private String missingLayers() {
        if (servingElsewhere != null) {
            return standbyDetail();
        }
        return (placementError != null ? placementError + "; " : "") + unhostedLayers();
    }

    /** Which layers no stage hosts. */
    private String unhostedLayers() {
        if (stages.isEmpty()) {
            return "no stage of model '" + settings.modelId() + "' has joined yet";
        }
        int total = stages.values().iterator().next().totalLayers();
        StringBuilder sb = new StringBuilder();
        for (LayerRange gap : LayerRange.uncovered(total, hostedRanges())) {
            sb.append(sb.isEmpty() ? "" : ", ").append(gap.size() == 1 ? "" + gap.start() : gap.toString());
        }
        return sb.isEmpty() ? "stages do not chain from layer 0 to " + (total - 1)
                : "layers " + sb + " (of 0-" + (total - 1) + ") are not hosted by any stage";
    }

    private void adopt(List<StageInfo> chain) {
        route = chain.stream().map(StageInfo::stage).toList();
        routeDescription = String.join(" -> ", chain.stream().map(StageInfo::name).toList());
        int slots = Integer.MAX_VALUE;
        int maxBatch = Integer.MAX_VALUE;
        totalBlocks = Integer.MAX_VALUE;
        context = Integer.MAX_VALUE;
        blockSize = chain.getFirst().blockSize();
        for (StageInfo s : chain) {
            if (s.blockSize() != blockSize) {
                getContext().getLog().error("stages disagree on the KV block size ({} vs {}); not using them",
                        s.blockSize(), blockSize);
                route = null;
                return;
            }
            slots = Math.min(slots, s.maxSequences());
            maxBatch = Math.min(maxBatch, s.maxBatch());
            totalBlocks = Math.min(totalBlocks, s.kvBlocks());
            context = Math.min(context, s.maxContext());
        }
        freeBlocks = totalBlocks;
        bySlot = new Sequence[slots];
        int laneCount = settings.lanes() > 0 ? settings.lanes() : chain.size();
        lanes = new Lane[laneCount];
        for (int i = 0; i < laneCount; i++) {
            lanes[i] = new Lane();
        }
        builder = new TokenBatch(maxBatch);
        owners = new SequenceProgress[slots];
        // Stages that served an earlier route (this one before a stage left, or another scheduler's)
        // may still hold KV blocks for the slots of sequences that never finished: start them empty.
        int[] allSlots = new int[slots];
        for (int i = 0; i < slots; i++) {
            allSlots[i] = i;
        }
        route.getFirst().tell(new StageActor.ReleaseSlots(allSlots, route, 0));
        getContext().getLog().info("pipeline ready: {} ({} lanes, {} slots, {} KV blocks of {})",
                routeDescription, laneCount, slots, totalBlocks, blockSize);
        // Requests that waited for the pipeline may now be impossible.
        for (Iterator<Sequence> it = waiting.iterator(); it.hasNext(); ) {
            Sequence s = it.next();
            if (refuseIfImpossible(s.request)) {
                it.remove();
                knownIds.remove(s.request.requestId());
            }
        }
    }

    private Behavior<Command> onGetStatus(GetStatus m) {
        int active = 0;
        for (Lane lane : lanes) {
            active += lane.sequences.size();
        }
        m.replyTo().tell(route != null
                ? new Status(true, routeDescription, active, waiting.size())
                : new Status(false, missingLayers(), active, waiting.size()));
        return this;
    }

    // ---- placement by memory budget -------------------------------------------------------

    /** Nodes with a budget and no assignment yet (an agent deregisters once assigned, or leaves with its node). */
    private Behavior<Command> onAgentsListed(Receptionist.Listing listing) {
        Set<ActorRef<PlacementAgent.Command>> current = listing.getServiceInstances(
                PlacementAgent.serviceKey(settings.modelId()));
        if (offers.keySet().removeIf(ref -> !current.contains(ref))) {
            offersChangedNanos = System.nanoTime();
        }
        for (ActorRef<PlacementAgent.Command> ref : current) {
            if (!offers.containsKey(ref)) {
                ref.tell(new PlacementAgent.GetOffer(offerAdapter));
            }
        }
        return this;
    }

    private Behavior<Command> onOfferReceived(OfferReceived m) {
        if (!pendingAssignments.containsKey(m.offer().agent())) {
            offers.put(m.offer().agent(), m.offer());
            offersChangedNanos = System.nanoTime();
        }
        return this;
    }

    private Behavior<Command> onAgentGone(AgentGone m) {
        offers.remove(m.agent());
        LayerRange lost = pendingAssignments.remove(m.agent());
        if (lost != null) {
            getContext().getLog().warn("placement: the node assigned layers {} left before hosting them", lost);
        }
        return this;
    }

    /**
     * Once offers have settled and layers are missing, splits the missing layers over the offering
     * nodes in proportion to their budgets and assigns each its range; the stages they start then
     * join like any other. Layers lost later (a node left) are placed again on the nodes offering
     * then, such as a replacement.
     */
    private void placeIfDue() {
        if (route != null || servingElsewhere != null || offers.isEmpty()
                || System.nanoTime() - offersChangedNanos < settings.placementSettle().toNanos()) {
            return;
        }
        pendingAssignments.values().removeIf(this::hosted);
        List<LayerRange> unplaced = unplacedLayers();
        if (unplaced.isEmpty()) {
            return;
        }
        if (unplaced.size() > 1) {
            placementError = "placement needs the missing layers to form one contiguous range; " + unhostedLayers();
            return;
        }
        LayerRange missing = unplaced.getFirst();
        List<PlacementAgent.Offer> ordered = offers.values().stream()
                .sorted(java.util.Comparator.comparing(PlacementAgent.Offer::name)).toList();
        long[] budgets = ordered.stream().mapToLong(PlacementAgent.Offer::budgetBytes).toArray();
        try {
            List<LayerRange> plan = PlacementPlan.split(settings.footprint(), missing, budgets);
            for (int i = 0; i < ordered.size(); i++) {
                if (plan.get(i) != null) {
                    ActorRef<PlacementAgent.Command> agent = ordered.get(i).agent();
                    agent.tell(new PlacementAgent.Assign(plan.get(i).start(), plan.get(i).end()));
                    getContext().getLog().info("placement: {} hosts layers {}", ordered.get(i).name(), plan.get(i));
                    offers.remove(agent);
                    pendingAssignments.put(agent, plan.get(i));
                    getContext().watchWith(agent, new AgentGone(agent));
                }
            }
            placementError = null;
        } catch (IllegalArgumentException e) {
            placementError = "placement failed: " + e.getMessage();
            getContext().getLog().warn(placementError);
        }
    }

    /** Whether some stage hosts every layer of {@code r}. */
    private boolean hosted(LayerRange r) {
        return LayerRange.uncovered(r.end(), hostedRanges()).stream().noneMatch(gap -> gap.end() > r.start());
    }

    /** The layers no stage hosts and no pending assignment will, as maximal ranges in order. */
    private List<LayerRange> unplacedLayers() {
        List<LayerRange> placed = new ArrayList<>(hostedRanges());
        placed.addAll(pendingAssignments.values());
        return LayerRange.uncovered(settings.footprint().layerBytes().length, placed);
    }

    private List<LayerRange> hostedRanges() {
        return stages.values().stream().map(s -> new LayerRange(s.start(), s.end())).toList();
    }

    // ---- admission --------------------------------------------------------------------------

    private Behavior<Command> onSubmit(Submit m) {
        if (m.promptIds().length == 0) {
            fail(m, ErrorCode.INVALID_REQUEST, "the prompt is empty");
        } else if (m.maxTokens() < 0) {
            fail(m, ErrorCode.INVALID_REQUEST, "max_tokens=" + m.maxTokens() + " must be >= 0");
        } else if (knownIds.contains(m.requestId())) {
            fail(m, ErrorCode.INVALID_REQUEST, "request id '" + m.requestId() + "' is already in progress");
        } else if (route == null || !refuseIfImpossible(m)) {
            knownIds.add(m.requestId());
            waiting.add(new Sequence(m, System.nanoTime()));
            admit();
        }
        return this;
    }

    /** Refuses a request that can never run on the current pipeline; returns whether it did. */
    private boolean refuseIfImpossible(Submit m) {
        if (m.promptIds().length >= context) {
            fail(m, ErrorCode.PROMPT_TOO_LONG, "the prompt has " + m.promptIds().length
                    + " tokens but the context holds " + context + " (the prompt and at least one generated token)");
            return true;
        }
        int blocks = blocksFor(m);
        if (blocks > totalBlocks) {
            fail(m, ErrorCode.PROMPT_TOO_LONG, "the request needs " + blocks * blockSize
                    + " positions of KV cache but the smallest stage cache holds " + totalBlocks * blockSize);
            return true;
        }
        return false;
    }

    private int blocksFor(Submit m) {
        long length = Math.min((long) m.promptIds().length + m.maxTokens(), context);
        return (int) ((length + blockSize - 1) / blockSize);
    }

    private Behavior<Command> onAdmissionTick() {
        placeIfDue();
        if (route == null && !waiting.isEmpty()) {
            long now = System.nanoTime();
            for (Iterator<Sequence> it = waiting.iterator(); it.hasNext(); ) {
                Sequence s = it.next();
                if (now - s.arrivedNanos > settings.admissionTimeout().toNanos()) {
                    it.remove();
                    knownIds.remove(s.request.requestId());
                    fail(s.request, ErrorCode.PIPELINE_NOT_READY, "the pipeline was not ready within "
                            + settings.admissionTimeout().toSeconds() + " s: " + missingLayers());
                }
            }
        }
        return this;
    }

    /** Moves waiting sequences into free slots while their KV blocks fit, in arrival order. */
    private void admit() {
        if (route == null) {
            return;
        }
        while (!waiting.isEmpty()) {
            Sequence s = waiting.peek();
            int slot = freeSlot();
            int blocks = blocksFor(s.request);
            if (slot < 0 || blocks > freeBlocks) {
                break;
            }
            waiting.poll();
            s.blocks = blocks;
            freeBlocks -= blocks;
            s.progress = new SequenceProgress(s.request.promptIds(), s.request.maxTokens(), context);
            s.progress.assignSlot(slot);
            bySlot[slot] = s;
            Lane lane = lanes[0];
            for (Lane l : lanes) {
                if (l.sequences.size() < lane.sequences.size()) {
                    lane = l;
                }
            }
            s.lane = indexOf(lane);
            lane.sequences.add(s);
        }
        for (int i = 0; i < lanes.length; i++) {
            if (lanes[i].inFlight < 0) {
                launch(i);
            }
        }
    }

    private int freeSlot() {
        for (int i = 0; i < bySlot.length; i++) {
            if (bySlot[i] == null) {
                return i;
            }
        }
        return -1;
    }

    private int indexOf(Lane lane) {
        for (int i = 0; i < lanes.length; i++) {
            if (lanes[i] == lane) {
                return i;
            }
        }
        throw new IllegalStateException();
    }

    private Behavior<Command> onCancel(Cancel m) {
        for (Iterator<Sequence> it = waiting.iterator(); it.hasNext(); ) {
            Sequence s = it.next();
            if (s.request.requestId().equals(m.requestId())) {
                it.remove();
                knownIds.remove(s.request.requestId());
                s.request.replyTo().tell(new SequenceEvent.Finished(s.request.requestId(), FinishReason.CANCELLED,
                        s.request.promptIds().length, 0, 0, 0));
                return this;
            }
        }
        for (int i = 0; i < lanes.length; i++) {
            for (Sequence s : lanes[i].sequences) {
                if (s.request.requestId().equals(m.requestId())) {
                    s.progress.stop(FinishReason.CANCELLED);
                    if (lanes[i].inFlight < 0) {
                        launch(i);
                    }
                    return this;
                }
            }
        }
        return this;
    }

    // ---- steps ------------------------------------------------------------------------------

    /** Plans and sends the lane's next step, if it has work. */
    private void launch(int laneIndex) {
        Lane lane = lanes[laneIndex];
        finishDone(lane);
        if (lane.sequences.isEmpty()) {
            return;
        }
        List<SequenceProgress> progress = new ArrayList<>(lane.sequences.size());
        for (Sequence s : lane.sequences) {
            progress.add(s.progress);
        }
        StepPlanner.plan(progress, builder, owners);
        if (builder.size() == 0) {
            return;
        }
        SamplingParams[] sampling = null;
        long now = System.nanoTime();
        boolean[] inStep = new boolean[bySlot.length];
        int k = 0;
        for (int i = 0; i < builder.size(); i++) {
            Sequence s = bySlot[builder.slot(i)];
            if (!s.samplingSent) {
                if (sampling == null) {
                    sampling = new SamplingParams[builder.size()];
                }
                sampling[i] = s.request.sampling();
                s.samplingSent = true;
                s.firstStepNanos = now;
            }
            if (!inStep[builder.slot(i)]) {
                inStep[builder.slot(i)] = true;
                k++;
            }
        }
        int[] slots = new int[k];
        for (int slot = 0, j = 0; slot < inStep.length; slot++) {
            if (inStep[slot]) {
                slots[j++] = slot;
            }
        }
        long stepId = nextStepId++;
        lane.inFlight = stepId;
        lane.inFlightSlots = slots;
        route.getFirst().tell(new StageActor.RunStep(StepHeader.of(stepId, laneIndex, builder, sampling),
                new float[0], route, 0, getContext().getSelf()));
    }

    private Behavior<Command> onStepCompleted(StepCompleted m) {
        if (!isCurrent(m.lane(), m.stepId())) {
            return this;
        }
        Lane lane = lanes[m.lane()];
        lane.inFlight = -1;
        long now = System.nanoTime();
        for (int i = 0; i < m.slots().length; i++) {
            Sequence s = bySlot[m.slots()[i]];
            if (s == null) {
                continue;
            }
            if (s.firstTokenNanos == 0) {
                s.firstTokenNanos = now;
            }
            int index = s.progress.generatedCount();
            if (s.progress.accept(m.tokens()[i], settings.endOfGeneration())) {
                s.request.replyTo().tell(new SequenceEvent.Token(s.request.requestId(), index, m.tokens()[i]));
            }
        }
        launch(m.lane());
        admit();
        return this;
    }

    private Behavior<Command> onStepFailed(StepFailed m) {
        if (!isCurrent(m.lane(), m.stepId())) {
            return this;
        }
        Lane lane = lanes[m.lane()];
        lane.inFlight = -1;
        for (int slot : lane.inFlightSlots) {
            Sequence s = bySlot[slot];
            if (s != null) {
                failRunning(s, ErrorCode.STAGE_FAILED, "stage " + m.stage() + " failed: " + m.message());
            }
        }
        launch(m.lane());
        admit();
        return this;
    }

    private boolean isCurrent(int lane, long stepId) {
        return route != null && lane < lanes.length && lanes[lane].inFlight == stepId;
    }

    /** Reports and removes the lane's finished sequences, releasing their slots along the pipeline. */
    private void finishDone(Lane lane) {
        int[] released = new int[lane.sequences.size()];
        int n = 0;
        long now = System.nanoTime();
        for (Iterator<Sequence> it = lane.sequences.iterator(); it.hasNext(); ) {
            Sequence s = it.next();
            if (s.progress.finished()) {
                it.remove();
                released[n++] = release(s);
                if (!s.failed) {
                    s.request.replyTo().tell(new SequenceEvent.Finished(s.request.requestId(), s.progress.finish(),
                            s.request.promptIds().length, s.progress.generatedCount(),
                            s.firstTokenNanos == 0 ? 0 : s.firstTokenNanos - s.firstStepNanos,
                            s.firstTokenNanos == 0 ? 0 : now - s.firstTokenNanos));
                }
            }
        }
        if (n > 0) {
            route.getFirst().tell(new StageActor.ReleaseSlots(java.util.Arrays.copyOf(released, n), route, 0));
        }
    }

    private int release(Sequence s) {
        int slot = s.progress.slot();
        bySlot[slot] = null;
        freeBlocks += s.blocks;
        knownIds.remove(s.request.requestId());
        return slot;
    }

    /** Fails a running sequence; it leaves its lane at the lane's next launch. */
    private void failRunning(Sequence s, ErrorCode code, String message) {
        s.failed = true;
        s.progress.stop(FinishReason.CANCELLED);
        s.request.replyTo().tell(new SequenceEvent.Failed(s.request.requestId(), code, message));
    }

    private void failAllRunning(ErrorCode code, String message) {
        for (Lane lane : lanes) {
            for (Sequence s : lane.sequences) {
                s.request.replyTo().tell(new SequenceEvent.Failed(s.request.requestId(), code, message));
                knownIds.remove(s.request.requestId());
            }
        }
        lanes = new Lane[0];
        bySlot = new Sequence[0];
    }

    private void fail(Submit m, ErrorCode code, String message) {
        m.replyTo().tell(new SequenceEvent.Failed(m.requestId(), code, message));
    }
}
