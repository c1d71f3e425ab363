package io.laminar.app;

import io.laminar.app.http.HttpAddress;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Test helper: what {@code laminar status} prints and returns for a process at {@code address}. */
public record StatusProbe(int exitStatus, String output) {
    public static StatusProbe run(HttpAddress address) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int status = StatusCommand.report(address, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return new StatusProbe(status, bytes.toString(StandardCharsets.UTF_8));
    }
}
