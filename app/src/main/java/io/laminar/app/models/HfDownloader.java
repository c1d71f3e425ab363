package io.laminar.app.models;

import io.laminar.app.models.ModelResolveException.Reason;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Downloads one Hugging Face file into the cache: resumable, size- and sha256-checked.
 *
 * <p>Steps of {@link #download}:
 * <ol>
 * <li>GET {@code BASE/ORG/REPO/resolve/REV/FILE}, with {@code Range: bytes=N-} when {@code FILE.partial}
 *     already holds N bytes. Redirects are followed here, not by {@link HttpClient}, because the first
 *     answer carries what the file must be: for an LFS file Hugging Face answers 302 to its CDN with
 *     {@code X-Linked-Size} and {@code X-Linked-ETag} (the sha256), which the CDN's answer lacks.
 *     A small file not in LFS comes straight back with {@code Content-Length} and {@code ETag} (used
 *     as the sha256 only when it is 64 hex digits: Hugging Face's own is a git sha1). The
 *     token goes only to the base URL's origin, never to the CDN the redirect points at.</li>
 * <li>206 appends to the partial file, 200 (a server that ignores {@code Range}) starts it over,
 *     416 means the partial file is already whole (or longer than the file, then it starts over).</li>
 * <li>The body is hashed as it is written; on a resume the bytes already on disk are hashed first.</li>
 * <li>Size and sha256 are compared with what the server announced; a mismatch deletes the partial
 *     file. A match writes {@link ChecksumFile} and then renames the partial file into place, so
 *     the model file appears whole or not at all.</li>
 * </ol>
 *
 * <p>A broken connection keeps the partial file: the next run resumes from it. So does a stalled
 * one: {@link StallWatchdog} gives up when no byte has arrived for the stall timeout.
 */
final class HfDownloader {
    /** Redirects followed at most (Hugging Face uses one or two: a renamed repository, then the CDN). */
    static final int MAX_REDIRECTS = 10;
    /** Bytes read from the network and written to the file at a time. */
    private static final int BUFFER_BYTES = 1 << 16;
    /** Appended to the model file's name while it downloads. */
    static final String PARTIAL_SUFFIX = ".partial";

    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)");
    private static final Pattern UNSATISFIED_RANGE = Pattern.compile("bytes\\s+\\*/(\\d+)");

    /**
     * How to talk to the server.
     *
     * @param endpoint       the Hugging Face server; the token is sent to its origin only
     * @param token          the access token, if any
     * @param requestTimeout how long a server may take to answer with its headers
     * @param stallTimeout   how long the body may go without a byte before the download is abandoned (and kept)
     * @param userAgent      the User-Agent header
     */
    record Connection(URI endpoint, Optional<String> token, Duration requestTimeout, Duration stallTimeout, String userAgent) {
    }

    /**
     * Where notes and progress go.
     *
     * @param err       normally {@code System.err}
     * @param terminal  whether {@code err} is a terminal (see {@link DownloadProgress})
     * @param nanoClock the clock progress speed is measured with
     */
    record Output(PrintStream err, boolean terminal, LongSupplier nanoClock) {
    }

    private final HttpClient client;
    private final URI baseUri;
    private final Optional<String> token;
    private final Duration requestTimeout;
    private final Duration stallTimeout;
    private final String userAgent;
    private final PrintStream err;
    private final boolean terminal;
    private final LongSupplier nanoClock;

    /** @param client an HttpClient that does not follow redirects ({@link HttpClient.Redirect#NEVER}) */
    HfDownloader(HttpClient client, Connection connection, Output output) {
        this.client = client;
        this.baseUri = connection.endpoint();
        this.token = connection.token();
        this.requestTimeout = connection.requestTimeout();
        this.stallTimeout = connection.stallTimeout();
        this.userAgent = connection.userAgent();
        this.err = output.err();
        this.terminal = output.terminal();
        this.nanoClock = output.nanoClock();
    }

    /** The partial file {@code model} downloads into. */
    static Path partialPath(Path model) {
        return model.resolveSibling(model.getFileName() + PARTIAL_SUFFIX);
    }

    /** What the server says the file is: its size and sha256, each possibly unknown. */
    private record Expected(long size, String sha256) {
        static final Expected UNKNOWN = new Expected(-1, null);

        Expected orSize(long other) {
            return size >= 0 || other < 0 ? this : new Expected(other, sha256);
        }
    }

    /**
     * The answer to the GET after redirects, or none ({@code response == null}) when the first
     * answer's {@code X-Linked-Size} shows the partial file is already whole.
     *
     * @param offset the byte the request asked to start at (0 when it asked for the whole file)
     */
    private record Opened(HttpResponse<InputStream> response, long offset, Expected expected, URI uri) {
    }

    /**
     * Downloads {@code ref} to {@code target} (through {@link #partialPath}), verifies it, and writes
     * its {@link ChecksumFile}. The caller holds the download lock of {@code target}.
     */
    void download(HfReference ref, Path target) {
        Path partial = partialPath(target);
        URI uri = ref.downloadUri(baseUri);
        err.println("Downloading " + ref);
        err.println("  from " + uri);
        err.println("  to   " + target);
        boolean startedOver = false;
        while (true) {
            long offset = sizeOrZero(partial);
            if (offset > 0) {
                err.println("  resuming after " + DownloadProgress.formatBytes(offset) + " already in " + partial.getFileName());
            }
            Opened opened = open(ref, uri, offset, partial);
            if (opened.response() == null) {
                verifyAndMove(ref, opened.uri(), partial, target, opened.expected(), hashFile(ref, partial, -1));
                return;
            }
            HttpResponse<InputStream> response = opened.response();
            int status = response.statusCode();
            if (status == 416 && opened.offset() > 0) {
                closeQuietly(response);
                OptionalLong total = unsatisfiedRangeTotal(response.headers());
                if (total.isPresent() && total.getAsLong() == opened.offset()) {
                    Expected expected = opened.expected().orSize(total.getAsLong());
                    verifyAndMove(ref, opened.uri(), partial, target, expected, hashFile(ref, partial, -1));
                    return;
                }
                if (startedOver) {
                    throw new ModelResolveException(Reason.HTTP_ERROR, failure(ref) + "the server refused the range request "
                            + "(416) even for a fresh download; run again later", null);
                }
                err.println("  " + partial.getFileName() + " is longer than the file on the server; starting over");
                deleteQuietly(partial);
                startedOver = true;
                continue;
            }
            if (status != 200 && status != 206) {
                closeQuietly(response);
                throw DownloadErrors.httpError(ref, response, baseUri, token);
            }
            Received received;
            try {
                received = receive(ref, opened, partial);
            } finally {
                closeQuietly(response);   // on every path: an unread body would keep HttpClient.close() waiting
            }
            verifyAndMove(ref, opened.uri(), partial, target, received.expected(), received.sha());
            return;
        }
    }

    /** GET with the range from {@code offset}, following redirects and reading the announced size and sha256. */
    private Opened open(HfReference ref, URI uri, long offset, Path partial) {
        URI current = uri;
        long linkedSize = -1;
        String linkedSha = null;
        String etagSha = null;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(current).GET().timeout(requestTimeout)
                    .header("User-Agent", userAgent);
            if (offset > 0) {
                request.header("Range", "bytes=" + offset + "-");
            }
            if (token.isPresent() && sameOrigin(current, baseUri)) {
                request.header("Authorization", "Bearer " + token.get());
            }
            HttpResponse<InputStream> response = send(ref, request.build(), partial);
            HttpHeaders headers = response.headers();
            if (linkedSize < 0) {
                linkedSize = headers.firstValue("X-Linked-Size").map(HfDownloader::parseSize).orElse(-1L);
            }
            if (linkedSha == null) {
                linkedSha = headers.firstValue("X-Linked-ETag").map(HfDownloader::sha256OfEtag).orElse(null);
            }
            if (hop == 0) {
                // Only the server's own ETag: a CDN's may be 64 hex digits that are not the file's sha256.
                etagSha = headers.firstValue("ETag").map(HfDownloader::sha256OfEtag).orElse(null);
            }
            Expected expected = new Expected(linkedSize, linkedSha != null ? linkedSha : etagSha);
            int status = response.statusCode();
            if (!isRedirect(status)) {
                return new Opened(response, offset, expected, uri);
            }
            closeQuietly(response);
            if (offset > 0 && linkedSize >= 0 && offset >= linkedSize) {
                if (offset == linkedSize) {
                    return new Opened(null, offset, expected, uri);
                }
                err.println("  " + partial.getFileName() + " is longer than the file on the server; starting over");
                deleteQuietly(partial);
                offset = 0;
            }
            String location = headers.firstValue("Location").orElseThrow(() -> new ModelResolveException(Reason.HTTP_ERROR,
                    failure(ref) + "the server answered " + status + " without a Location to go to", null));
            current = current.resolve(location);
        }
        throw new ModelResolveException(Reason.HTTP_ERROR, failure(ref) + "more than " + MAX_REDIRECTS + " redirects", null);
    }

    private HttpResponse<InputStream> send(HfReference ref, HttpRequest request, Path partial) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            long kept = sizeOrZero(partial);
            throw new ModelResolveException(Reason.UNREACHABLE, "could not download " + ref + ": "
                    + DownloadErrors.describeNetworkFailure(e, request.uri(), requestTimeout) + ". "
                    + (kept > 0 ? "The " + DownloadProgress.formatBytes(kept) + " downloaded so far are kept and the next run "
                    + "resumes from them. " : "")
                    + "Check the network and run again, or pass a local file instead with -m PATH.gguf.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelResolveException(Reason.INTERRUPTED, "download of " + ref + " was interrupted", e);
        }
    }

    /** A body written to the partial file: the sha256 over the whole file so far, and what it must be. */
    private record Received(MessageDigest sha, Expected expected) {
    }

    /** Appends (206) or writes from the start (200) the body to the partial file, with progress. */
    private Received receive(HfReference ref, Opened opened, Path partial) {
        HttpResponse<InputStream> response = opened.response();
        long start;
        if (response.statusCode() == 206) {
            Matcher range = CONTENT_RANGE.matcher(response.headers().firstValue("Content-Range").orElse(""));
            if (!range.matches() || Long.parseLong(range.group(1)) != opened.offset()) {
                closeQuietly(response);
                deleteQuietly(partial);
                throw new ModelResolveException(Reason.HTTP_ERROR, failure(ref) + "asked for the bytes from "
                        + opened.offset() + " but the server sent Content-Range '"
                        + response.headers().firstValue("Content-Range").orElse("") + "'; the partial download was "
                        + "deleted, run again to start over", null);
            }
            start = opened.offset();
        } else {
            if (opened.offset() > 0) {
                err.println("  the server ignored the range request; starting over");
            }
            start = 0;
        }
        Expected expected = opened.expected().orSize(announcedSize(response, start));
        long expectedSize = expected.size();
        OptionalLong bodyLength = response.headers().firstValueAsLong("Content-Length");
        if (expectedSize >= 0 && bodyLength.isPresent() && start + bodyLength.getAsLong() != expectedSize) {
            closeQuietly(response);
            deleteQuietly(partial);
            throw DownloadErrors.sizeMismatch(ref, start + bodyLength.getAsLong(), expectedSize, "the server is sending");
        }
        MessageDigest sha = start > 0 ? hashFile(ref, partial, start) : newSha256();
        DownloadProgress progress = new DownloadProgress(err, terminal, nanoClock);
        long written = start;
        boolean tooLong = false;
        try (InputStream in = response.body();
             StallWatchdog watchdog = new StallWatchdog(stallTimeout, in);
             FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            if (start == 0) {
                out.truncate(0);
            }
            out.position(start);
            progress.start(start, expectedSize);
            byte[] buffer = new byte[BUFFER_BYTES];
            int n;
            while ((n = read(ref, in, buffer, partial, written, expectedSize, progress, watchdog)) >= 0) {
                watchdog.progressed();
                if (expectedSize >= 0 && written + n > expectedSize) {
                    written += n;
                    tooLong = true;
                    break;
                }
                ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
                while (chunk.hasRemaining()) {
                    out.write(chunk);
                }
                sha.update(buffer, 0, n);
                written += n;
                progress.advance(n);
            }
            out.force(true);
        } catch (IOException e) {
            progress.abandon();
            throw new ModelResolveException(Reason.CACHE_IO, failure(ref) + "writing " + partial + " failed: " + e.getMessage(), e);
        }
        if (tooLong) {
            progress.abandon();
            deleteQuietly(partial);
            throw DownloadErrors.sizeMismatch(ref, written, expectedSize, "the server sent at least");
        }
        if (expectedSize >= 0 && written < expectedSize) {
            progress.abandon();
            throw DownloadErrors.brokenOff(ref, partial, written, expectedSize, "the server closed the connection", null);
        }
        progress.finish();
        return new Received(sha, expected);
    }

    private int read(HfReference ref, InputStream in, byte[] buffer, Path partial, long written, long expectedSize,
                     DownloadProgress progress, StallWatchdog watchdog) {
        try {
            return in.read(buffer);
        } catch (IOException e) {
            progress.abandon();
            String why = watchdog.fired() ? "no data arrived for " + DownloadErrors.seconds(stallTimeout)
                    : DownloadErrors.describeNetworkFailure(e, null, requestTimeout);
            throw DownloadErrors.brokenOff(ref, partial, written, expectedSize, why, e);
        }
    }

    /**
     * Checks size and sha256 of the whole partial file, then records them and moves it into place.
     *
     * @param sha the sha256 fed with the whole partial file
     */
    private void verifyAndMove(HfReference ref, URI uri, Path partial, Path target, Expected expected, MessageDigest sha) {
        long size = sizeOrZero(partial);
        if (expected.size() >= 0 && size != expected.size()) {
            deleteQuietly(partial);
            throw DownloadErrors.sizeMismatch(ref, size, expected.size(), "received");
        }
        String actual = HexFormat.of().formatHex(sha.digest());
        if (expected.sha256() != null && !expected.sha256().equals(actual)) {
            deleteQuietly(partial);
            throw new ModelResolveException(Reason.CHECKSUM_MISMATCH, "the download of " + ref + " is corrupt: its sha256 is "
                    + actual + " but the server announced " + expected.sha256() + ". It was deleted; run again to "
                    + "download it afresh, or pass a local file instead with -m PATH.gguf.", null);
        }
        try {
            new ChecksumFile(actual, size).write(target, uri);
            try {
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new ModelResolveException(Reason.CACHE_IO, failure(ref) + "moving it into " + target + " failed: " + e, e);
        }
        err.println("  verified " + String.format(Locale.ROOT, "%,d", size) + " bytes"
                + (expected.sha256() != null ? ", sha256 " + actual.substring(0, 12) + "..." : " (the server announced no sha256)")
                + "; cached for later runs");
    }

    /** A sha256 fed with the first {@code length} bytes of {@code file} (all of it when {@code length < 0}). */
    private MessageDigest hashFile(HfReference ref, Path file, long length) {
        MessageDigest sha = newSha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[BUFFER_BYTES];
            long left = length < 0 ? Long.MAX_VALUE : length;
            int n;
            while (left > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, left))) > 0) {
                sha.update(buffer, 0, n);
                left -= n;
            }
        } catch (IOException e) {
            throw new ModelResolveException(Reason.CACHE_IO, failure(ref) + "reading " + file + " failed: " + e, e);
        }
        return sha;
    }

    /** The file's total size from a 200's Content-Length or a 206's Content-Range; -1 when unknown. */
    private static long announcedSize(HttpResponse<?> response, long offset) {
        if (response.statusCode() == 206) {
            Matcher range = CONTENT_RANGE.matcher(response.headers().firstValue("Content-Range").orElse(""));
            return range.matches() && !range.group(3).equals("*") ? Long.parseLong(range.group(3)) : -1;
        }
        return response.headers().firstValueAsLong("Content-Length").orElse(-1);
    }

    private static OptionalLong unsatisfiedRangeTotal(HttpHeaders headers) {
        Matcher m = UNSATISFIED_RANGE.matcher(headers.firstValue("Content-Range").orElse(""));
        return m.matches() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
    }

    private static String failure(HfReference ref) {
        return "could not download " + ref + ": ";
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && effectivePort(a) == effectivePort(b);
    }

    private static int effectivePort(URI uri) {
        return uri.getPort() >= 0 ? uri.getPort() : (uri.getScheme().equalsIgnoreCase("https") ? 443 : 80);
    }

    /** The sha256 in an ETag ({@code "e0f8..."}, {@code W/"e0f8..."}), or null when it is something else (a git sha1, an MD5). */
    static String sha256OfEtag(String etag) {
        String s = etag.strip();
        if (s.startsWith("W/")) {
            s = s.substring(2);
        }
        if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
            s = s.substring(1, s.length() - 1);
        }
        return ChecksumFile.isSha256(s) ? s.toLowerCase(Locale.ROOT) : null;
    }

    private static long parseSize(String value) {
        try {
            long size = Long.parseLong(value.strip());
            return size >= 0 ? size : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }

    private static long sizeOrZero(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // The next run starts over anyway when the file is unusable.
        }
    }

    private static void closeQuietly(HttpResponse<InputStream> response) {
        try {
            response.body().close();
        } catch (IOException ignored) {
            // Closing an unread body only frees the connection.
        }
    }
}
