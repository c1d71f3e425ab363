package io.laminar.app.http;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;

/**
 * The one HTTP port a Laminar process opens ({@code --http}): every door that speaks HTTP (the
 * OpenAI-compatible API, metrics, health) is a route on it, so an operator opens, probes and
 * secures a single port per process.
 *
 * <p>It is the JDK's own server: the routes are few, their bodies small, and a streaming response
 * is a blocking write loop on a virtual thread, one per exchange, so a slow client holds a virtual
 * thread and nothing else.
 */
public final class HttpFront implements AutoCloseable {
    /** How long {@link #close()} lets exchanges in progress finish before it drops them. */
    private static final int STOP_GRACE_SECONDS = 1;

    static {
        // A streamed answer is a small write per token: with Nagle's algorithm on, each waits for the
        // client's delayed ACK of the one before (up to 40 ms on Linux). Read once, when the JDK's
        // server first starts, so it is set before; a value given on the command line stays.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private final HttpServer server;
    private final ExecutorService exchanges;
    private final HttpAddress address;
    private final boolean tls;

    private HttpFront(HttpServer server, ExecutorService exchanges, HttpAddress address, boolean tls) {
        this.server = server;
        this.exchanges = exchanges;
        this.address = address;
        this.tls = tls;
    }

    /**
     * Binds the address; routes may be added before and after {@link #start()}.
     *
     * @throws UncheckedIOException when the address cannot be bound, naming it
     */
    public static HttpFront bind(HttpAddress address) {
        return bind(address, null);
    }

    /**
     * Binds the address, speaking HTTPS with {@code tls} (see {@link HttpTls}), or plain HTTP when it
     * is null.
     *
     * @throws UncheckedIOException when the address cannot be bound, naming it
     */
    public static HttpFront bind(HttpAddress address, SSLContext tls) {
        HttpServer server;
        try {
            InetSocketAddress at = new InetSocketAddress(address.host(), address.port());
            if (tls == null) {
                server = HttpServer.create(at, 0);
            } else {
                HttpsServer https = HttpsServer.create(at, 0);
                https.setHttpsConfigurator(new HttpsConfigurator(tls));
                server = https;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open HTTP on " + address + ": " + e.getMessage(), e);
        }
        ExecutorService exchanges = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(exchanges);
        HttpAddress bound = new HttpAddress(address.host(), server.getAddress().getPort());
        return new HttpFront(server, exchanges, bound, tls != null);
    }

    /**
     * Serves {@code path} and everything below it (the JDK's prefix match) with {@code handler}.
     *
     * @throws IllegalArgumentException when the path is taken already
     */
    public HttpFront route(String path, HttpHandler handler) {
        server.createContext(path, handler);
        return this;
    }

    public HttpFront start() {
        server.start();
        return this;
    }

    /** Its base URL: {@code http://} or {@code https://}, and {@link #address()}. */
    public String url() {
        return (tls ? "https://" : "http://") + address;
    }

    /** Where it listens, with the port it was given when asked for port 0. */
    public HttpAddress address() {
        return address;
    }

    @Override
    public void close() {
        server.stop(STOP_GRACE_SECONDS);
        exchanges.shutdownNow();
    }
}
