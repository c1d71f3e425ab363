package io.laminar.actors.scheduler;

import akka.actor.typed.ActorRef;
import io.laminar.actors.scheduler.PipelineScheduler.Command;
import io.laminar.actors.scheduler.PipelineScheduler.StepCompleted;
import io.laminar.actors.scheduler.PipelineScheduler.StepFailed;
import io.laminar.actors.scheduler.SequenceEvent.FailureKind;
import io.laminar.actors.stage.StageActor;
import io.laminar.actors.stage.StageInfo;
import io.laminar.actors.stage.SequenceOpening;
import io.laminar.actors.stage.StepHeader;
import io.laminar.model.exec.TokenBatch;
import io.laminar.model.generate.GenerationEnd;
import io.laminar.model.generate.PromptLookup;
import io.laminar.model.generate.SequenceProgress;
import io.laminar.model.generate.StepPlanner;
import org.slf4j.Logger;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.function.IntPredicate;
import java.util.function.LongSupplier;

/**
 * The chain of stages a serving scheduler drives, from layer 0 to the last, and the steps in flight
 * on it: admitted sequences are spread over lanes, and each lane's next step is planned and sent the
 * moment its last one returns. It lives as long as its route: when a stage of it leaves, or the
 * scheduler stands by for another, its running sequences fail and it is given up; a new one is
 * formed over the stages then present.
 */
final class Pipeline {
    private final List<ActorRef<StageActor.Command>> route;
    private final String description;
    private final Lane[] lanes;
    private final TokenBatch builder;
    private final Admission admission;
    private final IntPredicate endOfGeneration;
    private final ActorRef<Command> scheduler;
    private final LongSupplier stepIds;
    /** Drafts for speculative decoding, or null; see {@link StageActor}'s last stage for the check. */
    private final StepPlanner.Drafter drafter;
    private final int[] draft;

    private Pipeline(List<StageInfo> chain, int laneCount, int maxBatch, Admission admission,
                     IntPredicate endOfGeneration, ActorRef<Command> scheduler, LongSupplier stepIds,
                     int draftTokens) {
        this.route = routeOf(chain);
        this.description = String.join(" -> ", chain.stream().map(StageInfo::name).toList());
        this.lanes = new Lane[laneCount];
        for (int i = 0; i < laneCount; i++) {
            lanes[i] = new Lane();
        }
        this.builder = new TokenBatch(maxBatch);
        this.admission = admission;
        this.endOfGeneration = endOfGeneration;
        this.scheduler = scheduler;
        this.stepIds = stepIds;
        PromptLookup lookup = draftTokens > 0 ? new PromptLookup(draftTokens) : null;
        this.drafter = lookup == null ? null : (s, limit, out) -> {
            Sequence sequence = admission.running(s.slot());
            if (sequence.request.inspector() != null) {
                return 0; // its attention is captured per position: a rejected draft's would mislead
            }
            int n = sequence.draft(lookup, limit, out);
            admission.metrics().drafted(n);
            return n;
        };
        this.draft = new int[maxBatch];
    }

    /**
     * A pipeline over {@code chain}, sized by its smallest stage, with {@code admission} opened to
     * its capacity; empty when the stages disagree on the KV block size.
     *
     * @param stepIds ids for the steps, unique across pipelines so that a late reply from a route
     *                given up never passes for a step of the next
     */
    static Optional<Pipeline> over(List<StageInfo> chain, SchedulerSettings settings, Admission admission,
                                   ActorRef<Command> scheduler, LongSupplier stepIds, Logger log) {
        int slots = Integer.MAX_VALUE;
        int maxBatch = Integer.MAX_VALUE;
        int kvBlocks = Integer.MAX_VALUE;
        int context = Integer.MAX_VALUE;
        int blockSize = chain.getFirst().blockSize();
        for (StageInfo s : chain) {
            if (s.blockSize() != blockSize) {
                log.error("stages disagree on the KV block size ({} vs {}); not using them", s.blockSize(), blockSize);
                return Optional.empty();
            }
            slots = Math.min(slots, s.maxSequences());
            maxBatch = Math.min(maxBatch, s.maxBatch());
            kvBlocks = Math.min(kvBlocks, s.kvBlocks());
            context = Math.min(context, s.maxContext());
        }
        int laneCount = settings.lanes() > 0 ? settings.lanes() : chain.size();
        Pipeline p = new Pipeline(chain, laneCount, maxBatch, admission, settings.endOfGeneration(), scheduler,
                stepIds, settings.draftTokens());
        // Stages that served an earlier route (this one before a stage left, or another scheduler's)
        // may still hold KV blocks for the slots of sequences that never finished: start them empty.
        int[] allSlots = new int[slots];
        for (int i = 0; i < slots; i++) {
            allSlots[i] = i;
        }
        p.route.getFirst().tell(new StageActor.ReleaseSlots(allSlots, p.route, 0));
        log.info("pipeline ready: {} ({} lanes, {} slots, {} KV blocks of {})",
                p.description, laneCount, slots, kvBlocks, blockSize);
        // Requests that waited for the pipeline may now be impossible.
        admission.open(slots, kvBlocks, blockSize, context);
        return Optional.of(p);
    }

    /** Whether this pipeline runs on exactly the stages of {@code chain}, in its order. */
    boolean runsOn(List<StageInfo> chain) {
        return route.equals(routeOf(chain));
    }

    /** The stages in order, for people. */
    String description() {
        return description;
    }

