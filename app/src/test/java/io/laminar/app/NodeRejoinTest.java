package io.laminar.app;

import com.typesafe.config.ConfigFactory;
import io.laminar.actors.HostSettings;
import io.laminar.actors.PipelineHost;
import io.laminar.kernels.GgmlType;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.synth.ModelShape;
import io.laminar.model.synth.SyntheticModelWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stage node comes back by itself: downed by the cluster (as after a pause or a cut link), or
 * left alone in a cluster whose scheduler stopped (a {@code serve} stopped and started again), it
 * starts a new incarnation that joins through its seed nodes, and the pipeline is ready again
 * with no step by hand. With {@code --no-rejoin} a downed node exits with status 3 instead.
 */
class NodeRejoinTest {
    @TempDir
    static Path tmp;
    static Path model;

    @BeforeAll
    static void writeModel() throws Exception {
        model = new SyntheticModelWriter(ModelShape.TINY.withLayers(4)).weightType(GgmlType.Q8_0)
                .writeCached(tmp.resolve("models"));
    }

    @Test
    void aDownedStageJoinsAgainAndThePipelineIsReadyAgain() throws Exception {
        try (PipelineHost scheduler = PipelineHost.start(firstHalf(0))) {
            List<PipelineHost> incarnations = new CopyOnWriteArrayList<>();
            RejoiningMember stage = new RejoiningMember(secondHalf(scheduler.port()), true, quiet());
            CompletableFuture<Integer> run = runAsync(stage, incarnations);
            try {
                awaitTrue(() -> ready(scheduler), "the pipeline is ready");
                String first = memberAddressOf(incarnations.get(0));
                scheduler.down(first);
                awaitTrue(() -> scheduler.clusterMembers().stream().noneMatch(m -> m.startsWith(first + " ")),
                        "the downed incarnation is removed");
                awaitTrue(() -> incarnations.size() == 2, "a second incarnation starts");
                String second = memberAddressOf(incarnations.get(1));
                awaitTrue(() -> scheduler.clusterMembers().contains(second + " Up") && ready(scheduler),
                        "the second incarnation is up and the pipeline ready again");
            } finally {
                stage.stop();
            }
            assertEquals(0, run.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void aStageWhoseSchedulerStoppedJoinsTheNextOne() throws Exception {
        int port = FreePorts.take(1)[0];
        System.setProperty("laminar.cluster.orphan-after", "1s");
        ConfigFactory.invalidateCaches();
        List<PipelineHost> incarnations = new CopyOnWriteArrayList<>();
        RejoiningMember stage = new RejoiningMember(secondHalf(port), true, quiet());
        CompletableFuture<Integer> run = null;
        try {
            try (PipelineHost scheduler = PipelineHost.start(firstHalf(port))) {
                run = runAsync(stage, incarnations);
                awaitTrue(() -> ready(scheduler), "the pipeline is ready");
            } // a clean stop: the scheduler leaves, the stage is not downed but left alone
            awaitTrue(() -> incarnations.size() == 2, () -> "the stage leaves its scheduler-less cluster and starts"
                    + " again; its view: " + (stage.current() == null ? "(none)" : stage.current().clusterMembers()));
            try (PipelineHost next = PipelineHost.start(firstHalf(port))) {
                awaitTrue(() -> ready(next), "the stage joins the new scheduler");
            }
        } finally {
            stage.stop(); // also when an assertion failed: a stage left running would disturb the tests after
            System.clearProperty("laminar.cluster.orphan-after");
            ConfigFactory.invalidateCaches();
        }
        assertEquals(0, run.get(30, TimeUnit.SECONDS));
    }

    @Test
    void withNoRejoinADownedNodeExitsWithStatus3() throws Exception {
        try (PipelineHost scheduler = PipelineHost.start(firstHalf(0))) {
            CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> Main.commandLine().execute("node",
                    "--role", "stage", "--layers", "2-3", "-m", model.toString(), "--seed-nodes",
                    "127.0.0.1:" + scheduler.port(), "--threads", "1", "--ctx-size", "64", "--max-sequences", "2",
                    "--batch-size", "8", "--warm-up", "0", "--no-rejoin"));
            awaitTrue(() -> ready(scheduler), "the pipeline is ready");
            String node = scheduler.clusterMembers().stream().filter(m -> !m.contains(":" + scheduler.port() + " "))
                    .map(m -> m.substring(0, m.indexOf(' '))).findFirst().orElseThrow();
            scheduler.down(node);
            assertEquals(RejoiningMember.DOWNED_EXIT_STATUS, exit.get(60, TimeUnit.SECONDS));
        }
    }

    /** The scheduler and layers 0-1, the seed of the cluster, on {@code port} (0: any). */
    private static HostSettings firstHalf(int port) {
        return HostSettings.local(model, List.of(new LayerRange(0, 2)), 1).withBatch(8, 2, 64)
                .withNetwork("127.0.0.1", port, List.of());
    }

    /** A stage with layers 2-3 that joins the member on {@code seedPort}. */
    private static HostSettings secondHalf(int seedPort) {
        return HostSettings.local(model, List.of(), 1).withBatch(8, 2, 64).hosting(List.of(new LayerRange(2, 4)), false)
                .withNetwork("127.0.0.1", 0, List.of("127.0.0.1:" + seedPort));
    }

    private static CompletableFuture<Integer> runAsync(RejoiningMember member, List<PipelineHost> incarnations) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return member.run(incarnations::add);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static String memberAddressOf(PipelineHost host) {
        return host.system().address().toString();
    }

    private static boolean ready(PipelineHost scheduler) {
        try {
            return scheduler.status().toCompletableFuture().get(5, TimeUnit.SECONDS).ready();
        } catch (Exception e) {
            return false;
        }
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        awaitTrue(condition, () -> what);
    }

    private static void awaitTrue(BooleanSupplier condition, Supplier<String> what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, () -> "timed out waiting until " + what.get());
            Thread.sleep(100);
        }
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }
}
