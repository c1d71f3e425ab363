package io.laminar.app;

import io.laminar.actors.security.ClusterSecurity;
import io.laminar.kernels.GgmlType;
import io.laminar.model.synth.ModelShape;
import io.laminar.model.synth.SyntheticModelWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How {@code serve} and {@code node} options and environment turn into the cluster's security. */
class ClusterSecurityOptionsTest {
    @TempDir
    Path tmp;

    private static ClusterSecurityOptions parse(String... args) {
        NodeCommand node = new NodeCommand();
        new CommandLine(node).parseArgs(concat(new String[] {"--role", "stage", "-m", "x.gguf"}, args));
        return node.cluster;
    }

    @Test
    void noStoresIsTheDefaultAndTheOptOutIsExplicit() {
        assertSame(ClusterSecurity.DEFAULT, parse().security(Map.of()));
        ClusterSecurity insecure = parse("--insecure-cluster").security(Map.of());
        assertTrue(insecure.allowPlainTcp() && insecure.tls() == null);
    }

    @Test
    void storesFromOptionsOrEnvironmentPasswordsFromEnvironment() {
        ClusterSecurity fromOptions = parse("--cluster-key-store", "k.p12", "--cluster-trust-store", "t.p12")
                .security(Map.of("LAMINAR_CLUSTER_KEY_STORE_PASSWORD", "kp", "LAMINAR_CLUSTER_TRUST_STORE", "ignored.p12"));
        assertEquals(Path.of("k.p12"), fromOptions.tls().keyStore());
        assertEquals(Path.of("t.p12"), fromOptions.tls().trustStore());
        assertEquals("kp", fromOptions.tls().keyStorePassword());
        assertEquals("kp", fromOptions.tls().trustStorePassword(), "the trust store's password defaults to the key store's");
        assertFalse(fromOptions.tls().verifyHostname());

        ClusterSecurity fromEnv = parse("--cluster-verify-hostname").security(Map.of(
                "LAMINAR_CLUSTER_KEY_STORE", "/etc/laminar/node.p12", "LAMINAR_CLUSTER_TRUST_STORE", "/etc/laminar/ca.p12",
                "LAMINAR_CLUSTER_KEY_STORE_PASSWORD", "kp", "LAMINAR_CLUSTER_TRUST_STORE_PASSWORD", "tp"));
        assertEquals(Path.of("/etc/laminar/node.p12"), fromEnv.tls().keyStore());
        assertEquals("tp", fromEnv.tls().trustStorePassword());
        assertTrue(fromEnv.tls().verifyHostname());
        assertFalse(fromEnv.tls().toString().contains("kp"), fromEnv.tls().toString());
    }

    @Test
    void contradictionsAreErrors() {
        assertThrows(IllegalArgumentException.class, () -> parse("--cluster-key-store", "k.p12").security(Map.of()));
        assertThrows(IllegalArgumentException.class, () -> parse("--cluster-verify-hostname").security(Map.of()));
        assertThrows(IllegalArgumentException.class, () -> parse("--insecure-cluster",
                "--cluster-key-store", "k.p12", "--cluster-trust-store", "t.p12").security(Map.of()));
    }

    /** A node on a non-loopback address without stores stops before it binds, naming the options. */
    @Test
    void aNodeOnAnotherAddressWithoutStoresRefusesToStart() throws Exception {
        Path model = new SyntheticModelWriter(ModelShape.TINY).weightType(GgmlType.Q8_0).writeCached(tmp);
        for (String command : new String[] {"node", "serve"}) {
            StringWriter err = new StringWriter();
            String[] args = command.equals("node")
                    ? new String[] {"node", "--role", "stage,scheduler", "--layers", "0-1", "-m", model.toString(),
                            "--host", "10.255.255.1", "--warm-up", "0"}
                    : new String[] {"serve", "-m", model.toString(), "--host", "10.255.255.1", "--warm-up", "0"};
            int code = Main.commandLine().setErr(new PrintWriter(err, true)).execute(args);
            assertEquals(1, code, err.toString());
            assertTrue(err.toString().contains("refusing to open the cluster port on 10.255.255.1")
                    && err.toString().contains("--cluster-key-store") && err.toString().contains("--insecure-cluster"),
                    err.toString());
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
