package io.laminar.actors.security;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.BiFunction;

/**
 * An {@link SSLEngine} that logs why a cluster connection's TLS handshake failed, then fails as the
 * engine it wraps does. Akka's transport closes such a connection without a word on the accepting
 * side (and only at a level Laminar's logging hides on the connecting side), so without this a
 * refused peer, plain TCP or a certificate from another CA, would leave no trace on the member it
 * knocked on.
 */
final class HandshakeLoggingEngine extends SSLEngine {
    private static final Logger LOG = LoggerFactory.getLogger(HandshakeLoggingEngine.class);

    private final SSLEngine engine;
    private final boolean accepting;
    private boolean logged;

    /**
     * @param accepting whether this side accepted the connection (the peer connected to this member)
     */
    HandshakeLoggingEngine(SSLEngine engine, boolean accepting) {
        super(engine.getPeerHost(), engine.getPeerPort());
        this.engine = engine;
        this.accepting = accepting;
    }

    @Override
    public SSLEngineResult wrap(ByteBuffer[] srcs, int offset, int length, ByteBuffer dst) throws SSLException {
        try {
            return engine.wrap(srcs, offset, length, dst);
        } catch (SSLException e) {
            throw logged(e);
        }
    }

    @Override
    public SSLEngineResult unwrap(ByteBuffer src, ByteBuffer[] dsts, int offset, int length) throws SSLException {
        try {
            return engine.unwrap(src, dsts, offset, length);
        } catch (SSLException e) {
            throw logged(e);
        }
    }

    private SSLException logged(SSLException e) {
        // One line per connection: the engine may throw the same failure from wrap and unwrap.
        if (!logged) {
            logged = true;
            String reason = e.getMessage();
            if (accepting) {
                // Akka creates accepting engines with this member's own address: the peer's is not known here.
                LOG.warn("refused an incoming cluster connection: TLS handshake failed: {} (a peer must hold a certificate"
                        + " from the cluster's CA, and trust this member's)", reason);
            } else {
                LOG.warn("cluster connection to {}:{} refused: TLS handshake failed: {} (the member there must hold"
                        + " a certificate from the CA in this member's trust store, and trust this member's)",
                        engine.getPeerHost(), engine.getPeerPort(), reason);
            }
            if (!(e instanceof SSLHandshakeException) && LOG.isDebugEnabled()) {
                LOG.debug("TLS failure", e);
            }
        }
        return e;
    }

    // Everything else is the wrapped engine's.

    @Override
    public Runnable getDelegatedTask() {
        return engine.getDelegatedTask();
    }

    @Override
    public void closeInbound() throws SSLException {
        engine.closeInbound();
    }

    @Override
    public boolean isInboundDone() {
        return engine.isInboundDone();
    }

    @Override
    public void closeOutbound() {
        engine.closeOutbound();
    }

    @Override
    public boolean isOutboundDone() {
        return engine.isOutboundDone();
    }

    @Override
    public String[] getSupportedCipherSuites() {
        return engine.getSupportedCipherSuites();
    }

    @Override
    public String[] getEnabledCipherSuites() {
        return engine.getEnabledCipherSuites();
    }

    @Override
    public void setEnabledCipherSuites(String[] suites) {
        engine.setEnabledCipherSuites(suites);
    }

    @Override
    public String[] getSupportedProtocols() {
        return engine.getSupportedProtocols();
    }

    @Override
    public String[] getEnabledProtocols() {
        return engine.getEnabledProtocols();
    }

    @Override
    public void setEnabledProtocols(String[] protocols) {
        engine.setEnabledProtocols(protocols);
    }

    @Override
    public SSLSession getSession() {
        return engine.getSession();
    }

    @Override
    public SSLSession getHandshakeSession() {
        return engine.getHandshakeSession();
    }

    @Override
    public void beginHandshake() throws SSLException {
        try {
            engine.beginHandshake();
        } catch (SSLException e) {
            throw logged(e);
        }
    }

    @Override
    public SSLEngineResult.HandshakeStatus getHandshakeStatus() {
        return engine.getHandshakeStatus();
    }

    @Override
    public void setUseClientMode(boolean mode) {
        engine.setUseClientMode(mode);
    }

    @Override
    public boolean getUseClientMode() {
        return engine.getUseClientMode();
    }

    @Override
    public void setNeedClientAuth(boolean need) {
        engine.setNeedClientAuth(need);
    }

    @Override
    public boolean getNeedClientAuth() {
        return engine.getNeedClientAuth();
    }

    @Override
    public void setWantClientAuth(boolean want) {
        engine.setWantClientAuth(want);
    }

    @Override
    public boolean getWantClientAuth() {
        return engine.getWantClientAuth();
    }

    @Override
    public void setEnableSessionCreation(boolean flag) {
        engine.setEnableSessionCreation(flag);
    }

    @Override
    public boolean getEnableSessionCreation() {
        return engine.getEnableSessionCreation();
    }

    @Override
    public SSLParameters getSSLParameters() {
        return engine.getSSLParameters();
    }

    @Override
    public void setSSLParameters(SSLParameters params) {
        engine.setSSLParameters(params);
    }

    @Override
    public String getApplicationProtocol() {
        return engine.getApplicationProtocol();
    }

    @Override
    public String getHandshakeApplicationProtocol() {
        return engine.getHandshakeApplicationProtocol();
    }

    @Override
    public void setHandshakeApplicationProtocolSelector(BiFunction<SSLEngine, List<String>, String> selector) {
        engine.setHandshakeApplicationProtocolSelector(selector);
    }

    @Override
    public BiFunction<SSLEngine, List<String>, String> getHandshakeApplicationProtocolSelector() {
        return engine.getHandshakeApplicationProtocolSelector();
    }
}
