package io.laminar.app;

import io.laminar.actors.EventCollector;
import io.laminar.actors.HostSettings;
import io.laminar.actors.PipelineClient;
import io.laminar.actors.PipelineHost;
import io.laminar.actors.SoloRuns;
import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.actors.scheduler.SequenceEvent;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.sampling.SamplingParams;
import io.laminar.kernels.GgmlType;
import io.laminar.model.synth.ModelShape;
import io.laminar.model.synth.SyntheticModelWriter;
import io.laminar.model.testing.TestModels;
import io.laminar.model.tokenizer.Tokenizer;
import io.laminar.model.tokenizer.Tokenizers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three member JVMs on 127.0.0.1 (a scheduler and two stages holding different layer ranges) plus
 * this JVM as a client: several concurrent greedy requests produce exactly the tokens of a single
 * process, on a synthetic model of stories260K's sizes (F32) and on a synthetic Q8_0 one.
 */
class MultiProcessPipelineIT {
    static final int[][] PROMPTS = {
            {1, 403, 407, 261, 378},
            {1, 403, 407},
            {1, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401},
            {1, 432},
    };
    static final int[] LENGTHS = {32, 20, 25, 40};

    @TempDir
    Path tmp;

    @Test
    void threeProcessesGiveTheTokensOfOne() throws Exception {
        Path model = TestModels.storiesSized();
        runAcrossProcesses(model, PROMPTS, "1-2", "3-4", "0-0");
    }

    @Test
    void aSyntheticModelAcrossProcessesGivesTheTokensOfOne() throws Exception {
        Path model = new SyntheticModelWriter(ModelShape.TINY.withLayers(4)).weightType(GgmlType.Q8_0)
                .writeCached(tmp.resolve("models"));
        Tokenizer tokenizer = Tokenizers.fromGguf(model);
        int[][] prompts = {
                tokenizer.encode("ab cd efg", true, true),
                tokenizer.encode("hi j klm no pq", true, true),
                tokenizer.encode("z", true, true),
                tokenizer.encode("rs tu vw xy", true, true),
        };
        runAcrossProcesses(model, prompts, "0-1", "2-3");
    }

    /**
     * A stage process killed (SIGKILL, no goodbye) while a request runs, in a cluster of two members:
     * this JVM (scheduler and layers 0-2) and the stage, which listens on the lower port. Once the
     * failure detector marks the stage unreachable the request fails with an error naming it. The
     * split brain resolver then downs the dead stage, not this member: counting members instead of
     * schedulers it would be a tie, and a tie keeps the side with the lower address. A replacement
     * process for the same layers then serves the next request with the tokens of a single process.
     */
    @Test
    void aStageProcessThatDiesFailsItsRequestAndAReplacementTakesOver() throws Exception {
        Path model = TestModels.storiesSized();
        int[] prompt = Tokenizers.fromGguf(model).encode("ab cd e fg", true, true);
        int[] expected = SoloRuns.greedy(model, new int[][] {prompt}, new int[] {200}, 256)[0];
        Path jar = Path.of(System.getProperty("laminar.jar", "target/laminar.jar"));
        assertTrue(Files.isRegularFile(jar), "the shaded jar must be built first: " + jar);
        Path log = tmp.resolve("members.log");
        MemberLauncher launcher = new MemberLauncher(List.of("-jar", jar.toString()), log);
        int[] ports = FreePorts.take(2);
        HostSettings schedulerSettings = HostSettings.local(model, List.of(new LayerRange(0, 3)), 1)
                .withBatch(8, 4, 256).withNetwork("127.0.0.1", ports[1], List.of());
        List<Process> members = new ArrayList<>();
        try (PipelineHost host = PipelineHost.start(schedulerSettings)) {
            List<String> common = List.of("-m", model.toString(), "--seed-nodes", "127.0.0.1:" + host.port(),
                    "--threads", "1", "--max-sequences", "4", "--ctx-size", "256", "--batch-size", "8",
                    "--role", "stage", "--layers", "3-4");
            Process doomed = launcher.startNode(concat(List.of("--port", String.valueOf(ports[0])), common));
            members.add(doomed);
            PipelineClient pipeline = new PipelineClient(host.system(), host.scheduler());
            pipeline.awaitReady(Duration.ofSeconds(90));

            EventCollector running = new EventCollector(host.system());
            host.scheduler().tell(new PipelineScheduler.Submit("running", prompt, 200, SamplingParams.greedy(),
                    running.ref));
            while (running.tokenTimes.isEmpty() && !running.end.isDone()) {
                Thread.sleep(1);
            }
            doomed.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            SequenceEvent end = running.end.get(90, TimeUnit.SECONDS);
            SequenceEvent.Failed failed = assertInstanceOf(SequenceEvent.Failed.class, end, end.toString());
            assertEquals(SequenceEvent.FailureKind.STAGE_LOST, failed.kind());
            assertTrue(failed.message().contains(":" + ports[0] + "[3-4]"), failed.message());

            // The resolver acts once the unreachable member has been stable for 20 s (Akka's default).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (host.clusterMembers().stream().anyMatch(m -> m.contains(":" + ports[0] + " "))
                    && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            List<String> view = host.clusterMembers();
            assertEquals(1, view.size(), view.toString());
            assertTrue(view.getFirst().endsWith(":" + ports[1] + " Up"), view.toString());
            assertTrue(!host.downedByCluster() && !host.system().getWhenTerminated().toCompletableFuture().isDone());

            members.add(launcher.startNode(common));
            pipeline.awaitReady(Duration.ofSeconds(90));
            EventCollector again = new EventCollector(host.system());
            host.scheduler().tell(new PipelineScheduler.Submit("again", prompt, 200, SamplingParams.greedy(),
                    again.ref));
            end = again.end.get(90, TimeUnit.SECONDS);
            assertInstanceOf(SequenceEvent.Finished.class, end, end + "\n" + Files.readString(log));
            assertArrayEquals(expected, again.tokens());
        } finally {
            MemberLauncher.stopAll(members);
        }
    }

