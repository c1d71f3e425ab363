package io.laminar.app;

import io.laminar.app.client.RequestProducer;
import io.laminar.app.client.ResponseStream;
import io.laminar.app.kafka.KafkaSettings;
import io.laminar.schemas.ChatMessage;
import io.laminar.schemas.EventType;
import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.WireFormat;
import org.apache.kafka.clients.producer.ProducerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/** {@code laminar prompt}: sends one request to a serving Laminar and prints the tokens as they arrive. */
@Command(name = "prompt", mixinStandardHelpOptions = true,
        description = "Sends a prompt to the requests topic of a running 'laminar serve' and prints the generated text as its token events arrive on the responses topic.")
public final class PromptCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "TEXT", description = "The prompt.")
    String text;

    @Option(names = "--bootstrap-servers", required = true, paramLabel = "HOST:PORT,...", description = "The Kafka cluster.")
    String bootstrapServers;

    @Option(names = "--kafka-config", paramLabel = "FILE", description = "Kafka client properties (SASL/SSL...), topic names and laminar.schema.registry.* keys.")
    Path kafkaConfig;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", defaultValue = "128", description = "Tokens to generate at most (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temp", description = "Temperature; 0 is greedy (default: the server's, 0.8).")
    Float temperature;

    @Option(names = {"-s", "--seed"}, description = "Sampler seed.")
    Long seed;

    @Option(names = "--chat", description = "Send the text as a user message, to be rendered with the model's chat template.")
    boolean chat;

    @Option(names = "--stop", description = "Stop string(s).")
    List<String> stop = List.of();

    @Option(names = "--format", defaultValue = "avro", description = "Request encoding: avro or json (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--timeout", defaultValue = "300", paramLabel = "SECONDS", description = "Give up after this long (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        KafkaSettings kafka = (kafkaConfig != null ? KafkaSettings.load(kafkaConfig) : KafkaSettings.defaults())
                .withBootstrapServers(bootstrapServers);
        InferenceRequest.Builder b = InferenceRequest.newBuilder()
                .setRequestId("prompt-" + UUID.randomUUID())
                .setMaxTokens(maxTokens)
                .setStop(stop)
                .setTemperature(temperature)
                .setSeed(seed);
        if (chat) {
            b.setMessages(List.of(ChatMessage.newBuilder().setRole("user").setContent(text).build()));
        } else {
            b.setPrompt(text);
        }
        InferenceRequest request = b.build();
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        int[] exit = {0};
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        Duration timeout = Duration.ofSeconds(timeoutSeconds);
        try (ResponseStream responses = new ResponseStream(kafka.consumerConfig("unused"), kafka.responsesTopic(), timeout);
             RequestProducer producer = new RequestProducer(withinTimeout(kafka.producerConfig(), remaining(deadline)),
                     kafka.requestsTopic(), WireFormat.fromConfigValue(format))) {
            producer.send(request);
            Set<String> unfinished = responses.follow(Set.of(request.getRequestId()), remaining(deadline),
                    e -> exit[0] = print(out, e));
            if (!unfinished.isEmpty()) {
                System.err.println("laminar prompt: no final event within " + timeoutSeconds + " s");
                return 2;
            }
        }
        return exit[0];
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    /** The producer's waits (for metadata, for the acknowledgement) within what is left of --timeout. */
    private static Map<String, Object> withinTimeout(Map<String, Object> producerConfig, Duration left) {
        Map<String, Object> config = new HashMap<>(producerConfig);
        int ms = (int) Math.max(1, Math.min(Integer.MAX_VALUE, left.toMillis()));
        config.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, ms);
        // delivery.timeout.ms must be at least linger.ms + request.timeout.ms.
        config.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(30_000, ms));
        config.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Math.max(ms,
                Integer.parseInt(String.valueOf(config.get(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG)).strip())));
        return config;
    }

    private static int print(PrintStream out, ResponseEvent e) {
        if (e.getType() == EventType.TOKEN) {
            out.print(e.getToken().getText());
            out.flush();
        } else if (e.getType() == EventType.FINISH) {
            out.println();
            var f = e.getFinish();
            System.err.printf("laminar: %s, %d prompt + %d generated tokens, first token after %s ms, %.1f tokens/s%n",
                    f.getFinishReason(), f.getUsage().getPromptTokens(), f.getUsage().getGeneratedTokens(),
                    f.getTimings().getTimeToFirstTokenMs(), f.getTimings().getTokensPerSecond());
        } else if (e.getType() == EventType.ERROR) {
            out.println();
            System.err.println("laminar: error " + e.getError().getCode() + ": " + e.getError().getMessage());
            return 1;
        }
        return 0;
    }
}
