package io.laminar.app;

import io.laminar.actors.security.ClusterSecurity;
import io.laminar.actors.security.ClusterTls;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;

/**
 * Options of the commands that open a cluster port to other machines ({@code serve}, {@code node}):
 * the stores of the cluster's mutual TLS, or the explicit opt-out. Stores may also come from the
 * environment, and passwords only from there, so that they never show in a process list.
 */
public final class ClusterSecurityOptions {
    static final String KEY_STORE_ENV = "LAMINAR_CLUSTER_KEY_STORE";
    static final String TRUST_STORE_ENV = "LAMINAR_CLUSTER_TRUST_STORE";
    static final String KEY_STORE_PASSWORD_ENV = "LAMINAR_CLUSTER_KEY_STORE_PASSWORD";
    static final String TRUST_STORE_PASSWORD_ENV = "LAMINAR_CLUSTER_TRUST_STORE_PASSWORD";

    @Option(names = "--cluster-key-store", paramLabel = "FILE",
            description = "PKCS12 file with this member's private key and certificate, signed by the cluster's CA; its password in $"
                    + KEY_STORE_PASSWORD_ENV + " (default: $" + KEY_STORE_ENV + "). With --cluster-trust-store, members talk"
                    + " over mutual TLS 1.3 only; needed to bind a non-loopback --host (see docs/security.md).")
    Path keyStore;

    @Option(names = "--cluster-trust-store", paramLabel = "FILE",
            description = "PKCS12 file with the cluster's CA certificate, which every peer's certificate must be signed by;"
                    + " its password in $" + TRUST_STORE_PASSWORD_ENV + ", else $" + KEY_STORE_PASSWORD_ENV
                    + " (default: $" + TRUST_STORE_ENV + ").")
    Path trustStore;

    @Option(names = "--cluster-verify-hostname",
            description = "Also check that the certificate of a member this one connects to names the host it was reached at"
                    + " (its subject alternative names must list every address members use for it).")
    boolean verifyHostname;

    @Option(names = "--insecure-cluster",
            description = "Plain TCP on a non-loopback --host, without certificates: anyone who reaches the cluster port can"
                    + " join, read activations and send tokens. Only for a network that already keeps everyone else out.")
    boolean insecure;

    /** The security these options and the process's environment ask for. */
    ClusterSecurity security() {
        return security(System.getenv());
    }

    /**
     * @param env the environment to read stores and passwords from
     * @throws IllegalArgumentException for one store without the other, or stores with {@code --insecure-cluster}
     */
    ClusterSecurity security(Map<String, String> env) {
        Path keys = keyStore != null ? keyStore : path(env.get(KEY_STORE_ENV));
        Path trusted = trustStore != null ? trustStore : path(env.get(TRUST_STORE_ENV));
        if (keys == null && trusted == null) {
            if (verifyHostname) {
                throw new IllegalArgumentException("--cluster-verify-hostname needs --cluster-key-store and --cluster-trust-store");
            }
            return insecure ? ClusterSecurity.insecure() : ClusterSecurity.DEFAULT;
        }
        if (keys == null || trusted == null) {
            throw new IllegalArgumentException("cluster TLS needs both stores: give --cluster-key-store (or $" + KEY_STORE_ENV
                    + ") and --cluster-trust-store (or $" + TRUST_STORE_ENV + ")");
        }
        if (insecure) {
            throw new IllegalArgumentException("--insecure-cluster turns cluster TLS off: give it or the cluster stores, not both");
        }
        String keyPassword = env.getOrDefault(KEY_STORE_PASSWORD_ENV, "");
        String trustPassword = env.getOrDefault(TRUST_STORE_PASSWORD_ENV, keyPassword);
        return ClusterSecurity.tls(new ClusterTls(keys, keyPassword, trusted, trustPassword, verifyHostname));
    }

    private static Path path(String value) {
        return value == null || value.isBlank() ? null : Path.of(value);
    }
}
