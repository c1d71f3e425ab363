package io.laminar.actors.security;

import akka.actor.ActorSystem;
import akka.remote.artery.tcp.ConfigSSLEngineProvider;

import javax.net.ssl.SSLEngine;

/**
 * Akka's {@link ConfigSSLEngineProvider}, reading {@code akka.remote.artery.ssl.config-ssl-engine}
 * (stores, TLS 1.3, mutual authentication) unchanged, whose engines log a failed handshake: see
 * {@link HandshakeLoggingEngine}. Akka instantiates it by name ({@link ClusterTls#akkaConfig}).
 */
public final class LoggingSslEngineProvider extends ConfigSSLEngineProvider {
    public LoggingSslEngineProvider(ActorSystem system) {
        super(system);
    }

    @Override
    public SSLEngine createServerSSLEngine(String hostname, int port) {
        return new HandshakeLoggingEngine(super.createServerSSLEngine(hostname, port), true);
    }

    @Override
    public SSLEngine createClientSSLEngine(String hostname, int port) {
        return new HandshakeLoggingEngine(super.createClientSSLEngine(hostname, port), false);
    }
}
