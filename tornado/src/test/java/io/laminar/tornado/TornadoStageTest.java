package io.laminar.tornado;

import io.laminar.kernels.GgmlType;
import io.laminar.kernels.VectorOps;
import io.laminar.model.arch.ModelConfig;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.exec.LocalPipeline;
import io.laminar.model.exec.TokenBatch;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.synth.ModelShape;
import io.laminar.model.synth.SyntheticModelWriter;
import io.laminar.model.testing.TestData;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Whole stages on TornadoVM against the CPU backend: the real stories260K model reproduces
 * llama.cpp's greedy tokens on the device alone and in pipelines that mix CPU and TornadoVM stages,
 * and synthetic models of every supported weight type and architecture give the CPU's logits.
 */
class TornadoStageTest {
    /** llama.cpp's greedy continuation of "Once upon a time" (../shared/testdata/README.md). */
    static final int[] PROMPT = {1, 403, 407, 261, 378};
    static final int[] EXPECTED = {432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337,
            410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394};

    @TempDir
    Path tmp;

    @BeforeEach
    void device() {
        TornadoDevice.assume();
    }

    @ParameterizedTest(name = "stages {0}, device argmax {1}")
    @CsvSource({"tornadovm,true", "tornadovm,false", "cpu;tornadovm,true", "tornadovm;cpu,true",
            "tornadovm;cpu;tornadovm;cpu;tornadovm,true"})
    void storiesGreedyTokensMatchLlamaCpp(String stages, boolean deviceArgmax) throws IOException {
        List<String> backends = List.of(stages.split(";"));
        try (GgufFile f = GgufFile.open(TestData.stories260K())) {
            ModelConfig c = ModelConfig.fromGguf(f);
            try (LocalPipeline p = new LocalPipeline(f, c, LayerRange.split(c.layers(), backends.size()), backends, 1, 8,
                    1, 64)) {
                assertEquals(backends, p.backends());
                assertArrayEquals(EXPECTED, greedy(p, PROMPT, EXPECTED.length, deviceArgmax));
            }
        }
    }

    /** Greedy decoding: the prompt in chunks of the batch size, then one token per step. */
    static int[] greedy(LocalPipeline p, int[] prompt, int steps, boolean deviceArgmax) {
        int vocab = p.config().vocabSize();
        float[] logits = new float[vocab * p.maxBatch()];
        int[] ids = new int[p.maxBatch()];
        TokenBatch batch = new TokenBatch(p.maxBatch());
        int[] out = new int[steps];
        p.reserve(0, prompt.length + steps);
        int pos = 0;
        int next = -1;
        for (int i = 0; i < prompt.length; i += p.maxBatch()) {
            batch.clear();
            for (int j = i; j < Math.min(prompt.length, i + p.maxBatch()); j++) {
                batch.add(prompt[j], 0, pos++, j == prompt.length - 1);
            }
            next = step(p, batch, logits, ids, deviceArgmax);
        }
        for (int s = 0; s < steps; s++) {
            out[s] = next;
            batch.clear();
            batch.add(next, 0, pos++, true);
            next = step(p, batch, logits, ids, deviceArgmax);
        }
        return out;
    }

    private static int step(LocalPipeline p, TokenBatch batch, float[] logits, int[] ids, boolean deviceArgmax) {
        if (deviceArgmax) {
            int rows = p.stepGreedy(batch, ids);
            return rows > 0 ? ids[0] : -1;
        }
        int rows = p.step(batch, logits);
        return rows > 0 ? VectorOps.argmax(logits, 0, p.config().vocabSize()) : -1;
    }

