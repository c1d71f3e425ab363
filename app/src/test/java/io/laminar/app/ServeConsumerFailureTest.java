package io.laminar.app;

import io.laminar.model.testing.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A requests consumer that fails ends {@code serve} with an exit status of its own, where it used to
 * log the error and leave a serve up that nobody read requests for.
 */
class ServeConsumerFailureTest {
    @TempDir
    Path tmp;

    @Test
    void aFailedRequestsConsumerEndsServeWithItsExitStatus() throws Exception {
        // A new group with no reset policy: the consumer's first poll throws (NoOffsetForPartitionException),
        // an error Kafka's client does not retry, as a denied topic would be.
        Path config = Files.writeString(tmp.resolve("kafka.properties"), "auto.offset.reset=none\n");
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            CompletableFuture<Integer> serve = CompletableFuture.supplyAsync(() -> Main.commandLine().execute("serve",
                    "-m", TestModels.storiesSized().toString(), "--kafka-config", config.toString(),
                    "--warm-up", "0", "--drain-timeout", "0"));
            try {
                code = serve.get(120, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError("serve did not end; its output:\n" + captured.toString(StandardCharsets.UTF_8)
                        + "\nthreads:\n" + ThreadDumps.all(), e);
            }
        } finally {
            System.setErr(original);
        }
        String err = captured.toString(StandardCharsets.UTF_8);
        assertEquals(ServeCommand.CONSUMER_FAILED_EXIT_STATUS, code, err);
        assertTrue(err.contains("the requests consumer failed (") && err.contains("NoOffsetForPartition"), err);
    }
}
