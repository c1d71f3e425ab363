package io.laminar.app;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Arrays;

/** Test helper: TCP ports on 127.0.0.1 that are free now, for members whose address a test must know. */
public final class FreePorts {
    private FreePorts() {
    }

    /** {@code n} distinct free ports, lowest first. */
    public static int[] take(int n) throws IOException {
        ServerSocket[] sockets = new ServerSocket[n];
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                sockets[i] = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ports[i] = sockets[i].getLocalPort();
            }
            Arrays.sort(ports);
            return ports;
        } finally {
            for (ServerSocket s : sockets) {
                if (s != null) {
                    s.close();
                }
            }
        }
    }
}
