package io.laminar.app.http;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;

/**
 * TLS for the HTTP port: the server's private key and certificate chain from a PKCS12 file, as
 * {@code keytool} or {@code openssl pkcs12 -export} write it (docs/http.md, "TLS"); and, for a
 * client such as {@code laminar status}, the certificates it trusts.
 */
public final class HttpTls {
    private HttpTls() {
    }

    /**
     * A server context presenting the key store's key and chain.
     *
     * @throws IllegalArgumentException naming the file when it cannot be read, opened with the
     *                                  password, or holds no private key
     */
    public static SSLContext server(Path keyStore, String password) {
        KeyStore store = load(keyStore, password);
        try {
            if (!hasKey(store)) {
                throw new IllegalArgumentException("HTTP key store " + keyStore + " holds no private key: it needs the"
                        + " server's key and certificate (docs/http.md, \"TLS\")");
            }
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, password.toCharArray());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot use HTTP key store " + keyStore + ": " + e.getMessage()
                    + " (the key's password must be the store's)", e);
        }
    }

    /** A client context that trusts the certificates in {@code trustStore} (a key store's own certificate too). */
    public static SSLContext trusting(Path trustStore, String password) {
        KeyStore store = load(trustStore, password);
        try {
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot use trust store " + trustStore + ": " + e.getMessage(), e);
        }
    }

    private static boolean hasKey(KeyStore store) throws GeneralSecurityException {
        for (String alias : java.util.Collections.list(store.aliases())) {
            if (store.isKeyEntry(alias)) {
                return true;
            }
        }
        return false;
    }

    private static KeyStore load(Path file, String password) {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password.toCharArray());
            return store;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot open " + file + ": " + e.getMessage()
                    + " (a wrong or missing password reads as a corrupt file)", e);
        }
    }
}
