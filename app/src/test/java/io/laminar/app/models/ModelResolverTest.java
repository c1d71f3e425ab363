package io.laminar.app.models;

import io.laminar.app.models.ModelResolveException.Reason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.net.URI;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ModelResolver} against {@link FakeHub}: downloads, the cache, resuming, verification and errors. */
class ModelResolverTest {
    /** A few hundred KB: several reads of the 64 KiB buffer, so resuming and cutting happen mid-file. */
    private static final int SIZE = 300_000;

    @TempDir
    Path temp;

    private FakeHub hub;
    private Path cache;
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    @BeforeEach
    void startHub() throws IOException {
        hub = FakeHub.start(SIZE);
        cache = temp.resolve("cache");
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    /** A resolver isolated from this machine's environment (no HF_TOKEN, no real cache or home). */
    private ModelResolver.Builder resolverBuilder() {
        return ModelResolver.builder()
                .cacheDir(cache)
                .endpoint(hub.endpoint())
                .environment(Map.of())
                .home(temp.resolve("home"))
                .err(new PrintStream(stderr, true, StandardCharsets.UTF_8))
                .terminal(false);
    }

    private ModelResolver resolver() {
        return resolverBuilder().build();
    }

    private Path modelPath() {
        return cache.resolve("org/repo/main/model.gguf");
    }

    private Path partialPath() {
        return cache.resolve("org/repo/main/model.gguf.partial");
    }

    private String log() {
        return stderr.toString(StandardCharsets.UTF_8);
    }

    private List<String> paths() {
        return hub.requests().stream().map(FakeHub.Request::path).toList();
    }

    @Test
    void downloadsFollowingTheRedirectAndVerifies() throws IOException {
        Path model = resolver().resolve(FakeHub.REFERENCE);

        assertEquals(modelPath(), model);
        assertArrayEquals(hub.content, Files.readAllBytes(model));
        assertEquals(List.of(FakeHub.RESOLVE_PATH, FakeHub.CDN_PATH), paths());
        assertFalse(Files.exists(partialPath()));
        Optional<ChecksumFile> record = ChecksumFile.read(model);
        assertEquals(Optional.of(new ChecksumFile(hub.sha256, SIZE)), record);
        assertTrue(log().contains("Downloading " + FakeHub.REFERENCE), log());
        assertTrue(log().contains("verified 300,000 bytes, sha256 " + hub.sha256.substring(0, 12)), log());
    }

    @Test
    void aCachedModelNeedsNoServer() throws IOException {
        resolver().resolve(FakeHub.REFERENCE);
        hub.clearRequests();
        hub.close();

        Path again = resolver().resolve(FakeHub.REFERENCE);

        assertEquals(modelPath(), again);
        assertEquals(List.of(), hub.requests());
        assertArrayEquals(hub.content, Files.readAllBytes(again));
    }

    @Test
    void resumesFromAPartialFileWithARangeRequest() throws IOException {
        Files.createDirectories(partialPath().getParent());
        Files.write(partialPath(), Arrays.copyOf(hub.content, 100_000));

        Path model = resolver().resolve(FakeHub.REFERENCE);

        assertArrayEquals(hub.content, Files.readAllBytes(model));
        FakeHub.Request cdn = hub.requests().getLast();
        assertEquals(FakeHub.CDN_PATH, cdn.path());
        assertEquals("bytes=100000-", cdn.range());
        assertTrue(log().contains("resuming after 97.7 KiB"), log());
    }

    @Test
    void startsOverWhenTheServerIgnoresTheRange() throws IOException {
        hub.ignoreRange = true;
        Files.createDirectories(partialPath().getParent());
        Files.write(partialPath(), new byte[100_000]);   // not the file's bytes: only a fresh start can pass the sha256

        Path model = resolver().resolve(FakeHub.REFERENCE);

        assertArrayEquals(hub.content, Files.readAllBytes(model));
        assertEquals("bytes=100000-", hub.requests().getLast().range());
        assertTrue(log().contains("the server ignored the range request; starting over"), log());
    }

    @Test
    void theSha256CoversTheResumedPart() {
        byte[] wrongStart = Arrays.copyOf(hub.content, 100_000);
        wrongStart[7] ^= 1;
        write(partialPath(), wrongStart);

        ModelResolveException e = assertThrows(ModelResolveException.class, () -> resolver().resolve(FakeHub.REFERENCE));

        assertEquals(Reason.CHECKSUM_MISMATCH, e.reason());
        assertNoFilesLeft();
    }

    @Test
    void aBrokenConnectionKeepsThePartialFileAndTheNextRunResumes() throws IOException {
        hub.cutAfter = 150_000;

        ModelResolveException e = assertThrows(ModelResolveException.class, () -> resolver().resolve(FakeHub.REFERENCE));

        assertEquals(Reason.INTERRUPTED, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("run the same command again to resume"), e.getMessage());
        long kept = Files.size(partialPath());
        assertTrue(kept > 0 && kept <= 150_000, "kept " + kept);
        assertFalse(Files.exists(modelPath()));

        hub.cutAfter = -1;
        hub.clearRequests();
        Path model = resolver().resolve(FakeHub.REFERENCE);

        assertArrayEquals(hub.content, Files.readAllBytes(model));
        assertEquals("bytes=" + kept + "-", hub.requests().getLast().range());
    }

    @Test
    void aStalledDownloadIsAbandonedAndKept() throws IOException {
        hub.cutAfter = 100_000;
        hub.stall = true;
        ModelResolver resolver = resolverBuilder().stallTimeout(Duration.ofMillis(300)).build();

        ModelResolveException e = assertThrows(ModelResolveException.class, () -> resolver.resolve(FakeHub.REFERENCE));

        assertEquals(Reason.INTERRUPTED, e.reason());
        assertTrue(e.getMessage().contains("broke off after 97.7 KiB of 293.0 KiB (no data arrived for 0.3 s)"), e.getMessage());
        assertTrue(Files.size(partialPath()) > 0);
    }

    /** Resolves the reference to the hub's file, the hub having been asked for its resolve URL and nothing else. */
    private Path resolvedAskingOnlyTheResolveUrl() throws IOException {
        Path model = resolver().resolve(FakeHub.REFERENCE);
        assertArrayEquals(hub.content, Files.readAllBytes(model));
        assertEquals(List.of(FakeHub.RESOLVE_PATH), paths());
        return model;
    }

    @Test
    void aWholePartialFileIsVerifiedWithoutDownloadingIt() throws IOException {
        write(partialPath(), hub.content);

        resolvedAskingOnlyTheResolveUrl();
    }

    @Test
    void aPartialFileLongerThanTheModelIsDiscarded() throws IOException {
        byte[] tooLong = Arrays.copyOf(hub.content, SIZE + 10);
        write(partialPath(), tooLong);

        Path model = resolver().resolve(FakeHub.REFERENCE);

        assertArrayEquals(hub.content, Files.readAllBytes(model));
        assertNull(hub.requests().getLast().range());
    }

    @Test
    void aWholePartialFileOfASmallFileIsVerifiedAfterA416() throws IOException {
        hub.lfs = false;
        write(partialPath(), hub.content);

        Path model = resolver().resolve(FakeHub.REFERENCE);

        assertArrayEquals(hub.content, Files.readAllBytes(model));
        assertEquals(ChecksumFile.read(model).orElseThrow().sha256(), hub.sha256);
    }

    @Test
    void aSmallFileWithoutRedirectIsCheckedAgainstItsETag() throws IOException {
        hub.lfs = false;

        resolvedAskingOnlyTheResolveUrl();

        hub.announcedSha256 = "0".repeat(64);
        ModelResolveException e = assertThrows(ModelResolveException.class,
                () -> resolver().resolve(FakeHub.REFERENCE + "@other"));
        assertEquals(Reason.CHECKSUM_MISMATCH, e.reason());
    }

    @Test
    void aChecksumMismatchIsRefusedAndLeavesNoFile() {
        hub.announcedSha256 = "0".repeat(64);

        ModelResolveException e = assertThrows(ModelResolveException.class, () -> resolver().resolve(FakeHub.REFERENCE));

        assertEquals(Reason.CHECKSUM_MISMATCH, e.reason());
        assertTrue(e.getMessage().contains("is corrupt: its sha256 is " + hub.sha256 + " but the server announced " + "0".repeat(64)),
                e.getMessage());
        assertTrue(e.getMessage().contains("-m PATH.gguf"), e.getMessage());
        assertNoFilesLeft();
    }

    @Test
    void aSizeMismatchIsRefusedAndLeavesNoFile() {
        hub.announcedSize = SIZE + 1;

        ModelResolveException e = assertThrows(ModelResolveException.class, () -> resolver().resolve(FakeHub.REFERENCE));

        assertEquals(Reason.SIZE_MISMATCH, e.reason());
        assertTrue(e.getMessage().contains("300,000 bytes but the file is announced as 300,001 bytes"), e.getMessage());
        assertNoFilesLeft();
    }

    @Test
    void aMissingFileNamesTheFileAndTheRepository() {
        ModelResolveException e = assertThrows(ModelResolveException.class,
                () -> resolver().resolve("hf:org/repo/other.gguf"));

        assertEquals(Reason.NOT_FOUND, e.reason());
        assertEquals("could not download hf:org/repo/other.gguf: the file other.gguf was not found in org/repo at revision "
                + "'main' (404). See the files at " + hub.endpoint() + "/org/repo/tree/main.", e.getMessage());
    }

    @Test
    void aMissingRevisionSaysSo() {
        hub.failStatus = 404;
        hub.errorCode = "RevisionNotFound";

        ModelResolveException e = assertThrows(ModelResolveException.class,
                () -> resolver().resolve(FakeHub.REFERENCE + "@v9"));

        assertEquals(Reason.NOT_FOUND, e.reason());
        assertTrue(e.getMessage().contains("the revision 'v9' does not exist in org/repo (404) (\"fake hub says RevisionNotFound\")"),
                e.getMessage());
    }

    @Test
    void aGatedModelAsksForATokenAndTheTerms() {
        hub.failStatus = 403;
        hub.errorCode = "GatedRepo";

        ModelResolveException e = assertThrows(ModelResolveException.class, () -> resolver().resolve(FakeHub.REFERENCE));

        assertEquals(Reason.FORBIDDEN, e.reason());
        assertTrue(e.getMessage().contains("access to org/repo is forbidden (403)"), e.getMessage());
        assertTrue(e.getMessage().contains("accept its terms at " + hub.endpoint() + "/org/repo"), e.getMessage());
        assertTrue(e.getMessage().contains("set HF_TOKEN"), e.getMessage());
    }

    @Test
    void a401WithoutTokenAsksForOneAndWithATokenBlamesIt() {
        hub.failStatus = 401;

        ModelResolveException without = assertThrows(ModelResolveException.class, () -> resolver().resolve(FakeHub.REFERENCE));
        ModelResolveException with = assertThrows(ModelResolveException.class,
                () -> resolverBuilder().token("hf_bad").build().resolve(FakeHub.REFERENCE));

        assertEquals(Reason.UNAUTHORIZED, without.reason());
        assertTrue(without.getMessage().contains("is gated or private, or does not exist"), without.getMessage());
        assertTrue(without.getMessage().contains("set HF_TOKEN"), without.getMessage());
        assertTrue(with.getMessage().contains("The token in HF_TOKEN was refused"), with.getMessage());
    }

    @Test
    void theTokenGoesToTheHubButNotToTheCdn() {
        ModelResolver resolver = resolverBuilder().environment(Map.of(ModelResolver.TOKEN_ENV, "hf_secret")).build();

        resolver.resolve(FakeHub.REFERENCE);

        List<FakeHub.Request> requests = hub.requests();
        assertEquals("Bearer hf_secret", requests.get(0).authorization());
        assertEquals(FakeHub.CDN_PATH, requests.get(1).path());
        assertNull(requests.get(1).authorization());
    }

    @Test
    void anUnreachableServerSuggestsALocalFile() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        ModelResolver resolver = resolverBuilder().endpoint(URI.create("http://127.0.0.1:" + closedPort)).build();

        ModelResolveException e = assertThrows(ModelResolveException.class, () -> resolver.resolve(FakeHub.REFERENCE));

        assertEquals(Reason.UNREACHABLE, e.reason());
        assertTrue(e.getMessage().startsWith("could not download hf:org/repo/model.gguf: 127.0.0.1:" + closedPort
                + " refused the connection"), e.getMessage());
        assertTrue(e.getMessage().endsWith("Check the network and run again, or pass a local file instead with -m PATH.gguf."),
                e.getMessage());
    }

