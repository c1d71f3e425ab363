package io.laminar.actors;

import io.laminar.model.arch.ModelConfig;
import io.laminar.model.exec.KvCache;
import io.laminar.model.exec.StageBackend;
import io.laminar.model.exec.StageExecutor;
import io.laminar.model.exec.TokenBatch;
import io.laminar.model.weights.StageWeights;

/**
 * Test backend {@value #NAME}: the CPU stage without attention capture, as a device backend that
 * cannot capture (TornadoVM for now) behaves. Registered for the actors' tests through
 * {@code META-INF/services}.
 */
public final class NoCaptureBackend implements StageBackend {
    public static final String NAME = "nocapture";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public StageExecutor open(Spec spec) {
        StageExecutor cpu = StageBackend.named(CPU).open(spec);
        return new StageExecutor() { // every method but inspect, whose default refuses a sink
            public String backend() { return NAME; }
            public ModelConfig config() { return cpu.config(); }
            public StageWeights weights() { return cpu.weights(); }
            public KvCache kvCache() { return cpu.kvCache(); }
            public int maxBatch() { return cpu.maxBatch(); }
            public void embed(TokenBatch batch, float[] x) { cpu.embed(batch, x); }
            public void forward(TokenBatch batch, float[] x) { cpu.forward(batch, x); }
            public int logits(TokenBatch batch, float[] x, float[] logits) { return cpu.logits(batch, x, logits); }
            public int greedy(TokenBatch batch, float[] x, int[] tokens) { return cpu.greedy(batch, x, tokens); }
        };
    }

    @Override
    public int kvBytesPerValue(io.laminar.model.exec.KvPrecision precision) {
        return StageBackend.named(CPU).kvBytesPerValue(precision);
    }
}
