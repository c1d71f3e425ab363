package io.laminar.app.models;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for huggingface.co and its CDN on 127.0.0.1, serving one generated file as
 * {@code hf:org/repo/model.gguf} the way the real ones do:
 *
 * <ul>
 * <li>{@code GET /org/repo/resolve/REV/model.gguf} answers 302 with {@code X-Linked-Size},
 *     {@code X-Linked-ETag} (the sha256, quoted) and an {@code ETag} that is not a sha256, pointing
 *     at the CDN on another host name ({@code localhost}), like an LFS file; or, with
 *     {@link #lfs} off, serves the file itself with a sha256 {@code ETag}, like a small file.</li>
 * <li>{@code GET /cdn/model.gguf} serves the file with {@code Range: bytes=N-} support (206, 416).</li>
 * </ul>
 *
 * <p>The public fields make it misbehave: ignore ranges, announce a wrong size or sha256, fail with
 * a status, break the connection after some bytes. Every request is recorded.
 */
final class FakeHub implements AutoCloseable {
    static final String REFERENCE = "hf:org/repo/model.gguf";
    static final String RESOLVE_PATH = "/org/repo/resolve/main/model.gguf";
    static final String CDN_PATH = "/cdn/model.gguf";

    /** One request as the server saw it. */
    record Request(String method, String host, String path, String range, String authorization) {
    }

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    final byte[] content;
    final String sha256;
    private final HttpServer server;
    private final ExecutorService executor;
    private final List<Request> requests = new ArrayList<>();

    /** Off: the file is served directly, without the redirect to the CDN. */
    volatile boolean lfs = true;
    /** The CDN answers 200 with the whole file whatever the Range. */
    volatile boolean ignoreRange;
    /** When not null, announced as X-Linked-ETag instead of the real sha256. */
    volatile String announcedSha256;
    /** When not negative, announced as X-Linked-Size instead of the real size. */
    volatile long announcedSize = -1;
    /** When not 0, the resolve URL answers this status with {@link #errorCode} as X-Error-Code. */
    volatile int failStatus;
    volatile String errorCode;
    /** When not negative, the CDN sends this many bytes of its answer and then drops the connection. */
    volatile long cutAfter = -1;
    /** With {@link #cutAfter}: instead of dropping the connection, keep it open and send nothing more until {@link #close}. */
    volatile boolean stall;
    private final CountDownLatch closed = new CountDownLatch(1);

    private FakeHub(int size) throws IOException {
        content = new byte[size];
        new Random(42).nextBytes(content);
        sha256 = sha256(content);
        executor = Executors.newFixedThreadPool(4);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** A hub serving {@code size} random bytes (seeded, so the same every run). */
    static FakeHub start(int size) throws IOException {
        return new FakeHub(size);
    }

    /** {@code http://127.0.0.1:PORT}: the endpoint a resolver is pointed at. */
    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    int port() {
        return server.getAddress().getPort();
    }

    synchronized List<Request> requests() {
        return List.copyOf(requests);
    }

    synchronized void clearRequests() {
        requests.clear();
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            Headers in = exchange.getRequestHeaders();
            synchronized (this) {
                requests.add(new Request(exchange.getRequestMethod(), in.getFirst("Host"), path, in.getFirst("Range"),
                        in.getFirst("Authorization")));
            }
            Headers out = exchange.getResponseHeaders();
            if (path.startsWith("/org/repo/resolve/")) {
                if (failStatus != 0) {
                    if (errorCode != null) {
                        out.add("X-Error-Code", errorCode);
                        out.add("X-Error-Message", "fake hub says " + errorCode);
                    }
                    exchange.sendResponseHeaders(failStatus, -1);
                    return;
                }
                if (!path.endsWith("/model.gguf")) {
                    out.add("X-Error-Code", "EntryNotFound");
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
                if (lfs) {
                    out.add("X-Linked-Size", Long.toString(announcedSize >= 0 ? announcedSize : content.length));
                    out.add("X-Linked-ETag", "\"" + (announcedSha256 != null ? announcedSha256 : sha256) + "\"");
                    out.add("ETag", "\"" + "a".repeat(40) + "\"");   // a git blob sha1, as for pointer files
                    out.add("Location", "http://localhost:" + port() + CDN_PATH + "?signature=xyz");
                    exchange.sendResponseHeaders(302, -1);
                    return;
                }
                out.add("ETag", "\"" + (announcedSha256 != null ? announcedSha256 : sha256) + "\"");
                serve(exchange, in.getFirst("Range"));
                return;
            }
            if (path.equals(CDN_PATH)) {
                out.add("ETag", "\"" + "b".repeat(32) + "\"");   // an MD5, as S3 gives
                serve(exchange, in.getFirst("Range"));
                return;
            }
            exchange.sendResponseHeaders(404, -1);
        }
    }

    private void serve(HttpExchange exchange, String range) throws IOException {
        int from = 0;
        Matcher m = range != null ? RANGE.matcher(range) : null;
        if (m != null && m.matches() && !ignoreRange) {
            long start = Long.parseLong(m.group(1));
            if (start >= content.length) {
                exchange.getResponseHeaders().add("Content-Range", "bytes */" + content.length);
                exchange.sendResponseHeaders(416, -1);
                return;
            }
            from = (int) start;
            exchange.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (content.length - 1) + "/" + content.length);
            exchange.sendResponseHeaders(206, content.length - from);
        } else {
            exchange.sendResponseHeaders(200, content.length);
        }
        int length = content.length - from;
        if (cutAfter >= 0 && cutAfter < length) {
            length = (int) cutAfter;
        }
        OutputStream body = exchange.getResponseBody();
        body.write(content, from, length);
        body.flush();
        if (length < content.length - from) {
            if (stall) {
                try {
                    closed.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            // A handler that throws makes the server drop the connection, as a network failure would.
            throw new IOException("dropping the connection after " + length + " bytes, on purpose");
        }
    }

    @Override
    public void close() {
        closed.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
