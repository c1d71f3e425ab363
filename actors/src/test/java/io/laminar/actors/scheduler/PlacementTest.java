package io.laminar.actors.scheduler;

import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import io.laminar.actors.placement.PlacementAgent;
import io.laminar.actors.placement.PlacementPlan.ModelFootprint;
import io.laminar.actors.stage.StageActor;
import io.laminar.actors.stage.StageInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Placement's decisions, with probes for the agents and a made-up model of five 100-byte layers. */
class PlacementTest extends ActorTestKitPerClass {
    static final Duration SETTLE = Duration.ofSeconds(2);
    static final Duration QUIET = Duration.ofMillis(100);
    TestProbe<PlacementAgent.Offer> offerReplies;
    List<ActorRef<PlacementAgent.Command>> watched;
    Stages stages;
    Placement placement;


    @BeforeEach
    void fresh() {
        offerReplies = kit.createTestProbe();
        watched = new ArrayList<>();
        stages = new Stages("m");
        placement = new Placement(new ModelFootprint(new long[] {100, 100, 100, 100, 100}, 0, 0), SETTLE,
                offerReplies.getRef(), watched::add, LoggerFactory.getLogger(PlacementTest.class));
    }

    @Test
    void onceOffersSettleTheLayersAreSplitInProportionToBudgets() {
        TestProbe<PlacementAgent.Command> a = kit.createTestProbe();
        TestProbe<PlacementAgent.Command> b = kit.createTestProbe();
        placement.agentsListed(Set.of(a.getRef(), b.getRef()), 0);
        a.expectMessage(new PlacementAgent.GetOffer(offerReplies.getRef()));
        b.expectMessage(new PlacementAgent.GetOffer(offerReplies.getRef()));
        placement.offered(new PlacementAgent.Offer(a.getRef(), "a", 400), 0);
        placement.offered(new PlacementAgent.Offer(b.getRef(), "b", 200), 0);

        placement.placeIfDue(stages, SETTLE.toNanos() - 1);
        assertTrue(watched.isEmpty(), "offers have not settled");
        placement.placeIfDue(stages, SETTLE.toNanos());
        a.expectMessage(new PlacementAgent.Assign(0, 3));
        b.expectMessage(new PlacementAgent.Assign(3, 5));
        assertEquals(List.of(a.getRef(), b.getRef()), watched);

        placement.placeIfDue(stages, 2 * SETTLE.toNanos());
        a.expectNoMessage(QUIET);
        b.expectNoMessage(QUIET);
    }

    @Test
    void onlyLayersNoStageHostsArePlaced() {
        stages.described(stage(0, 3));
        TestProbe<PlacementAgent.Command> a = offering("a", 1000, 0);
        placement.placeIfDue(stages, SETTLE.toNanos());
        a.expectMessage(new PlacementAgent.Assign(3, 5));
    }

    @Test
    void assignedLayersCountAsPlacedUntilTheirNodeLeaves() {
        TestProbe<PlacementAgent.Command> a = offering("a", 1000, 0);
        placement.placeIfDue(stages, SETTLE.toNanos());
        a.expectMessage(new PlacementAgent.Assign(0, 5));
        placement.offered(new PlacementAgent.Offer(a.getRef(), "a", 1000), SETTLE.toNanos());

        TestProbe<PlacementAgent.Command> b = offering("b", 1000, SETTLE.toNanos());
        placement.placeIfDue(stages, 3 * SETTLE.toNanos());
        b.expectNoMessage(QUIET);

        placement.agentGone(a.getRef());
        placement.placeIfDue(stages, 4 * SETTLE.toNanos());
        b.expectMessage(new PlacementAgent.Assign(0, 5));
        a.expectNoMessage(QUIET);
    }

    @Test
    void layersOfAStageThatJoinedAndLeftArePlacedAgain() {
        TestProbe<PlacementAgent.Command> a = offering("a", 1000, 0);
        placement.placeIfDue(stages, SETTLE.toNanos());
        a.expectMessage(new PlacementAgent.Assign(0, 5));
        StageInfo joined = stage(0, 5);
        stages.described(joined);
        placement.stageJoined(stages);
        stages.retain(Set.of());

        TestProbe<PlacementAgent.Command> b = offering("b", 1000, SETTLE.toNanos());
        placement.placeIfDue(stages, 2 * SETTLE.toNanos());
        b.expectMessage(new PlacementAgent.Assign(0, 5));
    }

    @Test
    void missingLayersInTwoRangesAreNotPlaced() {
        stages.described(stage(1, 3));
        TestProbe<PlacementAgent.Command> a = offering("a", 1000, 0);
        placement.placeIfDue(stages, SETTLE.toNanos());
        String error = placement.error().orElseThrow();
        assertEquals("placement needs the missing layers to form one contiguous range;"
                + " layers 0, 3-4 (of 0-4) are not hosted by any stage", error);
        placement.placeIfDue(stages, 2 * SETTLE.toNanos());
        assertEquals(error, placement.error().orElseThrow(), "the same error, once");
        a.expectNoMessage(QUIET);
    }

    @Test
    void budgetsTooSmallForTheWeightsAreAnErrorUntilANodeOffersEnough() {
        TestProbe<PlacementAgent.Command> a = offering("a", 300, 0);
        placement.placeIfDue(stages, SETTLE.toNanos());
        assertTrue(placement.error().orElseThrow().startsWith("placement failed: layers 0-4 need"),
                placement.error().orElseThrow());
        a.expectNoMessage(QUIET);

        TestProbe<PlacementAgent.Command> b = offering("b", 300, SETTLE.toNanos());
        placement.placeIfDue(stages, 2 * SETTLE.toNanos());
        a.expectMessage(new PlacementAgent.Assign(0, 2));
        b.expectMessage(new PlacementAgent.Assign(2, 5));
        assertTrue(placement.error().isEmpty());
    }

    /** An agent that has offered {@code budget} bytes at {@code nanos}. */
    private TestProbe<PlacementAgent.Command> offering(String name, long budget, long nanos) {
        TestProbe<PlacementAgent.Command> agent = kit.createTestProbe();
        placement.offered(new PlacementAgent.Offer(agent.getRef(), name, budget), nanos);
        return agent;
    }

    private static StageInfo stage(int start, int end) {
        TestProbe<StageActor.Command> stage = kit.createTestProbe();
        return new StageInfo(stage.getRef(), "node[" + start + "-" + (end - 1) + "]", "m", start, end, 5, 8, 16, 4,
                64, 16);
    }
}
