package io.laminar.schemas.registry;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Where the schema registry is and how to talk to it; built from the
 * {@code laminar.schema.registry.*} settings (docs/schemas.md).
 *
 * @param urls          base URLs, tried in order while one cannot be reached
 * @param userInfo      {@code USER:PASSWORD} for HTTP basic authentication, null for none (or the
 *                      credentials of the URL)
 * @param trustStore    CA certificates for an https registry, null for the JVM's default CAs
 * @param keyStore      client key and certificate for mutual TLS, null for none
 * @param timeout       how long one call (connecting included) may take, per URL
 * @param retryBackoff  after a failure to reach the registry, how long cache misses fail at once
 * @param missingIdTtl  how long a schema id the registry does not have is remembered as missing
 */
public record RegistrySettings(List<String> urls, String userInfo, Store trustStore, Store keyStore,
                               Duration timeout, Duration retryBackoff, Duration missingIdTtl) {

    /**
     * A key or trust store file.
     *
     * @param keyPassword the private key's password (key stores only), null for the store's password
     */
    public record Store(Path location, String password, String type, String keyPassword) {
        public Store {
            Objects.requireNonNull(location, "location");
            Objects.requireNonNull(type, "type");
        }
    }

    public RegistrySettings {
        urls = List.copyOf(urls);
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("a schema registry needs at least one URL");
        }
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(retryBackoff, "retryBackoff");
        Objects.requireNonNull(missingIdTtl, "missingIdTtl");
    }

    /** A registry at {@code url} with no credentials, a 5 s timeout, 10 s backoff and 30 s missing-id memory. */
    public static RegistrySettings of(String url) {
        return new RegistrySettings(List.of(url), null, null, null, Duration.ofSeconds(5), Duration.ofSeconds(10),
                Duration.ofSeconds(30));
    }
}
