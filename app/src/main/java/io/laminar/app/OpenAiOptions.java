package io.laminar.app;

import io.laminar.app.http.HttpAddress;
import io.laminar.app.http.openai.ApiKeys;
import io.laminar.app.http.openai.OpenAiDoor;
import io.laminar.app.http.openai.OpenAiSettings;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;

/** The options of the OpenAI-compatible door ({@code serve --http}, {@code http}); docs/http.md. */
public final class OpenAiOptions {
    @Option(names = "--served-model-name", paramLabel = "NAME",
            description = "The model name OpenAI clients give ('model') and /v1/models lists; others get 404 (serve: default the model file's name without .gguf).")
    String servedModelName;

    @Option(names = "--http-api-keys", paramLabel = "FILE",
            description = "API keys the OpenAI-compatible door accepts as 'Authorization: Bearer KEY', one per line, added to those of $"
                    + ApiKeys.ENV + " (comma-separated). Required when --http listens beyond loopback; without any, loopback clients need no key.")
    Path apiKeys;

    @Option(names = "--http-max-body-bytes", paramLabel = "BYTES", defaultValue = "" + OpenAiSettings.DEFAULT_MAX_BODY_BYTES,
            description = "Longest request body the door reads; longer ones get 413 (default: ${DEFAULT-VALUE}).")
    int maxBodyBytes;

    @Option(names = "--http-request-timeout", paramLabel = "SECONDS",
            defaultValue = "" + OpenAiSettings.DEFAULT_REQUEST_TIMEOUT_SECONDS,
            description = "Longest a door request may take: its deadline on Kafka, after which the door answers 504 and cancels it (default: ${DEFAULT-VALUE}).")
    long requestTimeoutSeconds;

    /**
     * The door's settings for a port at {@code address}; checked now, so that a process refuses to
     * start rather than open a port it should not.
     *
     * @param defaultModel the name when --served-model-name is not given; null when it must be
     */
    OpenAiSettings settings(HttpAddress address, String defaultModel) {
        String model = servedModelName != null ? servedModelName : defaultModel;
        if (model == null) {
            throw new IllegalArgumentException("give --served-model-name: the door cannot learn the model's name from Kafka");
        }
        OpenAiSettings settings = new OpenAiSettings(model, maxBodyBytes, Duration.ofSeconds(requestTimeoutSeconds),
                ApiKeys.load(apiKeys, System.getenv(ApiKeys.ENV)));
        OpenAiDoor.checkExposure(address, settings);
        return settings;
    }

    /** A model file's name without its {@code .gguf}: what {@code serve} serves it as. */
    static String modelName(Path model) {
        String name = model.getFileName().toString();
        return name.endsWith(".gguf") ? name.substring(0, name.length() - ".gguf".length()) : name;
    }
}
