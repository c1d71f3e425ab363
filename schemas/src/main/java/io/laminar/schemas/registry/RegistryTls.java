package io.laminar.schemas.registry;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** The TLS context for an https schema registry with a trust store of its own, or a client certificate. */
final class RegistryTls {
    private RegistryTls() {
    }

    /**
     * A context trusting {@code trust}'s CAs (the JVM's default ones when null) and presenting
     * {@code key}'s certificate (none when null).
     */
    static SSLContext context(RegistrySettings.Store trust, RegistrySettings.Store key) {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust == null ? null : load(trust, "trust"));
            KeyManagerFactory kmf = null;
            if (key != null) {
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                String keyPassword = key.keyPassword() != null ? key.keyPassword() : key.password();
                kmf.init(load(key, "key"), keyPassword == null ? new char[0] : keyPassword.toCharArray());
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("schema registry TLS: " + e.getMessage(), e);
        }
    }

    private static KeyStore load(RegistrySettings.Store store, String kind) throws GeneralSecurityException {
        KeyStore keyStore = KeyStore.getInstance(store.type());
        try (InputStream in = Files.newInputStream(store.location())) {
            keyStore.load(in, store.password() == null ? null : store.password().toCharArray());
        } catch (IOException e) {
            throw new IllegalArgumentException("schema registry TLS: cannot read the " + kind + " store "
                    + store.location() + ": " + e.getMessage(), e);
        }
        return keyStore;
    }
}
