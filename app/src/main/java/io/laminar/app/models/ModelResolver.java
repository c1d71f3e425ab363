package io.laminar.app.models;

import io.laminar.app.models.ModelResolveException.Reason;

import java.io.Console;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/**
 * Turns what {@code -m} names into a local GGUF file: a path, or a Hugging Face reference
 * {@code hf:ORG/REPO/FILE.gguf[@REVISION]} that is downloaded once into a cache folder.
 *
 * <pre>{@code
 * Path gguf = new ModelResolver().resolve(model);   // "models/x.gguf", or "hf:ORG/REPO/FILE.gguf"
 * }</pre>
 *
 * <ul>
 * <li>A path that exists is returned as it is. A missing one is an error naming it (and suggesting
 *     {@code hf:} when it looks like a reference without it).</li>
 * <li>A reference resolves to {@code CACHE/ORG/REPO/REVISION/FILE.gguf}. When that file and its
 *     {@link ChecksumFile} exist and the size matches, it is returned with no network access at all.
 *     Otherwise {@link HfDownloader} fetches it (resumably, verified by size and sha256), showing
 *     progress on stderr. Concurrent resolutions of one file (threads or processes) download it
 *     once: the others wait on a lock file and then find it cached.</li>
 * <li>Every failure is a {@link ModelResolveException} whose message says what to do.</li>
 * </ul>
 *
 * <p>Settings, each from the {@link Builder} first, then the environment, then the default:
 * the cache folder ({@value #CACHE_DIR_ENV}), the server ({@value #ENDPOINT_ENV}), and the access
 * token ({@value #TOKEN_ENV}, else the token file {@code huggingface-cli login} writes). Instances
 * are immutable and safe to share.
 */
public final class ModelResolver {

    /** <code>LAMINAR_MODEL_CACHE</code> */
    public static final String CACHE_DIR_ENV = "LAMINAR_MODEL_CACHE";
    private static final String CACHE_DIR_DOC = "The folder downloaded models are kept in, as ORG/REPO/REVISION/FILE.gguf. "
            + "Default: $XDG_CACHE_HOME/laminar/models when XDG_CACHE_HOME is set, else ~/.cache/laminar/models.";
    /** The cache folder under the home folder (or under {@code $XDG_CACHE_HOME} without its {@code .cache}). */
    public static final String DEFAULT_CACHE_SUBDIR = ".cache/laminar/models";

    /** <code>HF_ENDPOINT</code> (the name huggingface_hub uses) */
    public static final String ENDPOINT_ENV = "HF_ENDPOINT";
    private static final String ENDPOINT_DOC = "The Hugging Face server, or a mirror of it, that hf: references are downloaded from.";
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    /** <code>HF_TOKEN</code> (the name huggingface_hub uses) */
    public static final String TOKEN_ENV = "HF_TOKEN";
    private static final String TOKEN_DOC = "A Hugging Face access token, sent as 'Authorization: Bearer' to the server (never to the "
            + "CDN it redirects to). Needed for gated and private models. Default: the file HF_TOKEN_PATH names, else "
            + "$HF_HOME/token, else ~/.cache/huggingface/token (where `huggingface-cli login` writes it), if it exists.";
    /** <code>HF_TOKEN_PATH</code> and <code>HF_HOME</code>: where huggingface_hub keeps its token file. */
    public static final String TOKEN_PATH_ENV = "HF_TOKEN_PATH";
    public static final String HF_HOME_ENV = "HF_HOME";

    /** How long connecting to a server may take. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** How long a server may take to answer a request with its headers (not the whole download). */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** How long a download may go without receiving a byte before it is abandoned (and kept, to resume). */
    public static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(60);

    /** Appended to the model file's name for the lock that makes concurrent downloads of one file wait for each other. */
    static final String LOCK_SUFFIX = ".lock";

    /** In-process half of the download lock; a {@link FileLock} cannot be taken twice by one JVM. */
    private static final ConcurrentHashMap<Path, ReentrantLock> LOCKS = new ConcurrentHashMap<>();

    private final Path cacheDir;
    private final URI endpoint;
    private final Optional<String> token;
    private final PrintStream err;
    private final boolean terminal;
    private final Duration connectTimeout;
    private final Duration requestTimeout;
    private final Duration stallTimeout;
    private final LongSupplier nanoClock;

    /** Settings from the environment: cache folder, server and token. Progress goes to {@code System.err}. */
    public ModelResolver() {
        this(builder());
    }

    /** Like {@link #ModelResolver()}, with the cache in {@code cacheDir} whatever the environment says. */
    public ModelResolver(Path cacheDir) {
        this(builder().cacheDir(cacheDir));
    }

