package io.laminar.app;

import io.laminar.app.kafka.EmbeddedKafka;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code laminar broker}: the embedded single-node Kafka broker as a process of its own, bound to an
 * address other hosts reach, so that {@code serve}, stage nodes and clients can run elsewhere.
 */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = "Runs a single-node Kafka broker (KRaft, the one 'serve' embeds) on its own, bound to and "
                + "advertising --host, for 'serve --bootstrap-servers HOST:PORT' and clients on other hosts. "
                + "Prints 'kafka bootstrap: HOST:PORT' once ready. Runs until Ctrl-C or SIGTERM.")
public final class BrokerCommand implements Callable<Integer> {
    @Option(names = "--host", defaultValue = EmbeddedKafka.HOST, paramLabel = "ADDR",
            description = "Address to bind and advertise to clients (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "9092", paramLabel = "PORT", description = "Port clients connect to; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--log-dir", paramLabel = "DIR",
            description = "Where the broker keeps its data, kept across restarts (default: a temporary folder, deleted on exit).")
    Path logDir;

    @Override
    public Integer call() throws Exception {
        EmbeddedKafka kafka = start();
        System.out.println("kafka bootstrap: " + kafka.bootstrapServers());
        System.out.flush();
        // EmbeddedKafka closes itself from a shutdown hook on SIGTERM or Ctrl-C; until then there is
        // nothing for this thread to do.
        new CountDownLatch(1).await();
        return 0;
    }

    /** Starts the broker these options describe; the caller owns it. */
    EmbeddedKafka start() {
        EmbeddedKafka.Builder builder = EmbeddedKafka.builder().host(host).port(port);
        if (logDir != null) {
            builder.logDir(logDir);
        }
        return builder.start();
    }
}
