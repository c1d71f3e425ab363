package io.laminar.actors.security;

import io.laminar.schemas.codec.SchemasConfig;
import io.laminar.schemas.codec.WireSchemas;
import io.laminar.schemas.registry.RegistrySettings;
import io.laminar.schemas.registry.SchemaRegistryClient;
import io.laminar.schemas.registry.SchemaRegistryException;
import io.laminar.schemas.testing.FakeSchemaRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The schema registry client over https, configured as the {@code laminar.schema.registry.ssl.*}
 * settings say: a registry whose certificate chains to the configured trust store is reached (its
 * name checked), one that does not is refused, and a registry that asks for a client certificate
 * gets the key store's.
 */
class SchemaRegistryTlsTest {
    @TempDir
    static Path dir;
    static TestCertificates ca;
    static Path trustStore;
    static Path clientKeyStore;
    static SSLContext registryTls;

    @BeforeAll
    static void certificates() throws Exception {
        ca = TestCertificates.authority("registry-ca");
        trustStore = ca.trustStore(dir);
        clientKeyStore = ca.memberKeyStore(dir, "laminar-client");
        registryTls = serverContext(ca.memberKeyStore(dir, "registry"), trustStore);
    }

    private static Map<String, Object> settings(FakeSchemaRegistry registry, boolean trust, boolean clientKey) {
        Map<String, Object> props = new HashMap<>();
        props.put(SchemasConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url());
        props.put(SchemasConfig.SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS_CONFIG, 5000);
        if (trust) {
            props.put(SchemasConfig.SCHEMA_REGISTRY_TRUSTSTORE_LOCATION_CONFIG, trustStore.toString());
            props.put(SchemasConfig.SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD_CONFIG, TestCertificates.PASSWORD);
        }
        if (clientKey) {
            props.put(SchemasConfig.SCHEMA_REGISTRY_KEYSTORE_LOCATION_CONFIG, clientKeyStore.toString());
            props.put(SchemasConfig.SCHEMA_REGISTRY_KEYSTORE_PASSWORD_CONFIG, TestCertificates.PASSWORD);
        }
        return props;
    }

    private static SchemaRegistryClient client(Map<String, Object> props) {
        RegistrySettings settings = new SchemasConfig(props).schemaRegistry().orElseThrow();
        return new SchemaRegistryClient(settings);
    }

    @Test
    void aRegistryWhoseCertificateChainsToTheTrustStoreIsReached() throws Exception {
        try (FakeSchemaRegistry registry = FakeSchemaRegistry.startHttps(registryTls, false)) {
            assertTrue(registry.url().startsWith("https://127.0.0.1:"));
            int id = client(settings(registry, true, false)).register("laminar.responses-value", WireSchemas.response());
            assertEquals(registry.versions("laminar.responses-value").getFirst(), id);

            SchemaRegistryException untrusted = assertThrows(SchemaRegistryException.class,
                    () -> client(settings(registry, false, false)).register("x-value", WireSchemas.response()));
            assertEquals(0, untrusted.status(), "a certificate the JVM's CAs do not know: no answer, " + untrusted);
        }
    }

    @Test
    void aRegistryThatAsksForACertificateGetsTheKeyStores() throws Exception {
        try (FakeSchemaRegistry registry = FakeSchemaRegistry.startHttps(registryTls, true)) {
            int id = client(settings(registry, true, true)).register("laminar.requests-value", WireSchemas.request());
            assertEquals(WireSchemas.request(), client(settings(registry, true, true)).schemaById(id));

            SchemaRegistryException refused = assertThrows(SchemaRegistryException.class,
                    () -> client(settings(registry, true, false)).schemaById(id));
            assertEquals(0, refused.status(), refused.toString());
        }
    }

    private static SSLContext serverContext(Path keyStore, Path trust) throws Exception {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(load(keyStore), TestCertificates.PASSWORD.toCharArray());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(load(trust));
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }

    private static KeyStore load(Path file) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            store.load(in, TestCertificates.PASSWORD.toCharArray());
        }
        return store;
    }
}