    /**
     * Two sequences, a prompt chunk and interleaved decode steps, on a one-stage CPU pipeline and a
     * one-stage TornadoVM pipeline: the logits agree within a tolerance that depends on the weight
     * type, because the CPU rounds activations to the weights' dot format (F16: half; Q8_0: 8-bit
     * blocks) and the device multiplies float activations. With F32 weights the two differ only in the
     * order of float sums, fused multiply-adds and the odd half-precision rounding of a key that this
     * flips: 1e-3 of the largest logit.
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"tiny,F32,1e-3", "tiny,F16,2e-2", "tiny,Q8_0,5e-2", "tiny-llama3,Q8_0,5e-2", "qwen2-tiny,F32,1e-3",
            "qwen3-tiny,F16,2e-2"})
    void syntheticModelLogitsMatchTheCpu(String preset, GgmlType type, double tolerance) throws IOException {
        Path model = new SyntheticModelWriter(ModelShape.preset(preset)).weightType(type).seed(11)
                .write(tmp.resolve(preset + "-" + type + ".gguf"));
        try (GgufFile f = GgufFile.open(model)) {
            ModelConfig c = ModelConfig.fromGguf(f);
            LayerRange[] one = LayerRange.split(c.layers(), 1);
            try (LocalPipeline cpu = new LocalPipeline(f, c, one, List.of("cpu"), 1, 8, 2, 64);
                 LocalPipeline dev = new LocalPipeline(f, c, one, List.of("tornadovm"), 1, 8, 2, 64)) {
                int vocab = c.vocabSize();
                float[] expected = new float[2 * vocab];
                float[] actual = new float[2 * vocab];
                TokenBatch batch = new TokenBatch(8);
                for (LocalPipeline p : List.of(cpu, dev)) {
                    p.reserve(0, 12);
                    p.reserve(1, 12);
                }
                // A prompt of 6 for slot 0 and 2 for slot 1, then three steps decoding both.
                int[][] steps = {{5, 9, 17, 33, 65, 129}, {200, 300}};
                batch.clear();
                for (int i = 0; i < 6; i++) {
                    batch.add(steps[0][i], 0, i, i == 5);
                }
                batch.add(steps[1][0], 1, 0, false);
                batch.add(steps[1][1], 1, 1, true);
                compare(cpu, dev, batch, expected, actual, tolerance, "prompt");
                for (int s = 0; s < 3; s++) {
                    batch.clear();
                    batch.add(7 + s, 1, 2 + s, true);
                    batch.add(11 + s, 0, 6 + s, true);
                    compare(cpu, dev, batch, expected, actual, tolerance, "decode step " + s);
                }
            }
        }
    }

    private static void compare(LocalPipeline cpu, LocalPipeline dev, TokenBatch batch, float[] expected,
                                float[] actual, double tolerance, String what) {
        int rows = cpu.step(batch, expected);
        assertEquals(rows, dev.step(batch, actual));
        int n = rows * cpu.config().vocabSize();
        float scale = 0;
        for (int i = 0; i < n; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
        }
        for (int i = 0; i < n; i++) {
            assertEquals(expected[i], actual[i], tolerance * scale, what + ": logit " + i + " of "
                    + Arrays.toString(Arrays.copyOf(expected, 4)));
        }
    }

    @ParameterizedTest(name = "context {0}")
    @ValueSource(ints = {64, 5000})
    void longContextsUseFlashAttentionAndAgree(int context) throws IOException {
        Path model = new SyntheticModelWriter(ModelShape.preset("tiny")).weightType(GgmlType.F32).seed(5)
                .write(tmp.resolve("tiny-flash.gguf"));
        try (GgufFile f = GgufFile.open(model)) {
            ModelConfig c = ModelConfig.fromGguf(f);
            ModelConfig longer = new ModelConfig(c.architecture(), c.dim(), c.layers(), c.heads(), c.kvHeads(),
                    c.headDim(), c.valueDim(), c.hiddenDim(), c.vocabSize(), Math.max(context, c.contextLength()),
                    c.rmsEps(), c.rope(), c.tiedEmbeddings());
            LayerRange[] one = LayerRange.split(c.layers(), 1);
            try (LocalPipeline cpu = new LocalPipeline(f, longer, one, List.of("cpu"), 1, 8, 1, context);
                 LocalPipeline dev = new LocalPipeline(f, longer, one, List.of("tornadovm"), 1, 8, 1, context)) {
                float[] expected = new float[c.vocabSize()];
                float[] actual = new float[c.vocabSize()];
                TokenBatch batch = new TokenBatch(8);
                cpu.reserve(0, 40);
                dev.reserve(0, 40);
                for (int chunk = 0; chunk < 5; chunk++) {
                    batch.clear();
                    for (int i = 0; i < 8; i++) {
                        batch.add(3 + 7 * (chunk * 8 + i) % 1000, 0, chunk * 8 + i, i == 7);
                    }
                    // Flash attention does not round attention weights to half: a looser tolerance.
                    compare(cpu, dev, batch, expected, actual, context > 4096 ? 5e-3 : 1e-3, "chunk " + chunk);
                }
            }
        }
    }
}
