package io.laminar.app.serve;

import io.laminar.actors.HostSettings;
import io.laminar.actors.PipelineHost;
import io.laminar.actors.SoloRuns;
import io.laminar.app.FreePorts;
import io.laminar.app.client.RequestProducer;
import io.laminar.app.client.ResponseStream;
import io.laminar.app.kafka.EmbeddedKafka;
import io.laminar.app.kafka.KafkaSettings;
import io.laminar.app.kafka.TopicSetup;
import io.laminar.kernels.GgmlType;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.synth.ModelShape;
import io.laminar.model.synth.SyntheticModelWriter;
import io.laminar.model.tokenizer.Tokenizers;
import io.laminar.schemas.EventType;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.WireFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A request already streaming when its stage goes away waits for the stage to come back for
 * longer than the admission timeout (which is for requests that have not started): the stage is
 * gone for three admission timeouts, and the request then completes with the tokens of an
 * uninterrupted run, each token index once.
 */
class KafkaStageAbsenceTest {
    private static final Duration ADMISSION_TIMEOUT = Duration.ofSeconds(2);

    @TempDir
    Path tmp;

    @Test
    void aStreamingRequestOutwaitsTheAdmissionTimeoutUntilItsStageIsBack() throws Exception {
        Path model = new SyntheticModelWriter(ModelShape.TINY.withLayers(4)).weightType(GgmlType.Q8_0)
                .writeCached(tmp.resolve("models"));
        String prompt = "ab cd efg hi";
        int length = 160;
        int[] expected = SoloRuns.greedy(model, new int[][] {Tokenizers.fromGguf(model).encode(prompt, true, true)},
                new int[] {length}, 512)[0];
        int port = FreePorts.take(1)[0];
        try (EmbeddedKafka broker = EmbeddedKafka.start()) {
            KafkaSettings kafka = KafkaSettings.defaults().withBootstrapServers(broker.bootstrapServers());
            TopicSetup.ensure(kafka);
            HostSettings serving = HostSettings.local(model, List.of(new LayerRange(0, 2)), 1).withBatch(64, 4, 512)
                    .withNetwork("127.0.0.1", port, List.of()).withScheduling(0, ADMISSION_TIMEOUT);
            HostSettings stage = serving.hosting(List.of(new LayerRange(2, 4)), false)
                    .withNetwork("127.0.0.1", 0, List.of("127.0.0.1:" + port));
            CompletableFuture<LaminarServer> started = KafkaServing.startInBackground(model, serving, kafka, "laminar-absence");
            PipelineHost first = PipelineHost.start(stage);
            try (LaminarServer server = started.get(120, TimeUnit.SECONDS);
                 ResponseStream stream = new ResponseStream(kafka.consumerConfig("unused"), kafka.responsesTopic());
                 RequestProducer producer = new RequestProducer(kafka.producerConfig(), kafka.requestsTopic(),
                         WireFormat.JSON)) {
                producer.send(KafkaServing.greedy("long", prompt, length));
                List<ResponseEvent> events = new ArrayList<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (events.size() < 10 && System.nanoTime() < deadline) {
                    stream.follow(Set.of("long"), Duration.ofMillis(20), events::add);
                }
                assertTrue(events.size() >= 10 && events.getLast().getType() == EventType.TOKEN,
                        "streaming when the stage leaves: " + events.size() + " events");
                first.close();
                Thread.sleep(3 * ADMISSION_TIMEOUT.toMillis());
                try (PipelineHost second = PipelineHost.start(stage)) {
                    Set<String> open = stream.follow(Set.of("long"), Duration.ofSeconds(90), events::add);
                    assertTrue(open.isEmpty(), "unfinished: " + events.getLast());
                }
                assertEquals(EventType.FINISH, events.getLast().getType(), events.getLast().toString());
                assertEquals(0, stream.duplicates(), "events written twice");
                assertArrayEquals(expected, KafkaServing.tokenIds(events));
            } finally {
                first.close();
            }
        }
    }
}