    /** Runs the prompts through a scheduler process and stage processes hosting {@code ranges}. */
    void runAcrossProcesses(Path model, int[][] prompts, String... ranges) throws Exception {
        int[][] expected = SoloRuns.greedy(model, prompts, LENGTHS, 256);
        Path jar = Path.of(System.getProperty("laminar.jar", "target/laminar.jar"));
        assertTrue(Files.isRegularFile(jar), "the shaded jar must be built first: " + jar);
        Path log = tmp.resolve("members.log");
        MemberLauncher launcher = new MemberLauncher(List.of("-jar", jar.toString()), log);
        HostSettings clientSettings = HostSettings.local(model, List.of(), 1).asClient();
        List<Process> members = new ArrayList<>();
        try (PipelineHost client = PipelineHost.start(clientSettings)) {
            List<String> common = List.of("-m", model.toString(), "--seed-nodes", "127.0.0.1:" + client.port(),
                    "--threads", "1", "--max-sequences", "4", "--ctx-size", "256", "--batch-size", "8");
            members.add(launcher.startNode(concat(List.of("--role", "scheduler"), common)));
            for (String r : ranges) {
                members.add(launcher.startNode(concat(List.of("--role", "stage", "--layers", r), common)));
            }
            PipelineClient pipeline = PipelineClient.find(client.system(), clientSettings.modelId(),
                    Duration.ofSeconds(90)).toCompletableFuture().get(100, TimeUnit.SECONDS);
            PipelineScheduler.Status ready = pipeline.awaitReady(Duration.ofSeconds(90));
            for (String r : ranges) {
                assertTrue(ready.detail().contains("[" + r + "]"), ready.detail());
            }

            List<EventCollector> collectors = new ArrayList<>();
            for (int i = 0; i < prompts.length; i++) {
                EventCollector c = new EventCollector(client.system());
                collectors.add(c);
                pipeline.scheduler().tell(new PipelineScheduler.Submit("r" + i, prompts[i], LENGTHS[i],
                        SamplingParams.greedy(), c.ref));
            }
            for (int i = 0; i < prompts.length; i++) {
                SequenceEvent end = collectors.get(i).end.get(120, TimeUnit.SECONDS);
                assertInstanceOf(SequenceEvent.Finished.class, end, end + "\n" + Files.readString(log));
                assertArrayEquals(expected[i], collectors.get(i).tokens(), "request " + i);
            }
        } finally {
            MemberLauncher.stopAll(members);
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
