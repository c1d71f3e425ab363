package io.laminar.actors.security;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;

/**
 * Who may talk to a member's cluster port. With {@link ClusterTls} stores, only peers holding a
 * certificate from the cluster's CA (mutual TLS). Without them, plain TCP, which lets anyone who
 * reaches the port join, receive activations and send tokens: allowed where only this machine can
 * reach the port (a loopback address), and elsewhere only when the operator says so ({@code insecure}).
 *
 * @param tls           the stores, or null
 * @param allowPlainTcp whether plain TCP on a non-loopback address was asked for explicitly
 */
public record ClusterSecurity(ClusterTls tls, boolean allowPlainTcp) {
    /** Plain TCP on loopback; a non-loopback address refuses to start. */
    public static final ClusterSecurity DEFAULT = new ClusterSecurity(null, false);

    /** The option and environment variables named where a member refuses to start. */
    public static final String HOW_TO_CONFIGURE = "give this member's key store and the cluster's trust store"
            + " (--cluster-key-store FILE --cluster-trust-store FILE, or LAMINAR_CLUSTER_KEY_STORE and"
            + " LAMINAR_CLUSTER_TRUST_STORE, with the passwords in LAMINAR_CLUSTER_KEY_STORE_PASSWORD and"
            + " LAMINAR_CLUSTER_TRUST_STORE_PASSWORD), or --insecure-cluster to accept anyone who reaches the"
            + " port (docs/security.md)";

    public ClusterSecurity {
        if (tls != null && allowPlainTcp) {
            throw new IllegalArgumentException("give the cluster TLS stores or --insecure-cluster, not both");
        }
    }

    public static ClusterSecurity tls(ClusterTls tls) {
        return new ClusterSecurity(tls, false);
    }

    /** Plain TCP whatever the address: the operator's network is trusted to keep others off the port. */
    public static ClusterSecurity insecure() {
        return new ClusterSecurity(null, true);
    }

    /**
     * The Akka transport settings for a member bound to {@code hostname}: TLS with the stores
     * (checked here, so a bad store stops the member at once), or plain TCP where allowed.
     *
     * @throws IllegalArgumentException for a non-loopback address without stores and without
     *                                  {@code allowPlainTcp}, or a store that cannot be used
     */
    public Config akkaConfig(String hostname) {
        if (tls != null) {
            tls.check();
            return tls.akkaConfig();
        }
        if (!allowPlainTcp && !isLoopback(hostname)) {
            throw new IllegalArgumentException("refusing to open the cluster port on " + hostname
                    + " over plain TCP: it is not a loopback address, so any host that reaches it could join the"
                    + " cluster; " + HOW_TO_CONFIGURE);
        }
        return ConfigFactory.parseMap(Map.of("akka.remote.artery.transport", "tcp"));
    }

    /**
     * Fails as {@link #akkaConfig} would, for a command to check before it starts other services
     * (an embedded Kafka broker) that a refusal would leave to tear down.
     */
    public void check(String hostname) {
        akkaConfig(hostname);
    }

    /** Whether the member uses TLS. */
    public boolean encrypted() {
        return tls != null;
    }

    /**
     * Whether {@code hostname} is a loopback address. A name that does not resolve is not: the member
     * would fail to bind anyway, and refusing first names the safer fix.
     */
    static boolean isLoopback(String hostname) {
        try {
            for (InetAddress a : InetAddress.getAllByName(hostname)) {
                if (!a.isLoopbackAddress()) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