    private ModelResolver(Builder b) {
        Map<String, String> env = b.environment;
        this.cacheDir = b.cacheDir != null ? b.cacheDir : defaultCacheDir(env, b.home);
        this.endpoint = b.endpoint != null ? b.endpoint : URI.create(nonBlank(env.get(ENDPOINT_ENV)).orElse(DEFAULT_ENDPOINT));
        this.token = b.token != null ? nonBlank(b.token) : tokenFrom(env, b.home);
        this.err = b.err;
        this.terminal = b.terminal != null ? b.terminal : stderrIsTerminal();
        this.connectTimeout = b.connectTimeout;
        this.requestTimeout = b.requestTimeout;
        this.stallTimeout = b.stallTimeout;
        this.nanoClock = b.nanoClock;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The local GGUF file {@code model} names: {@code model} itself when it is a path, the cached
     * (downloaded now if need be) file when it is {@code hf:ORG/REPO/FILE.gguf[@REVISION]}.
     *
     * @throws ModelResolveException when the file is missing, cannot be downloaded, or fails verification
     */
    public Path resolve(String model) {
        Objects.requireNonNull(model, "model");
        return HfReference.isHfReference(model) ? resolve(HfReference.parse(model)) : resolveLocal(model);
    }

    /** The cached file of {@code ref}, downloaded now if it is not cached yet. */
    public Path resolve(HfReference ref) {
        Path target = ref.cachePath(cacheDir);
        if (isCached(target)) {
            return target;
        }
        try {
            Files.createDirectories(target.getParent());
        } catch (IOException e) {
            throw new ModelResolveException(Reason.CACHE_IO, "could not create the model cache folder " + target.getParent()
                    + " (" + e + "); set " + CACHE_DIR_ENV + " to a writable folder", e);
        }
        ReentrantLock inProcess = LOCKS.computeIfAbsent(target.toAbsolutePath().normalize(), p -> new ReentrantLock());
        inProcess.lock();
        try (FileChannel lockFile = FileChannel.open(lockPath(target), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock lock = acquire(lockFile, ref);
            try {
                if (!isCached(target)) {
                    long adopted = keepOrDiscardUnverified(target);
                    try {
                        download(ref, target);
                    } catch (ModelResolveException e) {
                        putBackIfUntouched(target, adopted);
                        throw e;
                    }
                }
                return target;
            } finally {
                lock.release();
            }
        } catch (IOException e) {
            throw new ModelResolveException(Reason.CACHE_IO, "could not lock " + lockPath(target) + " (" + e + "); set "
                    + CACHE_DIR_ENV + " to a writable local folder", e);
        } finally {
            inProcess.unlock();
        }
    }

    private void download(HfReference ref, Path target) {
        try (HttpClient client = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(connectTimeout)
                .build()) {
            new HfDownloader(client,
                    new HfDownloader.Connection(endpoint, token, requestTimeout, stallTimeout, userAgent()),
                    new HfDownloader.Output(err, terminal, nanoClock))
                    .download(ref, target);
        }
    }

    /**
     * The environment variables read here, one {@code NAME  what it does} line each, for
     * {@code --help} footers; docs/models.md explains the same.
     */
    public static List<String> environmentHelp() {
        return List.of(
                CACHE_DIR_ENV + "  " + CACHE_DIR_DOC,
                ENDPOINT_ENV + "  " + ENDPOINT_DOC + " Default: " + DEFAULT_ENDPOINT + ".",
                TOKEN_ENV + "  " + TOKEN_DOC);
    }

    /** The cache folder hf: references are downloaded to. */
    public Path cacheDir() {
        return cacheDir;
    }

    /** The server hf: references are downloaded from. */
    public URI endpoint() {
        return endpoint;
    }

    /** Whether a token will be sent (the token itself is never exposed). */
    public boolean hasToken() {
        return token.isPresent();
    }

    /**
     * Whether the process's stderr is a terminal, so progress can be redrawn in place. Reads
     * {@code /proc/self/fd/2} on Linux; elsewhere it falls back to {@link Console#isTerminal()}, which
     * looks at stdin and stdout. {@code TERM=dumb} always means no.
     */
    public static boolean stderrIsTerminal() {
        if ("dumb".equals(System.getenv("TERM"))) {
            return false;
        }
        try {
            Path fd = Path.of("/proc/self/fd/2");
            if (Files.isSymbolicLink(fd)) {
                String target = Files.readSymbolicLink(fd).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
            }
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            // Not Linux, or not allowed: fall back to the console.
        }
        Console console = System.console();
        return console != null && console.isTerminal();
    }

    private Path resolveLocal(String model) {
        Path path;
        try {
            path = Path.of(model.startsWith("~/") ? System.getProperty("user.home") + model.substring(1) : model);
        } catch (InvalidPathException e) {
            throw new ModelResolveException(Reason.LOCAL_FILE_NOT_FOUND, "'" + model + "' is not a valid file path: "
                    + e.getReason(), e);
        }
        if (Files.isRegularFile(path)) {
            return path;
        }
        if (Files.isDirectory(path)) {
            throw new ModelResolveException(Reason.LOCAL_FILE_NOT_FOUND, model + " is a folder, not a GGUF file"
                    + ggufFilesIn(path), null);
        }
        String hint;
        Optional<HfReference> fromUrl = HfReference.fromUrl(model);
        Optional<HfReference> unprefixed = HfReference.withoutPrefix(model);
        if (fromUrl.isPresent()) {
            hint = "; that is a Hugging Face URL: to download the file, write -m " + fromUrl.get();
        } else if (unprefixed.isPresent()) {
            hint = "; if you meant the file on Hugging Face, write -m " + unprefixed.get()
                    + " (Hugging Face references start with " + HfReference.PREFIX + ")";
        } else {
            hint = "; pass a GGUF file, or a Hugging Face reference such as "
                    + "hf:bartowski/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct-Q8_0.gguf";
        }
        throw new ModelResolveException(Reason.LOCAL_FILE_NOT_FOUND, "model file not found: " + model + hint, null);
    }

    private static String ggufFilesIn(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(HfReference.GGUF_SUFFIX)).sorted().limit(5).toList();
            return names.isEmpty() ? "" : "; it holds " + String.join(", ", names);
        } catch (IOException e) {
            return "";
        }
    }

