package io.laminar.model.testing;

import org.junit.jupiter.api.Assumptions;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;

import static io.laminar.model.testing.LlamaCppNative.rethrow;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * llama.cpp as a reference oracle for tests and benchmarks: one GGUF model loaded once, queried many
 * times, on an explicit number of threads. It calls llama.cpp's C API (build b4916, as bundled by
 * {@code de.kherud:llama:4.2.0}) through {@link LlamaCppNative}; see there for why not its JNI API.
 *
 * <p>What it gives, exactly:
 * <ul>
 *   <li>{@link #greedy}: the token ids llama.cpp's greedy sampler ({@code llama_sampler_init_greedy},
 *       the first maximum logit) picks, step by step, each fed back with {@code llama_decode}. The
 *       prompt is given as ids (use {@link #tokenize} to get llama.cpp's own, BOS included). Every step
 *       also reports the gap between the best and second-best logit, so a caller can tell a real
 *       mismatch from a near tie. End-of-generation tokens are not special: exactly {@code steps}
 *       tokens come back (llama-cli with {@code --ignore-eos} would instead ban them).</li>
 *   <li>{@link #lastLogits} / {@link #logits}: the raw output-head logits ({@code llama_get_logits_ith})
 *       at the last position / at every position of a prompt, {@code vocabSize} floats each, before
 *       any sampling (no temperature, no penalties).</li>
 *   <li>{@link #finalHidden}: the embedding output ({@code llama_get_embeddings_ith} in embeddings
 *       mode, pooling none): the final hidden state after {@code output_norm} (RMSNorm times its
 *       weight) at the last position, before the output head, so that
 *       {@code logits = output.weight · finalHidden}.</li>
 *   <li>{@link #speed}: prompt-processing and generation speed as llama.cpp measures them itself
 *       ({@code llama_perf_context}, the numbers behind its "prompt eval time" and "eval time" log
 *       lines): the prompt is one {@code llama_decode} call (batch size at least the prompt length),
 *       then one single-token decode per generated token; no context shift, fixed context size,
 *       greedy, end-of-generation ignored, after one warm-up run.</li>
 * </ul>
 *
 * <p>Every call starts from an empty KV cache. The context size, batch sizes and KV type (F16, as in
 * llama-bench) are fixed at {@link #open}; the thread count is set per call. llama.cpp's log is
 * silent unless the system property {@value #VERBOSE_PROPERTY} is {@code true}; when loading fails,
 * its warning lines are put into the exception message. Methods are synchronized (concurrent callers
 * take turns); an instance holds the model and its context in native memory until {@link #close}.
 *
 * <p>Comparing with it: for quantized weights llama.cpp's CPU backend also quantizes the activations
 * inside matrix products (to Q8_0 for Q4_0/Q8_0 weights, to Q8_K for K-quants, and F16 weights take
 * F16 activations), so its logits differ from an exact float computation over the same weights by
 * more than rounding. Compare logits with a tolerance, and read a greedy mismatch at a step whose
 * {@link Generation#margins() margin} is that small as a tie, not a bug.
 *
 * <p>Only {@link #assumeAvailable()} needs JUnit; code outside tests (the bench module) uses
 * {@link #available()}. Needs {@code --enable-native-access=ALL-UNNAMED}.
 */
@SuppressWarnings("restricted") // sizes the native logits and embeddings pointers llama.cpp returns
public final class LlamaCppReference implements AutoCloseable {
    /** {@code laminar.llamacpp.verbose}: when {@code true}, llama.cpp's log goes to standard error. */
    public static final String VERBOSE_PROPERTY = "laminar.llamacpp.verbose";

    /**
     * Context settings fixed when a model is opened.
     *
     * @param contextLength KV cache size in tokens ({@code n_ctx}); prompt plus generated tokens must fit
     * @param batchSize     most tokens one {@code llama_decode} call takes ({@code n_batch}); longer
     *                      prompts are split into several calls
     * @param ubatchSize    tokens computed per graph evaluation ({@code n_ubatch}; llama-bench's default is 512)
     * @param sequences     sequences the context holds at once ({@code n_seq_max}); they share {@code contextLength}
     */
    public record Options(int contextLength, int batchSize, int ubatchSize, int sequences) {
        public static final Options DEFAULT = new Options(2048, 2048, 512);

        public Options {
            if (contextLength < 1 || batchSize < 1 || ubatchSize < 1 || ubatchSize > batchSize || sequences < 1) {
                throw new IllegalArgumentException("need 1 <= ubatchSize <= batchSize, contextLength >= 1 and "
                        + "sequences >= 1, got contextLength=" + contextLength + " batchSize=" + batchSize
                        + " ubatchSize=" + ubatchSize + " sequences=" + sequences);
            }
        }

        /** One sequence at a time. */
        public Options(int contextLength, int batchSize, int ubatchSize) {
            this(contextLength, batchSize, ubatchSize, 1);
        }

        public Options withContextLength(int n) {
            return new Options(n, Math.min(batchSize, n), Math.min(ubatchSize, n), sequences);
        }

        public Options withSequences(int n) {
            return new Options(contextLength, batchSize, ubatchSize, n);
        }
    }

    /**
     * A greedy generation.
     *
     * @param prompt  the prompt ids as decoded
     * @param tokens  the generated ids, in order
     * @param margins for each generated token, its logit minus the second-largest logit (0 on a tie)
     */
    public record Generation(int[] prompt, int[] tokens, float[] margins) {
        /** The smallest top-1/top-2 margin over all steps. */
        public float minMargin() {
            float m = Float.POSITIVE_INFINITY;
            for (float x : margins) {
                m = Math.min(m, x);
            }
            return m;
        }

        @Override
        public String toString() {
            return "Generation[prompt=" + Arrays.toString(prompt) + ", tokens=" + Arrays.toString(tokens)
                    + ", minMargin=" + minMargin() + "]";
        }
    }

    /**
     * Speed as llama.cpp's own counters report it.
     *
     * @param threads          threads used for both phases
     * @param promptTokens     tokens of the prompt, evaluated in one batch
     * @param promptMillis     llama.cpp's prompt eval time
     * @param generatedTokens  single-token decodes
     * @param generationMillis llama.cpp's eval time for them (sampling excluded, as in its log)
     * @param llamaCppLog      the lines {@code llama_perf_context_print} logged for this run, the same
     *                         numbers as llama-cli prints at exit
     */
    public record Speed(int threads, int promptTokens, double promptMillis, int generatedTokens,
                        double generationMillis, String llamaCppLog) {
        public double promptTokensPerSecond() {
            return promptTokens * 1000.0 / promptMillis;
        }

        public double generationTokensPerSecond() {
            return generatedTokens * 1000.0 / generationMillis;
        }

        @Override
        public String toString() {
            return String.format("llama.cpp threads=%d: prompt %d tokens %.2f ms (%.2f tokens/s), generation %d "
                            + "tokens %.2f ms (%.2f tokens/s)", threads, promptTokens, promptMillis,
                    promptTokensPerSecond(), generatedTokens, generationMillis, generationTokensPerSecond());
        }
    }

    private final LlamaCppNative lib;
    private final Path path;
    private final Options options;
    private final Arena arena = Arena.ofShared();
    private MemorySegment model;
    private MemorySegment ctx;
    private MemorySegment sampler;
    private final MemorySegment vocab;
    private final int vocabSize;
    private final int embeddingLength;
    private final int trainContextLength;
    private final int bos;
    private final boolean addBos;
    private final String description;
    private int threads = -1;

    private LlamaCppReference(LlamaCppNative lib, Path path, Options options) {
        this.lib = lib;
        this.path = path;
        this.options = options;
        try {
            lib.clearRecentLog();
            MemorySegment mp = (MemorySegment) lib.modelDefaultParams.invokeExact((SegmentAllocator) arena);
            model = (MemorySegment) lib.modelLoadFromFile.invokeExact(arena.allocateFrom(path.toString()), mp);
            if (model.equals(MemorySegment.NULL)) {
                throw new IllegalArgumentException("llama.cpp could not load " + path + lib.recentWarnings());
            }
            MemorySegment cp = (MemorySegment) lib.contextDefaultParams.invokeExact((SegmentAllocator) arena);
            cp.set(JAVA_INT, LlamaCppNative.CP_N_CTX, options.contextLength());
            cp.set(JAVA_INT, LlamaCppNative.CP_N_BATCH, options.batchSize());
            cp.set(JAVA_INT, LlamaCppNative.CP_N_UBATCH, options.ubatchSize());
            cp.set(JAVA_INT, LlamaCppNative.CP_N_SEQ_MAX, options.sequences());
            cp.set(JAVA_INT, LlamaCppNative.CP_N_THREADS, 1);
            cp.set(JAVA_INT, LlamaCppNative.CP_N_THREADS_BATCH, 1);
            cp.set(JAVA_BOOLEAN, LlamaCppNative.CP_NO_PERF, false);
            cp.set(JAVA_BOOLEAN, LlamaCppNative.CP_EMBEDDINGS, false);
            ctx = (MemorySegment) lib.initFromModel.invokeExact(model, cp);
            if (ctx.equals(MemorySegment.NULL)) {
                throw new IllegalArgumentException("llama.cpp could not create a context for " + path + " with "
                        + options + lib.recentWarnings());
            }
            sampler = (MemorySegment) lib.samplerInitGreedy.invokeExact();
            vocab = (MemorySegment) lib.modelGetVocab.invokeExact(model);
            vocabSize = (int) lib.vocabNTokens.invokeExact(vocab);
            embeddingLength = (int) lib.modelNEmbd.invokeExact(model);
            trainContextLength = (int) lib.modelNCtxTrain.invokeExact(model);
            bos = (int) lib.vocabBos.invokeExact(vocab);
            addBos = (boolean) lib.vocabGetAddBos.invokeExact(vocab);
            MemorySegment buf = arena.allocate(256);
            int n = (int) lib.modelDesc.invokeExact(model, buf, 256L);
            description = n > 0 ? buf.getString(0, StandardCharsets.UTF_8) : "";
        } catch (Throwable t) {
            close();
            throw rethrow(t);
        }
    }

    /** Whether llama.cpp can be used here; tests call {@link #assumeAvailable()} instead. */
    public static boolean available() {
        return LlamaCppNative.unavailableReason() == null;
    }

    /** Skips the calling test, with the reason, when llama.cpp cannot be loaded on this machine. */
    public static void assumeAvailable() {
        String why = LlamaCppNative.unavailableReason();
        Assumptions.assumeTrue(why == null, why);
    }

    /** Opens {@code gguf} with {@link Options#DEFAULT}. */
    public static LlamaCppReference open(Path gguf) {
        return open(gguf, Options.DEFAULT);
    }

    /**
     * Loads {@code gguf} into llama.cpp and creates its context.
     *
     * @throws IllegalArgumentException if llama.cpp rejects the file; the message carries its log's reasons
     * @throws IllegalStateException    if llama.cpp is not available on this machine
     */
    public static LlamaCppReference open(Path gguf, Options options) {
        if (!Files.isRegularFile(gguf)) {
            throw new IllegalArgumentException("no such model file: " + gguf);
        }
        LlamaCppNative lib = LlamaCppNative.get();
        lib.setVerbose(Boolean.getBoolean(VERBOSE_PROPERTY));
        return new LlamaCppReference(lib, gguf, options);
    }

    public Path path() {
        return path;
    }

    public Options options() {
        return options;
    }

    public int vocabSize() {
        return vocabSize;
    }

    /** The hidden size ({@code n_embd}), the length of {@link #finalHidden}. */
    public int embeddingLength() {
        return embeddingLength;
    }

    public int trainContextLength() {
        return trainContextLength;
    }

    public int bosId() {
        return bos;
    }

    /** Whether llama.cpp prepends BOS when tokenizing a prompt. */
    public boolean addsBos() {
        return addBos;
    }

    /** llama.cpp's one-line description, e.g. {@code "llama 1B Q8_0"}. */
    public String description() {
        return description;
    }

    /** llama.cpp's tokenization of a prompt as llama-cli and llama-server do it: BOS added when the vocabulary says so, special tokens parsed. */
    public int[] tokenize(String text) {
        return tokenize(text, true, true);
    }

    public synchronized int[] tokenize(String text, boolean addSpecial, boolean parseSpecial) {
        ensureOpen();
        try (Arena a = Arena.ofConfined()) {
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            MemorySegment in = a.allocate(Math.max(1, utf8.length));
            MemorySegment.copy(utf8, 0, in, JAVA_BYTE, 0, utf8.length);
            int cap = utf8.length + 8;
            MemorySegment out = a.allocate(JAVA_INT, cap);
            int n = (int) lib.tokenize.invokeExact(vocab, in, utf8.length, out, cap, addSpecial, parseSpecial);
            if (n < 0) {
                cap = -n;
                out = a.allocate(JAVA_INT, cap);
                n = (int) lib.tokenize.invokeExact(vocab, in, utf8.length, out, cap, addSpecial, parseSpecial);
            }
            return out.asSlice(0, 4L * n).toArray(JAVA_INT);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The bytes llama.cpp prints for {@code token} (special tokens as empty, byte tokens as their byte). */
    public synchronized byte[] pieceBytes(int token) {
        ensureOpen();
        checkToken(token);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(256);
            int n = (int) lib.tokenToPiece.invokeExact(vocab, token, buf, 256, 0, false);
            if (n < 0) {
                buf = a.allocate(-n);
                n = (int) lib.tokenToPiece.invokeExact(vocab, token, buf, -n, 0, false);
            }
            return buf.asSlice(0, n).toArray(JAVA_BYTE);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The text llama-cli prints for {@code tokens}: their pieces concatenated, decoded as UTF-8. */
    public String detokenize(int[] tokens) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int t : tokens) {
            out.writeBytes(pieceBytes(t));
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** {@link #greedy(int[], int, int)} for llama.cpp's tokenization of {@code prompt}. */
    public Generation greedy(String prompt, int steps, int threads) {
        return greedy(tokenize(prompt), steps, threads);
    }

    /**
     * Generates {@code steps} tokens greedily after {@code prompt} (ids, BOS included if wanted).
     *
     * @throws IllegalArgumentException if prompt plus steps do not fit the context
     */
    public synchronized Generation greedy(int[] prompt, int steps, int threads) {
        if (steps < 0) {
            throw new IllegalArgumentException("steps=" + steps + " must not be negative");
        }
        checkPrompt(prompt, prompt.length + Math.max(0, steps - 1));
        int[] out = new int[steps];
        float[] margins = new float[steps];
        try (Arena a = Arena.ofConfined()) {
            begin(threads);
            decodeChunks(a, prompt, false);
            MemorySegment one = a.allocate(JAVA_INT);
            for (int i = 0; i < steps; i++) {
                int tok = (int) lib.samplerSample.invokeExact(sampler, ctx, -1);
                out[i] = tok;
                margins[i] = margin(logitsAt(-1), tok);
                if (i + 1 < steps) {
                    one.set(JAVA_INT, 0, tok);
                    decodeOrThrow(batch(a, one, 1));
                }
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
        return new Generation(prompt.clone(), out, margins);
    }

    /** The logits after the last token of {@code tokens}: {@link #vocabSize()} floats. */
    public synchronized float[] lastLogits(int[] tokens, int threads) {
        checkPrompt(tokens, tokens.length);
        try (Arena a = Arena.ofConfined()) {
            begin(threads);
            decodeChunks(a, tokens, false);
            return logitsAt(-1).toArray(JAVA_FLOAT);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The logits after every token of {@code tokens}: {@code [position][vocabSize]}. */
    public synchronized float[][] logits(int[] tokens, int threads) {
        checkPrompt(tokens, tokens.length);
        if (tokens.length > options.batchSize()) {
            throw new IllegalArgumentException("all-position logits need the prompt in one batch: tokens="
                    + tokens.length + " > batchSize=" + options.batchSize());
        }
        try (Arena a = Arena.ofConfined()) {
            begin(threads);
            decodeChunks(a, tokens, true);
            float[][] all = new float[tokens.length][];
            for (int i = 0; i < tokens.length; i++) {
                all[i] = logitsAt(i).toArray(JAVA_FLOAT);
            }
            return all;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * The final hidden state after the last token of {@code tokens}: the output of {@code output_norm}
     * ({@code x / rms(x) * output_norm.weight}), {@link #embeddingLength()} floats, unnormalized and
     * before the output head.
     */
    public synchronized float[] finalHidden(int[] tokens, int threads) {
        ensureOpen();
        checkPrompt(tokens, tokens.length);
        try (Arena a = Arena.ofConfined()) {
            lib.setEmbeddings.invokeExact(ctx, true);
            try {
                begin(threads);
                decodeChunks(a, tokens, false);
                MemorySegment e = (MemorySegment) lib.getEmbeddingsIth.invokeExact(ctx, -1);
                if (e.equals(MemorySegment.NULL)) {
                    throw new IllegalStateException("llama.cpp returned no embeddings" + lib.recentWarnings());
                }
                return e.reinterpret(4L * embeddingLength).toArray(JAVA_FLOAT);
            } finally {
                lib.setEmbeddings.invokeExact(ctx, false);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Measures prompt processing of {@code promptLength} tokens (BOS then pseudo-random ids, fixed seed)
     * in one batch, then {@code generate} greedy single-token decodes, after an identical warm-up run.
     *
     * @param promptLength at least 2 (llama.cpp counts a one-token batch as generation)
     */
    public synchronized Speed speed(int promptLength, int generate, int threads) {
        if (promptLength < 2 || generate < 1) {
            throw new IllegalArgumentException("need promptLength >= 2 and generate >= 1, got promptLength="
                    + promptLength + " generate=" + generate);
        }
        if (promptLength > options.batchSize()) {
            throw new IllegalArgumentException("promptLength=" + promptLength + " exceeds batchSize="
                    + options.batchSize() + "; open with larger Options to measure it as one batch");
        }
        int[] prompt = benchPrompt(promptLength);
        checkPrompt(prompt, promptLength + generate);
        try (Arena a = Arena.ofConfined()) {
            runSpeed(a, prompt, generate, threads);
            runSpeed(a, prompt, generate, threads);
            MemorySegment perf = (MemorySegment) lib.perfContext.invokeExact((SegmentAllocator) a, ctx);
            double pMs = perf.get(JAVA_DOUBLE, LlamaCppNative.PERF_T_P_EVAL_MS);
            double eMs = perf.get(JAVA_DOUBLE, LlamaCppNative.PERF_T_EVAL_MS);
            int pN = perf.get(JAVA_INT, LlamaCppNative.PERF_N_P_EVAL);
            int eN = perf.get(JAVA_INT, LlamaCppNative.PERF_N_EVAL);
            if (pN != promptLength || eN != generate) {
                throw new IllegalStateException("llama.cpp counted n_p_eval=" + pN + " n_eval=" + eN + ", expected "
                        + promptLength + " and " + generate);
            }
            MemorySegment c = ctx;
            String log = lib.capture(() -> {
                lib.perfContextPrint.invokeExact(c);
            });
            return new Speed(threads, pN, pMs, eN, eMs, log);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private void runSpeed(Arena a, int[] prompt, int generate, int threads) throws Throwable {
        begin(threads);
        lib.perfContextReset.invokeExact(ctx);
        decodeChunks(a, prompt, false);
        lib.synchronize.invokeExact(ctx);
        MemorySegment one = a.allocate(JAVA_INT);
        for (int i = 0; i < generate; i++) {
            int tok = (int) lib.samplerSample.invokeExact(sampler, ctx, -1);
            one.set(JAVA_INT, 0, tok);
            decodeOrThrow(batch(a, one, 1));
            lib.synchronize.invokeExact(ctx);
        }
    }

    /**
     * Decode throughput of {@code streams} sequences stepped together, as a server with continuous
     * batching runs them: one untimed call takes a random {@code promptLength}-token prompt for every
     * sequence, then every step is one {@code llama_decode} call with one token of each sequence, all
     * with logits.
     * Returns the tokens per second of all streams together over the {@code steps} steps, measured
     * after an identical warm-up run. Needs {@link Options#sequences()} >= {@code streams} and a
     * context that holds {@code streams x (promptLength + steps)} tokens, {@code streams x promptLength}
     * of them in one batch.
     */
    public synchronized double batchedDecodeTokensPerSecond(int streams, int promptLength, int steps, int threads) {
        if (streams < 1 || streams > options.sequences() || promptLength < 1 || steps < 1) {
            throw new IllegalArgumentException("need 1 <= streams <= sequences (" + options.sequences()
                    + "), promptLength >= 1 and steps >= 1, got streams=" + streams + " promptLength=" + promptLength
                    + " steps=" + steps);
        }
        if ((long) streams * (promptLength + steps) > options.contextLength()
                || streams * promptLength > options.batchSize()) {
            throw new IllegalArgumentException(streams + " x (" + promptLength + " + " + steps
                    + ") tokens do not fit " + options);
        }
        SplittableRandom r = new SplittableRandom(42);
        try (Arena a = Arena.ofConfined()) {
            double rate = 0;
            for (int run = 0; run < 2; run++) {
                begin(threads);
                // Every prompt in one call (not timed), then one token of every sequence per call.
                decodeOrThrow(randomBatch(a, r, streams * promptLength, i -> i % promptLength, i -> i / promptLength));
                lib.synchronize.invokeExact(ctx);
                long start = System.nanoTime();
                for (int step = 0; step < steps; step++) {
                    int position = promptLength + step;
                    decodeOrThrow(randomBatch(a, r, streams, i -> position, i -> i));
                    lib.synchronize.invokeExact(ctx);
                }
                rate = (double) streams * steps * 1e9 / (System.nanoTime() - start);
            }
            return rate;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code n} tokens drawn uniformly from the vocabulary, as {@link #batchAllOutputs}. */
    private MemorySegment randomBatch(Arena a, SplittableRandom r, int n, IntUnaryOperator pos, IntUnaryOperator seq) {
        MemorySegment ids = a.allocate(JAVA_INT, n);
        for (int i = 0; i < n; i++) {
            ids.setAtIndex(JAVA_INT, i, r.nextInt(vocabSize));
        }
        return batchAllOutputs(a, ids, n, pos, seq);
    }

    /** BOS (when the model adds one) followed by ids drawn uniformly from the vocabulary, seed 42. */
    private int[] benchPrompt(int n) {
        SplittableRandom r = new SplittableRandom(42);
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i == 0 && addBos ? bos : r.nextInt(vocabSize);
        }
        return p;
    }

    private void ensureOpen() {
        if (ctx == null) {
            throw new IllegalStateException("closed: " + path);
        }
    }

    private void begin(int threads) throws Throwable {
        ensureOpen();
        if (threads < 1) {
            throw new IllegalArgumentException("threads=" + threads + " must be at least 1");
        }
        if (threads != this.threads) {
            lib.setNThreads.invokeExact(ctx, threads, threads);
            this.threads = threads;
        }
        lib.kvSelfClear.invokeExact(ctx);
    }

    private void decodeChunks(Arena a, int[] tokens, boolean allLogits) throws Throwable {
        MemorySegment ids = a.allocateFrom(JAVA_INT, tokens);
        for (int off = 0; off < tokens.length; off += options.batchSize()) {
            int n = Math.min(options.batchSize(), tokens.length - off);
            int first = off;
            decodeOrThrow(allLogits ? batchAllOutputs(a, ids.asSlice(4L * off), n, i -> first + i, i -> 0)
                    : batch(a, ids.asSlice(4L * off), n));
        }
    }

    /** A batch like {@code llama_batch_get_one}: positions follow the cache, only the last token outputs. */
    private static MemorySegment batch(Arena a, MemorySegment tokens, int n) {
        MemorySegment b = a.allocate(LlamaCppNative.BATCH);
        b.set(JAVA_INT, LlamaCppNative.B_N_TOKENS, n);
        b.set(ADDRESS, LlamaCppNative.B_TOKEN, tokens);
        return b;
    }

    /** A batch of the {@code n} tokens at {@code tokens}: entry i at position {@code pos(i)} of sequence {@code seq(i)}, every entry with logits. */
    private static MemorySegment batchAllOutputs(Arena a, MemorySegment tokens, int n, IntUnaryOperator pos,
                                                 IntUnaryOperator seq) {
        MemorySegment b = a.allocate(LlamaCppNative.BATCH);
        MemorySegment positions = a.allocate(JAVA_INT, n);
        MemorySegment nSeq = a.allocate(JAVA_INT, n);
        MemorySegment seqIds = a.allocate(ADDRESS, n);
        MemorySegment outputs = a.allocate(JAVA_BYTE, n);
        for (int i = 0; i < n; i++) {
            positions.setAtIndex(JAVA_INT, i, pos.applyAsInt(i));
            nSeq.setAtIndex(JAVA_INT, i, 1);
            seqIds.setAtIndex(ADDRESS, i, a.allocateFrom(JAVA_INT, seq.applyAsInt(i)));
            outputs.set(JAVA_BYTE, i, (byte) 1);
        }
        b.set(JAVA_INT, LlamaCppNative.B_N_TOKENS, n);
        b.set(ADDRESS, LlamaCppNative.B_TOKEN, tokens);
        b.set(ADDRESS, LlamaCppNative.B_POS, positions);
        b.set(ADDRESS, LlamaCppNative.B_N_SEQ_ID, nSeq);
        b.set(ADDRESS, LlamaCppNative.B_SEQ_ID, seqIds);
        b.set(ADDRESS, LlamaCppNative.B_LOGITS, outputs);
        return b;
    }

    private void decodeOrThrow(MemorySegment batch) throws Throwable {
        int rc = (int) lib.decode.invokeExact(ctx, batch);
        if (rc != 0) {
            throw new IllegalStateException("llama_decode returned " + rc + lib.recentWarnings());
        }
    }

    private MemorySegment logitsAt(int i) throws Throwable {
        MemorySegment p = (MemorySegment) lib.getLogitsIth.invokeExact(ctx, i);
        if (p.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("llama.cpp has no logits for output " + i + lib.recentWarnings());
        }
        return p.reinterpret(4L * vocabSize);
    }

    private float margin(MemorySegment logits, int chosen) {
        float best = logits.getAtIndex(JAVA_FLOAT, chosen);
        float second = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < vocabSize; j++) {
            if (j != chosen) {
                second = Math.max(second, logits.getAtIndex(JAVA_FLOAT, j));
            }
        }
        return best - second;
    }

    private void checkPrompt(int[] tokens, int positions) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("empty prompt");
        }
        if (positions > options.contextLength()) {
            throw new IllegalArgumentException("needs " + positions + " positions but contextLength="
                    + options.contextLength());
        }
        for (int t : tokens) {
            checkToken(t);
        }
    }

    private void checkToken(int t) {
        if (t < 0 || t >= vocabSize) {
            throw new IllegalArgumentException("token id " + t + " outside the vocabulary of " + vocabSize);
        }
    }

    @Override
    public synchronized void close() {
        try {
            if (sampler != null && !sampler.equals(MemorySegment.NULL)) {
                lib.samplerFree.invokeExact(sampler);
            }
            if (ctx != null && !ctx.equals(MemorySegment.NULL)) {
                lib.free.invokeExact(ctx);
            }
            if (model != null && !model.equals(MemorySegment.NULL)) {
                lib.modelFree.invokeExact(model);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            sampler = null;
            ctx = null;
            model = null;
            if (arena.scope().isAlive()) {
                arena.close();
            }
        }
    }

    @Override
    public String toString() {
        return "LlamaCppReference[" + path + ", " + description + ", vocab=" + vocabSize + ", " + options + "]";
    }
}
