package io.laminar.app.serve;

import io.laminar.actors.HostSettings;
import io.laminar.app.FreePorts;
import io.laminar.actors.SoloRuns;
import io.laminar.app.MemberLauncher;
import io.laminar.app.client.RequestProducer;
import io.laminar.app.client.ResponseStream;
import io.laminar.app.kafka.KafkaSettings;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.testing.TestModels;
import io.laminar.model.tokenizer.Tokenizers;
import io.laminar.schemas.EventType;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.WireFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Kafka request survives the crash of a stage process: this JVM serves Kafka with the scheduler
 * and layers 0-2, a stage process hosts layers 3-4 and is killed (SIGKILL) while the request
 * generates, and a replacement process is started. The gateway submits the request again once the
 * scheduler reports the stage lost; the rerun gives the same tokens (fixed seed, batch-invariant
 * numerics), those already sent are skipped, and the client sees one stream: no gap, no repeat,
 * no error, a single process's tokens.
 */
class KafkaStageFailoverIT {
    @TempDir
    Path tmp;

    @Test
    void aRequestInterruptedByACrashedStageResumesOnItsReplacement() throws Exception {
        Path model = TestModels.storiesSized();
        String prompt = "ab cd e fg";
        int length = 200;
        int[] expected = SoloRuns.greedy(model, new int[][] {Tokenizers.fromGguf(model).encode(prompt, true, true)},
                new int[] {length}, 512)[0];
        Path jar = Path.of(System.getProperty("laminar.jar", "target/laminar.jar"));
        assertTrue(Files.isRegularFile(jar), "the shaded jar must be built first: " + jar);
        Path log = tmp.resolve("members.log");
        MemberLauncher launcher = new MemberLauncher(List.of("-jar", jar.toString()), log);
        int port = FreePorts.take(1)[0];
        HostSettings serving = HostSettings.local(model, List.of(new LayerRange(0, 3)), 1).withBatch(64, 8, 512)
                .withNetwork("127.0.0.1", port, List.of());
        List<String> stageArgs = List.of("--role", "stage", "--layers", "3-4", "-m", model.toString(),
                "--seed-nodes", "127.0.0.1:" + port, "--threads", "1", "--max-sequences", "8", "--ctx-size", "512",
                "--batch-size", "64");
        List<Process> members = new ArrayList<>();
        CompletableFuture<LaminarServer> started = CompletableFuture.supplyAsync(() -> {
            try {
                return LaminarServer.start(new LaminarServer.Options(model, serving, KafkaSettings.defaults(), 0, null,
                        16, "laminar-failover-" + System.nanoTime()));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        try {
            Process doomed = launcher.startNode(stageArgs);
            members.add(doomed);
            try (LaminarServer server = started.get(120, TimeUnit.SECONDS);
                 ResponseStream stream = KafkaServing.responses(server);
                 RequestProducer producer = KafkaServing.producer(server, WireFormat.JSON)) {
                List<ResponseEvent> events = new CopyOnWriteArrayList<>();
                CompletableFuture<Set<String>> followed = CompletableFuture.supplyAsync(() ->
                        stream.follow(Set.of("resumed"), Duration.ofSeconds(150), events::add));
                producer.send(KafkaServing.greedy("resumed", prompt, length));
                while (events.stream().noneMatch(e -> e.getType() == EventType.TOKEN) && !followed.isDone()) {
                    Thread.sleep(1);
                }
                doomed.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                int atCrash = events.size();
                members.add(launcher.startNode(stageArgs));
                assertEquals(Set.of(), followed.get(150, TimeUnit.SECONDS));
                assertTrue(atCrash < length, "the request finished before the crash: nothing was tested");
                assertEquals(EventType.FINISH, events.getLast().getType(), events.getLast() + "\n" + Files.readString(log));
                int[] indices = events.stream().filter(e -> e.getType() == EventType.TOKEN)
                        .mapToInt(e -> e.getToken().getTokenIndex()).toArray();
                assertArrayEquals(IntStream.range(0, expected.length).toArray(), indices);
                assertArrayEquals(expected, KafkaServing.tokenIds(events));
            }
        } finally {
            MemberLauncher.stopAll(members);
            if (!started.isDone()) {
                started.thenAccept(LaminarServer::close);
            }
        }
    }
}
