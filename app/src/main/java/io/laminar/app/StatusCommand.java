package io.laminar.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.laminar.app.http.HealthRoute;
import io.laminar.app.http.HttpAddress;
import io.laminar.app.http.HttpTls;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLContext;

/**
 * {@code laminar status}: a running {@code serve} or {@code node}'s health probes, for a person.
 * Exits 0 when ready, 1 when live but not ready, 2 when not live or not answering, so that
 * scripts can wait on it.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Asks a running 'serve' or 'node' (started with --http) whether it is live and ready, and prints "
                + "what each check found. Exits 0 when ready, 1 when live but not ready, 2 when not live or not answering.")
public final class StatusCommand implements Callable<Integer> {
    static final int READY = 0;
    static final int NOT_READY = 1;
    static final int NOT_LIVE = 2;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Option(names = "--http", paramLabel = "[HOST:]PORT", defaultValue = "127.0.0.1:8080",
            description = "The process's HTTP port, as its --http gave it (default: ${DEFAULT-VALUE}).")
    String http;

    @Option(names = "--trust-store", paramLabel = "FILE",
            description = "Speak HTTPS, trusting the certificates in this PKCS12 file (the process's --http-key-store will do;"
                    + " its password in $" + HttpOptions.KEY_STORE_PASSWORD_ENV + "). Without it, plain HTTP.")
    Path trustStore;

    @Override
    public Integer call() {
        SSLContext tls = trustStore == null ? null
                : HttpTls.trusting(trustStore, System.getenv().getOrDefault(HttpOptions.KEY_STORE_PASSWORD_ENV, ""));
        return report(HttpAddress.parse(http), tls, System.out);
    }

    /** Prints the probes' answers to {@code out}; returns the exit status. */
    static int report(HttpAddress address, PrintStream out) {
        return report(address, null, out);
    }

    /**
     * Prints the probes' answers to {@code out}; returns the exit status.
     *
     * @param tls the client side of HTTPS, or null for plain HTTP
     */
    static int report(HttpAddress address, SSLContext tls, PrintStream out) {
        String base = (tls == null ? "http://" : "https://") + address;
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(TIMEOUT);
        if (tls != null) {
            builder.sslContext(tls);
        }
        HttpClient client = builder.build();
        JsonNode live;
        JsonNode ready;
        try {
            live = get(client, base + HealthRoute.LIVE_PATH);
            ready = get(client, base + HealthRoute.READY_PATH);
        } catch (IOException e) {
            out.println("laminar at " + base + ": not answering (" + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()) + ")");
            return NOT_LIVE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return NOT_LIVE;
        }
        boolean isLive = live.path("ok").asBoolean();
        boolean isReady = ready.path("ok").asBoolean();
        out.println("laminar at " + base + ": " + (isLive ? "live" : "NOT LIVE") + ", "
                + (isReady ? "ready" : "NOT READY"));
        printChecks(live, out);
        printChecks(ready, out);
        out.flush();
        return !isLive ? NOT_LIVE : isReady ? READY : NOT_READY;
    }

    private static void printChecks(JsonNode health, PrintStream out) {
        for (JsonNode check : health.path("checks")) {
            out.printf(Locale.ROOT, "  %-4s  %-12s %s%n", check.path("ok").asBoolean() ? "ok" : "FAIL",
                    check.path("name").asText(), check.path("detail").asText());
        }
    }

    /** The probe's JSON, whatever its status (503 carries the same body). */
    private static JsonNode get(HttpClient client, String url) throws IOException, InterruptedException {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200 && r.statusCode() != 503) {
            throw new IOException(url + " answered HTTP " + r.statusCode());
        }
        return JSON.readTree(r.body());
    }
}