    @Test
    void networkFailuresAreNamed() {
        URI hubUri = URI.create("https://huggingface.co/org/repo/resolve/main/model.gguf");
        Duration timeout = Duration.ofSeconds(30);

        assertEquals("unknown host huggingface.co (is this machine offline, or is the name misspelt?)",
                DownloadErrors.describeNetworkFailure(
                        (IOException) new ConnectException().initCause(new UnresolvedAddressException()), hubUri, timeout));
        assertEquals("unknown host huggingface.co (is this machine offline, or is the name misspelt?)",
                DownloadErrors.describeNetworkFailure(new UnknownHostException("huggingface.co"), hubUri, timeout));
        assertEquals("connecting to huggingface.co timed out",
                DownloadErrors.describeNetworkFailure(new HttpConnectTimeoutException("x"), hubUri, timeout));
        assertEquals("huggingface.co did not answer within 30 s",
                DownloadErrors.describeNetworkFailure(new HttpTimeoutException("x"), hubUri, timeout));
        assertEquals("the TLS handshake with huggingface.co failed (bad certificate)",
                DownloadErrors.describeNetworkFailure(new SSLHandshakeException("bad certificate"), hubUri, timeout));
    }

    @Test
    void concurrentResolutionsDownloadOnce() throws Exception {
        ModelResolver resolver = resolver();
        try (ExecutorService threads = Executors.newFixedThreadPool(3)) {
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                results.add(threads.submit(() -> resolver.resolve(FakeHub.REFERENCE)));
            }
            for (Future<Path> result : results) {
                assertEquals(modelPath(), result.get(10, TimeUnit.SECONDS));
            }
        }