    /** Cached: the file and its checksum file exist, and the size is the verified one. */
    private static boolean isCached(Path target) {
        try {
            if (!Files.isRegularFile(target)) {
                return false;
            }
            Optional<ChecksumFile> verified = ChecksumFile.read(target);
            return verified.isPresent() && verified.get().size() == Files.size(target);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Deals with a model file that is there but not {@link #isCached}: without a checksum file (copied
     * in by hand, or a crash at the wrong moment) it becomes the partial file, which the download
     * then verifies, fetching only what is missing; with a checksum file its size changed since it
     * was verified, so it is deleted and downloaded again.
     *
     * @return the size of the file made the partial file, or -1 when none was
     */
    private long keepOrDiscardUnverified(Path target) {
        try {
            if (!Files.isRegularFile(target)) {
                return -1;
            }
            Optional<ChecksumFile> verified = ChecksumFile.read(target);
            long size = Files.size(target);
            if (verified.isEmpty()) {
                err.println(target + " has no " + ChecksumFile.SUFFIX + " record of a verified download; verifying it against the server");
                Files.move(target, HfDownloader.partialPath(target), StandardCopyOption.REPLACE_EXISTING);
                return size;
            }
            err.println(target + " is " + String.format(Locale.ROOT, "%,d", size) + " bytes but was "
                    + String.format(Locale.ROOT, "%,d", verified.get().size()) + " when it was verified; downloading it again");
            Files.delete(target);
            Files.deleteIfExists(ChecksumFile.pathFor(target));
            return -1;
        } catch (IOException e) {
            throw new ModelResolveException(Reason.CACHE_IO, "could not move or delete the unverified " + target + " (" + e
                    + "); delete it by hand, or set " + CACHE_DIR_ENV + " to another folder", e);
        }
    }

    /**
     * After a failed download, moves a file that {@link #keepOrDiscardUnverified} made the partial file
     * back where it was, unless the download changed it: offline, it stays usable by its path.
     */
    private static void putBackIfUntouched(Path target, long adoptedSize) {
        Path partial = HfDownloader.partialPath(target);
        try {
            if (adoptedSize >= 0 && !Files.exists(target) && Files.isRegularFile(partial) && Files.size(partial) == adoptedSize) {
                Files.move(partial, target);
            }
        } catch (IOException e) {
            // It stays the partial file, which the next run resumes from or verifies.
        }
    }

    private FileLock acquire(FileChannel lockFile, HfReference ref) throws IOException {
        FileLock lock = lockFile.tryLock();
        if (lock == null) {
            err.println("Waiting for another laminar process that is downloading " + ref + " ...");
            lock = lockFile.lock();
        }
        return lock;
    }

    private static Path lockPath(Path target) {
        return target.resolveSibling(target.getFileName() + LOCK_SUFFIX);
    }

    private static String userAgent() {
        String version = ModelResolver.class.getPackage().getImplementationVersion();
        return "laminar/" + (version != null ? version : "dev") + " java/" + Runtime.version().feature();
    }

    static Path defaultCacheDir(Map<String, String> env, Path home) {
        Optional<String> configured = nonBlank(env.get(CACHE_DIR_ENV));
        if (configured.isPresent()) {
            return Path.of(configured.get());
        }
        Optional<String> xdg = nonBlank(env.get("XDG_CACHE_HOME"));
        if (xdg.isPresent()) {
            return Path.of(xdg.get(), "laminar", "models");
        }
        return home.resolve(DEFAULT_CACHE_SUBDIR);
    }

    /** {@value #TOKEN_ENV}, else the token file of huggingface_hub, else none. */
    static Optional<String> tokenFrom(Map<String, String> env, Path home) {
        Optional<String> fromEnv = nonBlank(env.get(TOKEN_ENV));
        if (fromEnv.isPresent()) {
            return fromEnv;
        }
        Path file = nonBlank(env.get(TOKEN_PATH_ENV)).map(Path::of)
                .orElseGet(() -> nonBlank(env.get(HF_HOME_ENV)).map(Path::of)
                        .orElseGet(() -> nonBlank(env.get("XDG_CACHE_HOME")).map(x -> Path.of(x, "huggingface"))
                                .orElseGet(() -> home.resolve(".cache/huggingface")))
                        .resolve("token"));
        try {
            return Files.isRegularFile(file) ? nonBlank(Files.readString(file)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> nonBlank(String s) {
        return s == null || s.isBlank() ? Optional.empty() : Optional.of(s.strip());
    }

    /** Settings of a {@link ModelResolver}; anything left unset comes from the environment or the defaults. */
    public static final class Builder {
        private Path cacheDir;
        private URI endpoint;
        private String token;
        private Map<String, String> environment = System.getenv();
        private Path home = Path.of(System.getProperty("user.home"));
        private PrintStream err = System.err;
        private Boolean terminal;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private Duration stallTimeout = DEFAULT_STALL_TIMEOUT;
        private LongSupplier nanoClock = System::nanoTime;

        private Builder() {
        }

        /** The cache folder, over {@value #CACHE_DIR_ENV} and the default. */
        public Builder cacheDir(Path cacheDir) {
            this.cacheDir = Objects.requireNonNull(cacheDir, "cacheDir");
            return this;
        }

        /** The server, over {@value #ENDPOINT_ENV} and {@value #DEFAULT_ENDPOINT}; tests point it at a local one. */
        public Builder endpoint(URI endpoint) {
            this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
            return this;
        }

        /** The access token, over {@value #TOKEN_ENV} and the token file; blank means none. */
        public Builder token(String token) {
            this.token = Objects.requireNonNull(token, "token");
            return this;
        }

        /** The environment variables to read instead of {@link System#getenv()}. */
        public Builder environment(Map<String, String> environment) {
            this.environment = Map.copyOf(environment);
            return this;
        }

        /** The home folder, for the default cache and token file, instead of {@code user.home}. */
        public Builder home(Path home) {
            this.home = Objects.requireNonNull(home, "home");
            return this;
        }

        /** Where progress and notes go, instead of {@code System.err}. */
        public Builder err(PrintStream err) {
            this.err = Objects.requireNonNull(err, "err");
            return this;
        }

        /** Whether {@link #err} is a terminal (a redrawn bar) or not (plain lines); by default {@link #stderrIsTerminal()}. */
        public Builder terminal(boolean terminal) {
            this.terminal = terminal;
            return this;
        }

        /** How long connecting may take; default {@link #DEFAULT_CONNECT_TIMEOUT}. */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
            return this;
        }

        /** How long a server may take to answer with its headers; default {@link #DEFAULT_REQUEST_TIMEOUT}. */
        public Builder requestTimeout(Duration requestTimeout) {
            this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
            return this;
        }

        /** How long a download may go without a byte before it is abandoned; default {@link #DEFAULT_STALL_TIMEOUT}. */
        public Builder stallTimeout(Duration stallTimeout) {
            this.stallTimeout = Objects.requireNonNull(stallTimeout, "stallTimeout");
            return this;
        }

        /** The clock progress speed is measured with; tests use a fake one. */
        Builder nanoClock(LongSupplier nanoClock) {
            this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
            return this;
        }

        public ModelResolver build() {
            return new ModelResolver(this);
        }
    }
}
