package io.laminar.app;

import io.laminar.app.http.HttpAddress;
import io.laminar.app.http.HttpFront;
import io.laminar.app.http.HttpTls;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;

/**
 * The {@code --http} options of the commands that can open the process's HTTP port: where, and
 * whether it speaks TLS. The key store may also come from the environment, and its password only
 * from there, so that it never shows in a process list.
 */
public final class HttpOptions {
    static final String KEY_STORE_ENV = "LAMINAR_HTTP_KEY_STORE";
    static final String KEY_STORE_PASSWORD_ENV = "LAMINAR_HTTP_KEY_STORE_PASSWORD";

    @Option(names = "--http", paramLabel = "[HOST:]PORT",
            description = "Open the HTTP port on PORT (loopback) or HOST:PORT (0.0.0.0 for every interface); port 0 picks a free one. Off by default.")
    String http;

    @Option(names = "--http-key-store", paramLabel = "FILE",
            description = "Serve HTTPS on the --http port with this PKCS12 file's private key and certificate chain; its password in $"
                    + KEY_STORE_PASSWORD_ENV + " (default: $" + KEY_STORE_ENV + "; without either, plain HTTP; see docs/http.md).")
    Path keyStore;

    /** The address asked for, or null when the port stays closed. */
    HttpAddress address() {
        if (http == null && keyStore != null) {
            throw new IllegalArgumentException("--http-key-store needs --http [HOST:]PORT");
        }
        return http == null ? null : HttpAddress.parse(http);
    }

    /** Binds the port as asked (HTTPS with a key store), or returns null when it stays closed. */
    HttpFront bind() {
        return bind(System.getenv());
    }

    HttpFront bind(Map<String, String> env) {
        HttpAddress address = address();
        if (address == null) {
            return null;
        }
        String fromEnv = env.get(KEY_STORE_ENV);
        Path keys = keyStore != null ? keyStore : fromEnv == null || fromEnv.isBlank() ? null : Path.of(fromEnv);
        return HttpFront.bind(address, keys == null ? null
                : HttpTls.server(keys, env.getOrDefault(KEY_STORE_PASSWORD_ENV, "")));
    }
}
