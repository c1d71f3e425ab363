package io.laminar.app.serve;

import io.laminar.actors.PipelineClient;
import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.app.client.RequestProducer;
import io.laminar.app.client.ResponseStream;
import io.laminar.schemas.EventType;
import io.laminar.schemas.FinishReason;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.WireFormat;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tombstone keyed by a request id cancels that request: it ends with FINISH CANCELLED after
 * fewer tokens than it asked for, the scheduler frees its sequence, and the gateway serves on.
 */
class KafkaCancelTest extends SyntheticServerPerClass {
    @Test
    void aTombstoneKeyedByTheRequestIdStopsItAndFreesItsSequence() throws Exception {
        String id = "cancel-me";
        int maxTokens = 200;
        List<ResponseEvent> events = new ArrayList<>();
        try (ResponseStream stream = KafkaServing.responses(server);
             RequestProducer producer = KafkaServing.producer(server, WireFormat.AVRO);
             KafkaProducer<byte[], byte[]> raw = KafkaServing.rawProducer(server)) {
            producer.send(KafkaServing.greedy(id, "ab cd", maxTokens));
            CompletableFuture<Void> firstToken = new CompletableFuture<>();
            CompletableFuture<Set<String>> following = CompletableFuture.supplyAsync(() ->
                    stream.follow(Set.of(id), Duration.ofSeconds(60), e -> {
                        events.add(e);
                        if (e.getType() == EventType.TOKEN) {
                            firstToken.complete(null);
                        }
                    }));
            firstToken.get(60, TimeUnit.SECONDS);
            KafkaServing.sendRaw(raw, server, id, null);
            assertEquals(Set.of(), following.get(60, TimeUnit.SECONDS), "the request ended");
        }
        ResponseEvent last = events.getLast();
        assertEquals(EventType.FINISH, last.getType(), "a cancelled request ends with FINISH: " + last);
        assertEquals(FinishReason.CANCELLED, last.getFinish().getFinishReason());
        int generated = last.getFinish().getUsage().getGeneratedTokens();
        assertTrue(generated >= 1 && generated < maxTokens, "stopped early: " + generated + " tokens");
        assertEquals(generated, events.stream().filter(e -> e.getType() == EventType.TOKEN).count());

        PipelineClient client = new PipelineClient(server.pipeline().system(), server.pipeline().scheduler());
        PipelineScheduler.Status status = client.status().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertEquals(0, status.active(), "the sequence is freed: " + status);
        assertEquals(0, status.waiting(), status.toString());
        servesOn("after-cancel");
    }

    @Test
    void aTombstoneForNoRequestInFlightChangesNothing() throws Exception {
        try (KafkaProducer<byte[], byte[]> raw = KafkaServing.rawProducer(server)) {
            KafkaServing.sendRaw(raw, server, "never-sent", null);
        }
        servesOn("after-stray-cancel");
    }

    private static void servesOn(String id) throws Exception {
        try (ResponseStream stream = KafkaServing.responses(server);
             RequestProducer producer = KafkaServing.producer(server, WireFormat.JSON)) {
            producer.send(KafkaServing.greedy(id, "ab cd", 5));
            List<ResponseEvent> events = KafkaServing.collect(stream, Set.of(id), Duration.ofSeconds(60)).get(id);
            assertEquals(FinishReason.LENGTH, events.getLast().getFinish().getFinishReason(), events.toString());
            assertEquals(5, KafkaServing.tokenIds(events).length);
        }
    }
}