        assertEquals(1, paths().stream().filter(FakeHub.CDN_PATH::equals).count(), paths().toString());
        assertArrayEquals(hub.content, Files.readAllBytes(modelPath()));
    }

    @Test
    void aCachedFileWhoseSizeChangedIsDownloadedAgain() throws IOException {
        Path model = resolver().resolve(FakeHub.REFERENCE);
        Files.write(model, Arrays.copyOf(hub.content, 1000));

        resolver().resolve(FakeHub.REFERENCE);

        assertArrayEquals(hub.content, Files.readAllBytes(model));
        assertTrue(log().contains("is 1,000 bytes but was 300,000 when it was verified; downloading it again"), log());
    }

    @Test
    void aModelFileWithoutChecksumRecordIsVerifiedBeforeUse() throws IOException {
        write(modelPath(), hub.content);

        Path model = resolvedAskingOnlyTheResolveUrl();
        assertTrue(ChecksumFile.read(model).isPresent());
    }

    @Test
    void anUnverifiedModelFileStaysInPlaceWhenTheServerCannotBeReached() throws IOException {
        write(modelPath(), hub.content);
        hub.close();

        ModelResolveException e = assertThrows(ModelResolveException.class, () -> resolver().resolve(FakeHub.REFERENCE));

        assertEquals(Reason.UNREACHABLE, e.reason());
        assertArrayEquals(hub.content, Files.readAllBytes(modelPath()));
        assertFalse(Files.exists(partialPath()));
    }

    @Test
    void aRevisionHasItsOwnUrlAndFolder() throws IOException {
        Path model = resolver().resolve(FakeHub.REFERENCE + "@v1.0");

        assertEquals(cache.resolve("org/repo/v1.0/model.gguf"), model);
        assertEquals("/org/repo/resolve/v1.0/model.gguf", paths().getFirst());
    }

    @Test
    void anExistingLocalPathIsReturnedAsItIs() throws IOException {
        Path file = Files.write(temp.resolve("local.gguf"), new byte[] {1, 2, 3});

        assertEquals(file, resolver().resolve(file.toString()));
        assertEquals(List.of(), hub.requests());
    }

    @Test
    void aMissingLocalPathIsNamed() {
        String missing = temp.resolve("missing.gguf").toString();

        ModelResolveException e = assertThrows(ModelResolveException.class, () -> resolver().resolve(missing));

        assertEquals(Reason.LOCAL_FILE_NOT_FOUND, e.reason());
        assertTrue(e.getMessage().startsWith("model file not found: " + missing + "; pass a GGUF file"), e.getMessage());
    }

    @Test
    void aReferenceWithoutPrefixGetsAHint() {
        ModelResolveException e = assertThrows(ModelResolveException.class,
                () -> resolver().resolve("bartowski/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct-Q8_0.gguf"));

        assertEquals("model file not found: bartowski/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct-Q8_0.gguf; if you meant "
                + "the file on Hugging Face, write -m hf:bartowski/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct-Q8_0.gguf "
                + "(Hugging Face references start with hf:)", e.getMessage());
    }

    @Test
    void aPastedUrlGetsAHint() {
        ModelResolveException e = assertThrows(ModelResolveException.class, () -> resolver().resolve(
                "https://huggingface.co/bartowski/SmolLM2-135M-Instruct-GGUF/blob/main/SmolLM2-135M-Instruct-Q8_0.gguf"));

        assertTrue(e.getMessage().endsWith("write -m hf:bartowski/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct-Q8_0.gguf"),
                e.getMessage());
    }

    @Test
    void aFolderIsNotAModel() throws IOException {
        Files.write(temp.resolve("a.gguf"), new byte[1]);

        ModelResolveException e = assertThrows(ModelResolveException.class, () -> resolver().resolve(temp.toString()));

        assertEquals(temp + " is a folder, not a GGUF file; it holds a.gguf", e.getMessage());
    }

    @Test
    void theCacheFolderComesFromTheArgumentThenTheEnvironmentThenTheHome() {
        Path home = Path.of("/home/u");
        assertEquals(Path.of("/x"), ModelResolver.builder().cacheDir(Path.of("/x"))
                .environment(Map.of(ModelResolver.CACHE_DIR_ENV, "/y")).build().cacheDir());
        assertEquals(Path.of("/y"), ModelResolver.defaultCacheDir(Map.of(ModelResolver.CACHE_DIR_ENV, "/y"), home));
        assertEquals(Path.of("/xdg/laminar/models"), ModelResolver.defaultCacheDir(Map.of("XDG_CACHE_HOME", "/xdg"), home));
        assertEquals(Path.of("/home/u/.cache/laminar/models"), ModelResolver.defaultCacheDir(Map.of(), home));
    }

    @Test
    void theTokenComesFromHfTokenThenTheTokenFile() throws IOException {
        Path home = temp.resolve("home");
        assertEquals(Optional.empty(), ModelResolver.tokenFrom(Map.of(), home));
        write(home.resolve(".cache/huggingface/token"), "hf_fromfile\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(Optional.of("hf_fromfile"), ModelResolver.tokenFrom(Map.of(), home));
        assertEquals(Optional.of("hf_env"), ModelResolver.tokenFrom(Map.of(ModelResolver.TOKEN_ENV, "hf_env"), home));
        Path other = Files.writeString(temp.resolve("token"), "hf_other");
        assertEquals(Optional.of("hf_other"), ModelResolver.tokenFrom(Map.of(ModelResolver.TOKEN_PATH_ENV, other.toString()), home));
    }

    @Test
    void progressIsPlainLinesWhenStderrIsNotATerminal() {
        resolver().resolve(FakeHub.REFERENCE);

        assertFalse(log().contains("\r"), log());
        assertTrue(log().lines().count() <= 10, log());
        assertTrue(log().contains("293.0 KiB / 293.0 KiB  100.0%"), log());
    }

    private void assertNoFilesLeft() {
        assertFalse(Files.exists(modelPath()), "model file left");
        assertFalse(Files.exists(partialPath()), "partial file left");
        assertFalse(Files.exists(ChecksumFile.pathFor(modelPath())), "checksum file left");
    }

    private static void write(Path file, byte[] bytes) {
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
