package io.laminar.app.serve;

import io.laminar.actors.HostSettings;
import io.laminar.actors.inspect.AttentionStore;
import io.laminar.actors.inspect.Inspection;
import io.laminar.app.FreePorts;
import io.laminar.actors.PipelineHost;
import io.laminar.actors.SoloRuns;
import io.laminar.app.client.RequestProducer;
import io.laminar.app.client.ResponseStream;
import io.laminar.app.kafka.EmbeddedKafka;
import io.laminar.app.kafka.KafkaSettings;
import io.laminar.app.kafka.TopicSetup;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.testing.TestModels;
import io.laminar.model.tokenizer.Tokenizer;
import io.laminar.model.tokenizer.Tokenizers;
import io.laminar.schemas.EventType;
import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.WireFormat;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kafka in front of a pipeline spread over two cluster members: the serving process hosts the
 * scheduler and layers 0-2, a stage member that joins it hosts layers 3-4. A request sent before
 * that member exists waits in Kafka and is served once it joins, and both requests get a single
 * process's tokens. The second is marked for inspection: both members report their layers' weights to
 * the serving process's store, the member's over the cluster's wire.
 */
class KafkaServeAcrossNodesTest {
    @Test
    void aServerHostingSomeLayersServesOnceAStageNodeBringsTheRest() throws Exception {
        Path model = TestModels.storiesSized();
        Tokenizer tokenizer = Tokenizers.fromGguf(model);
        String[] prompts = {"ab cd e fg", "de fa"};
        int[] lengths = {20, 12};
        int[][] expected = SoloRuns.greedy(model, new int[][] {tokenizer.encode(prompts[0], true, true),
                tokenizer.encode(prompts[1], true, true)}, lengths, 512);
        int port = FreePorts.take(1)[0];
        try (EmbeddedKafka broker = EmbeddedKafka.start()) {
            KafkaSettings kafka = KafkaSettings.defaults().withBootstrapServers(broker.bootstrapServers());
            TopicSetup.ensure(kafka);
            HostSettings serving = HostSettings.local(model, List.of(new LayerRange(0, 3)), 1).withBatch(64, 8, 512)
                    .withNetwork("127.0.0.1", port, List.of());
            CompletableFuture<LaminarServer> started = KafkaServing.startInBackground(model, serving, kafka, "laminar-across");
            try (ResponseStream stream = new ResponseStream(kafka.consumerConfig("unused"), kafka.responsesTopic());
                 RequestProducer producer = new RequestProducer(kafka.producerConfig(), kafka.requestsTopic(),
                         WireFormat.JSON)) {
                producer.send(KafkaServing.greedy("early", prompts[0], lengths[0]));
                Thread.sleep(2000);
                assertFalse(started.isDone(), "the server waits for the missing layers");

                HostSettings stage = serving.hosting(List.of(new LayerRange(3, 5)), false)
                        .withNetwork("127.0.0.1", 0, List.of("127.0.0.1:" + port));
                try (PipelineHost member = PipelineHost.start(stage);
                     LaminarServer server = started.get(120, TimeUnit.SECONDS)) {
                    // Marked for inspection: the member's stage reports layers 3-4 over the cluster's wire.
                    producer.send(InferenceRequest.newBuilder(KafkaServing.greedy("later", prompts[1], lengths[1]))
                            .setInspect(true).build());
                    Map<String, List<ResponseEvent>> events = KafkaServing.collect(stream, Set.of("early", "later"),
                            Duration.ofSeconds(60));
                    for (int i = 0; i < 2; i++) {
                        List<ResponseEvent> ev = events.get(i == 0 ? "early" : "later");
                        assertEquals(EventType.FINISH, ev.getLast().getType(), ev.getLast().toString());
                        assertArrayEquals(expected[i], KafkaServing.tokenIds(ev), prompts[i]);
                    }
                    assertInspectedOnBothNodes(server,
                            expected[1].length + tokenizer.encode(prompts[1], true, true).length - 1);
                    assertTrue(AttentionStore.get(server.pipeline().system()).find("early").isEmpty());
                }
            } finally {
                if (!started.isDone()) {
                    started.thenAccept(LaminarServer::close); // a failure came first: close it if it starts
                }
            }
        }
    }

    /** Every layer (0-2 computed here, 3-4 on the member) reported every query token of "later", rows summing to 1. */
    private static void assertInspectedOnBothNodes(LaminarServer server, int queries) throws InterruptedException {
        Inspection inspection = AttentionStore.get(server.pipeline().system()).find("later").orElseThrow();
        assertTrue(inspection.awaitQueries(queries, 10_000), "every stage reported every query token");
        assertEquals(5, inspection.layers());
        for (int l = 0; l < 5; l++) {
            for (int h = 0; h < inspection.heads(); h++) {
                for (int q = 0; q < queries; q++) {
                    double sum = 0;
                    for (float w : inspection.row(l, h, q)) {
                        sum += w;
                    }
                    assertEquals(1, sum, 1e-5, "layer " + l + " head " + h + " query " + q);
                }
            }
        }
    }
}
