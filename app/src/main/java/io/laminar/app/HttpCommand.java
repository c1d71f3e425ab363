package io.laminar.app;

import io.laminar.app.http.HttpAddress;
import io.laminar.app.http.HttpFront;
import io.laminar.app.http.openai.OpenAiDoor;
import io.laminar.app.http.openai.OpenAiSettings;
import io.laminar.app.kafka.KafkaSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code laminar http}: the OpenAI-compatible door on its own, in front of whatever {@code serve}
 * reads the topics; several may run side by side.
 */
@Command(name = "http", mixinStandardHelpOptions = true,
        description = "Runs the OpenAI-compatible HTTP door on its own (docs/http.md): POST /v1/chat/completions and /v1/completions, streaming or not, and GET /v1/models, as a Kafka client of the requests and responses topics, in front of any 'serve' reading them. Prints 'http: http://HOST:PORT' once ready. Runs until Ctrl-C.")
public final class HttpCommand implements Callable<Integer> {
    @Option(names = "--bootstrap-servers", required = true, paramLabel = "HOST:PORT,...",
            description = "The Kafka cluster that 'serve' reads.")
    String bootstrapServers;

    @Option(names = "--kafka-config", paramLabel = "FILE",
            description = "Properties file with any Kafka client setting (SASL/SSL too) and laminar.topic.* / laminar.request.* keys.")
    Path kafkaConfig;

    @Mixin
    HttpOptions http;

    @Mixin
    OpenAiOptions openAi;

    @Override
    public Integer call() throws Exception {
        HttpAddress address = http.address();
        if (address == null) {
            throw new IllegalArgumentException("give --http [HOST:]PORT: where the door listens");
        }
        OpenAiSettings settings = openAi.settings(address, null);
        KafkaSettings kafka = (kafkaConfig != null ? KafkaSettings.load(kafkaConfig) : KafkaSettings.defaults())
                .withBootstrapServers(bootstrapServers);
        HttpFront front = http.bind();
        OpenAiDoor door;
        try {
            door = OpenAiDoor.open(front, settings, kafka);
        } catch (RuntimeException e) {
            front.close();
            throw e;
        }
        front.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            front.close();
            door.close();
        }));
        System.out.println("http: " + front.url() + " (model " + settings.servedModel() + ")");
        System.out.flush();
        new CountDownLatch(1).await();
        return 0;
    }
}
