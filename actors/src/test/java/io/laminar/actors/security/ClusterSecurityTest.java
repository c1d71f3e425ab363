package io.laminar.actors.security;

import com.typesafe.config.Config;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When a member speaks plain TCP, when TLS, and when it refuses to start, with a message that says why. */
class ClusterSecurityTest {
    @TempDir
    Path tmp;

    @Test
    void loopbackWithoutStoresIsPlainTcp() {
        for (String host : new String[] {"127.0.0.1", "localhost", "::1", "127.0.0.2"}) {
            assertEquals("tcp", ClusterSecurity.DEFAULT.akkaConfig(host).getString("akka.remote.artery.transport"), host);
        }
    }

    @Test
    void anyOtherAddressWithoutStoresRefusesNamingTheOptions() {
        for (String host : new String[] {"10.1.2.3", "0.0.0.0", "no-such-host.invalid"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ClusterSecurity.DEFAULT.akkaConfig(host));
            assertTrue(e.getMessage().contains(host) && e.getMessage().contains("--cluster-key-store")
                    && e.getMessage().contains("--cluster-trust-store") && e.getMessage().contains("--insecure-cluster")
                    && e.getMessage().contains("LAMINAR_CLUSTER_KEY_STORE_PASSWORD"), e.getMessage());
        }
    }

    @Test
    void insecureIsPlainTcpAnywhere() {
        assertEquals("tcp", ClusterSecurity.insecure().akkaConfig("10.1.2.3").getString("akka.remote.artery.transport"));
        assertThrows(IllegalArgumentException.class, () -> new ClusterSecurity(
                new ClusterTls(tmp.resolve("k"), "", tmp.resolve("t"), "", false), true));
    }

    @Test
    void storesMeanMutualTls13OnAnyAddress() throws Exception {
        ClusterTls tls = TestCertificates.authority("ca").member(tmp, "member");
        for (String host : new String[] {"127.0.0.1", "10.1.2.3"}) {
            Config c = ClusterSecurity.tls(tls).akkaConfig(host);
            assertEquals("tls-tcp", c.getString("akka.remote.artery.transport"));
            Config ssl = c.getConfig("akka.remote.artery.ssl.config-ssl-engine");
            assertEquals("TLSv1.3", ssl.getString("protocol"));
            assertTrue(ssl.getBoolean("require-mutual-authentication"));
            assertFalse(ssl.getBoolean("hostname-verification"));
            assertEquals(tls.keyStore().toAbsolutePath().toString(), ssl.getString("key-store"));
            assertEquals(TestCertificates.PASSWORD, ssl.getString("key-password"));
        }
        assertFalse(tls.toString().contains(TestCertificates.PASSWORD), tls.toString());
    }

    @Test
    void unusableStoresStopTheMemberWithTheReason() throws Exception {
        TestCertificates ca = TestCertificates.authority("ca");
        ClusterTls good = ca.member(tmp, "member");
        assertRefused(new ClusterTls(tmp.resolve("missing.p12"), "x", good.trustStore(), "x", false),
                "missing.p12", "does not exist");
        assertRefused(new ClusterTls(good.keyStore(), "wrong", good.trustStore(), TestCertificates.PASSWORD, false),
                "key store", "cannot open");
        // A trust store in the key store's place: it opens, but holds no key to show peers.
        assertRefused(new ClusterTls(good.trustStore(), TestCertificates.PASSWORD, good.trustStore(),
                TestCertificates.PASSWORD, false), "holds no private key");
        Path empty = Files.write(tmp.resolve("empty.p12"), new byte[0]);
        assertRefused(new ClusterTls(good.keyStore(), TestCertificates.PASSWORD, empty, "", false), "trust store");
    }

    private static void assertRefused(ClusterTls tls, String... words) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClusterSecurity.tls(tls).akkaConfig("127.0.0.1"));
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), e.getMessage());
        }
    }
}
