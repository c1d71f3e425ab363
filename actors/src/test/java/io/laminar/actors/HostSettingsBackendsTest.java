package io.laminar.actors;

import io.laminar.model.exec.LayerRange;
import io.laminar.model.exec.StageBackend;
import io.laminar.model.testing.TestModels;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kernel backend of each stage a process hosts, and what happens when one is not available. */
class HostSettingsBackendsTest {
    private static final Path MODEL = Path.of("model.gguf");
    private static final List<LayerRange> TWO = List.of(new LayerRange(0, 2), new LayerRange(2, 5));

    @Test
    void cpuUnlessToldOtherwise() {
        HostSettings s = HostSettings.local(MODEL, TWO, 1);
        assertEquals(List.of(StageBackend.CPU), s.backends());
        assertEquals("cpu", s.backendFor(1));
        assertEquals("cpu", s.backendFor(-1));
    }

    @Test
    void oneForAllOrOnePerStageAndKeptByTheWithers() {
        HostSettings all = HostSettings.local(MODEL, TWO, 1).withBackends(List.of("tornadovm")).withBatch(8, 2, 64);
        assertEquals("tornadovm", all.backendFor(0));
        assertEquals("tornadovm", all.backendFor(1));
        HostSettings each = HostSettings.local(MODEL, TWO, 1).withBackends(List.of("cpu", "tornadovm"))
                .withScheduling(1, java.time.Duration.ofSeconds(1)).withNetwork("127.0.0.1", 0, List.of());
        assertEquals("cpu", each.backendFor(0));
        assertEquals("tornadovm", each.backendFor(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HostSettings.local(MODEL, TWO, 1).withBackends(List.of("cpu", "cpu", "tornadovm")));
        assertTrue(e.getMessage().contains("for 2 stages"), e.getMessage());
    }

    @Test
    void anUnavailableBackendFailsThePipelineStartWithItsReason() {
        Path model = TestModels.storiesSized();
        HostSettings s = HostSettings.local(model, TWO, 1).withBatch(8, 2, 64).withBackends(List.of("cpu", "tornadovm"));
        StageBackend.UnavailableException e = assertThrows(StageBackend.UnavailableException.class,
                () -> PipelineHost.start(s).close());
        assertTrue(e.getMessage().contains("TORNADOVM_HOME"), e.getMessage());
    }
}
