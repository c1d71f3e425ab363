package io.laminar.actors.placement;

import io.laminar.actors.placement.PlacementPlan.ModelFootprint;
import io.laminar.model.exec.LayerRange;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlacementPlanTest {
    static ModelFootprint uniform(int layers, long perLayer, long embedding, long head) {
        long[] b = new long[layers];
        Arrays.fill(b, perLayer);
        return new ModelFootprint(b, embedding, head);
    }

    @Test
    void equalBudgetsSplitEvenly() {
        List<LayerRange> r = PlacementPlan.split(uniform(12, 100, 0, 0), new LayerRange(0, 12),
                new long[] {1000, 1000, 1000});
        assertEquals(List.of(new LayerRange(0, 4), new LayerRange(4, 8), new LayerRange(8, 12)), r);
    }

    @Test
    void budgetsSplitProportionally() {
        List<LayerRange> r = PlacementPlan.split(uniform(12, 100, 0, 0), new LayerRange(0, 12),
                new long[] {3000, 1000});
        assertEquals(List.of(new LayerRange(0, 9), new LayerRange(9, 12)), r);
    }

    @Test
    void everyNodeGetsALayerWhileLayersLast() {
        List<LayerRange> r = PlacementPlan.split(uniform(3, 100, 0, 0), new LayerRange(0, 3),
                new long[] {10_000, 150, 150});
        assertEquals(List.of(new LayerRange(0, 1), new LayerRange(1, 2), new LayerRange(2, 3)), r);
        List<LayerRange> more = PlacementPlan.split(uniform(2, 100, 0, 0), new LayerRange(0, 2),
                new long[] {1000, 1000, 1000});
        assertEquals(2, more.stream().filter(x -> x != null).count());
        assertNull(more.get(2));
    }

    @Test
    void aShortfallIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PlacementPlan.split(
                uniform(4, 1 << 20, 1 << 20, 1 << 20), new LayerRange(0, 4), new long[] {1 << 20, 1 << 20}));
        assertTrue(e.getMessage().contains("6.0 MiB") && e.getMessage().contains("2.0 MiB"), e.getMessage());
    }

    @Test
    void embeddingAndHeadCountForTheEndStages() {
        ModelFootprint m = uniform(4, 100, 200, 200);
        assertEquals(500, m.bytesOf(new LayerRange(0, 3)));
        assertEquals(300, m.bytesOf(new LayerRange(3, 4)));
        assertEquals(800, m.total());
    }
}
