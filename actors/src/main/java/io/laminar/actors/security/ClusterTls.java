package io.laminar.actors.security;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The stores a member proves itself with and checks its peers against, for Akka's {@code tls-tcp}
 * transport with mutual authentication: a member only talks to peers whose certificate chains to a
 * certificate in the trust store (the cluster's CA), and shows its own from the key store.
 *
 * @param keyStore           PKCS12 (or JKS) file with this member's private key and certificate chain
 * @param keyStorePassword   the key store's password, which also opens the key
 * @param trustStore         PKCS12 (or JKS) file with the certificates a peer's chain must end in
 * @param trustStorePassword the trust store's password
 * @param verifyHostname     whether a member connecting to a peer also checks that the peer's certificate
 *                           names the host it connected to (subject alternative names)
 */
public record ClusterTls(Path keyStore, String keyStorePassword, Path trustStore, String trustStorePassword,
                         boolean verifyHostname) {
    /** TLS 1.3 only: every member runs the same JDK generation, so there is no older peer to talk to. */
    public static final String PROTOCOL = "TLSv1.3";
    /** The TLS 1.3 suites every JDK since 11 offers; Akka's default list names TLS 1.2 suites only. */
    public static final List<String> CIPHER_SUITES = List.of(
            "TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256");

    public ClusterTls {
        if (keyStore == null || trustStore == null) {
            throw new IllegalArgumentException("cluster TLS needs both a key store and a trust store");
        }
        keyStorePassword = keyStorePassword == null ? "" : keyStorePassword;
        trustStorePassword = trustStorePassword == null ? "" : trustStorePassword;
    }

    /**
     * Opens both stores as Akka will, so that a wrong path or password, or a key store without a key,
     * stops the member at startup with the reason instead of failing every connection later.
     *
     * @throws IllegalArgumentException naming the store and what is wrong with it
     */
    public void check() {
        KeyStore keys = load(keyStore, keyStorePassword, "key store");
        try {
            boolean hasKey = false;
            for (String alias : Collections.list(keys.aliases())) {
                if (keys.isKeyEntry(alias)) {
                    hasKey = true;
                    // Akka opens the key with key-password, which is the store's password here.
                    keys.getKey(alias, keyStorePassword.toCharArray());
                }
            }
            if (!hasKey) {
                throw new IllegalArgumentException("cluster key store " + keyStore + " holds no private key: it needs"
                        + " this member's key and certificate (docs/security.md)");
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read the key in cluster key store " + keyStore + ": " + e.getMessage()
                    + " (the key's password must be the store's)", e);
        }
        KeyStore trusted = load(trustStore, trustStorePassword, "trust store");
        try {
            boolean hasCertificate = false;
            for (String alias : Collections.list(trusted.aliases())) {
                hasCertificate |= trusted.getCertificate(alias) != null;
            }
            if (!hasCertificate) {
                throw new IllegalArgumentException("cluster trust store " + trustStore + " holds no certificate: it needs"
                        + " the cluster's CA certificate (docs/security.md)");
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read cluster trust store " + trustStore + ": " + e.getMessage(), e);
        }
    }

    private static KeyStore load(Path file, String password, String what) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("cluster " + what + " " + file + " does not exist or is not a file");
        }
        try (InputStream in = Files.newInputStream(file)) {
            // The JDK's default type (PKCS12) also reads JKS files, as Akka's provider does.
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(in, password.toCharArray());
            return store;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot open cluster " + what + " " + file + ": " + e.getMessage()
                    + " (a wrong or missing password reads as a corrupt file)", e);
        }
    }

    /** Akka settings that run artery over TLS with these stores, each side requiring the other's certificate. */
    public Config akkaConfig() {
        String ssl = "akka.remote.artery.ssl.config-ssl-engine.";
        Map<String, Object> settings = new HashMap<>();
        settings.put("akka.remote.artery.transport", "tls-tcp");
        settings.put("akka.remote.artery.ssl.ssl-engine-provider", LoggingSslEngineProvider.class.getName());
        settings.put(ssl + "key-store", keyStore.toAbsolutePath().toString());
        settings.put(ssl + "key-store-password", keyStorePassword);
        settings.put(ssl + "key-password", keyStorePassword);
        settings.put(ssl + "trust-store", trustStore.toAbsolutePath().toString());
        settings.put(ssl + "trust-store-password", trustStorePassword);
        settings.put(ssl + "protocol", PROTOCOL);
        settings.put(ssl + "enabled-algorithms", CIPHER_SUITES);
        settings.put(ssl + "require-mutual-authentication", "on");
        settings.put(ssl + "hostname-verification", verifyHostname ? "on" : "off");
        return ConfigFactory.parseMap(settings);
    }

    /** Without the passwords, which must not reach a log. */
    @Override
    public String toString() {
        return "ClusterTls[keyStore=" + keyStore + ", trustStore=" + trustStore + ", verifyHostname=" + verifyHostname + "]";
    }
}
