package io.laminar.app;

import io.laminar.actors.HostSettings;
import io.laminar.actors.PipelineHost;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.testing.TestData;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A {@code laminar node} that the cluster downs exits with status 3, so that a supervisor restarts it. */
class NodeExitTest {
    @Test
    void aNodeTheClusterDownsExitsWithStatus3() throws Exception {
        Path model = TestData.stories260K();
        try (PipelineHost host = PipelineHost.start(HostSettings.local(model, List.of(new LayerRange(0, 3)), 1)
                .withBatch(8, 2, 64))) {
            CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> Main.commandLine().execute("node",
                    "--role", "stage", "--layers", "3-4", "-m", model.toString(), "--seed-nodes",
                    "127.0.0.1:" + host.port(), "--threads", "1", "--ctx-size", "64", "--max-sequences", "2",
                    "--batch-size", "8", "--warm-up", "0"));
            String node = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (node == null && System.nanoTime() < deadline) {
                node = host.clusterMembers().stream().filter(m -> !m.contains(":" + host.port() + " ") && m.endsWith(" Up"))
                        .map(m -> m.substring(0, m.indexOf(' '))).findFirst().orElse(null);
                Thread.sleep(50);
            }
            host.down(node);
            assertEquals(NodeCommand.DOWNED_EXIT_STATUS, exit.get(60, TimeUnit.SECONDS));
        }
    }
}