    /** Sequences being generated. */
    int active() {
        int active = 0;
        for (Lane lane : lanes) {
            active += lane.sequences.size();
        }
        return active;
    }

    /**
     * Moves the waiting sequences that fit into the lane with the fewest sequences, and starts a step
     * on every lane that has none in flight.
     */
    void admit() {
        for (Sequence s = admission.admitNext(); s != null; s = admission.admitNext()) {
            Lane lane = lanes[0];
            for (Lane l : lanes) {
                if (l.sequences.size() < lane.sequences.size()) {
                    lane = l;
                }
            }
            lane.sequences.add(s);
        }
        for (int i = 0; i < lanes.length; i++) {
            if (lanes[i].inFlight < 0) {
                launch(i);
            }
        }
    }

    /** Stops a running sequence; it ends with {@code Finished(CANCELLED)} when its lane next launches. */
    void cancel(String requestId) {
        for (int i = 0; i < lanes.length; i++) {
            for (Sequence s : lanes[i].sequences) {
                if (s.id().equals(requestId)) {
                    s.progress.stop(GenerationEnd.CANCELLED);
                    if (lanes[i].inFlight < 0) {
                        launch(i);
                    }
                    return;
                }
            }
        }
    }

    /** Hands the sampled tokens to their sequences, then launches the lane's next step and admits. */
    void completed(StepCompleted m) {
        if (!isCurrent(m.lane(), m.stepId())) {
            return;
        }
        lanes[m.lane()].inFlight = -1;
        long now = System.nanoTime();
        for (int i = 0; i < m.slots().length; i++) {
            Sequence s = admission.running(m.slots()[i]);
            if (s == null) {
                continue;
            }
            if (s.firstTokenNanos == 0) {
                s.firstTokenNanos = now;
            }
            if (i > 0 && m.slots()[i - 1] == m.slots()[i]) {
                // A second token of the sequence in one step: the draft it was computed after stood.
                s.progress.draftTaken();
                admission.metrics().draftAccepted();
            }
            int index = s.progress.generatedCount();
            if (s.progress.accept(m.tokens()[i], endOfGeneration)) {
                s.request.replyTo().tell(new SequenceEvent.Token(s.id(), index, m.tokens()[i]));
            }
        }
        launch(m.lane());
        admit();
    }

    /** Fails the sequences of the failed step only; the lane and the others go on. */
    void failed(StepFailed m) {
        if (!isCurrent(m.lane(), m.stepId())) {
            return;
        }
        Lane lane = lanes[m.lane()];
        lane.inFlight = -1;
        for (int slot : lane.inFlightSlots) {
            Sequence s = admission.running(slot);
            if (s != null) {
                failRunning(s, FailureKind.STAGE_FAILED, "stage " + m.stage() + " failed: " + m.message());
            }
        }
        launch(m.lane());
        admit();
    }

    /** Fails every running sequence: the pipeline is given up. */
    void failAll(FailureKind kind, String message) {
        for (Lane lane : lanes) {
            for (Sequence s : lane.sequences) {
                s.request.replyTo().tell(new SequenceEvent.Failed(s.id(), kind, message));
                admission.forget(s);
            }
            lane.sequences.clear();
        }
        admission.close();
    }

    private boolean isCurrent(int lane, long stepId) {
        return lane < lanes.length && lanes[lane].inFlight == stepId;
    }

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
        // Which sequence each logits row belongs to matters only where sampling happens: the last stage.
        StepPlanner.plan(progress, builder, new SequenceProgress[builder.capacity()], drafter, draft);
        if (builder.size() == 0) {
            return;
        }
        SequenceOpening[] openings = null;
        long now = System.nanoTime();
        boolean[] inStep = new boolean[admission.slots()];
        int k = 0;
        for (int i = 0; i < builder.size(); i++) {
            Sequence s = admission.running(builder.slot(i));
            if (!s.samplingSent) {
                if (openings == null) {
                    openings = new SequenceOpening[builder.size()];
                }
                openings[i] = new SequenceOpening(s.request.sampling(), s.request.resumeFrom().length,
                        s.request.inspector());
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
        long stepId = stepIds.getAsLong();
        lane.inFlight = stepId;
        lane.inFlightSlots = slots;
        route.getFirst().tell(new StageActor.RunStep(StepHeader.of(stepId, laneIndex, builder, openings),
                new float[0], route, 0, scheduler));
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
                released[n++] = admission.release(s);
                if (!s.failed) {
                    s.request.replyTo().tell(new SequenceEvent.Finished(s.id(), s.progress.finish(),
                            s.request.promptIds().length, s.progress.generatedCount(),
                            s.firstTokenNanos == 0 ? 0 : s.firstTokenNanos - s.firstStepNanos,
                            s.firstTokenNanos == 0 ? 0 : now - s.firstTokenNanos));
                }
            }
        }
        if (n > 0) {
            route.getFirst().tell(new StageActor.ReleaseSlots(Arrays.copyOf(released, n), route, 0));
        }
    }

    /** Fails a running sequence; it leaves its lane at the lane's next launch. */
    private static void failRunning(Sequence s, FailureKind kind, String message) {
        s.failed = true;
        s.progress.stop(GenerationEnd.CANCELLED);
        s.request.replyTo().tell(new SequenceEvent.Failed(s.id(), kind, message));
    }

    private static List<ActorRef<StageActor.Command>> routeOf(List<StageInfo> chain) {
        return chain.stream().map(StageInfo::stage).toList();
    }
}
