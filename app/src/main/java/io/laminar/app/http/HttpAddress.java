package io.laminar.app.http;

import java.util.Locale;

/**
 * Where the HTTP port listens: {@code PORT} (loopback) or {@code HOST:PORT}, as {@code --http} takes it.
 *
 * @param host address to bind; {@code 0.0.0.0} for every interface
 * @param port 0 picks a free one
 */
public record HttpAddress(String host, int port) {
    public static final String LOOPBACK = "127.0.0.1";

    public HttpAddress {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("HTTP port must be in [0, 65535], got " + port);
        }
    }

    /**
     * @param spec {@code PORT} or {@code HOST:PORT} ({@code [v6]:PORT} for an IPv6 address)
     * @throws IllegalArgumentException naming what was wrong with it
     */
    public static HttpAddress parse(String spec) {
        String s = spec.strip();
        int colon = s.lastIndexOf(':');
        String host = colon < 0 ? LOOPBACK : s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("--http wants PORT or HOST:PORT, got '" + spec + "'");
        }
        try {
            return new HttpAddress(host, Integer.parseInt(s.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--http wants PORT or HOST:PORT, got '" + spec + "'");
        }
    }

    /** Whether only this machine can reach it: then a missing API key is allowed. */
    public boolean loopback() {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1");
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, host.contains(":") ? "[%s]:%d" : "%s:%d", host, port);
    }
}
