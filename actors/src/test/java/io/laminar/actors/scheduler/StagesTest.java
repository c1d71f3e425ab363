package io.laminar.actors.scheduler;

import akka.actor.typed.ActorRef;
import io.laminar.actors.stage.StageActor;
import io.laminar.actors.stage.StageInfo;
import io.laminar.model.exec.LayerRange;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The joined stages of a five-layer model: their chain, and which layers they leave out. */
class StagesTest extends ActorTestKitPerClass {
    @Test
    void theChainTakesTheFirstStageByNameForEachRange() {
        Stages stages = new Stages("m");
        assertEquals("no stage of model 'm' has joined yet", stages.unhostedLayers());
        StageInfo b = stage("b", 0, 3);
        StageInfo a = stage("a", 0, 3);
        StageInfo last = stage("c", 3, 5);
        stages.described(b);
        assertTrue(stages.chain().isEmpty());
        assertEquals("layers 3-4 (of 0-4) are not hosted by any stage", stages.unhostedLayers());
        stages.described(a);
        stages.described(last);
        assertEquals(List.of(a, last), stages.chain().orElseThrow());
        assertTrue(stages.host(new LayerRange(2, 5)));
    }

    @Test
    void stagesNoLongerListedLeaveAndNewOnesAreToBeDescribed() {
        Stages stages = new Stages("m");
        StageInfo first = stage("first", 0, 2);
        StageInfo second = stage("second", 2, 5);
        stages.described(first);
        stages.described(second);
        ActorRef<StageActor.Command> joining = kit.<StageActor.Command>createTestProbe().getRef();
        Set<ActorRef<StageActor.Command>> listed = Set.of(first.stage(), joining);
        assertEquals(List.of("second"), stages.retain(listed));
        assertEquals(List.of(joining), stages.undescribed(listed));
        assertFalse(stages.host(new LayerRange(1, 3)));
        assertEquals("layers 2-4 (of 0-4) are not hosted by any stage", stages.unhostedLayers());

        stages.retain(Set.of());
        stages.described(stage("middle", 1, 2));
        assertEquals("layers 0, 2-4 (of 0-4) are not hosted by any stage", stages.unhostedLayers());
    }

    private static StageInfo stage(String name, int start, int end) {
        return new StageInfo(kit.<StageActor.Command>createTestProbe().getRef(), name, "m", start, end, 5, 8, 16, 4,
                64, 16);
    }
}
