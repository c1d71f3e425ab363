package io.laminar.model.exec;

import io.laminar.kernels.VectorOps;
import io.laminar.model.arch.ModelConfig;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.testing.TestModels;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Backend selection, the storage-less KV cache of device stages, and the CPU stage's greedy path. */
class StageBackendTest {
    @Test
    void cpuIsBuiltInAndNamesAreCaseInsensitive() {
        assertSame(StageBackend.CPU_BACKEND, StageBackend.named("cpu"));
        assertSame(StageBackend.CPU_BACKEND, StageBackend.named(" CPU "));
    }

    @Test
    void tornadovmWithoutItsModuleSaysWhatIsMissing() {
        // The default build has no tornado module on the class path.
        StageBackend.UnavailableException e = assertThrows(StageBackend.UnavailableException.class,
                () -> StageBackend.named("tornadovm"));
        assertTrue(e.getMessage().contains("TORNADOVM_HOME"), e.getMessage());
        assertTrue(e.getMessage().contains("docs/tornadovm.md"), e.getMessage());
        StageBackend.UnavailableException unknown = assertThrows(StageBackend.UnavailableException.class,
                () -> StageBackend.named("gpu"));
        assertTrue(unknown.getMessage().contains("backend=gpu is unknown"), unknown.getMessage());
    }

    @Test
    void oneBackendForAllStagesOrOnePerStage() {
        assertEquals(List.of("cpu", "cpu", "cpu"), StageBackend.perStage(List.of(), 3));
        assertEquals(List.of("tornadovm", "tornadovm"), StageBackend.perStage(List.of("TornadoVM"), 2));
        assertEquals(List.of("cpu", "tornadovm"), StageBackend.perStage(List.of("cpu", "tornadovm"), 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StageBackend.perStage(List.of("cpu", "tornadovm"), 3));
        assertTrue(e.getMessage().contains("for 3 stages"), e.getMessage());
    }

    @Test
    void aCacheWithoutStorageKeepsTheBlockTablesOnly() {
        KvCache kv = KvCache.withoutStorage(2, 64, 16, 10, 3, 64, KvPrecision.F16);
        assertFalse(kv.hasStorage());
        assertTrue(kv.reserve(1, 20));
        assertEquals(2, kv.blocksHeld(1));
        assertEquals(4, kv.maxBlocksPerSequence());
        int block = kv.block(1, 1);
        assertEquals((block * 16 + 3) * 64, kv.offset(1, 19));
        assertThrows(IllegalStateException.class, () -> kv.readKeys(0, 0, new float[64], 0, 64));
        kv.release(1);
        assertEquals(10, kv.freeBlocks());
    }

    @Test
    void cpuGreedyIsTheArgmaxOfItsLogits() throws IOException {
        try (GgufFile f = GgufFile.open(TestModels.storiesSized())) {
            ModelConfig c = ModelConfig.fromGguf(f);
            try (LocalPipeline a = new LocalPipeline(f, c, LayerRange.split(c.layers(), 1), 1, 4, 2, 32);
                 LocalPipeline b = new LocalPipeline(f, c, LayerRange.split(c.layers(), 1), 1, 4, 2, 32)) {
                assertEquals(List.of("cpu"), a.backends());
                TokenBatch batch = new TokenBatch(4);
                batch.add(1, 0, 0, false);
                batch.add(403, 0, 1, true);
                batch.add(1, 1, 0, true);
                a.reserve(0, 2);
                a.reserve(1, 1);
                b.reserve(0, 2);
                b.reserve(1, 1);
                float[] logits = new float[2 * c.vocabSize()];
                assertEquals(2, a.step(batch, logits));
                int[] ids = new int[4];
                assertEquals(2, b.stepGreedy(batch, ids));
                assertArrayEquals(new int[] {VectorOps.argmax(logits, 0, c.vocabSize()),
                        VectorOps.argmax(logits, c.vocabSize(), c.vocabSize())}, new int[] {ids[0], ids[1]});
            }
        }
    }
}
