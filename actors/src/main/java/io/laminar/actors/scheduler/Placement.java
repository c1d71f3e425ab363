package io.laminar.actors.scheduler;

import akka.actor.typed.ActorRef;
import io.laminar.actors.placement.PlacementAgent;
import io.laminar.actors.placement.PlacementPlan;
import io.laminar.actors.placement.PlacementPlan.ModelFootprint;
import io.laminar.model.exec.LayerRange;
import org.slf4j.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Decides which node hosts which layers when nodes offer memory budgets instead of declaring ranges:
 * asks each {@link PlacementAgent} for its offer, and once the offers have settled, splits the layers
 * no stage hosts over the offering nodes in proportion to their budgets ({@link PlacementPlan}) and
 * assigns each its range. The stages they start then join like any other. An assigned range counts as
 * placed until its stage joins or its node leaves, so that it is not assigned twice; layers lost later
 * (a node left) are placed again on the nodes offering then, such as a replacement.
 *
 * <p>A plain helper that the scheduler owns and calls from its own thread rather than a child actor:
 * placement reads the scheduler's view of the stages, acts only while the scheduler is not ready, and
 * its error is part of the scheduler's status. As a child, each of those would be a message more
 * between two actors that must agree; as a helper, offers and assignments are the only messages.
 */
final class Placement {
    private final ModelFootprint footprint;
    private final Duration settle;
    /** Where agents answer {@code GetOffer}: an adapter of the scheduler, as for stages. */
    private final ActorRef<PlacementAgent.Offer> offerReplies;
    /** Watches an assigned agent's node, so that {@link #agentGone} follows when it leaves. */
    private final Consumer<ActorRef<PlacementAgent.Command>> watch;
    private final Logger log;
    /** Nodes offering a budget and not assigned layers yet. */
    private final Map<ActorRef<PlacementAgent.Command>, PlacementAgent.Offer> offers = new HashMap<>();
    private long offersChangedNanos;
    /** Layers assigned to a node whose stage has not joined yet. */
    private final Map<ActorRef<PlacementAgent.Command>, LayerRange> pendingAssignments = new HashMap<>();
    private Optional<String> error = Optional.empty();

    Placement(ModelFootprint footprint, Duration settle, ActorRef<PlacementAgent.Offer> offerReplies,
              Consumer<ActorRef<PlacementAgent.Command>> watch, Logger log) {
        this.footprint = footprint;
        this.settle = settle;
        this.offerReplies = offerReplies;
        this.watch = watch;
        this.log = log;
    }

    /**
     * The agents listed now: nodes with a budget and no assignment yet (an agent deregisters once
     * assigned, or leaves with its node). Offers of those no longer listed are dropped; new ones are
     * asked for theirs.
     */
    void agentsListed(Set<ActorRef<PlacementAgent.Command>> listed, long nowNanos) {
        if (offers.keySet().removeIf(ref -> !listed.contains(ref))) {
            offersChangedNanos = nowNanos;
        }
        for (ActorRef<PlacementAgent.Command> ref : listed) {
            if (!offers.containsKey(ref)) {
                ref.tell(new PlacementAgent.GetOffer(offerReplies));
            }
        }
    }

    void offered(PlacementAgent.Offer offer, long nowNanos) {
        if (!pendingAssignments.containsKey(offer.agent())) {
            offers.put(offer.agent(), offer);
            offersChangedNanos = nowNanos;
        }
    }

    /** A node that offered a budget, or was assigned layers, left. */
    void agentGone(ActorRef<PlacementAgent.Command> agent) {
        offers.remove(agent);
        LayerRange lost = pendingAssignments.remove(agent);
        if (lost != null) {
            log.warn("placement: the node assigned layers {} left before hosting them", lost);
        }
    }

    /** A stage joined: assignments it hosts are no longer pending. */
    void stageJoined(Stages stages) {
        pendingAssignments.values().removeIf(stages::host);
    }

    /**
     * Once offers have been unchanged for the settle time and layers are neither hosted nor assigned,
     * assigns them over the offering nodes. The missing layers must form one range.
     */
    void placeIfDue(Stages stages, long nowNanos) {
        if (offers.isEmpty() || nowNanos - offersChangedNanos < settle.toNanos()) {
            return;
        }
        pendingAssignments.values().removeIf(stages::host);
        List<LayerRange> unplaced = unplacedLayers(stages);
        if (unplaced.isEmpty()) {
            return;
        }
        if (unplaced.size() > 1) {
            error = Optional.of("placement needs the missing layers to form one contiguous range; "
                    + stages.unhostedLayers());
            return;
        }
        LayerRange missing = unplaced.getFirst();
        List<PlacementAgent.Offer> ordered = offers.values().stream()
                .sorted(Comparator.comparing(PlacementAgent.Offer::name)).toList();
        long[] budgets = ordered.stream().mapToLong(PlacementAgent.Offer::budgetBytes).toArray();
        try {
            List<LayerRange> plan = PlacementPlan.split(footprint, missing, budgets);
            for (int i = 0; i < ordered.size(); i++) {
                if (plan.get(i) != null) {
                    ActorRef<PlacementAgent.Command> agent = ordered.get(i).agent();
                    agent.tell(new PlacementAgent.Assign(plan.get(i).start(), plan.get(i).end()));
                    log.info("placement: {} hosts layers {}", ordered.get(i).name(), plan.get(i));
                    offers.remove(agent);
                    pendingAssignments.put(agent, plan.get(i));
                    watch.accept(agent);
                }
            }
            error = Optional.empty();
        } catch (IllegalArgumentException e) {
            error = Optional.of("placement failed: " + e.getMessage());
            log.warn(error.get());
        }
    }

    /** Why the last placement assigned nothing, if it did not. */
    Optional<String> error() {
        return error;
    }

    /** The layers no stage hosts and no pending assignment will, as maximal ranges in order. */
    private List<LayerRange> unplacedLayers(Stages stages) {
        List<LayerRange> placed = new ArrayList<>(stages.hosted());
        placed.addAll(pendingAssignments.values());
        return LayerRange.uncovered(footprint.layerBytes().length, placed);
    }
}
