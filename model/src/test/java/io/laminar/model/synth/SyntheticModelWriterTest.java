package io.laminar.model.synth;

import io.laminar.kernels.GgmlType;
import io.laminar.kernels.Quantization;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.gguf.GgufMetadata;
import io.laminar.model.gguf.GgufTensor;
import io.laminar.model.testing.LlamaCppReference;
import io.laminar.model.testing.TestData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyntheticModelWriterTest {
    static final List<ModelShape> TEST_SHAPES = List.of(ModelShape.TINY, ModelShape.TINY_LLAMA3, ModelShape.QWEN2_TINY,
            ModelShape.QWEN3_TINY);
    static final List<GgmlType> TYPES = List.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0,
            GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K);
    static final LlamaCppReference.Options CTX = LlamaCppReference.Options.DEFAULT.withContextLength(128);

    @TempDir
    Path tmp;

    static Stream<Arguments> shapesAndTypes() {
        return TEST_SHAPES.stream().flatMap(s -> TYPES.stream().map(t -> Arguments.of(s.name(), t)));
    }

    /** Whether {@link Quantization#quantizeRow} encodes {@code type} yet (the kernels bring them one by one). */
    static boolean encodes(GgmlType type) {
        try (Arena a = Arena.ofConfined()) {
            Quantization.quantizeRow(type, new float[256], 0, 256, a.allocate(type.bytesFor(256)), 0);
            return true;
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }

    static void assumeEncodes(GgmlType type) {
        Assumptions.assumeTrue(encodes(type), "Quantization.quantizeRow does not encode " + type + " yet, skipping");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("shapesAndTypes")
    void writesWhatGgufFileAndLlamaCppLoad(String preset, GgmlType type) throws IOException {
        assumeEncodes(type);
        ModelShape shape = ModelShape.preset(preset);
        SyntheticModelWriter writer = new SyntheticModelWriter(shape).weightType(type).seed(7);
        Path p = writer.write(tmp.resolve(preset + "-" + type + ".gguf"));

        String arch = shape.architecture().ggufName();
        try (GgufFile f = GgufFile.open(p)) {
            GgufMetadata m = f.metadata();
            assertEquals(arch, m.getString("general.architecture"));
            assertEquals(shape.dim(), m.getInt(arch + ".embedding_length"));
            assertEquals(shape.layers(), m.getInt(arch + ".block_count"));
            assertEquals(shape.hiddenDim(), m.getInt(arch + ".feed_forward_length"));
            assertEquals(shape.heads(), m.getInt(arch + ".attention.head_count"));
            assertEquals(shape.kvHeads(), m.getInt(arch + ".attention.head_count_kv"));
            assertEquals(shape.rmsEps(), m.getFloat(arch + ".attention.layer_norm_rms_epsilon"));
            assertEquals(shape.ropeTheta(), m.getFloat(arch + ".rope.freq_base"));
            assertEquals(shape.headDim(), m.getInt(arch + ".rope.dimension_count"));
            assertEquals(shape.vocabSize(), m.getStringArray("tokenizer.ggml.tokens").length);
            List<SyntheticModelWriter.TensorSpec> plan = writer.plan();
            assertEquals(plan.size(), f.tensors().size());
            for (SyntheticModelWriter.TensorSpec spec : plan) {
                GgufTensor t = f.tensor(spec.name());
                assertEquals(spec.type(), t.type(), spec.name());
                assertArrayEquals(spec.shape(), t.shape(), spec.name());
                if (spec.shape().length == 1) {
                    assertEquals(GgmlType.F32, t.type(), spec.name());
                } else {
                    assertEquals(type, t.type(), spec.name()); // every tiny matrix holds whole blocks
                }
            }
            assertEquals(shape.tiedEmbeddings(), f.findTensor("output.weight") == null);
            assertEquals(shape.ropeScaling() != null, f.findTensor("rope_freqs.weight") != null);
            assertEquals(shape.architecture() == ModelShape.Architecture.QWEN2, f.findTensor("blk.0.attn_q.bias") != null);
            assertEquals(shape.architecture() == ModelShape.Architecture.QWEN3, f.findTensor("blk.1.attn_k_norm.weight") != null);
        }

        if (shape.architecture() == ModelShape.Architecture.QWEN3) {
            return; // llama.cpp b4916 predates Qwen3: see qwen3IsUnknownToThisLlamaCpp
        }
        LlamaCppReference.assumeAvailable();
        try (LlamaCppReference ref = LlamaCppReference.open(p, CTX)) {
            SyntheticVocabulary v = writer.vocabulary();
            assertEquals(shape.vocabSize(), ref.vocabSize());
            int[] words = v.encode("a acd zz b");
            int[] prompt = ref.tokenize("a acd zz b");
            assertEquals(SyntheticVocabulary.BOS_ID, prompt[0]);
            assertArrayEquals(words, Arrays.copyOfRange(prompt, 1, prompt.length), "llama.cpp tokenizes words as words");

            LlamaCppReference.Generation g = ref.greedy(prompt, 48, 1);
            for (int t : g.tokens()) {
                assertTrue(v.isWord(t), "greedy picked non-word " + t + " in " + g);
            }
            String text = ref.detokenize(g.tokens());
            assertEquals(v.decode(g.tokens()), text);
            assertArrayEquals(g.tokens(), v.parse(text));
            long distinct = Arrays.stream(g.tokens()).distinct().count();
            assertTrue(distinct >= 8, "degenerate generation: " + g);
        }
    }

    @Test
    void qwen3IsUnknownToThisLlamaCpp() throws IOException {
        LlamaCppReference.assumeAvailable();
        Path p = SyntheticModelWriter.write(ModelShape.QWEN3_TINY, GgmlType.F32, 1, tmp.resolve("q3.gguf"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LlamaCppReference.open(p, CTX).close());
        assertTrue(e.getMessage().contains("unknown model architecture: 'qwen3'"), e.getMessage());
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherBytes() throws IOException {
        byte[] a = Files.readAllBytes(SyntheticModelWriter.write(ModelShape.TINY, GgmlType.F16, 5, tmp.resolve("a.gguf")));
        byte[] b = Files.readAllBytes(SyntheticModelWriter.write(ModelShape.TINY, GgmlType.F16, 5, tmp.resolve("b.gguf")));
        byte[] c = Files.readAllBytes(SyntheticModelWriter.write(ModelShape.TINY, GgmlType.F16, 6, tmp.resolve("c.gguf")));
        assertArrayEquals(a, b);
        assertEquals(a.length, c.length);
        assertFalse(Arrays.equals(a, c));
    }

    @Test
    void cachedFilesAreReusedAndNamedBySettings() throws IOException {
        SyntheticModelWriter w = new SyntheticModelWriter(ModelShape.TINY).weightType(GgmlType.F16).seed(11);
        Path first = w.writeCached(tmp.resolve("cache"));
        long modified = Files.getLastModifiedTime(first).toMillis();
        assertEquals(first, w.writeCached(tmp.resolve("cache")));
        assertEquals(modified, Files.getLastModifiedTime(first).toMillis());
        assertTrue(first.getFileName().toString().startsWith("tiny-F16-seed11-v" + SyntheticModelWriter.GENERATOR_VERSION));
        String other = new SyntheticModelWriter(ModelShape.TINY.withLayers(3)).weightType(GgmlType.F16).seed(11).fileName();
        assertFalse(other.equals(first.getFileName().toString()), other);
    }

    @Test
    void outputRowsOfNonWordTokensAreZero() throws IOException {
        for (ModelShape shape : List.of(ModelShape.TINY, ModelShape.TINY_LLAMA3)) {
            Path p = SyntheticModelWriter.write(shape, GgmlType.F32, 3, tmp.resolve(shape.name() + ".gguf"));
            try (GgufFile f = GgufFile.open(p)) {
                GgufTensor head = shape.tiedEmbeddings() ? f.tensor("token_embd.weight") : f.tensor("output.weight");
                float[] row = new float[shape.dim()];
                for (int tok = 0; tok < SyntheticVocabulary.FIRST_WORD_ID + 1; tok++) {
                    MemorySegment.copy(head.data(), ValueLayout.JAVA_FLOAT_UNALIGNED, 4L * tok * shape.dim(), row, 0, row.length);
                    boolean zero = Arrays.equals(row, new float[row.length]);
                    assertEquals(tok < SyntheticVocabulary.FIRST_WORD_ID, zero, shape.name() + " token " + tok);
                }
            }
        }
    }

    @Test
    void weightsHaveTheDocumentedScales() throws IOException {
        Path p = SyntheticModelWriter.write(ModelShape.TINY, GgmlType.F32, 9, tmp.resolve("s.gguf"));
        try (GgufFile f = GgufFile.open(p)) {
            assertMoments(f.tensor("blk.0.ffn_gate.weight"), 0, 1 / 16.0);
            assertMoments(f.tensor("blk.1.attn_q.weight"), 0, SyntheticModelWriter.QK_GAIN / 16.0);
            assertMoments(f.tensor("blk.1.ffn_down.weight"), 0, SyntheticModelWriter.RESIDUAL_GAIN / Math.sqrt(768));
            assertMoments(f.tensor("token_embd.weight"), 0, 1);
            assertMoments(f.tensor("blk.0.attn_norm.weight"), 1, SyntheticModelWriter.NORM_STD);
        }
    }

    static void assertMoments(GgufTensor t, double mean, double std) {
        long n = t.elementCount();
        double s = 0;
        double sq = 0;
        for (long i = 0; i < n; i++) {
            double x = t.data().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            s += x;
            sq += x * x;
        }
        double m = s / n;
        double sd = Math.sqrt(sq / n - m * m);
        assertEquals(mean, m, 4 * std / Math.sqrt(n) + 1e-6, t.name() + " mean");
        assertEquals(std, sd, 0.05 * std, t.name() + " std");
    }

    @Test
    void ropeFreqsFollowLlama3Scaling() throws IOException {
        Path p = SyntheticModelWriter.write(ModelShape.TINY_LLAMA3, GgmlType.F32, 1, tmp.resolve("r.gguf"));
        try (GgufFile f = GgufFile.open(p)) {
            GgufTensor t = f.tensor("rope_freqs.weight");
            assertEquals(GgmlType.F32, t.type());
            float[] v = t.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
            assertEquals(32, v.length);
            assertEquals(1f, v[0]);
            assertEquals(32f, v[31]);
            for (int i = 1; i < v.length; i++) {
                assertTrue(v[i] >= v[i - 1], Arrays.toString(v));
            }
            assertTrue(v[16] > 1f && v[16] < 32f, "a smoothed band between the two wavelengths: " + Arrays.toString(v));
        }
    }

    @Test
    void matricesThatHoldNoWholeBlockFallBack() {
        List<SyntheticModelWriter.TensorSpec> plan = new SyntheticModelWriter(ModelShape.QWEN2_5_0_5B)
                .weightType(GgmlType.Q4_K).plan();
        assertEquals(GgmlType.Q8_0, find(plan, "blk.0.attn_q.weight").type());     // rows of 896
        assertEquals(GgmlType.Q4_K, find(plan, "blk.0.ffn_down.weight").type());   // rows of 4864 = 19 * 256
        assertEquals(GgmlType.F32, find(plan, "blk.0.attn_q.bias").type());
    }

    @Test
    void mixedTypesFollowLlamaQuantize() {
        List<SyntheticModelWriter.TensorSpec> plan = new SyntheticModelWriter(ModelShape.LLAMA_3_2_1B)
                .weightType(GgmlType.Q4_K).mixedLikeLlamaCpp(true).plan();
        assertEquals(GgmlType.Q6_K, find(plan, "token_embd.weight").type()); // tied: it is the output head
        assertEquals(GgmlType.Q6_K, find(plan, "blk.0.attn_v.weight").type());
        assertEquals(GgmlType.Q4_K, find(plan, "blk.3.attn_v.weight").type());
        assertEquals(GgmlType.Q6_K, find(plan, "blk.4.ffn_down.weight").type());
        assertEquals(GgmlType.Q4_K, find(plan, "blk.4.attn_q.weight").type());
        assertEquals(GgmlType.Q6_K, find(plan, "blk.15.ffn_down.weight").type());
    }

    static SyntheticModelWriter.TensorSpec find(List<SyntheticModelWriter.TensorSpec> plan, String name) {
        return plan.stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void copiesARealVocabulary() throws IOException {
        Path stories = TestData.stories260K();
        SyntheticModelWriter w = new SyntheticModelWriter(ModelShape.TINY).vocabularyFrom(stories);
        assertEquals(512, w.shape().vocabSize());
        assertEquals(null, w.vocabulary());
        Path p = w.write(tmp.resolve("v.gguf"));
        try (GgufFile f = GgufFile.open(p); GgufFile real = GgufFile.open(stories)) {
            assertArrayEquals(real.metadata().getStringArray("tokenizer.ggml.tokens"),
                    f.metadata().getStringArray("tokenizer.ggml.tokens"));
            assertArrayEquals(new long[] {256, 512}, f.tensor("output.weight").shape());
        }
        LlamaCppReference.assumeAvailable();
        try (LlamaCppReference ref = LlamaCppReference.open(p, CTX)) {
            assertArrayEquals(new int[] {1, 403, 407, 261, 378}, ref.tokenize("Once upon a time"));
            LlamaCppReference.Generation g = ref.greedy(ref.tokenize("Once upon a time"), 16, 1);
            for (int t : g.tokens()) {
                assertTrue(t >= SyntheticVocabulary.FIRST_WORD_ID, "non-normal token " + t); // stories260K: normal from 259
            }
        }
    }

    @Test
    void shapesValidateAndCountParameters() {
        assertEquals(ModelShape.TINY, ModelShape.preset("TINY"));
        assertThrows(IllegalArgumentException.class, () -> ModelShape.preset("gpt-5"));
        assertThrows(IllegalArgumentException.class, () -> ModelShape.TINY.withLayers(0));
        assertThrows(IllegalArgumentException.class, () -> new SyntheticModelWriter(ModelShape.TINY).weightType(GgmlType.Q8_K));
        assertEquals(110.0, ModelShape.STORIES_110M.parameterCount() / 1e6, 1.0);
        assertEquals(1235.8, ModelShape.LLAMA_3_2_1B.parameterCount() / 1e6, 1.0);
        assertEquals(494.0, ModelShape.QWEN2_5_0_5B.parameterCount() / 1e6, 1.0);
        assertEquals(596.0, ModelShape.QWEN3_0_6B.parameterCount() / 1e6, 1.0);
        for (ModelShape s : ModelShape.presets()) {
            assertFalse(new SyntheticModelWriter(s).plan().isEmpty(), s.name());
        }
    }
}
