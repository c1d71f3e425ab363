package io.laminar.model.synth;

import io.laminar.kernels.GgmlType;
import io.laminar.kernels.Quantization;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.gguf.GgufValue;
import io.laminar.model.gguf.GgufQuantizer;
import io.laminar.model.gguf.GgufWriter;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Writes a GGUF model with random weights that llama.cpp and Laminar both load: real tensor names,
 * shapes and metadata keys for {@code llama}, {@code qwen2} and {@code qwen3} (as llama.cpp's
 * {@code llama-arch.cpp} and {@code llama-model.cpp} name and require them), a synthetic or copied
 * vocabulary, and any weight type {@link Quantization#quantizeRow} can encode.
 *
 * <p><b>Determinism.</b> Every tensor has its own seed, derived from the writer's seed and the tensor's
 * name; every row of a matrix has its own random stream derived from that seed and the row index.
 * The file is therefore the same for the same shape, type, vocabulary and seed, whatever the number
 * of threads that wrote it. The stream is SplitMix64; a weight is the sum of the four 16-bit quarters
 * of one output, centred and scaled to unit variance (an Irwin-Hall approximation of a normal,
 * bounded at ±3.46σ, in steps of 2.6e-5σ), several times faster than an exact normal and spread
 * alike for these purposes.
 *
 * <p><b>Scales</b> keep activations in a sane range over many layers and make greedy decoding
 * meaningful:
 * <ul>
 *   <li>matrices: {@code N(0, 1/fan_in)}, so a matrix roughly preserves the RMS of its input; attn_q
 *       and attn_k are {@value #QK_GAIN}× that, so attention scores have a standard deviation of about
 *       {@value #QK_GAIN}² and attention is neither uniform nor one-hot; attn_output and ffn_down are
 *       {@value #RESIDUAL_GAIN}× that, so the residual stream grows well beyond the embeddings, as in
 *       trained models. Without this a tied model repeats one token forever: the fed-back token's
 *       own embedding stays a large part of the final hidden state, and its tied output row, dotted
 *       with itself, wins;</li>
 *   <li>the output head: {@code N(0, (LOGIT_STD)²/dim)}, logits with a standard deviation of about
 *       {@value #LOGIT_STD}, so the gap between the two best logits is usually well above the rounding
 *       differences between two implementations;</li>
 *   <li>token embeddings: {@code N(0, 1)}, or the output head's scale when tied;</li>
 *   <li>RMS-norm weights {@code 1 + N(0, 0.1²)}, biases {@code N(0, 0.05²)}, all F32 (larger v biases
 *       add the same vector to every attention output and again make a model repeat itself);</li>
 *   <li>rows of the output head (of {@code token_embd} when tied) whose token is not NORMAL (unknown,
 *       control, byte, unused) are zero: their logits are exactly 0, below the best of hundreds of
 *       word logits, so greedy decoding only ever produces words and generated text parses back into
 *       ids ({@link SyntheticVocabulary#parse}). With tied embeddings this makes those tokens embed to
 *       the zero vector, which every layer keeps at zero (RMS norm of zero is zero): BOS is a neutral
 *       first position.</li>
 * </ul>
 *
 * <p><b>Types.</b> Norms, biases and {@code rope_freqs} are F32. Every matrix gets {@link #weightType}
 * if its row length (GGUF's first dimension) is a multiple of the type's block size; otherwise it
 * falls back to Q8_0 (block 32), then F16, as llama.cpp's quantizer does for rows K-quants cannot
 * hold. With {@link #mixedLikeLlamaCpp} a Q4_K or Q4_0 file mixes types the way llama-quantize's
 * Q4_K_M does: the output head ({@code output.weight}, or {@code token_embd.weight} when tied) in
 * Q6_K, and Q6_K for attn_v and ffn_down in the layers
 * llama.cpp's {@code use_more_bits} selects (the first and last eighth, and every third in between).
 *
 * <p><b>Speed.</b> Rows are generated and encoded in parallel into a shared off-heap staging buffer,
 * then copied into the memory-mapped output (whose segment the writer's thread owns).
 */
public final class SyntheticModelWriter {
    /** Multiplier on the standard deviation of attn_q and attn_k. */
    public static final float QK_GAIN = 1.5f;
    /** Standard deviation of the logits before the head's zero rows. */
    public static final float LOGIT_STD = 4f;
    /** Multiplier on the standard deviation of attn_output and ffn_down: what each block adds to the residual stream. */
    public static final float RESIDUAL_GAIN = 8f;
    public static final float NORM_STD = 0.1f;
    public static final float BIAS_STD = 0.05f;
    public static final long DEFAULT_SEED = 42;
    /**
     * Bumped whenever the bytes written for the same settings change (random stream, scales, metadata),
     * so that {@link #writeCached} never returns a file an older version wrote.
     */
    public static final int GENERATOR_VERSION = 1;

    /** Staging buffer size: matrices are produced in slabs of at most this many bytes. */
    private static final long SLAB_BYTES = 16L << 20;
    /** Below this many elements a slab is produced on the calling thread. */
    private static final long PARALLEL_THRESHOLD = 1L << 16;

    /** What one tensor holds and how it is generated. */
    public enum Kind { EMBEDDING, OUTPUT, MATRIX, NORM, BIAS, ROPE_FREQS }

    /**
     * One tensor of the plan.
     *
     * @param name   GGUF tensor name
     * @param kind   its role
     * @param type   stored type
     * @param shape  GGUF shape, innermost first ({@code {cols, rows}} for a matrix)
     * @param std    standard deviation of its random values (around 1 for norms)
     */
    public record TensorSpec(String name, Kind kind, GgmlType type, long[] shape, float std) {
        public long rows() {
            return shape.length > 1 ? shape[1] : 1;
        }

        public long cols() {
            return shape[0];
        }

        @Override
        public String toString() {
            return name + " " + type + " " + java.util.Arrays.toString(shape);
        }
    }

    private final ModelShape requestedShape;
    private GgmlType weightType = GgmlType.F32;
    private long seed = DEFAULT_SEED;
    private boolean mixed;
    private Map<String, GgufValue> copiedTokenizer;
    private Path copiedFrom;

    public SyntheticModelWriter(ModelShape shape) {
        this.requestedShape = shape;
    }

    /** The type of the matrices (norms stay F32). Default F32. */
    public SyntheticModelWriter weightType(GgmlType type) {
        switch (type) {
            case Q8_K, I8, I16, I32, I64, F64 -> throw new IllegalArgumentException(
                    "type=" + type + " is not a weight storage type");
            default -> { }
        }
        this.weightType = type;
        return this;
    }

    public SyntheticModelWriter seed(long seed) {
        this.seed = seed;
        return this;
    }

    /** Mix types per tensor as llama-quantize's Q4_K_M does (see the class comment). Default off. */
    public SyntheticModelWriter mixedLikeLlamaCpp(boolean mixed) {
        this.mixed = mixed;
        return this;
    }

    /**
     * Copies every {@code tokenizer.*} key of a real GGUF instead of the synthetic vocabulary; its
     * token count then sets the model's vocabulary size, and its token types decide the zero rows.
     */
    public SyntheticModelWriter vocabularyFrom(Path gguf) throws IOException {
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        try (GgufFile f = GgufFile.open(gguf)) {
            for (Map.Entry<String, GgufValue> e : f.metadata().asMap().entrySet()) {
                if (e.getKey().startsWith("tokenizer.")) {
                    kv.put(e.getKey(), e.getValue());
                }
            }
        }
        if (!kv.containsKey("tokenizer.ggml.tokens")) {
            throw new IllegalArgumentException(gguf + " has no tokenizer.ggml.tokens to copy");
        }
        this.copiedTokenizer = kv;
        this.copiedFrom = gguf;
        return this;
    }

    /** The shape written: the requested one, with the copied vocabulary's size if any. */
    public ModelShape shape() {
        if (copiedTokenizer == null) {
            return requestedShape;
        }
        int n = java.lang.reflect.Array.getLength(copiedTokenizer.get("tokenizer.ggml.tokens").value());
        return requestedShape.withVocabSize(n);
    }

    /** The synthetic vocabulary written, or {@code null} when one was copied. */
    public SyntheticVocabulary vocabulary() {
        return copiedTokenizer == null ? SyntheticVocabulary.of(requestedShape.vocabSize()) : null;
    }

    /** The tensors in file order, with their types and shapes. */
    public List<TensorSpec> plan() {
        ModelShape s = shape();
        List<TensorSpec> t = new ArrayList<>();
        float embStd = s.tiedEmbeddings() ? LOGIT_STD / (float) Math.sqrt(s.dim()) : 1f;
        t.add(matrix("token_embd.weight", Kind.EMBEDDING, s.dim(), s.vocabSize(), embStd, -1, s.layers()));
        if (s.ropeScaling() != null) {
            t.add(new TensorSpec("rope_freqs.weight", Kind.ROPE_FREQS, GgmlType.F32, new long[] {s.headDim() / 2}, 0));
        }
        for (int i = 0; i < s.layers(); i++) {
            String b = "blk." + i + ".";
            t.add(vector(b + "attn_norm.weight", Kind.NORM, s.dim()));
            t.add(matrix(b + "attn_q.weight", Kind.MATRIX, s.dim(), s.qDim(), QK_GAIN / sqrt(s.dim()), i, s.layers()));
            if (s.architecture() == ModelShape.Architecture.QWEN2) {
                t.add(vector(b + "attn_q.bias", Kind.BIAS, s.qDim()));
            }
            t.add(matrix(b + "attn_k.weight", Kind.MATRIX, s.dim(), s.kvDim(), QK_GAIN / sqrt(s.dim()), i, s.layers()));
            if (s.architecture() == ModelShape.Architecture.QWEN2) {
                t.add(vector(b + "attn_k.bias", Kind.BIAS, s.kvDim()));
            }
            t.add(matrix(b + "attn_v.weight", Kind.MATRIX, s.dim(), s.kvDim(), 1 / sqrt(s.dim()), i, s.layers()));
            if (s.architecture() == ModelShape.Architecture.QWEN2) {
                t.add(vector(b + "attn_v.bias", Kind.BIAS, s.kvDim()));
            }
            if (s.architecture() == ModelShape.Architecture.QWEN3) {
                t.add(vector(b + "attn_q_norm.weight", Kind.NORM, s.headDim()));
                t.add(vector(b + "attn_k_norm.weight", Kind.NORM, s.headDim()));
            }
            t.add(matrix(b + "attn_output.weight", Kind.MATRIX, s.qDim(), s.dim(), RESIDUAL_GAIN / sqrt(s.qDim()), i, s.layers()));
            t.add(vector(b + "ffn_norm.weight", Kind.NORM, s.dim()));
            t.add(matrix(b + "ffn_gate.weight", Kind.MATRIX, s.dim(), s.hiddenDim(), 1 / sqrt(s.dim()), i, s.layers()));
            t.add(matrix(b + "ffn_up.weight", Kind.MATRIX, s.dim(), s.hiddenDim(), 1 / sqrt(s.dim()), i, s.layers()));
            t.add(matrix(b + "ffn_down.weight", Kind.MATRIX, s.hiddenDim(), s.dim(), RESIDUAL_GAIN / sqrt(s.hiddenDim()), i, s.layers()));
        }
        t.add(vector("output_norm.weight", Kind.NORM, s.dim()));
        if (!s.tiedEmbeddings()) {
            t.add(matrix("output.weight", Kind.OUTPUT, s.dim(), s.vocabSize(), LOGIT_STD / sqrt(s.dim()), -1, s.layers()));
        }
        return Collections.unmodifiableList(t);
    }

    /** Writes the model to {@code path} (replacing it) and returns {@code path}. */
    public Path write(Path path) throws IOException {
        ModelShape s = shape();
        List<TensorSpec> plan = plan();
        boolean[] zeroRows = zeroRows();
        float[] ropeFactors = s.ropeScaling() == null ? null : s.ropeScaling().freqFactors(s.headDim(), s.ropeTheta());
        GgufWriter w = new GgufWriter();
        writeMetadata(w, s, plan);
        long slabBytes = SLAB_BYTES;
        for (TensorSpec t : plan) {
            slabBytes = Math.max(slabBytes, t.type().bytesFor(t.cols()));
        }
        try (Arena arena = Arena.ofShared()) {
            MemorySegment staging = arena.allocate(slabBytes, 64);
            for (TensorSpec t : plan) {
                long tensorSeed = RandomRows.mix64(seed ^ RandomRows.fnv1a64(t.name()));
                boolean[] zero = t.kind() == Kind.OUTPUT || (t.kind() == Kind.EMBEDDING && s.tiedEmbeddings())
                        ? zeroRows : null;
                w.addTensor(t.name(), t.type(), t.shape(), out -> {
                    switch (t.kind()) {
                        case ROPE_FREQS -> MemorySegment.copy(ropeFactors, 0, out,
                                java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 0, ropeFactors.length);
                        case NORM -> fillVector(out, t, tensorSeed, 1f, NORM_STD);
                        case BIAS -> fillVector(out, t, tensorSeed, 0f, BIAS_STD);
                        default -> fillMatrix(out, t, tensorSeed, zero, staging);
                    }
                });
            }
            w.write(path);
        }
        return path;
    }

    /**
     * The model in {@code dir} under {@link #fileName()}, written first if it is not there yet. Safe
     * to call from several processes at once: the writer moves a complete file into place.
     */
    public Path writeCached(Path dir) throws IOException {
        Path p = dir.resolve(fileName());
        if (java.nio.file.Files.isRegularFile(p)) {
            return p;
        }
        java.nio.file.Files.createDirectories(dir);
        return write(p);
    }

    /**
     * A file name that changes with every setting and with {@link #GENERATOR_VERSION}, e.g.
     * {@code tiny-Q8_0-seed42-v1-1a2b3c4d.gguf} (the last part hashes the full shape and vocabulary source).
     */
    public String fileName() {
        String settings = shape() + "|" + weightType + "|" + mixed + "|" + seed + "|" + copiedFrom;
        return String.format(Locale.ROOT, "%s-%s%s-seed%d-v%d-%08x.gguf", shape().name(), weightType,
                mixed ? "-mixed" : "", seed, GENERATOR_VERSION, (int) RandomRows.fnv1a64(settings));
    }

    /** Convenience: {@code new SyntheticModelWriter(shape).weightType(type).seed(seed).write(path)}. */
    public static Path write(ModelShape shape, GgmlType type, long seed, Path path) throws IOException {
        return new SyntheticModelWriter(shape).weightType(type).seed(seed).write(path);
    }

    private void writeMetadata(GgufWriter w, ModelShape s, List<TensorSpec> plan) {
        String p = s.architecture().ggufName() + ".";
        w.putString("general.architecture", s.architecture().ggufName());
        w.putString("general.name", s.name() + " (synthetic)");
        w.putString("general.description", "random weights by Laminar's SyntheticModelWriter, seed=" + seed
                + ", weights=" + weightType + (mixed ? " (mixed like llama.cpp)" : ""));
        w.putUInt32(GgufFile.ALIGNMENT_KEY, GgufFile.DEFAULT_ALIGNMENT);
        w.putUInt32("general.file_type", fileType());
        boolean quantized = plan.stream().anyMatch(t -> t.type().quantized());
        if (quantized) {
            w.putUInt32("general.quantization_version", 2);
        }
        w.putUInt32(p + "vocab_size", s.vocabSize());
        w.putUInt32(p + "context_length", s.contextLength());
        w.putUInt32(p + "embedding_length", s.dim());
        w.putUInt32(p + "block_count", s.layers());
        w.putUInt32(p + "feed_forward_length", s.hiddenDim());
        w.putUInt32(p + "attention.head_count", s.heads());
        w.putUInt32(p + "attention.head_count_kv", s.kvHeads());
        if (s.architecture() == ModelShape.Architecture.QWEN3 || s.headDim() * s.heads() != s.dim()) {
            w.putUInt32(p + "attention.key_length", s.headDim());
            w.putUInt32(p + "attention.value_length", s.headDim());
        }
        w.putFloat32(p + "attention.layer_norm_rms_epsilon", s.rmsEps());
        w.putFloat32(p + "rope.freq_base", s.ropeTheta());
        w.putUInt32(p + "rope.dimension_count", s.headDim());
        if (copiedTokenizer != null) {
            copiedTokenizer.forEach(w::put);
        } else {
            SyntheticVocabulary v = SyntheticVocabulary.of(s.vocabSize());
            w.putString("tokenizer.ggml.model", "llama");
            w.putStringArray("tokenizer.ggml.tokens", v.tokens());
            w.putFloat32Array("tokenizer.ggml.scores", v.scores());
            w.putInt32Array("tokenizer.ggml.token_type", v.tokenTypes());
            w.putUInt32("tokenizer.ggml.bos_token_id", SyntheticVocabulary.BOS_ID);
            w.putUInt32("tokenizer.ggml.eos_token_id", SyntheticVocabulary.EOS_ID);
            w.putUInt32("tokenizer.ggml.unknown_token_id", SyntheticVocabulary.UNK_ID);
            w.putBool("tokenizer.ggml.add_bos_token", true);
            w.putBool("tokenizer.ggml.add_eos_token", false);
        }
    }

    /** {@code general.file_type}: llama.cpp's {@code enum llama_ftype} for the weight type. */
    private int fileType() {
        return switch (weightType) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q8_0 -> 7;
            case Q4_K -> mixed ? 15 : 14; // Q4_K_M : Q4_K_S
            case Q6_K -> 18;
            case BF16 -> 32;
            default -> 1024; // LLAMA_FTYPE_GUESSED
        };
    }

    /** Per token: whether its output-head row is zero (every token whose type is not NORMAL). */
    private boolean[] zeroRows() {
        int[] types;
        if (copiedTokenizer == null) {
            types = SyntheticVocabulary.of(requestedShape.vocabSize()).tokenTypes();
        } else {
            GgufValue v = copiedTokenizer.get("tokenizer.ggml.token_type");
            if (v == null) {
                return new boolean[shape().vocabSize()];
            }
            long[] raw = (long[]) v.value();
            types = new int[raw.length];
            for (int i = 0; i < raw.length; i++) {
                types[i] = (int) raw[i];
            }
        }
        boolean[] zero = new boolean[types.length];
        for (int i = 0; i < types.length; i++) {
            zero[i] = types[i] != SyntheticVocabulary.TYPE_NORMAL;
        }
        return zero;
    }

    private TensorSpec vector(String name, Kind kind, int n) {
        return new TensorSpec(name, kind, GgmlType.F32, new long[] {n}, kind == Kind.NORM ? NORM_STD : BIAS_STD);
    }

    private TensorSpec matrix(String name, Kind kind, int cols, int rows, float std, int layer, int layers) {
        return new TensorSpec(name, kind, typeFor(name, kind, cols, layer, layers), new long[] {cols, rows}, std);
    }

    /** The stored type of a matrix with rows of {@code cols} elements; see the class comment. */
    private GgmlType typeFor(String name, Kind kind, int cols, int layer, int layers) {
        GgmlType t = weightType;
        if (mixed && (t == GgmlType.Q4_K || t == GgmlType.Q4_0)) {
            boolean moreBits = layer >= 0 && (layer < layers / 8 || layer >= 7 * layers / 8
                    || (layer - layers / 8) % 3 == 2);
            boolean head = kind == Kind.OUTPUT || (kind == Kind.EMBEDDING && shape().tiedEmbeddings());
            if (head || (moreBits && (name.endsWith("attn_v.weight") || name.endsWith("ffn_down.weight")))) {
                t = GgmlType.Q6_K;
            }
        }
        return GgufQuantizer.storedTypeFor(t, cols);
    }

    private static void fillVector(MemorySegment out, TensorSpec t, long tensorSeed, float mean, float std) {
        int n = (int) t.cols();
        float[] v = new float[n];
        RandomRows.fill(v, n, tensorSeed, 0, mean, std);
        Quantization.quantizeRow(GgmlType.F32, v, 0, n, out, 0);
    }

    /**
     * Produces a matrix slab by slab: rows in parallel into {@code slab} (a shared segment any thread
     * may write), then one copy into {@code out}, which only the writer's thread may touch.
     */
    private static void fillMatrix(MemorySegment out, TensorSpec t, long tensorSeed, boolean[] zeroRows,
                                   MemorySegment slab) {
        int rows = (int) t.rows();
        int cols = (int) t.cols();
        GgmlType type = t.type();
        long rowBytes = type.bytesFor(cols);
        int slabRows = (int) Math.max(1, Math.min(rows, slab.byteSize() / rowBytes));
        for (int start = 0; start < rows; start += slabRows) {
            int n = Math.min(slabRows, rows - start);
            int first = start;
            IntStream range = IntStream.range(0, n);
            if ((long) n * cols >= PARALLEL_THRESHOLD) {
                range = range.parallel();
            }
            range.forEach(i -> {
                float[] buf = RandomRows.scratch(cols);
                int row = first + i;
                if (zeroRows != null && row < zeroRows.length && zeroRows[row]) {
                    java.util.Arrays.fill(buf, 0, cols, 0f);
                } else {
                    RandomRows.fill(buf, cols, tensorSeed, row, 0f, t.std());
                }
                Quantization.quantizeRow(type, buf, 0, cols, slab, i * rowBytes);
            });
            MemorySegment.copy(slab, 0, out, start * rowBytes, n * rowBytes);
        }
    }

    private static float sqrt(int n) {
        return (float) Math.sqrt(n);
    }

    /**
     * Writes a preset from the command line and prints how long it took:
     * {@code SyntheticModelWriter <preset> <type> <out.gguf> [seed]}.
     */
    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: SyntheticModelWriter <preset> <type> <out.gguf> [seed]\npresets: "
                    + ModelShape.presets().stream().map(ModelShape::name).toList());
            System.exit(2);
        }
        ModelShape shape = ModelShape.preset(args[0]);
        GgmlType type = GgmlType.valueOf(args[1].toUpperCase(Locale.ROOT));
        long seed = args.length > 3 ? Long.parseLong(args[3]) : DEFAULT_SEED;
        long t0 = System.nanoTime();
        Path out = write(shape, type, seed, Path.of(args[2]));
        double s = (System.nanoTime() - t0) / 1e9;
        long bytes = java.nio.file.Files.size(out);
        System.out.printf(Locale.ROOT, "%s %s: %,d parameters, %,d bytes in %.2f s (%.0f MB/s)%n", shape.name(), type,
                shape.parameterCount(), bytes, s, bytes / s / 1e6);
    }
}
