package io.laminar.model.testing;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.HexFormat;
import java.util.Locale;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Foreign-function bindings to the llama.cpp C API inside the native library that the Maven artifact
 * {@code de.kherud:llama:4.2.0} bundles (llama.cpp build b4916, commit c6af2161, CPU only). That
 * library is a JNI wrapper around llama.cpp's HTTP-server code, but it also exports the whole C API
 * ({@code llama.h}); calling the C API directly gives exact logits and token ids, which the JNI
 * methods cannot (they return only text, and their probability parsing aborts on this build: it reads
 * a {@code "probs"} key that this server version no longer writes, and a missing key is a
 * {@code GGML_ASSERT}). Going around the JNI layer also avoids two of its traps: {@code close()} does
 * not free the server context (the delete is commented out in jllama.cpp), and its task thread,
 * attached to the JVM and never detached, keeps the JVM from exiting after {@code main} returns.
 *
 * <p>The library is extracted from the jar into a private folder and opened with {@code dlopen}
 * through {@link SymbolLookup#libraryLookup}; java-llama.cpp's own loader is not used, because it
 * deletes every {@code llama*} file in the shared temporary folder and rewrites
 * {@code /tmp/libjllama.so} in place, which races with other processes on the same machine.
 *
 * <p>Struct layouts are those of b4916's {@code llama.h}, read back from the disassembly of
 * {@code llama_model_default_params}, {@code llama_context_default_params},
 * {@code llama_batch_get_one} and {@code llama_context::perf_get_data}; {@link #checkDefaults}
 * verifies the known default values at load time, so a different build fails loudly instead of
 * writing fields at the wrong offsets.
 */
@SuppressWarnings("restricted") // binding native code is what this class is for
final class LlamaCppNative {
    /** Path of the Linux x86-64 build inside the jar. */
    static final String RESOURCE = "/de/kherud/llama/Linux/x86_64/libjllama.so";

    // enum ggml_log_level: NONE 0, DEBUG 1, INFO 2, WARN 3, ERROR 4, CONT 5 (continues the previous line)
    static final int LOG_LEVEL_DEBUG = 1;
    static final int LOG_LEVEL_CONT = 5;

    /** struct llama_model_params (64 bytes in b4916). */
    static final StructLayout MODEL_PARAMS = MemoryLayout.structLayout(
            ADDRESS.withName("devices"),
            JAVA_INT.withName("n_gpu_layers"),
            JAVA_INT.withName("split_mode"),
            JAVA_INT.withName("main_gpu"),
            MemoryLayout.paddingLayout(4),
            ADDRESS.withName("tensor_split"),
            ADDRESS.withName("progress_callback"),
            ADDRESS.withName("progress_callback_user_data"),
            ADDRESS.withName("kv_overrides"),
            JAVA_BOOLEAN.withName("vocab_only"),
            JAVA_BOOLEAN.withName("use_mmap"),
            JAVA_BOOLEAN.withName("use_mlock"),
            JAVA_BOOLEAN.withName("check_tensors"),
            MemoryLayout.paddingLayout(4));

    /** struct llama_context_params (120 bytes in b4916). */
    static final StructLayout CONTEXT_PARAMS = MemoryLayout.structLayout(
            JAVA_INT.withName("n_ctx"),
            JAVA_INT.withName("n_batch"),
            JAVA_INT.withName("n_ubatch"),
            JAVA_INT.withName("n_seq_max"),
            JAVA_INT.withName("n_threads"),
            JAVA_INT.withName("n_threads_batch"),
            JAVA_INT.withName("rope_scaling_type"),
            JAVA_INT.withName("pooling_type"),
            JAVA_INT.withName("attention_type"),
            JAVA_FLOAT.withName("rope_freq_base"),
            JAVA_FLOAT.withName("rope_freq_scale"),
            JAVA_FLOAT.withName("yarn_ext_factor"),
            JAVA_FLOAT.withName("yarn_attn_factor"),
            JAVA_FLOAT.withName("yarn_beta_fast"),
            JAVA_FLOAT.withName("yarn_beta_slow"),
            JAVA_INT.withName("yarn_orig_ctx"),
            JAVA_FLOAT.withName("defrag_thold"),
            MemoryLayout.paddingLayout(4),
            ADDRESS.withName("cb_eval"),
            ADDRESS.withName("cb_eval_user_data"),
            JAVA_INT.withName("type_k"),
            JAVA_INT.withName("type_v"),
            JAVA_BOOLEAN.withName("logits_all"),
            JAVA_BOOLEAN.withName("embeddings"),
            JAVA_BOOLEAN.withName("offload_kqv"),
            JAVA_BOOLEAN.withName("flash_attn"),
            JAVA_BOOLEAN.withName("no_perf"),
            MemoryLayout.paddingLayout(3),
            ADDRESS.withName("abort_callback"),
            ADDRESS.withName("abort_callback_data"));

    /** struct llama_batch (56 bytes). */
    static final StructLayout BATCH = MemoryLayout.structLayout(
            JAVA_INT.withName("n_tokens"),
            MemoryLayout.paddingLayout(4),
            ADDRESS.withName("token"),
            ADDRESS.withName("embd"),
            ADDRESS.withName("pos"),
            ADDRESS.withName("n_seq_id"),
            ADDRESS.withName("seq_id"),
            ADDRESS.withName("logits"));

    /** struct llama_perf_context_data (40 bytes): times in ms, counts at least 1. */
    static final StructLayout PERF = MemoryLayout.structLayout(
            JAVA_DOUBLE.withName("t_start_ms"),
            JAVA_DOUBLE.withName("t_load_ms"),
            JAVA_DOUBLE.withName("t_p_eval_ms"),
            JAVA_DOUBLE.withName("t_eval_ms"),
            JAVA_INT.withName("n_p_eval"),
            JAVA_INT.withName("n_eval"));

    static final long MP_USE_MMAP = offset(MODEL_PARAMS, "use_mmap");
    static final long MP_N_GPU_LAYERS = offset(MODEL_PARAMS, "n_gpu_layers");
    static final long CP_N_CTX = offset(CONTEXT_PARAMS, "n_ctx");
    static final long CP_N_BATCH = offset(CONTEXT_PARAMS, "n_batch");
    static final long CP_N_UBATCH = offset(CONTEXT_PARAMS, "n_ubatch");
    static final long CP_N_SEQ_MAX = offset(CONTEXT_PARAMS, "n_seq_max");
    static final long CP_N_THREADS = offset(CONTEXT_PARAMS, "n_threads");
    static final long CP_N_THREADS_BATCH = offset(CONTEXT_PARAMS, "n_threads_batch");
    static final long CP_YARN_BETA_FAST = offset(CONTEXT_PARAMS, "yarn_beta_fast");
    static final long CP_TYPE_K = offset(CONTEXT_PARAMS, "type_k");
    static final long CP_OFFLOAD_KQV = offset(CONTEXT_PARAMS, "offload_kqv");
    static final long CP_NO_PERF = offset(CONTEXT_PARAMS, "no_perf");
    static final long CP_EMBEDDINGS = offset(CONTEXT_PARAMS, "embeddings");
    static final long B_N_TOKENS = offset(BATCH, "n_tokens");
    static final long B_TOKEN = offset(BATCH, "token");
    static final long B_POS = offset(BATCH, "pos");
    static final long B_N_SEQ_ID = offset(BATCH, "n_seq_id");
    static final long B_SEQ_ID = offset(BATCH, "seq_id");
    static final long B_LOGITS = offset(BATCH, "logits");
    static final long PERF_T_P_EVAL_MS = offset(PERF, "t_p_eval_ms");
    static final long PERF_T_EVAL_MS = offset(PERF, "t_eval_ms");
    static final long PERF_N_P_EVAL = offset(PERF, "n_p_eval");
    static final long PERF_N_EVAL = offset(PERF, "n_eval");

    private static final Linker LINKER = Linker.nativeLinker();

    final MethodHandle backendInit;
    final MethodHandle logSet;
    final MethodHandle modelDefaultParams;
    final MethodHandle contextDefaultParams;
    final MethodHandle modelLoadFromFile;
    final MethodHandle modelFree;
    final MethodHandle initFromModel;
    final MethodHandle free;
    final MethodHandle modelGetVocab;
    final MethodHandle modelNEmbd;
    final MethodHandle modelNCtxTrain;
    final MethodHandle modelDesc;
    final MethodHandle vocabNTokens;
    final MethodHandle vocabBos;
    final MethodHandle vocabGetAddBos;
    final MethodHandle tokenize;
    final MethodHandle tokenToPiece;
    final MethodHandle decode;
    final MethodHandle getLogitsIth;
    final MethodHandle getEmbeddingsIth;
    final MethodHandle setEmbeddings;
    final MethodHandle setNThreads;
    final MethodHandle kvSelfClear;
    final MethodHandle synchronize;
    final MethodHandle perfContext;
    final MethodHandle perfContextReset;
    final MethodHandle perfContextPrint;
    final MethodHandle samplerInitGreedy;
    final MethodHandle samplerSample;
    final MethodHandle samplerFree;

    /** The last log lines llama.cpp wrote, kept for error messages when logging is quiet. */
    private final ArrayDeque<String> recentLog = new ArrayDeque<>();
    private static final int RECENT_LOG_LINES = 40;
    private volatile boolean verbose;
    /** Lines logged on the capturing thread while {@link #capture} runs, else {@code null}. */
    private final ThreadLocal<StringBuilder> captured = new ThreadLocal<>();

    private static volatile LlamaCppNative instance;
    private static volatile String unavailable;

    private LlamaCppNative(SymbolLookup lib) {
        backendInit = handle(lib, "llama_backend_init", FunctionDescriptor.ofVoid());
        logSet = handle(lib, "llama_log_set", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
        modelDefaultParams = handle(lib, "llama_model_default_params", FunctionDescriptor.of(MODEL_PARAMS));
        contextDefaultParams = handle(lib, "llama_context_default_params", FunctionDescriptor.of(CONTEXT_PARAMS));
        modelLoadFromFile = handle(lib, "llama_model_load_from_file", FunctionDescriptor.of(ADDRESS, ADDRESS, MODEL_PARAMS));
        modelFree = handle(lib, "llama_model_free", FunctionDescriptor.ofVoid(ADDRESS));
        initFromModel = handle(lib, "llama_init_from_model", FunctionDescriptor.of(ADDRESS, ADDRESS, CONTEXT_PARAMS));
        free = handle(lib, "llama_free", FunctionDescriptor.ofVoid(ADDRESS));
        modelGetVocab = handle(lib, "llama_model_get_vocab", FunctionDescriptor.of(ADDRESS, ADDRESS));
        modelNEmbd = handle(lib, "llama_model_n_embd", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        modelNCtxTrain = handle(lib, "llama_model_n_ctx_train", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        modelDesc = handle(lib, "llama_model_desc", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
        vocabNTokens = handle(lib, "llama_vocab_n_tokens", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        vocabBos = handle(lib, "llama_vocab_bos", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        vocabGetAddBos = handle(lib, "llama_vocab_get_add_bos", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS));
        tokenize = handle(lib, "llama_tokenize", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_BOOLEAN, JAVA_BOOLEAN));
        tokenToPiece = handle(lib, "llama_token_to_piece", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_BOOLEAN));
        decode = handle(lib, "llama_decode", FunctionDescriptor.of(JAVA_INT, ADDRESS, BATCH));
        getLogitsIth = handle(lib, "llama_get_logits_ith", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
        getEmbeddingsIth = handle(lib, "llama_get_embeddings_ith", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
        setEmbeddings = handle(lib, "llama_set_embeddings", FunctionDescriptor.ofVoid(ADDRESS, JAVA_BOOLEAN));
        setNThreads = handle(lib, "llama_set_n_threads", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT));
        kvSelfClear = handle(lib, "llama_kv_self_clear", FunctionDescriptor.ofVoid(ADDRESS));
        synchronize = handle(lib, "llama_synchronize", FunctionDescriptor.ofVoid(ADDRESS));
        perfContext = handle(lib, "llama_perf_context", FunctionDescriptor.of(PERF, ADDRESS));
        perfContextReset = handle(lib, "llama_perf_context_reset", FunctionDescriptor.ofVoid(ADDRESS));
        perfContextPrint = handle(lib, "llama_perf_context_print", FunctionDescriptor.ofVoid(ADDRESS));
        samplerInitGreedy = handle(lib, "llama_sampler_init_greedy", FunctionDescriptor.of(ADDRESS));
        samplerSample = handle(lib, "llama_sampler_sample", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        samplerFree = handle(lib, "llama_sampler_free", FunctionDescriptor.ofVoid(ADDRESS));
    }

    /**
     * The bindings, loading the library on first use.
     *
     * @throws IllegalStateException if the platform is not Linux x86-64, the artifact is not on the
     *                               class path, or the library is not the expected build
     */
    static LlamaCppNative get() {
        LlamaCppNative n = instance;
        if (n != null) {
            return n;
        }
        synchronized (LlamaCppNative.class) {
            if (instance == null) {
                if (unavailable != null) {
                    throw new IllegalStateException(unavailable);
                }
                try {
                    instance = load();
                } catch (RuntimeException | IOException | Error e) {
                    unavailable = "llama.cpp reference unavailable: " + e;
                    throw new IllegalStateException(unavailable, e);
                }
            }
            return instance;
        }
    }

    /** Why {@link #get} fails, or {@code null} when the library loads. */
    static String unavailableReason() {
        try {
            get();
            return null;
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }

    private static LlamaCppNative load() throws IOException {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new IllegalStateException("only the Linux x86-64 build is wired up, this is os.name="
                    + os + " os.arch=" + arch);
        }
        Path lib = extract();
        SymbolLookup lookup = SymbolLookup.libraryLookup(lib, Arena.global());
        LlamaCppNative n = new LlamaCppNative(lookup);
        n.checkDefaults();
        n.installLogger();
        try {
            n.backendInit.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
        return n;
    }

    /** Copies the library out of the jar into a folder named by its SHA-256, once per machine and build. */
    private static Path extract() throws IOException {
        byte[] bytes;
        try (InputStream in = LlamaCppNative.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + RESOURCE
                        + " not on the class path (test dependency de.kherud:llama missing?)");
            }
            bytes = in.readAllBytes();
        }
        String sha;
        try {
            sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9_.-]", "_");
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "laminar-llamacpp-" + user, sha);
        Path lib = dir.resolve("libjllama.so");
        if (Files.isRegularFile(lib) && Files.size(lib) == bytes.length) {
            return lib;
        }
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "libjllama", ".partial");
        Files.write(tmp, bytes);
        try {
            Files.move(tmp, lib, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, lib, StandardCopyOption.REPLACE_EXISTING);
        }
        return lib;
    }

    /** Fails if the struct defaults are not those of b4916, i.e. the layouts above would be wrong. */
    private void checkDefaults() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mp = (MemorySegment) modelDefaultParams.invokeExact((SegmentAllocator) arena);
            MemorySegment cp = (MemorySegment) contextDefaultParams.invokeExact((SegmentAllocator) arena);
            boolean ok = mp.get(JAVA_BOOLEAN, MP_USE_MMAP) && mp.get(JAVA_INT, MP_N_GPU_LAYERS) == 0
                    && cp.get(JAVA_INT, CP_N_CTX) == 512 && cp.get(JAVA_INT, CP_N_BATCH) == 2048
                    && cp.get(JAVA_INT, CP_N_UBATCH) == 512 && cp.get(JAVA_INT, CP_N_SEQ_MAX) == 1
                    && cp.get(JAVA_FLOAT, CP_YARN_BETA_FAST) == 32f && cp.get(JAVA_INT, CP_TYPE_K) == 1
                    && cp.get(JAVA_BOOLEAN, CP_OFFLOAD_KQV) && cp.get(JAVA_BOOLEAN, CP_NO_PERF);
            if (!ok) {
                throw new IllegalStateException("the bundled llama.cpp's default parameters do not match the "
                        + "b4916 struct layouts these bindings assume; was de.kherud:llama upgraded?");
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private void installLogger() {
        try {
            MethodHandle target = MethodHandles.lookup().findVirtual(LlamaCppNative.class, "onLog",
                    MethodType.methodType(void.class, int.class, MemorySegment.class, MemorySegment.class)).bindTo(this);
            MemorySegment stub = LINKER.upcallStub(target, FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS, ADDRESS),
                    Arena.global());
            logSet.invokeExact(stub, MemorySegment.NULL);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The log callback llama.cpp and ggml call (from any thread); must not throw. */
    @SuppressWarnings("unused")
    private void onLog(int level, MemorySegment text, MemorySegment userData) {
        try {
            String line = text.reinterpret(Long.MAX_VALUE).getString(0, StandardCharsets.UTF_8);
            if (verbose) {
                System.err.print(line);
            }
            StringBuilder sb = captured.get();
            if (sb != null) {
                sb.append(line);
            }
            if (level != LOG_LEVEL_DEBUG) {
                synchronized (recentLog) {
                    if (level == LOG_LEVEL_CONT && !recentLog.isEmpty()) {
                        recentLog.addLast(recentLog.pollLast() + line);
                    } else {
                        recentLog.addLast(line);
                    }
                    while (recentLog.size() > RECENT_LOG_LINES) {
                        recentLog.removeFirst();
                    }
                }
            }
        } catch (Throwable ignored) {
            // an exception must not unwind into native code
        }
    }

    /** What llama.cpp logs on this thread while {@code call} runs. */
    String capture(NativeCall call) {
        StringBuilder sb = new StringBuilder();
        captured.set(sb);
        try {
            call.run();
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            captured.remove();
        }
        return sb.toString();
    }

    /** A call into native code. */
    @FunctionalInterface
    interface NativeCall {
        void run() throws Throwable;
    }

    void setVerbose(boolean verbose) {
        this.verbose = verbose;
    }

    /** The recent warning and error lines of llama.cpp's log, for an exception message. */
    String recentWarnings() {
        StringBuilder sb = new StringBuilder();
        synchronized (recentLog) {
            for (String line : recentLog) {
                String t = line.strip();
                if (t.contains("error") || t.contains("failed") || t.contains("warn") || t.contains("unknown")
                        || t.contains("missing") || t.contains("wrong")) {
                    sb.append("\n  ").append(t);
                }
            }
        }
        return sb.toString();
    }

    void clearRecentLog() {
        synchronized (recentLog) {
            recentLog.clear();
        }
    }

    private static long offset(StructLayout layout, String field) {
        return layout.byteOffset(MemoryLayout.PathElement.groupElement(field));
    }

    private static MethodHandle handle(SymbolLookup lib, String name, FunctionDescriptor fd) {
        MemorySegment symbol = lib.find(name).orElseThrow(
                () -> new IllegalStateException("symbol " + name + " not found in the bundled llama.cpp"));
        return LINKER.downcallHandle(symbol, fd);
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
