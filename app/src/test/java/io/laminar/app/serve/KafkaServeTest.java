package io.laminar.app.serve;

import io.laminar.actors.SoloRuns;
import io.laminar.app.client.RequestProducer;
import io.laminar.app.client.ResponseStream;
import io.laminar.model.testing.TestModels;
import io.laminar.model.tokenizer.StreamingDecoder;
import io.laminar.model.tokenizer.Tokenizer;
import io.laminar.model.tokenizer.Tokenizers;
import io.laminar.schemas.EventType;
import io.laminar.schemas.FinishReason;
import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.WireFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Requests through a real in-process KRaft broker and the serving path, end to end. */
class KafkaServeTest {
    static Path model;
    static LaminarServer server;
    static Tokenizer tokenizer;

    @BeforeAll
    static void start() throws Exception {
        model = TestModels.storiesSized();
        server = KafkaServing.start(model, 64, "avro");
        tokenizer = Tokenizers.fromGguf(model);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void concurrentRequestsFromSeveralProducersStreamCompleteOrderedCorrectTokens() throws Exception {
        String[] prompts = {"ab cd e fg", "hi a bc", "de fa", "g ha cb", "ea d", "he x"};
        int[] lengths = {24, 16, 20, 12, 30, 8};
        int[][] promptIds = new int[prompts.length][];
        for (int i = 0; i < prompts.length; i++) {
            promptIds[i] = tokenizer.encode(prompts[i], true, true);
        }
        int[][] expected = SoloRuns.greedy(model, promptIds, lengths, 512);
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < prompts.length; i++) {
            ids.add("c" + i);
        }
        try (ResponseStream stream = KafkaServing.responses(server)) {
            // Three producers, one Avro, two JSON, sending at the same time.
            ExecutorService pool = Executors.newFixedThreadPool(3);
            List<Future<?>> sent = new ArrayList<>();
            for (int p = 0; p < 3; p++) {
                int producerIndex = p;
                sent.add(pool.submit(() -> {
                    try (RequestProducer producer = KafkaServing.producer(server,
                            producerIndex == 0 ? WireFormat.AVRO : WireFormat.JSON)) {
                        for (int i = producerIndex; i < prompts.length; i += 3) {
                            producer.send(KafkaServing.greedy("c" + i, prompts[i], lengths[i]));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : sent) {
                f.get();
            }
            pool.shutdown();
            Map<String, List<ResponseEvent>> events = KafkaServing.collect(stream, ids, Duration.ofSeconds(120));
            for (int i = 0; i < prompts.length; i++) {
                List<ResponseEvent> ev = events.get("c" + i);
                for (int k = 0; k < ev.size() - 1; k++) {
                    assertEquals(EventType.TOKEN, ev.get(k).getType());
                    assertEquals(k, ev.get(k).getToken().getTokenIndex(), "token events in order, no gaps");
                }
                ResponseEvent last = ev.getLast();
                assertEquals(EventType.FINISH, last.getType(), last.toString());
                assertEquals(FinishReason.LENGTH, last.getFinish().getFinishReason());
                assertEquals(lengths[i], last.getFinish().getUsage().getGeneratedTokens());
                assertArrayEquals(expected[i], KafkaServing.tokenIds(ev), "request c" + i);
                assertEquals(tokenizer.decode(expected[i]).stripLeading(), KafkaServing.text(ev).stripLeading());
            }
        }
    }

    @Test
    void stopStringsEndGenerationAndAreNotSent() throws Exception {
        String prompt = "ab cd e fg";
        int[] solo = SoloRuns.greedy(model, new int[][] {tokenizer.encode(prompt, true, true)}, new int[] {60}, 512)[0];
        // The text as the gateway streams it: continuing after the prompt.
        StreamingDecoder decoder = StreamingDecoder.continuing(tokenizer);
        StringBuilder text = new StringBuilder();
        for (int id : solo) {
            text.append(decoder.accept(id));
        }
        String full = text.append(decoder.flush()).toString();
        // The stop string is the 8th generated word: the text before its first occurrence is sent, then nothing.
        String stop = tokenizer.decode(new int[] {solo[7]}).strip();
        int at = full.indexOf(stop);
        assertTrue(at > 0 && at <= full.lastIndexOf(' '), "stop '" + stop + "' in '" + full + "'");
        try (ResponseStream stream = KafkaServing.responses(server);
             RequestProducer producer = KafkaServing.producer(server, WireFormat.JSON)) {
            InferenceRequest r = InferenceRequest.newBuilder(KafkaServing.greedy("stop1", prompt, 60))
                    .setStop(List.of(stop)).build();
            producer.send(r);
            List<ResponseEvent> ev = KafkaServing.collect(stream, Set.of("stop1"), Duration.ofSeconds(60)).get("stop1");
            assertEquals(FinishReason.STOP_STRING, ev.getLast().getFinish().getFinishReason());
            assertEquals(full.substring(0, at), KafkaServing.text(ev));
        }
    }
}
