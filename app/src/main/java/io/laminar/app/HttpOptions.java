package io.laminar.app;

import io.laminar.app.http.HttpAddress;
import picocli.CommandLine.Option;

/** The {@code --http} option of the commands that can open the process's HTTP port. */
public final class HttpOptions {
    @Option(names = "--http", paramLabel = "[HOST:]PORT",
            description = "Open the HTTP port on PORT (loopback) or HOST:PORT (0.0.0.0 for every interface); port 0 picks a free one. Off by default.")
    String http;

    /** The address asked for, or null when the port stays closed. */
    HttpAddress address() {
        return http == null ? null : HttpAddress.parse(http);
    }
}
